"""campsync's benchmark of many accounts in one run (issue 23): E accounts side by side against
the same E accounts one after another, in the same run, and the ratio.

Each account is an emulator of its own (own credentials, stream and account id), holding the
same N campaigns, with a latency that grows with its number (account i answers in
(i + 1) x latency ms: the last one is the slowest account). One folder of campaign files
without ids (each account matches them by name, as a promotion has it) and one environment
of campsync.yaml per account. Through campsync's CLI, in this process:

1. a cold plan (no cache) of every account, first one after another (`plan --env NAME`, E
   runs), then side by side (`plan --env all`, one run);
2. a fresh apply of k changed files in every account, the same two ways.

Side by side should take about as long as the slowest account alone, not the sum: the table
gives both ratios. Requests are counted on the emulators (the same either way).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campsync.cli import main as campsync_main
from campsync.config.settings import VARIABLES
from campsync.emulator.config import EmulatorConfig
from campsync.emulator.runner import RunningEmulator, start_in_thread

Body = Callable[..., dict[str, Any]]
FileText = Callable[[str | None, dict[str, Any]], str]


@dataclass
class Account:
    name: str  # its environment in campsync.yaml
    config: EmulatorConfig

    @property
    def variables(self) -> dict[str, str]:
        prefix = self.name.upper().replace("-", "_")
        return {
            f"{prefix}_CLIENT_ID": self.config.client_id,
            f"{prefix}_CLIENT_SECRET": self.config.client_secret,
        }

    def entry(self, url: str) -> str:
        prefix = self.name.upper().replace("-", "_")
        return (
            f"  {self.name}:\n"
            f"    host: {url}\n"
            f"    streamId: {self.config.stream_id}\n"
            f"    accountId: {self.config.account_id}\n"
            "    credentials:\n"
            f"      clientId: {prefix}_CLIENT_ID\n"
            f"      clientSecret: {prefix}_CLIENT_SECRET\n"
        )


def accounts_of(count: int, latency_ms: float, rate_limit: int) -> list[Account]:
    return [
        Account(
            f"account-{i}",
            EmulatorConfig(
                client_id=f"bench-client-{i}",
                client_secret=f"bench-secret-{i}-0123456789abcdef0123456789abcdef",
                stream_id=f"st-bench{i:04d}-0000-4000-8000-{i:012d}",
                account_id=f"bench-account-{i}",
                rate_limit=rate_limit,
                latency_ms=latency_ms * (i + 1),
                ready_after=0,
                random_seed=1,
            ),
        )
        for i in range(count)
    ]


@dataclass
class Mode:
    """One way of running every account: its wall time, requests and exit codes."""

    wall_s: float = 0.0
    requests: int = 0
    exit_codes: list[int] = field(default_factory=list)
    each_s: list[float] = field(default_factory=list)  # one after another: each account's


@dataclass
class AccountsRun:
    name: str
    one_by_one: Mode
    side_by_side: Mode

    @property
    def slowest_s(self) -> float:
        return max(self.one_by_one.each_s)

    @property
    def speedup(self) -> float:
        """One after another / side by side (about E when side by side works)."""
        return self.one_by_one.wall_s / self.side_by_side.wall_s

    @property
    def vs_slowest(self) -> float:
        """Side by side / the slowest account alone (about 1 when side by side works)."""
        return self.side_by_side.wall_s / self.slowest_s

    @property
    def ok(self) -> bool:
        codes = [*self.one_by_one.exit_codes, *self.side_by_side.exit_codes]
        return all(code in (0, 2) for code in codes)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "one_by_one": vars(self.one_by_one),
            "side_by_side": vars(self.side_by_side),
            "slowest_s": self.slowest_s,
            "speedup": self.speedup,
            "vs_slowest": self.vs_slowest,
            "ok": self.ok,
        }


@contextlib.contextmanager
def environment(root: Path, variables: dict[str, str]) -> Iterator[None]:
    """os.environ and the working directory for the runs, restored after."""
    saved, cwd = dict(os.environ), Path.cwd()
    # Cleared: they would win over the environments' entries (every one on one account).
    for name in VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(variables)
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


def write_files(root: Path, bodies: list[dict[str, Any]], file_text: FileText) -> None:
    folder = root / "campaigns"
    folder.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(bodies):
        (folder / f"c{i:05d}.yaml").write_text(file_text(None, data), encoding="utf-8")


def run_accounts(
    root: Path,
    *,
    count: int,
    n: int,
    latency_ms: float,
    rate_limit: int,
    parallelism: int,
    flows: dict[str, str],
    body: Body,
    file_text: FileText,
    quiet: Callable[[], contextlib.AbstractContextManager[None]],
) -> list[AccountsRun]:
    """The two runs of the module's docstring, each one after another, then side by side."""
    accounts = accounts_of(count, latency_ms, rate_limit)
    bodies = [body(i) for i in range(n)]
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, bodies, file_text)
    par = ["--parallelism", str(parallelism)]
    k = max(1, n // 10)
    with contextlib.ExitStack() as stack:
        running = [stack.enter_context(start_in_thread(a.config)) for a in accounts]
        for emulator in running:
            emulator.store.seed([{**b, "status": "Ready"} for b in bodies])
        flows_text = "".join(f"  {name}: {flow_id}\n" for name, flow_id in flows.items())
        entries = "".join(a.entry(e.url) for a, e in zip(accounts, running, strict=True))
        config = f"experienceFlows:\n{flows_text}environments:\n{entries}"
        (root / "campsync.yaml").write_text(config, encoding="utf-8")
        variables = {name: value for a in accounts for name, value in a.variables.items()}
        variables["CAMPSYNC_RATE_LIMIT"] = str(rate_limit or 1_000_000_000)
        names = [a.name for a in accounts]

        def both(command: list[str], before: Callable[[str], None]) -> tuple[Mode, Mode]:
            one_by_one = Mode()
            before("one after another")
            for name in names:
                wall, requests, code = _timed(running, [*command, "--env", name, *par], quiet)
                one_by_one.each_s.append(wall)
                one_by_one.wall_s += wall
                one_by_one.requests += requests
                one_by_one.exit_codes.append(code)
            before("side by side")
            wall, requests, code = _timed(running, [*command, "--env", "all", *par], quiet)
            return one_by_one, Mode(wall, requests, [code])

        def cold(_: str) -> None:
            shutil.rmtree(root / ".campsync", ignore_errors=True)

        def changed(tag: str) -> None:
            for i in range(k):
                data = body(i, description=f"Changed by the benchmark ({tag}).")
                path = root / "campaigns" / f"c{i:05d}.yaml"
                path.write_text(file_text(None, data), encoding="utf-8")

        with environment(root, variables):
            plan = both(["plan", "--json"], cold)
            apply = both(["apply", "--auto-approve"], changed)
    return [
        AccountsRun("cold plan", *plan),
        AccountsRun(f"apply fresh, k={k} files changed", *apply),
    ]


def _timed(
    running: list[RunningEmulator],
    argv: list[str],
    quiet: Callable[[], contextlib.AbstractContextManager[None]],
) -> tuple[float, int, int]:
    """One in-process CLI run: wall seconds, requests every emulator counted, exit code."""
    for emulator in running:
        emulator.store.reset_stats()
    started = time.perf_counter()
    with quiet():
        code = campsync_main(argv)
    wall = time.perf_counter() - started
    requests = sum(int(emulator.store.stats()["total"]) for emulator in running)
    return wall, requests, code


def report(runs: list[AccountsRun]) -> list[list[str]]:
    """The table's rows (its head first)."""
    rows = [
        [
            "run", "one after another s", "side by side s", "slowest alone s",
            "speedup", "side by side / slowest", "requests", "exit codes",
        ]
    ]  # fmt: skip
    for run in runs:
        codes = [*run.one_by_one.exit_codes, *run.side_by_side.exit_codes]
        rows.append(
            [
                run.name,
                f"{run.one_by_one.wall_s:.2f}",
                f"{run.side_by_side.wall_s:.2f}",
                f"{run.slowest_s:.2f}",
                f"{run.speedup:.1f}x" if run.ok else "-",
                f"{run.vs_slowest:.2f}" if run.ok else "-",
                f"{run.one_by_one.requests} / {run.side_by_side.requests}",
                "ok" if run.ok else " ".join(map(str, codes)),
            ]
        )
    return rows


def heading(*, count: int, n: int, latency_ms: float, rate_limit: int) -> str:
    latencies = "/".join(f"{latency_ms * (i + 1):g}" for i in range(count))
    limit = f"{rate_limit} requests/min each" if rate_limit else "no rate limit"
    return (
        f"many accounts: {count} accounts of {n} campaigns each, latency {latencies} ms, "
        f"{limit}; one after another (--env NAME, {count} runs) against side by side "
        "(--env all, one run)"
    )
