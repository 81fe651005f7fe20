"""`campsync apply [PATH | PLANFILE]`: make the platform match the files (after a yes), or apply
exactly a saved plan (never prompts, refuses when it is out of date). With --json, stdout holds
only the result JSON (each change's outcome) and everything else goes to stderr."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TextIO

from campsync.commands.common import (
    DEFAULT_PATH,
    add_guard_options,
    add_refresh_option,
    add_remote_options,
    job_of,
    print_warnings,
    refuse_guard_options,
)
from campsync.errors import UsageError
from campsync.sync.engine import (
    UNKNOWN_OUTCOME,
    Applied,
    ApplyResult,
    Change,
    Hooks,
    Plan,
    ResultCallback,
    Sync,
    planned_environment,
    results_of,
    writes_of,
)
from campsync.sync.render import render_results_json, render_text, show_name
from campsync.terminal import ProgressReporter, confirm, is_tty, use_color

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
    parser.add_argument(
        "--json",
        action="store_true",
        help="print only the result JSON on stdout (each change's outcome); the plan, "
        "progress and messages go to stderr. A fresh apply needs --auto-approve with it",
    )
    add_guard_options(parser, force=True)
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
    if args.json and not args.auto_approve:
        # As Terraform's -json: no question can be asked, and none is answered for the user.
        raise UsageError(
            "--json asks no question: add --auto-approve, or apply a saved plan ('campsync "
            "plan --out FILE', then 'campsync apply FILE --json'); nothing was changed"
        )
    out = _human_output(args)
    job = job_of(args)
    progress = ProgressReporter(sys.stderr, rate_limit=job.rate_limit)
    sync = Sync(job, refresh=args.refresh, progress=progress)
    files = sync.read_files(target)  # a missing PATH or a bad file first
    # Asked only when there is something to write: with nothing to change, no terminal is
    # needed (exit 0).
    terminal = is_tty(sys.stdin)

    def show(plan: Plan) -> None:
        progress.clear()
        print_warnings(sync.cache.take_warnings())
        render_text(plan, out, color=use_color(out))

    def approve(plan: Plan) -> bool:
        if not terminal:
            return False
        sys.stdout.flush()
        # Blocking on purpose: nothing else runs on the loop while the user reads the plan.
        return confirm(PROMPT)

    hooks = Hooks(
        on_plan=show,
        approve=None if args.auto_approve else approve,
        on_result=results_under(progress, out),
    )
    try:
        applied = asyncio.run(_with_signals(sync.apply(files, hooks), hooks))
    finally:
        progress.clear()
    print_warnings(sync.finish())
    if applied.declined and not terminal:
        raise UsageError(
            "no terminal to confirm on: use --auto-approve, or apply a saved plan "
            "('campsync plan --out FILE' then 'campsync apply FILE'); nothing was changed"
        )
    if applied.declined:
        print("Apply cancelled: nothing was changed.", file=out)
        return 1
    return _report(applied, args, out, nothing="the platform matches the campaign files")


def _run_saved(path: Path, args: argparse.Namespace) -> int:
    refuse_guard_options(args)
    # The plan names its environment: `apply plan.json` needs no --env, and another one is
    # refused before its secret is even used (the engine checks the name again once the
    # signature and checksum that cover it have passed).
    job = job_of(args, saved_environment=planned_environment(path))
    out = _human_output(args)
    progress = ProgressReporter(sys.stderr, rate_limit=job.rate_limit)
    sync = Sync(job, read_files=False, progress=progress)
    saved = sync.load_plan(path)  # before any request

    def announce(plan: Plan) -> None:
        print(f"Applying the saved plan {path}: {len(writes_of(plan))} change(s).", file=out)

    hooks = Hooks(on_plan=announce, on_result=results_under(progress, out))
    try:
        applied = asyncio.run(_with_signals(sync.apply_saved(saved, hooks), hooks))
    finally:
        progress.clear()
    print_warnings(sync.finish())
    return _report(applied, args, out, nothing=f"the saved plan {path} has no changes")


def _human_output(args: argparse.Namespace) -> TextIO:
    """Where the plan, results and summary go: stdout, or stderr when stdout holds the result
    JSON (--json)."""
    return sys.stderr if args.json else sys.stdout


def _report(applied: Applied, args: argparse.Namespace, out: TextIO, *, nothing: str) -> int:
    """What apply did, for a reader (`out`) and, with --json, as the result JSON on stdout;
    exit 1 unless every change was applied."""
    result = applied.result
    if result is not None:
        code = _finish(result, out)
    elif not applied.plan.has_changes:
        print(f"Nothing to apply: {nothing}.", file=out)
        code = 0
    else:
        print("Nothing can be applied: every change is blocked.", file=out)
        code = _finish(ApplyResult(skipped=list(applied.plan.changes)), out)
    if args.json:
        render_results_json(results_of(applied.plan, result), sys.stdout)
    return code


async def _with_signals(run: Awaitable[Applied], hooks: Hooks) -> Applied:
    """`run`, with SIGINT and SIGTERM setting the hooks' stop event (no new writes, also none
    of those the client holds waiting for their turn in the rate limit; the ones in flight
    complete and are reported), and a second one their abandon event."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        if not hooks.stop.is_set():
            print(
                f"campsync: {sig.name} received: starting no new writes, waiting for those "
                "in flight (again to stop waiting)",
                file=sys.stderr,
                flush=True,
            )
            hooks.stop.set()
        elif not hooks.abandon.is_set():
            print(
                f"campsync: {sig.name} received again: not waiting for the writes in flight",
                file=sys.stderr,
                flush=True,
            )
            hooks.abandon.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            continue
        installed.append(sig)
    try:
        return await run
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _label(change: Change) -> str:
    return f"{change.action} {show_name(change.name)}"


