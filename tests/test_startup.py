"""What a client command loads at start: not the emulator (its aiohttp server and rules),
which only `campsync emulator` needs (start-up time is measured by `make bench`)."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_starts_without_the_emulator() -> None:
    code = (
        "import sys, campsync.cli; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('campsync.emulator', 'aiohttp.web'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
