"""Build the wheel as `pip install .` would and check that the schemas ship inside it, byte
for byte the same as the repository's schemas/ (campsync init copies them from the package)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ("campaign.schema.json", "campsync.schema.json")


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
    for schema, data in shipped.items():
        if data != (ROOT / "schemas" / schema).read_bytes():
            print(f"check_wheel: the packaged {schema} differs from schemas/", file=sys.stderr)
            return 1
        print(f"check_wheel: {wheel.name} ships campsync/schemas/{schema} ({len(data)} bytes)")
    print("check_wheel: both the same as schemas/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
