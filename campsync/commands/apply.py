"""`campsync apply [PATH | PLANFILE]`: make the platform match the files (after a yes), or apply
exactly a saved plan (never prompts, refuses when it is out of date)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from campsync.campaign.validation import CampaignFile
from campsync.commands.common import add_remote_options, fewer_gc_pauses
from campsync.commands.output import confirm, is_tty, use_color
from campsync.commands.plan import (
    DEFAULT_PATH,
    LocalCache,
    add_refresh_option,
    fetch_plan,
    read_campaign_files,
    remote_settings,
    target_of,
)
from campsync.errors import PlanFileError, UsageError
from campsync.kore.client import KoreClient
from campsync.settings import Settings
from campsync.sync.applier import (
    UNKNOWN_OUTCOME,
    ApplyResult,
    Writer,
    apply_plan,
    check_fresh,
    writes_of,
)
from campsync.sync.cache import CampaignCache
from campsync.sync.plan import Change, Plan
from campsync.sync.planfile import load_plan
from campsync.sync.render import render_text, show_name

PROMPT = "Apply these changes? Only 'yes' is accepted: "
CAMPAIGN_SUFFIXES = (".yaml", ".yml")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "apply",
        help="make the platform match the files, or apply a saved plan",
        description=(
            "Without a plan file: plan afresh, show it, and apply it after a 'yes' "
            "(or at once with --auto-approve). With a plan file from 'campsync plan --out': "
            "apply exactly that plan, never prompting, or nothing if the platform changed since."
        ),
    )
    parser.add_argument(
        "target",
        nargs="?",
        default=DEFAULT_PATH,
        metavar="PATH|PLANFILE",
        help=f"campaign files (default: {DEFAULT_PATH}) or a saved plan (.json)",
    )
    parser.add_argument(
        "--auto-approve", action="store_true", help="apply a fresh plan without asking"
    )
    add_remote_options(parser)
    add_refresh_option(parser)
    parser.set_defaults(run=run)


def is_plan_file(path: Path) -> bool:
    """A directory or a .yaml/.yml file holds campaigns; any other file (or a missing .json)
    is a saved plan, which load_plan then checks for being one."""
    if path.is_dir():
        return False
    if path.suffix.lower() in CAMPAIGN_SUFFIXES:
        return False
    return path.is_file() or path.suffix.lower() == ".json"


def run(args: argparse.Namespace) -> int:
    target = Path(args.target)
    if is_plan_file(target):
        return _run_saved(target, args)
    settings = remote_settings(args)
    fewer_gc_pauses()
    cache = LocalCache.open(settings, refresh=args.refresh)
    files = read_campaign_files(target, cache)  # a missing PATH or a bad file first
    if not args.auto_approve and not is_tty(sys.stdin):
        raise UsageError(
            "no terminal to confirm on: use --auto-approve, or apply a saved plan "
            "('campsync plan --out FILE' then 'campsync apply FILE')"
        )
    return asyncio.run(_apply_fresh(files, settings, cache, auto_approve=args.auto_approve))


async def _apply_fresh(
    files: list[CampaignFile], settings: Settings, cache: LocalCache, *, auto_approve: bool
) -> int:
    async with KoreClient(settings) as client:
        plan = await fetch_plan(client, files, settings, cache)
        cache.save_and_report()
        render_text(plan, sys.stdout, color=use_color(sys.stdout))
        if not plan.has_changes:
            print("Nothing to apply: the platform matches the campaign files.")
            return 0
        if not writes_of(plan):
            print("Nothing can be applied: every change is blocked.")
            return _finish(ApplyResult(skipped=list(plan.changes)))
        if not auto_approve:
            sys.stdout.flush()
            # Blocking on purpose: nothing else runs on the loop while the user reads the plan.
            if not confirm(PROMPT):
                print("Apply cancelled: nothing was changed.")
                return 1
        result = await _apply_with_signals(client, cache, plan, settings.parallelism)
    cache.save_and_report()
    return _finish(result)


class RememberingWriter:
    """The client's writes, each update's answer kept in the cache (it is the campaign as
    now stored, under its new updatedAt), so that the plan after an apply is free."""

    def __init__(self, client: Writer, cache: CampaignCache) -> None:
        self._client = client
        self._cache = cache

    async def update_campaign(
        self, campaign_id: str, body: dict[str, Any], campaign_type: str = "voice"
    ) -> dict[str, Any]:
        data = await self._client.update_campaign(campaign_id, body, campaign_type)
        self._cache.remember_answer(campaign_id, data)
        return data

    async def create_campaign(self, body: dict[str, Any], campaign_type: str = "voice") -> str:
        return await self._client.create_campaign(body, campaign_type)

    async def delete_campaign(
        self, campaign_id: str, campaign_type: str = "voice"
    ) -> dict[str, Any]:
        return await self._client.delete_campaign(campaign_id, campaign_type)


def _run_saved(path: Path, args: argparse.Namespace) -> int:
    settings = remote_settings(args)
    plan, saved_target = load_plan(path)
    differences = saved_target.differences(target_of(settings))
    if differences:
        raise PlanFileError(
            f"{path}: the plan was made for another platform target: {'; '.join(differences)}; "
            "nothing was applied"
        )
    return asyncio.run(_apply_saved(path, plan, settings))


async def _apply_saved(path: Path, plan: Plan, settings: Settings) -> int:
    async with KoreClient(settings) as client:
        if not plan.changes:
            print(f"Nothing to apply: the saved plan {path} has no changes.")
            return 0
        await check_fresh(client, plan)
        count = len(writes_of(plan))
        print(f"Applying the saved plan {path}: {count} change(s).")
        cache = LocalCache.open(settings, files=False)
        result = await _apply_with_signals(client, cache, plan, settings.parallelism)
    cache.save_and_report()
    return _finish(result)


async def _apply_with_signals(
    client: KoreClient, cache: LocalCache, plan: Plan, parallelism: int
) -> ApplyResult:
    """The plan's writes, each update's answer kept in the cache. SIGINT and SIGTERM stop new
    writes (also those the client holds waiting for their turn in the rate limit); the ones
    in flight complete and are reported."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    client.stop_new_writes_on(stop)
    abandon = asyncio.Event()
    installed: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            print(
                f"campsync: {sig.name} received: starting no new writes, waiting for those "
                "in flight (again to stop waiting)",
                file=sys.stderr,
                flush=True,
            )
            stop.set()
        elif not abandon.is_set():
            print(
                f"campsync: {sig.name} received again: not waiting for the writes in flight",
                file=sys.stderr,
                flush=True,
            )
            abandon.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            continue
        installed.append(sig)
    try:
        return await apply_plan(
            RememberingWriter(client, cache.campaigns),
            plan,
            stop=stop,
            abandon=abandon,
            parallelism=parallelism,
            on_result=_print_result,
        )
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _label(change: Change) -> str:
    return f"{change.action} {show_name(change.name)}"


