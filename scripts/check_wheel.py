"""Build the wheel as `pip install .` would and check that what `campsync init` copies ships
inside it: the schemas, byte for byte the same as the repository's schemas/, and the
templates (the workflow the same as examples/github-actions.yml)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ("campaign.schema.json", "campsync.schema.json")
# Package resource -> the repository file it must equal (None: only present).
TEMPLATES = {
    "campsync.yaml": None,
    "pre-commit-config.yaml": None,
    "gitignore": None,
    "campaigns.yml": ROOT / "examples" / "github-actions.yml",
}


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--quiet", "--no-deps",
             "--wheel-dir", out, str(ROOT)],
            check=True,
        )  # fmt: skip
        [wheel] = Path(out).glob("campsync-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            shipped: dict[str, bytes] = {}
            for schema in SCHEMAS:
                member = f"campsync/schemas/{schema}"
                if member not in names:
                    print(f"check_wheel: {member} is missing from {wheel.name}", file=sys.stderr)
                    return 1
                shipped[schema] = archive.read(member)
            for template, same_as in TEMPLATES.items():
                member = f"campsync/templates/{template}"
                if member not in names:
                    print(f"check_wheel: {member} is missing from {wheel.name}", file=sys.stderr)
                    return 1
                if same_as is not None and archive.read(member) != same_as.read_bytes():
                    print(f"check_wheel: {member} differs from {same_as.name}", file=sys.stderr)
                    return 1
    for schema, data in shipped.items():
        if data != (ROOT / "schemas" / schema).read_bytes():
            print(f"check_wheel: the packaged {schema} differs from schemas/", file=sys.stderr)
            return 1
        print(f"check_wheel: {wheel.name} ships campsync/schemas/{schema} ({len(data)} bytes)")
    print("check_wheel: both the same as schemas/; the init templates ship too")
    return 0


if __name__ == "__main__":
    sys.exit(main())
