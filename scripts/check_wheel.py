"""Build the wheel as `pip install .` would and check that the schema ships inside it,
byte for byte the same as schemas/campaign.schema.json (the repository's copy)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEMBER = "campsync/schemas/campaign.schema.json"


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
            if MEMBER not in names:
                print(f"check_wheel: {MEMBER} is missing from {wheel.name}", file=sys.stderr)
                return 1
            shipped = archive.read(MEMBER)
    if shipped != (ROOT / "schemas" / "campaign.schema.json").read_bytes():
        print("check_wheel: the packaged schema differs from schemas/", file=sys.stderr)
        return 1
    print(f"check_wheel: {wheel.name} ships {MEMBER} ({len(shipped)} bytes), same as schemas/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
