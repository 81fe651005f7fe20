"""`campsync apply [PATH | PLANFILE]`: make the platform match the files (after a yes), or apply
exactly a saved plan (never prompts, refuses when it is out of date)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from campsync.commands.common import (
    DEFAULT_PATH,
    add_guard_options,
    add_refresh_option,
    add_remote_options,
    environments_of,
    job_of,
    print_warnings,
    refuse_guard_options,
)
from campsync.commands.many import (
    EnvironmentRun,
    each,
    finish,
    prepare,
    report_error,
    worst,
)
from campsync.errors import CampsyncError, UnsafePlan, UsageError
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
    writes_of,
)
from campsync.sync.render import render_text, show_name
from campsync.sync.render_sections import Section, render_sections_text
from campsync.terminal import ProgressLine, ProgressReporter, confirm, is_tty, use_color
from campsync.text import quoted

T = TypeVar("T")
PROMPT = "Apply these changes? Only 'yes' is accepted: "
PROMPT_MANY = "Apply these changes in {count} environments? Only 'yes' is accepted: "
NO_TERMINAL = (
    "no terminal to confirm on: use --auto-approve, or apply a saved plan "
    "('campsync plan --out FILE' then 'campsync apply FILE'); nothing was changed"
)
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
    add_guard_options(parser, force=True)
    add_remote_options(parser, several=True)
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
    names = environments_of(args)
    if is_plan_file(target):
        if len(names) > 1:
            raise UsageError(
                "a saved plan belongs to one environment (it names it): give at most one --env"
            )
        return _run_saved(target, args)
    if len(names) > 1:
        return _run_many(args, target, names)
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
        render_text(plan, sys.stdout, color=use_color(sys.stdout))

    def approve(plan: Plan) -> bool:
        if not terminal:
            return False
        sys.stdout.flush()
        # Blocking on purpose: nothing else runs on the loop while the user reads the plan.
        return confirm(PROMPT)

    hooks = Hooks(
        on_plan=show,
        approve=None if args.auto_approve else approve,
        on_result=results_under(progress),
    )
    try:
        applied = asyncio.run(_with_signals(sync.apply(files, hooks), hooks))
    finally:
        progress.clear()
    print_warnings(sync.finish())
    if applied.declined and not terminal:
        raise UsageError(NO_TERMINAL)
    if applied.declined:
        print("Apply cancelled: nothing was changed.")
        return 1
    return _outcome(applied)


def _outcome(applied: Applied, name: str = "") -> int:
    """What an apply that was not declined did (`name`: of that environment), and its exit
    code."""
    label = f"{name}: " if name else ""
    if applied.result is not None:
        return _finish(applied.result, label)
    if not applied.plan.has_changes:
        print(f"{label}Nothing to apply: the platform matches the campaign files.")
        return 0
    print(f"{label}Nothing can be applied: every change is blocked.")
    return _finish(ApplyResult(skipped=list(applied.plan.changes)), label)


def _run_saved(path: Path, args: argparse.Namespace) -> int:
    refuse_guard_options(args)
    # The plan names its environment: `apply plan.json` needs no --env, and another one is
    # refused before its secret is even used (the engine checks the name again once the
    # signature and checksum that cover it have passed).
    job = job_of(args, saved_environment=planned_environment(path))
    progress = ProgressReporter(sys.stderr, rate_limit=job.rate_limit)
    sync = Sync(job, read_files=False, progress=progress)
    saved = sync.load_plan(path)  # before any request

    def announce(plan: Plan) -> None:
        print(f"Applying the saved plan {path}: {len(writes_of(plan))} change(s).")

    hooks = Hooks(on_plan=announce, on_result=results_under(progress))
    try:
        applied = asyncio.run(_with_signals(sync.apply_saved(saved, hooks), hooks))
    finally:
        progress.clear()
    print_warnings(sync.finish())
    if applied.result is None:
        print(f"Nothing to apply: the saved plan {path} has no changes.")
        return 0
    return _finish(applied.result)


class OneApproval:
    """One answer for the applies of several environments at once. Each environment asks
    (`ask`) once its plan has something to write and is within the safety thresholds, or
    says it will not (`ended`: nothing to write, refused, failed); when the last one has,
    `decide` is called once (show every plan, then prompt) and each asker hears its answer."""

    def __init__(self, count: int, decide: Callable[[int], bool]) -> None:
        self._left = count
        self._asking = 0
        self._decide = decide
        self._answered = asyncio.Event()
        self._answer = False

    async def ask(self) -> bool:
        self._asking += 1
        self._arrive()
        await self._answered.wait()
        return self._answer

    def ended(self) -> None:
        self._arrive()

    def _arrive(self) -> None:
        self._left -= 1
        if self._left == 0:
            self._answer = self._decide(self._asking)
            self._answered.set()


def _run_many(args: argparse.Namespace, target: Path, names: list[str]) -> int:
    """A fresh apply in several environments at once: every plan made, then shown together,
    one prompt (or --auto-approve), then each environment's writes within its account's rate
    limit. A plan that crosses a safety threshold writes nothing in ANY environment (unless
    --force): the prompt approves them together, so none is applied without the others. An
    environment that fails (its account refused, the network) is its own error; the others
    complete. The exit code is the worst."""
    line = ProgressLine(sys.stderr)
    runs = prepare(args, names, target, refresh=args.refresh, line=line)
    terminal = is_tty(sys.stdin)
    plans: dict[str, Plan] = {}
    errors: dict[str, CampsyncError] = {run.name: run.error for run in runs if run.error}
    unsafe: list[str] = []
    template = Hooks()  # the stop and abandon events every environment shares

    def decide(asking: int) -> bool:
        line.clear()
        sections = [
            Section(run.name, plans[run.name])
            if run.name in plans
            else Section(run.name, error=str(errors.get(run.name, "no plan")))
            for run in runs
        ]
        render_sections_text(sections, sys.stdout, color=use_color(sys.stdout))
        if unsafe or not asking or (not args.auto_approve and not terminal):
            return False
        if args.auto_approve:
            return True
        sys.stdout.flush()
        # Blocking on purpose: nothing else runs on the loop while the user reads the plans.
        return confirm(PROMPT_MANY.format(count=asking))

    approval = OneApproval(sum(1 for run in runs if run.error is None), decide)

    async def apply_one(run: EnvironmentRun) -> Applied:
        assert run.sync is not None and run.progress is not None
        asked = False

        async def approve(plan: Plan) -> bool:
            nonlocal asked
            asked = True
            return await approval.ask()

        hooks = Hooks(
            on_plan=lambda plan: plans.__setitem__(run.name, plan),
            approve=approve,
            on_result=results_under(run.progress, f"{run.name}: "),
            stop=template.stop,
            abandon=template.abandon,
        )
        try:
            return await run.sync.apply(run.files, hooks)
        except CampsyncError as error:
            errors[run.name] = error
            if isinstance(error, UnsafePlan):
                unsafe.append(run.name)
            raise
        finally:
            if not asked:
                approval.ended()

    if not any(run.error is None for run in runs):
        decide(0)
    try:
        outcomes = asyncio.run(_with_signals(each(runs, apply_one), template))
    finally:
        line.clear()
    finish(runs)
    return _outcomes(runs, outcomes, errors, unsafe, terminal=terminal)


def _outcomes(
    runs: list[EnvironmentRun],
    outcomes: dict[str, Applied | CampsyncError],
    errors: dict[str, CampsyncError],
    unsafe: list[str],
    *,
    terminal: bool,
) -> int:
    """Each environment's outcome (errors on stderr last), and the worst exit code."""
    codes: list[int] = []
    declined = False
    for run in runs:
        outcome = outcomes.get(run.name) or errors[run.name]
        if isinstance(outcome, CampsyncError):
            codes.append(1)
        elif outcome.declined:
            declined = True
            codes.append(1)
        else:
            codes.append(_outcome(outcome, run.name))
    if unsafe:
        refused = ", ".join(quoted(name) for name in unsafe)
        print(
            f"Nothing was applied in any environment: the plan of {refused} crosses a safety "
            "threshold, and the environments are applied together or not at all "
            "(--force applies them anyway)."
        )
    elif declined and terminal:
        print("Apply cancelled: nothing was changed.")
    for name, error in errors.items():
        report_error(name, error)
    if declined and not unsafe and not terminal:
        print(f"campsync: error: {NO_TERMINAL}", file=sys.stderr)
    return worst(codes)