def results_under(progress: ProgressReporter, out: TextIO) -> ResultCallback:
    """print_result to `out`, with the terminal's progress line taken away first (it is drawn
    again below the result)."""

    def show(change: Change, error: str | None) -> None:
        progress.clear()
        print_result(change, error, out)

    return show


def print_result(change: Change, error: str | None, out: TextIO) -> None:
    if error is None:
        print(f"applied: {_label(change)}", file=out, flush=True)
    else:
        print(f"failed: {_label(change)}: {error}", file=out, flush=True)


def _finish(result: ApplyResult, out: TextIO) -> int:
    """Print the summary to `out`; exit 1 unless every change was applied."""
    blocked = [c for c in result.skipped if c.action == "blocked"]
    not_started = [c for c in result.skipped if c.action != "blocked"]
    for change, reason in result.failed:
        if reason == UNKNOWN_OUTCOME:  # abandoned in flight: not reported as it happened
            print(f"failed: {_label(change)}: {reason}", file=out)
    for change in blocked:
        print(f"blocked: {show_name(change.name)}: {change.reason}", file=out)  # never empty
    if result.interrupted and not_started:
        print(f"interrupted: {len(not_started)} change(s) not started", file=out)

    parts = [f"{len(result.applied)} applied"]
    if result.failed:
        parts.append(f"{len(result.failed)} failed")
    if blocked:
        parts.append(f"{len(blocked)} blocked")
    if not_started:
        parts.append(f"{len(not_started)} not started")
    head = "Apply interrupted" if result.interrupted else "Apply complete"
    print(f"{head}: {', '.join(parts)}.", file=out)
    not_applied = [
        *(f"{_label(c)} (failed)" for c, _ in result.failed),
        *(f"{show_name(c.name)} (blocked)" for c in blocked),
        *(f"{_label(c)} (not started)" for c in not_started),
    ]
    if result.applied and (not_applied or result.interrupted):
        print("Applied: " + ", ".join(_label(c) for c in result.applied), file=out)
    print_warnings(result.unsettled)
    if not_applied:
        print("Not applied: " + ", ".join(not_applied), file=out)
        print(f"campsync: error: {len(not_applied)} change(s) not applied", file=sys.stderr)
        return 1
    if result.interrupted:
        print("campsync: error: interrupted", file=sys.stderr)
        return 1
    if result.unsettled:
        # Applied, but the next plan will show the same change again: as Terraform's
        # "inconsistent result after apply", an error, so that a pipeline does not pass.
        print(
            f"campsync: error: {len(result.unsettled)} applied change(s) will show again in "
            "the next plan until campsync.yaml is fixed",
            file=sys.stderr,
        )
        return 1
    return 0
