"""`campsync apply [PATH | PLANFILE]`: make the platform match the files (after a yes), or apply
exactly a saved plan (never prompts, refuses when it is out of date). With --json, stdout holds
only the result JSON (each change's outcome) and everything else goes to stderr."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

from campsync.commands.common import (
    DEFAULT_PATH,
    add_guard_options,
    add_refresh_option,
    add_remote_options,
    add_restart_option,
    add_wait_option,
    environments_of,
    job_of,
    print_warnings,
    refuse_guard_options,
    run_to_end,
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
    PlanFile,
    ResultCallback,
    Sync,
    results_of,
    writes_of,
)
from campsync.sync.render import render_results_json, render_text, show_name, write_json
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
    parser.add_argument(
        "--json",
        action="store_true",
        help="print only the result JSON on stdout (each change's outcome); the plan, "
        "progress and messages go to stderr. A fresh apply needs --auto-approve with it",
    )
    add_guard_options(parser, force=True)
    add_restart_option(parser)
    add_wait_option(parser)
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
        return _run_saved(target, args, names)
    if args.json and not args.auto_approve:
        # As Terraform's -json: no question can be asked, and none is answered for the user.
        raise UsageError(
            "--json asks no question: add --auto-approve, or apply a saved plan ('campsync "
            "plan --out FILE', then 'campsync apply FILE --json'); nothing was changed"
        )
    if len(names) > 1:
        return _run_many(args, target, names)
    out = _human_output(args)
    job = job_of(args, names)
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
    applied = run_to_end(sync, progress, _with_signals(sync.apply(files, hooks), hooks))
    if applied.declined and not terminal:
        raise UsageError(NO_TERMINAL)
    if applied.declined:
        print("Apply cancelled: nothing was changed.", file=out)
        return 1
    return _report(applied, args, out, nothing="the platform matches the campaign files")


def _run_saved(path: Path, args: argparse.Namespace, names: list[str]) -> int:
    refuse_guard_options(args)
    # The plan names its environment: `apply plan.json` needs no --env, and another one is
    # refused before its secret is even used (the engine checks the name again once the
    # signature and checksum that cover it have passed).
    planfile = PlanFile.read(path)  # once: its environment now, its checks below
    job = job_of(args, names, saved_environment=planfile.environment)
    out = _human_output(args)
    progress = ProgressReporter(sys.stderr, rate_limit=job.rate_limit)
    sync = Sync(job, read_files=False, progress=progress)
    saved = sync.load_plan(planfile)  # before any request

    def announce(plan: Plan) -> None:
        print(f"Applying the saved plan {path}: {len(writes_of(plan))} change(s).", file=out)

    hooks = Hooks(on_plan=announce, on_result=results_under(progress, out))
    applied = run_to_end(sync, progress, _with_signals(sync.apply_saved(saved, hooks), hooks))
    return _report(applied, args, out, nothing=f"the saved plan {path} has no changes")


def _human_output(args: argparse.Namespace) -> TextIO:
    """Where the plan, results and summary go: stdout, or stderr when stdout holds the result
    JSON (--json)."""
    return sys.stderr if args.json else sys.stdout


def _report(applied: Applied, args: argparse.Namespace, out: TextIO, *, nothing: str) -> int:
    """What apply did, for a reader (`out`) and, with --json, as the result JSON on stdout;
    exit 1 unless every change was applied."""
    code = _told(applied, out, nothing=nothing)
    if args.json:
        render_results_json(results_of(applied.plan, applied.result), sys.stdout)
    return code


def _told(applied: Applied, out: TextIO, *, nothing: str, label: str = "") -> int:
    """What an apply that was not declined did, for a reader (`out`; each line after `label`:
    an environment of several), and its exit code."""
    result = applied.result
    if result is not None:
        return _finish(result, out, label)
    if not applied.plan.has_changes:
        print(f"{label}Nothing to apply: {nothing}.", file=out)
        return 0
    print(f"{label}Nothing can be applied: every change is blocked.", file=out)
    return _finish(ApplyResult(skipped=list(applied.plan.changes)), out, label)


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
    out = _human_output(args)
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
        render_sections_text(sections, out, color=use_color(out))
        if unsafe or not asking or (not args.auto_approve and not terminal):
            return False
        if args.auto_approve:
            return True
        out.flush()
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
            on_result=results_under(run.progress, out, f"{run.name}: "),
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
    code = _outcomes(runs, outcomes, errors, unsafe, out, terminal=terminal)
    if args.json:
        write_json(_results_json(runs, outcomes, errors), sys.stdout)
    return code


def _outcomes(
    runs: list[EnvironmentRun],
    outcomes: dict[str, Applied | CampsyncError],
    errors: dict[str, CampsyncError],
    unsafe: list[str],
    out: TextIO,
    *,
    terminal: bool,
) -> int:
    """Each environment's outcome for a reader (`out`; errors on stderr last), and the worst
    exit code."""
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
            nothing = "the platform matches the campaign files"
            codes.append(_told(outcome, out, nothing=nothing, label=f"{run.name}: "))
    if unsafe:
        refused = ", ".join(quoted(name) for name in unsafe)
        print(
            f"Nothing was applied in any environment: the plan of {refused} crosses a safety "
            "threshold, and the environments are applied together or not at all "
            "(--force applies them anyway).",
            file=out,
        )
    elif declined and terminal:
        print("Apply cancelled: nothing was changed.", file=out)
    for name, error in errors.items():
        report_error(name, error)
    if declined and not unsafe and not terminal:
        print(f"campsync: error: {NO_TERMINAL}", file=sys.stderr)
    return worst(codes)


def _results_json(
    runs: list[EnvironmentRun],
    outcomes: dict[str, Applied | CampsyncError],
    errors: dict[str, CampsyncError],
) -> dict[str, Any]:
    """`apply --json` of several environments: `{"format_version": 1, "environments": {NAME:
    {results}}}`, each as `apply --json` prints one environment's, and `errors` (NAME: the
    one-line reason) for those that have no results (only when one has none)."""
    results: dict[str, Any] = {}
    for run in runs:
        outcome = outcomes.get(run.name)
        if isinstance(outcome, Applied):
            results[run.name] = results_of(outcome.plan, outcome.result).to_json()
    document: dict[str, Any] = {"format_version": 1, "environments": results}
    failed = {name: str(error) for name, error in errors.items() if name not in results}
    if failed:
        document["errors"] = failed
    return document


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


def results_under(progress: ProgressReporter, out: TextIO, label: str = "") -> ResultCallback:
    """print_result to `out`, with the terminal's progress line taken away first (it is drawn
    again below the result); `label` names the environment of a run of several."""

    def show(change: Change, error: str | None) -> None:
        progress.clear()
        print_result(change, error, out, label)

    return show


def print_result(change: Change, error: str | None, out: TextIO, label: str = "") -> None:
    if error is None:
        print(f"{label}applied: {_label(change)}", file=out, flush=True)
    else:
        print(f"{label}failed: {_label(change)}: {error}", file=out, flush=True)


def _finish(result: ApplyResult, out: TextIO, label: str = "") -> int:
    """Print the summary to `out` (each line after `label`: an environment of several); exit
    1 unless every change was applied."""
    blocked = [c for c in result.skipped if c.action == "blocked"]
    not_started = [c for c in result.skipped if c.action != "blocked"]
    for change, reason in result.failed:
        if reason == UNKNOWN_OUTCOME:  # abandoned in flight: not reported as it happened
            print(f"{label}failed: {_label(change)}: {reason}", file=out)
    for change in blocked:
        print(f"{label}blocked: {show_name(change.name)}: {change.reason}", file=out)
    for change, why in result.after_failure:
        print(f"{label}not sent: {_label(change)}: {why}", file=out)
    if result.interrupted and not_started:
        print(f"{label}interrupted: {len(not_started)} change(s) not started", file=out)

    parts = [f"{len(result.applied)} applied"]
    if result.failed:
        parts.append(f"{len(result.failed)} failed")
    if blocked:
        parts.append(f"{len(blocked)} blocked")
    if result.after_failure:
        parts.append(f"{len(result.after_failure)} not sent")
    if not_started:
        parts.append(f"{len(not_started)} not started")
    head = "Apply interrupted" if result.interrupted else "Apply complete"
    print(f"{label}{head}: {', '.join(parts)}.", file=out)
    not_applied = [
        *(f"{_label(c)} (failed)" for c, _ in result.failed),
        *(f"{show_name(c.name)} (blocked)" for c in blocked),
        *(f"{_label(c)} (not sent)" for c, _ in result.after_failure),
        *(f"{_label(c)} (not started)" for c in not_started),
    ]
    if result.applied and (not_applied or result.interrupted):
        print(f"{label}Applied: " + ", ".join(_label(c) for c in result.applied), file=out)
    print_warnings(f"{label}{warning}" for warning in result.unsettled)
    if not_applied:
        print(f"{label}Not applied: " + ", ".join(not_applied), file=out)
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