async def _with_signals(run: Awaitable[T], hooks: Hooks) -> T:
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


def results_under(progress: ProgressReporter, label: str = "") -> ResultCallback:
    """print_result, with the terminal's progress line taken away first (it is drawn again
    below the result); `label` names the environment of a run of several."""

    def show(change: Change, error: str | None) -> None:
        progress.clear()
        print_result(change, error, label)

    return show


def print_result(change: Change, error: str | None, label: str = "") -> None:
    if error is None:
        print(f"{label}applied: {_label(change)}", flush=True)
    else:
        print(f"{label}failed: {_label(change)}: {error}", flush=True)


def _finish(result: ApplyResult, label: str = "") -> int:
    """Print the summary (each line after `label`: an environment of several); exit 1
    unless every change was applied."""
    blocked = [c for c in result.skipped if c.action == "blocked"]
    not_started = [c for c in result.skipped if c.action != "blocked"]
    for change, reason in result.failed:
        if reason == UNKNOWN_OUTCOME:  # abandoned in flight: not reported as it happened
            print(f"{label}failed: {_label(change)}: {reason}")
    for change in blocked:
        print(f"{label}blocked: {show_name(change.name)}: {change.reason}")  # never empty
    if result.interrupted and not_started:
        print(f"{label}interrupted: {len(not_started)} change(s) not started")

    parts = [f"{len(result.applied)} applied"]
    if result.failed:
        parts.append(f"{len(result.failed)} failed")
    if blocked:
        parts.append(f"{len(blocked)} blocked")
    if not_started:
        parts.append(f"{len(not_started)} not started")
    head = "Apply interrupted" if result.interrupted else "Apply complete"
    print(f"{label}{head}: {', '.join(parts)}.")
    not_applied = [
        *(f"{_label(c)} (failed)" for c, _ in result.failed),
        *(f"{show_name(c.name)} (blocked)" for c in blocked),
        *(f"{_label(c)} (not started)" for c in not_started),
    ]
    if result.applied and (not_applied or result.interrupted):
        print(f"{label}Applied: " + ", ".join(_label(c) for c in result.applied))
    print_warnings(f"{label}{warning}" for warning in result.unsettled)
    if not_applied:
        print(f"{label}Not applied: " + ", ".join(not_applied))
        print(f"campsync: error: {label}{len(not_applied)} change(s) not applied", file=sys.stderr)
        return 1
    if result.interrupted:
        print(f"campsync: error: {label}interrupted", file=sys.stderr)
        return 1
    if result.unsettled:
        # Applied, but the next plan will show the same change again: as Terraform's
        # "inconsistent result after apply", an error, so that a pipeline does not pass.
        print(
            f"campsync: error: {label}{len(result.unsettled)} applied change(s) will show "
            "again in the next plan until campsync.yaml is fixed",
            file=sys.stderr,
        )
        return 1
    return 0
