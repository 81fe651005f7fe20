"""`campsync compare ENV_A ENV_B [PATH]`: whether two accounts hold the same campaigns, beyond
what their environments' overrides make different on purpose. Reads only.

Both accounts are read at once (each within its own rate limit; the bodies through the local
cache, as a plan's), each environment's files matched in its own account as `plan` matches
them, and every file compared across the two (campsync.sync.compare). Exit 0 when they hold
the same, 2 when something differs (as `plan --detailed-exitcode`), 1 on error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from campsync.commands.common import (
    add_config_option,
    add_format_options,
    add_path_argument,
    add_refresh_option,
    output_format,
)
from campsync.commands.many import EnvironmentRun, each, finish, prepare, report_error
from campsync.config.job import ALL_ENVIRONMENTS, environment_names
from campsync.errors import CampsyncError, UsageError
from campsync.sync.engine import AccountView, compare_accounts
from campsync.sync.render_compare import COMPARE_RENDERERS
from campsync.terminal import ProgressLine


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "compare",
        help="show where two environments' accounts differ beyond their overrides (reads only)",
        description="Read the accounts of two environments of campsync.yaml and show, campaign "
        "file by campaign file, the fields whose platform values differ beyond what the "
        "environments' overrides set (fields a file leaves out, server fields and per-account "
        "ids are no difference), and the campaigns one account lacks. Reads only. Exit 0 when "
        "none, 2 when some, 1 on error.",
    )
    parser.add_argument("env_a", metavar="ENV_A", help="an environment of campsync.yaml")
    parser.add_argument("env_b", metavar="ENV_B", help="another environment of campsync.yaml")
    add_path_argument(parser)
    add_format_options(parser, COMPARE_RENDERERS)
    add_config_option(parser)
    parser.add_argument(
        "--parallelism",
        type=int,
        metavar="N",
        help="requests in flight at once per account (default 10), within CAMPSYNC_RATE_LIMIT",
    )
    add_refresh_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    names = [args.env_a, args.env_b]
    if ALL_ENVIRONMENTS in names:
        raise UsageError(f"compare takes two environments by name, not {ALL_ENVIRONMENTS!r}")
    if args.env_a == args.env_b:
        raise UsageError(f"compare needs two environments, not {args.env_a!r} twice")
    environment_names(names, args.config)  # both defined, before anything is read
    line = ProgressLine(sys.stderr)
    runs = prepare(args, names, Path(args.path), refresh=args.refresh, line=line)

    async def account(run: EnvironmentRun) -> AccountView:
        assert run.sync is not None  # each runs only environments that have their sync
        return await run.sync.account(run.files)

    try:
        outcomes = asyncio.run(each(runs, account)) if not any(r.error for r in runs) else {}
    finally:
        line.clear()
    finish(runs)
    views: list[AccountView] = []
    for run in runs:
        outcome = run.error or outcomes[run.name]
        if isinstance(outcome, CampsyncError):
            report_error(run.name, outcome)
        else:
            views.append(outcome)
    if len(views) < len(runs):
        return 1
    comparison = compare_accounts(*views)
    COMPARE_RENDERERS[fmt](comparison, sys.stdout)
    return 2 if comparison.has_differences else 0
