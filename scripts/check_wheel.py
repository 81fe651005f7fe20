"""Build the wheel as `pip install .` would and check that the files campsync reads at run
time ship inside it, byte for byte the same as the repository's copies: both schemas
(schemas/), the emulator's OpenAPI description, and what `campsync init` copies into a new
repository (its workflow is examples/github-actions.yml)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = {  # member of the wheel -> the repository's copy
    "campsync/schemas/campaign.schema.json": ROOT / "schemas" / "campaign.schema.json",
    "campsync/schemas/campsync.schema.json": ROOT / "schemas" / "campsync.schema.json",
    "campsync/emulator/openapi.json": ROOT / "campsync" / "emulator" / "openapi.json",
    "campsync/templates/campsync.yaml": ROOT / "campsync" / "templates" / "campsync.yaml",
    "campsync/templates/gitignore": ROOT / "campsync" / "templates" / "gitignore",
    "campsync/templates/pre-commit-config.yaml": (
        ROOT / "campsync" / "templates" / "pre-commit-config.yaml"
    ),
    "campsync/templates/campaigns.yml": ROOT / "examples" / "github-actions.yml",
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
            names = set(archive.namelist())
            shipped = {member: archive.read(member) for member in MEMBERS if member in names}
    for member, source in MEMBERS.items():
        if member not in shipped:
            print(f"check_wheel: {member} is missing from {wheel.name}", file=sys.stderr)
            return 1
        if shipped[member] != source.read_bytes():
            print(f"check_wheel: the packaged {member} differs from {source}", file=sys.stderr)
            return 1
        size = len(shipped[member])
        print(f"check_wheel: {wheel.name} ships {member} ({size} bytes), same as the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())
