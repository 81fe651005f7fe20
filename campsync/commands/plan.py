"""`campsync plan [PATH]`: read the platform and show how it differs from the campaign files."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campsync.campaign.validation import CampaignFile, validate_paths
from campsync.commands.common import add_remote_options, fewer_gc_pauses, settings_from_args
from campsync.commands.output import Progress, use_color
from campsync.errors import FilesInvalid, PlanFileError, UsageError
from campsync.kore.client import KoreClient
from campsync.settings import Settings
from campsync.sync.cache import CampaignCache, FileCache, SameCache, target_key
from campsync.sync.inventory import Listed, Reader, client_fetcher
from campsync.sync.plan import Plan
from campsync.sync.planfile import PlanTarget, save_plan
from campsync.sync.planner import make_plan
from campsync.sync.render import render_json, render_markdown, render_text

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
    add_refresh_option(parser)
    parser.set_defaults(run=run)


def add_refresh_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="read every campaign and file afresh, not from the local cache (which is rewritten)",
    )


@dataclass
class LocalCache:
    """The local cache of one run: validated files and platform bodies (campsync.sync.cache)."""

    files: FileCache
    campaigns: CampaignCache
    same: SameCache
    refresh: bool = False
    warnings: list[str] = field(default_factory=list)
    save_files: bool = True

    @classmethod
    def open(cls, settings: Settings, *, refresh: bool = False, files: bool = True) -> LocalCache:
        """Load the stores (unless `refresh`; the files store only when `files`; platform
        bodies only when first needed); problems become warnings, never errors."""
        folder = settings.cache_dir
        target = target_key(settings.host, settings.stream_id or "", settings.account_id or "")
        cache = cls(FileCache(folder), CampaignCache(folder, target), SameCache(folder, target))
        cache.refresh = refresh
        cache.save_files = files
        if refresh:
            cache.campaigns.mark_fresh()
        else:
            for store in (cache.files, cache.same) if files else (cache.same,):
                warning = store.load()
                if warning:
                    cache.warnings.append(warning)
        return cache

    def forget_unlisted(self, listed: Sequence[Listed]) -> None:
        self.campaigns.retain(entry.id for entry in listed)

    def save(self) -> None:
        stores: tuple[FileCache | CampaignCache | SameCache, ...] = (self.campaigns, self.same)
        for store in (self.files, *stores) if self.save_files else stores:
            warning = store.save()
            if warning:
                self.warnings.append(warning)

    def save_and_report(self) -> None:
        """Write what changed, then print every cache warning of the run (stderr)."""
        self.save()
        self.print_warnings()

    def print_warnings(self) -> None:
        if self.campaigns.load_warning:
            self.warnings.insert(0, self.campaigns.load_warning)
            self.campaigns.load_warning = None
        for warning in self.warnings:
            print(f"campsync: warning: {warning}", file=sys.stderr)
        self.warnings.clear()


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


def read_campaign_files(path: Path, cache: LocalCache | None = None) -> list[CampaignFile]:
    """Validate the files (no network); print every problem to stderr and stop if any.
    With a cache, files whose text passed before are not parsed again."""
    result = validate_paths([path], memo=cache.files if cache is not None else None)
    if result.problems:
        if cache is not None:  # the valid files need no parsing next time
            cache.files.save()
        for problem in result.problems:
            print(problem, file=sys.stderr)
        raise FilesInvalid(len(result.problems))
    return list(result.files)


async def fetch_plan(
    client: Reader,
    files: list[CampaignFile],
    settings: Settings,
    cache: LocalCache | None = None,
) -> Plan:
    """make_plan with a progress line on stderr (only when stderr is a terminal). With a
    cache, only campaigns whose listed updatedAt it has no body for are read in full."""
    progress = Progress(sys.stderr)
    fetch = client_fetcher(client, progress)
    try:
        if cache is None:
            return await make_plan(client, files, settings, fetch_full=fetch)
        return await make_plan(
            client,
            files,
            settings,
            fetch_full=cache.campaigns.fetcher(fetch, refresh=cache.refresh),
            on_listed=cache.forget_unlisted,
            same=cache.same,
        )
    finally:
        progress.clear()


async def _plan(files: list[CampaignFile], settings: Settings, cache: LocalCache) -> Plan:
    async with KoreClient(settings) as client:
        return await fetch_plan(client, files, settings, cache)


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
    fewer_gc_pauses()
    cache = LocalCache.open(settings, refresh=args.refresh)
    files = read_campaign_files(Path(args.path), cache)
    plan = asyncio.run(_plan(files, settings, cache))
    cache.save_and_report()
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
