"""`campsync plan [PATH]`: read the platform and show how it differs from the campaign files."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from campsync.commands.common import (
    DEFAULT_PATH,
    add_format_options,
    add_guard_options,
    add_refresh_option,
    add_remote_options,
    job_of,
    output_format,
    print_warnings,
)
from campsync.sync.engine import Sync, check_plan_path
from campsync.sync.render import RENDERERS
from campsync.terminal import ProgressReporter, use_color


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="show how the platform differs from the campaign files (reads only)",
        description="Read the platform and show the changes apply would make. Reads only.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        default=DEFAULT_PATH,
        metavar="PATH",
        help=f"a campaign file or a folder of them (default: {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="save the plan for 'campsync apply FILE'"
    )
    add_format_options(parser)
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when nothing changes, 2 when there are changes, 1 on error",
    )
    parser.add_argument(
        "--since",
        metavar="REF",
        help="compare in full only the campaigns whose files (or campsync.yaml entries) changed "
        "since the git revision REF, or whose list entry or updatedAt shows a change on the "
        "platform; the others on what the list returns (a cheap pull-request plan)",
    )
    add_guard_options(parser)
    add_remote_options(parser)
    add_refresh_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    if args.out is not None:
        check_plan_path(args.out)  # before the run, not after minutes of reading
    job = job_of(args)
    progress = ProgressReporter(sys.stderr, rate_limit=job.rate_limit)
    sync = Sync(job, refresh=args.refresh, progress=progress, since=args.since)
    files = sync.read_files(Path(args.path))
    try:
        plan = asyncio.run(sync.plan(files))
    finally:
        progress.clear()
    print_warnings(sync.finish())
    if args.out is not None:
        print_warnings(sync.save_plan(args.out, plan))

    out = sys.stdout
    RENDERERS[fmt](plan, out, color=use_color(out))
    if fmt == "json":
        print_warnings(plan.warnings)  # stdout holds only the plan JSON

    if args.out is not None:
        note = (
            f"Saved the plan to {args.out}; apply exactly this plan with: campsync apply {args.out}"
        )
        print(note, file=sys.stdout if fmt == "text" else sys.stderr)
    print_warnings(sync.unsafe(plan))  # last, where a reader of the plan sees it

    if args.detailed_exitcode and plan.has_changes:
        return 2
    return 0
