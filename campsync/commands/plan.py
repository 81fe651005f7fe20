"""`campsync plan [PATH]`: read the platform and show how it differs from the campaign files."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from campsync.commands.common import (
    add_format_options,
    add_guard_options,
    add_path_argument,
    add_refresh_option,
    add_remote_options,
    add_restart_option,
    environments_of,
    job_of,
    output_format,
    print_warnings,
    run_to_end,
)
from campsync.commands.many import (
    EnvironmentRun,
    each,
    finish,
    prepare,
    report_error,
    warn,
    worst,
)
from campsync.errors import CampsyncError, UsageError
from campsync.sync.engine import Plan, Sync, check_plan_path, refusal_warnings
from campsync.sync.render import RENDERERS
from campsync.sync.render_sections import SECTION_RENDERERS, Section
from campsync.terminal import ProgressLine, ProgressReporter, use_color

OUT_WITH_SEVERAL = (
    "--out saves one environment's plan: with several environments, run "
    "'campsync plan --env NAME --out FILE' for each"
)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="show how the platform differs from the campaign files (reads only)",
        description="Read the platform and show the changes apply would make. Reads only.",
    )
    add_path_argument(parser)
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
    add_restart_option(parser)
    add_remote_options(parser, several=True)
    add_refresh_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    names = environments_of(args)
    if len(names) > 1:
        if args.out is not None:
            raise UsageError(OUT_WITH_SEVERAL)
        return _run_many(args, fmt, names)
    if args.out is not None:
        check_plan_path(args.out)  # before the run, not after minutes of reading
    job = job_of(args, names)
    progress = ProgressReporter(sys.stderr, rate_limit=job.rate_limit)
    sync = Sync(job, refresh=args.refresh, progress=progress, since=args.since)
    files = sync.read_files(Path(args.path))
    plan = run_to_end(sync, progress, sync.plan(files))
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
    print_warnings(refusal_warnings(plan.refusal))  # last, where a reader of the plan sees it

    if args.detailed_exitcode and plan.has_changes:
        return 2
    return 0


def _run_many(args: argparse.Namespace, fmt: str, names: list[str]) -> int:
    """Each environment's plan, all at once: one section each, the exit code the worst."""
    line = ProgressLine(sys.stderr)
    runs = prepare(args, names, Path(args.path), refresh=args.refresh, since=args.since, line=line)

    async def plan_of(run: EnvironmentRun) -> Plan:
        assert run.sync is not None  # each runs only environments that have their sync
        return await run.sync.plan(run.files)

    try:
        outcomes = asyncio.run(each(runs, plan_of))
    finally:
        line.clear()
    finish(runs)
    sections: list[Section] = []
    codes: list[int] = []
    failed: list[tuple[str, CampsyncError]] = []
    for env in runs:
        outcome = env.error or outcomes[env.name]
        if isinstance(outcome, CampsyncError):
            sections.append(Section(env.name, error=str(outcome)))
            failed.append((env.name, outcome))
            codes.append(1)
            continue
        sections.append(Section(env.name, outcome))
        codes.append(2 if args.detailed_exitcode and outcome.has_changes else 0)
    out = sys.stdout
    SECTION_RENDERERS[fmt](sections, out, color=use_color(out))
    for env, section in zip(runs, sections, strict=True):
        if section.plan is not None and env.sync is not None:
            if fmt == "json":
                warn(env.name, section.plan.warnings)  # stdout holds only the plan JSON
            warn(env.name, refusal_warnings(section.plan.refusal))
    for name, error in failed:
        report_error(name, error)
    return worst(codes)
