"""Options and helpers shared by the commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from campsync.config.job import Flags, Job, environment_names, load_credentials, load_job
from campsync.config.settings import DEFAULT_WAIT
from campsync.config.target import Credentials
from campsync.errors import CampsyncError, UsageError
from campsync.sync.engine import Sync
from campsync.sync.render import RENDERERS
from campsync.terminal import ProgressReporter
from campsync.text import escape

T = TypeVar("T")

DEFAULT_PATH = "campaigns"


def add_path_argument(parser: argparse.ArgumentParser) -> None:
    """PATH: the campaign files (default: campaigns)."""
    parser.add_argument(
        "path",
        nargs="?",
        default=DEFAULT_PATH,
        metavar="PATH",
        help=f"a campaign file or a folder of them (default: {DEFAULT_PATH})",
    )


def add_format_options(
    parser: argparse.ArgumentParser, formats: Iterable[str] = tuple(RENDERERS)
) -> None:
    """--json and --format: how a plan (plan, show) or a comparison (compare, with its own
    `formats`) is printed; see output_format."""
    parser.add_argument(
        "--json", action="store_true", help="print only the JSON (same as --format json)"
    )
    parser.add_argument("--format", choices=list(formats), help="output format (default: text)")


def output_format(args: argparse.Namespace) -> str:
    """The format --json and --format ask for (default text); contradicting: a UsageError."""
    chosen: str | None = args.format
    if args.json:
        if chosen not in (None, "json"):
            raise UsageError(f"--json and --format {chosen} contradict each other")
        return "json"
    return chosen or "text"


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: ./campsync.yaml if present)",
    )


def add_env_option(parser: argparse.ArgumentParser, *, several: bool = False) -> None:
    """--env NAME; with `several`, repeatable, and `--env all` for every environment."""
    if several:
        parser.add_argument(
            "--env",
            action="append",
            metavar="NAME",
            help="an environment of campsync.yaml (or CAMPSYNC_ENV, one name); repeatable, "
            "'all' for every one: their accounts are read (and written) at once",
        )
        return
    parser.add_argument(
        "--env",
        metavar="NAME",
        help="the environment of campsync.yaml to use (or CAMPSYNC_ENV)",
    )


def add_remote_options(parser: argparse.ArgumentParser, *, several: bool = False) -> None:
    """--config, --env (repeatable when `several`), --host, --stream-id, --account-id,
    --parallelism."""
    add_config_option(parser)
    add_env_option(parser, several=several)
    parser.add_argument(
        "--host", help="platform URL (or KORE_HOST; default https://platform.kore.ai)"
    )
    parser.add_argument("--stream-id", help="the app's stream id st-... (or KORE_STREAM_ID)")
    parser.add_argument("--account-id", help="the account id (or KORE_ACCOUNT_ID)")
    parser.add_argument(
        "--parallelism",
        type=int,
        metavar="N",
        help="requests in flight at once (default 10), always inside CAMPSYNC_RATE_LIMIT",
    )


def add_refresh_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="read every campaign and file afresh, not from the local cache (which is rewritten)",
    )


def add_guard_options(parser: argparse.ArgumentParser, *, force: bool = False) -> None:
    """--only, --exclude, --prune (and --force for apply): the guard rails of a fresh plan."""
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only the campaigns whose name (case-insensitive, shell wildcards) or file path "
        "relative to PATH (wildcards, **) matches are in scope; repeatable",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="campaigns whose name or file path matches are out of scope (wins over --only); "
        "repeatable",
    )
    parser.add_argument(
        "--prune",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="delete platform campaigns in scope that no file describes, except keep: names "
        "and Active ones (default: prune: in campsync.yaml, else no)",
    )
    if force:
        parser.add_argument(
            "--force",
            action="store_true",
            help="apply even when the plan crosses a safety threshold (safety: in campsync.yaml)",
        )


def add_restart_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--restart",
        action="store_true",
        help="an Active campaign with edits is stopped, updated and started again (without: "
        "blocked, unless its file says state: stopped)",
    )


# --wait: at most a day (a start waits for its campaign to be Ready; longer is no wait).
MAX_WAIT = 24 * 60 * 60


def wait_seconds(text: str) -> int:
    """--wait SECONDS: a whole number from 0 to a day."""
    seconds = int(text) if text.isascii() and text.isdigit() else -1
    if not 0 <= seconds <= MAX_WAIT:
        raise argparse.ArgumentTypeError(
            f"a whole number of seconds from 0 to {MAX_WAIT}, not {text!r}"
        )
    return seconds


def add_wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=wait_seconds,
        metavar="SECONDS",
        help=f"how long a new (Preparing) campaign with state: running may take to be Ready "
        f"before it is started (default {DEFAULT_WAIT}; each look is one request); still "
        "Preparing then: not started, exit 1, the next apply starts it",
    )


def refuse_guard_options(args: argparse.Namespace) -> None:
    """A saved plan is applied exactly as reviewed: what would change it is refused."""
    given = [
        flag
        for flag, present in (
            ("--only", bool(args.only)),
            ("--exclude", bool(args.exclude)),
            ("--prune" if args.prune else "--no-prune", args.prune is not None),
            ("--restart", bool(getattr(args, "restart", False))),
        )
        if present
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)}: a saved plan is applied exactly as it was made; give "
            f"{'it' if len(given) == 1 else 'them'} to 'campsync plan --out FILE' instead"
        )


def environments_of(args: argparse.Namespace) -> list[str]:
    """The environments --env names (config.job.environment_names): none when it is not
    given, one, or several (`all`: every one of campsync.yaml)."""
    given = getattr(args, "env", None) or []
    return environment_names(
        [given] if isinstance(given, str) else given, getattr(args, "config", None)
    )


def flags_of(args: argparse.Namespace, names: Sequence[str]) -> Flags:
    """What the command line says of the job (a command without an option: not given); the
    environment, when --env names one (`names`, environments_of: resolved once per run;
    several: config.job.load_jobs gives each its own)."""
    return Flags(
        config=getattr(args, "config", None),
        environment=names[0] if len(names) == 1 else None,
        host=getattr(args, "host", None),
        stream_id=getattr(args, "stream_id", None),
        account_id=getattr(args, "account_id", None),
        parallelism=getattr(args, "parallelism", None),
        only=tuple(getattr(args, "only", ())),
        exclude=tuple(getattr(args, "exclude", ())),
        prune=getattr(args, "prune", None),
        force=getattr(args, "force", False),
        restart=getattr(args, "restart", False),
        wait=getattr(args, "wait", None),
    )


def job_of(
    args: argparse.Namespace, names: Sequence[str], *, saved_environment: str | None = None
) -> Job:
    """The job of a command that talks to the platform (`names`: the environment --env names,
    if any); a one-line ConfigError if incomplete. Applying a saved plan: its environment
    unless another is chosen (which is refused)."""
    return load_job(flags_of(args, names), saved_environment=saved_environment)


def credentials_of(
    args: argparse.Namespace, names: Sequence[str], *, saved_environment: str | None = None
) -> Credentials:
    """The credentials of a command line that talks to no platform (show; the GitHub action,
    checking the plan it saved), as job_of would give them: a saved plan's environment's
    own."""
    return load_credentials(flags_of(args, names), saved_environment=saved_environment)


def run_to_end(sync: Sync, progress: ProgressReporter, work: Coroutine[Any, Any, T]) -> T:
    """`work` (of `sync`: a plan, an apply, a pull) run to its end, its progress line taken
    away after; then what the sync learnt saved, and its warnings printed."""
    try:
        done = asyncio.run(work)
    finally:
        progress.clear()
    print_warnings(sync.finish())
    return done


def print_warnings(warnings: Iterable[str]) -> None:
    """Each warning as one line on stderr, its control characters escaped: some come from
    files campsync did not write (a saved plan's warnings and refusal reasons)."""
    for warning in warnings:
        print(f"campsync: warning: {escape(warning)}", file=sys.stderr)


def print_error(error: CampsyncError, label: str = "") -> None:
    """An error as the CLI reports one, on stderr: its listed lines (each problem of a file,
    say), then the one-line reason, after `label` (an environment of several)."""
    for listed in error.listed:
        print(listed, file=sys.stderr)
    print(f"campsync: error: {label}{error}", file=sys.stderr)
