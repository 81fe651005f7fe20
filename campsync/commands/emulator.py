"""`campsync emulator` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
from typing import Any

from campsync.errors import UsageError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("emulator", help="(not built yet)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise UsageError("'campsync emulator' is not built yet")