def _print_result(change: Change, error: str | None) -> None:
    if error is None:
        print(f"applied: {_label(change)}", flush=True)
    else:
        print(f"failed: {_label(change)}: {error}", flush=True)


def _finish(result: ApplyResult) -> int:
    """Print the summary; exit 1 unless every change was applied."""
    blocked = [c for c in result.skipped if c.action == "blocked"]
    not_started = [c for c in result.skipped if c.action != "blocked"]
    for change, reason in result.failed:
        if reason == UNKNOWN_OUTCOME:  # abandoned in flight: not reported as it happened
            print(f"failed: {_label(change)}: {reason}")
    for change in blocked:
        print(f"blocked: {show_name(change.name)}: {change.reason}")  # never empty (Change)
    if result.interrupted and not_started:
        print(f"interrupted: {len(not_started)} change(s) not started")

    parts = [f"{len(result.applied)} applied"]
    if result.failed:
        parts.append(f"{len(result.failed)} failed")
    if blocked:
        parts.append(f"{len(blocked)} blocked")
    if not_started:
        parts.append(f"{len(not_started)} not started")
    head = "Apply interrupted" if result.interrupted else "Apply complete"
    print(f"{head}: {', '.join(parts)}.")
    if result.applied and not result.ok:
        print("Applied: " + ", ".join(_label(c) for c in result.applied))
    not_applied = [
        *(f"{_label(c)} (failed)" for c, _ in result.failed),
        *(f"{show_name(c.name)} (blocked)" for c in blocked),
        *(f"{_label(c)} (not started)" for c in not_started),
    ]
    if not_applied:
        print("Not applied: " + ", ".join(not_applied))
        print(f"campsync: error: {len(not_applied)} change(s) not applied", file=sys.stderr)
        return 1
    if result.interrupted:
        print("campsync: error: interrupted", file=sys.stderr)
        return 1
    return 0
