"""`campsync plan [PATH]`: read the platform and show how it differs from the campaign files."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from campsync.commands.common import add_remote_options, settings_from_args
from campsync.commands.output import Progress, use_color
from campsync.errors import FilesInvalid, PlanFileError, UsageError
from campsync.kore.client import KoreClient
from campsync.plan import Plan
from campsync.planfile import PlanTarget, save_plan
from campsync.planner import make_plan
from campsync.render import render_json, render_markdown, render_text
from campsync.settings import Settings
from campsync.validation import CampaignFile, validate_paths

DEFAULT_PATH = "campaigns"
FORMATS = ("text", "json", "markdown")


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
    parser.add_argument(
        "--json", action="store_true", help="print only the plan JSON (same as --format json)"
    )
    parser.add_argument("--format", choices=FORMATS, help="output format (default: text)")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when nothing changes, 2 when there are changes, 1 on error",
    )
    add_remote_options(parser)
    parser.set_defaults(run=run)


def output_format(args: argparse.Namespace) -> str:
    chosen: str | None = args.format
    if args.json:
        if chosen not in (None, "json"):
            raise UsageError(f"--json and --format {chosen} contradict each other")
        return "json"
    return chosen or "text"


def remote_settings(args: argparse.Namespace) -> Settings:
    """Settings for a command that talks to the platform; a one-line ConfigError if incomplete."""
    settings = settings_from_args(args)
    settings.require_remote()
    return settings


def target_of(settings: Settings) -> PlanTarget:
    return PlanTarget(
        host=settings.host,
        stream_id=settings.stream_id or "",
        account_id=settings.account_id or "",
    )


def read_campaign_files(path: Path) -> list[CampaignFile]:
    """Validate the files (no network); print every problem to stderr and stop if any."""
    result = validate_paths([path])
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        raise FilesInvalid(len(result.problems))
    return list(result.files)


async def fetch_plan(client: KoreClient, files: list[CampaignFile], settings: Settings) -> Plan:
    """make_plan with a progress line on stderr (only when stderr is a terminal)."""
    progress = Progress(sys.stderr)
    try:
        return await make_plan(client, files, settings, progress=progress)
    finally:
        progress.clear()


async def _plan(files: list[CampaignFile], settings: Settings) -> Plan:
    async with KoreClient(settings) as client:
        return await fetch_plan(client, files, settings)


def print_warnings(plan: Plan) -> None:
    for warning in plan.warnings:
        print(f"campsync: warning: {warning}", file=sys.stderr)


def _save(path: Path, plan: Plan, settings: Settings) -> None:
    try:
        save_plan(path, plan, target_of(settings))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot write the plan: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    settings = remote_settings(args)
    files = read_campaign_files(Path(args.path))
    plan = asyncio.run(_plan(files, settings))
    if args.out is not None:
        _save(args.out, plan, settings)

    out = sys.stdout
    if fmt == "json":
        render_json(plan, out)
        print_warnings(plan)
    elif fmt == "markdown":
        render_markdown(plan, out)
    else:
        render_text(plan, out, color=use_color(out))

    if args.out is not None:
        note = (
            f"Saved the plan to {args.out}; apply exactly this plan with: campsync apply {args.out}"
        )
        print(note, file=sys.stdout if fmt == "text" else sys.stderr)

    if args.detailed_exitcode and plan.has_changes:
        return 2
    return 0
