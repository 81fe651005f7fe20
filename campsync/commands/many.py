"""Several environments in one run (`--env` repeated, `--env all`) for `plan` and `apply`: one
job and one `Sync` per environment, sharing the accounts' rate limiters (two environments on
one account take their places from one limiter; every other account has its own) and one
progress line; run at once in one event loop, each environment's failure (a credential not
set, a file problem under its overrides, its account refusing, the network) its own, while
the others complete; the exit code the worst (1 over 2 over 0).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from campsync.commands.common import flags_of, print_error, print_warnings
from campsync.config.job import load_jobs
from campsync.errors import CampsyncError
from campsync.sync.engine import AccountLimiters, CampaignFile, Sync
from campsync.terminal import ProgressLine, ProgressReporter

T = TypeVar("T")


@dataclass
class EnvironmentRun:
    """One environment's part of the run: its sync and files, or why it has none."""

    name: str
    sync: Sync | None = None
    progress: ProgressReporter | None = None
    files: list[CampaignFile] = field(default_factory=list)
    error: CampsyncError | None = None


def worst(codes: Iterable[int]) -> int:
    """The exit code of several environments: 1 over 2 over 0."""
    found = set(codes)
    return 1 if 1 in found else 2 if 2 in found else 0


def prepare(
    args: argparse.Namespace,
    names: Sequence[str],
    path: Path,
    *,
    refresh: bool = False,
    since: str | None = None,
    line: ProgressLine | None = None,
) -> list[EnvironmentRun]:
    """Each environment's job, sync (one AccountLimiters for them all; progress on one line
    of stderr, each labelled with its environment) and files (read and checked under its
    overrides, no request)."""
    limiters = AccountLimiters()
    line = line if line is not None else ProgressLine(sys.stderr)
    runs: list[EnvironmentRun] = []
    for name, job in zip(names, load_jobs(flags_of(args, ()), names), strict=True):
        if isinstance(job, CampsyncError):
            runs.append(EnvironmentRun(name, error=job))
            continue
        progress = ProgressReporter(sys.stderr, rate_limit=job.rate_limit, label=name, line=line)
        sync = Sync(job, refresh=refresh, progress=progress, limiters=limiters, since=since)
        run = EnvironmentRun(name, sync, progress)
        try:
            run.files = sync.read_files(path)
        except CampsyncError as error:
            run.error = error
        runs.append(run)
    return runs


async def each(
    runs: Sequence[EnvironmentRun], work: Callable[[EnvironmentRun], Awaitable[T]]
) -> dict[str, T | CampsyncError]:
    """`work` for every environment that has its sync and files, all at once; an
    environment's CampsyncError is its outcome (anything else is a bug, and ends the run)."""

    async def one(run: EnvironmentRun) -> T | CampsyncError:
        try:
            return await work(run)
        except CampsyncError as error:
            return error

    ready = [run for run in runs if run.error is None]
    outcomes = await asyncio.gather(*(one(run) for run in ready))
    return {run.name: outcome for run, outcome in zip(ready, outcomes, strict=True)}


def finish(runs: Sequence[EnvironmentRun]) -> None:
    """What each sync learnt saved; their warnings, each naming its environment."""
    for run in runs:
        if run.sync is not None:
            warn(run.name, run.sync.finish())


def warn(name: str, warnings: Iterable[str]) -> None:
    print_warnings(f"{name}: {warning}" for warning in warnings)


def report_error(name: str, error: CampsyncError) -> None:
    """An environment's error as the CLI reports one, naming the environment."""
    print_error(error, f"{name}: ")
