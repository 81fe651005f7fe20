"""campsync's benchmark (issues 6 and 14): request counts first, wall time second.

One invocation:
1. starts the emulator (fixed latency, no rate limit) and seeds N campaigns, with a file
   for each in a scratch workspace;
2. runs a naive baseline (list, then one sequential GET per campaign: what a hand-written
   script does), a cold `plan --since` of a pull request changing 3 files (the workspace is
   a git repository), a cold plan, a warm plan, a fresh apply of 10 % changed files, a
   saved plan of another 10 % applied with `apply PLANFILE`, and a cold plan (--refresh)
   of another 10 % turned Progressive (their writes name a queue), each through campsync's
   CLI in-process, counting requests on the emulator (a plan that writes also reads the
   contact lists, 1 request, and, when a write names a queue, the queues' pages Q);
3. measures the plan's work with the network excluded (file loading + validation +
   comparison, platform answers already in memory), cold and warm, and `campsync
   validate` of the whole folder (in-process, in a child), for 1,000, N and 10,000
   campaigns, each the current way and the previous way (v0.1: the careful loader and
   jsonschema for every file, one process) in the same run, each in a fresh child
   process for an honest peak memory;
4. prints a table and writes JSON (default bench/results.json).

    .venv/bin/python bench/bench.py [--n N] [--latency-ms L] [--parallelism P] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import accounts  # bench/accounts.py, beside this script

from campsync.cli import main as campsync_main
from campsync.config.job import Flags, load_job
from campsync.config.settings import Settings, load_settings
from campsync.emulator.catalog import default_catalog
from campsync.emulator.config import EmulatorConfig
from campsync.emulator.queries import ListQuery
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.emulator.store import Store
from campsync.kore.client import QUEUE_PAGE_SIZE, KoreClient
from campsync.kore.protocol import Reference

PLATFORM_RATE = 60  # requests per minute per account, the documented limit
WORK_TARGET_S = 2.0
WORK_TARGET_MB = 200.0
WORK_N = 10_000
FLOWS = {
    "Voice Survey Entry Flow": "cf-ecfa3927-eabc-52c4-8373-8a0b75d00001",
    "Payment Reminder Flow": "cf-ecfa3927-eabc-52c4-8373-8a0b75d00002",
}
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
STREAM_ID = "st-bench0000-0000-4000-8000-000000000001"
ACCOUNT_ID = "bench-account"


def body(i: int, description: str | None = None) -> dict[str, Any]:
    """A campaign like the reference sample, with five calling days."""
    days = [{"day": d, "start": "9:00 AM", "end": "6:00 PM"} for d in ("MO", "TU", "WE", "TH")]
    days.append({"day": "FR", "start": "9:00 AM", "end": "5:00 PM"})
    return {
        "name": f"Bench Campaign {i:05d}",
        "description": description or f"Benchmark campaign number {i}: quick feedback calls.",
        "contactLists": ["Q4 Renewals"],
        "dncLists": {"name": "Global DNC"},
        "priority": str(1 + i % 5),
        "dialingMode": "Agentless",
        "dialingStrategy": {
            "callerId": {"phoneNumber": "+14155550100"},
            "callingHours": {"frequency": "WEEKLY", "timezone": "America/New_York", "days": days},
            "dialingOrder": "FIFO",
            "maxAttemptsPerRecord": 3,
            "defaultRetryPeriod": 60,
            "maxRingTime": 30,
        },
        "schedule": {"isSchedulingEnabled": False},
        "experienceFlowName": "Payment Reminder Flow",
        "enableMachineDetect": "detect",
        "campaignType": "voice",
    }


def file_text(cid: str | None, data: dict[str, Any]) -> str:
    """A campaign file as a person writes it: block-style YAML (matched by name without an
    id)."""
    lines = [f"id: {cid}"] if cid else []

    def emit(value: Any, indent: str, key: str) -> None:
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            for k, v in value.items():
                emit(v, indent + "  ", k)
        elif isinstance(value, list):
            lines.append(f"{indent}{key}:")
            for item in value:
                if isinstance(item, dict):
                    first = True
                    for k, v in item.items():
                        lines.append(f"{indent}  {'- ' if first else '  '}{k}: {json.dumps(v)}")
                        first = False
                else:
                    lines.append(f"{indent}  - {json.dumps(item)}")
        else:
            lines.append(f"{indent}{key}: {json.dumps(value)}")

    for key, value in data.items():
        emit(value, "", key)
    return "\n".join(lines) + "\n"


def write_workspace(root: Path, ids: list[str], bodies: list[dict[str, Any]]) -> None:
    folder = root / "campaigns"
    folder.mkdir(parents=True, exist_ok=True)
    for i, (cid, data) in enumerate(zip(ids, bodies, strict=True)):
        (folder / f"c{i:05d}.yaml").write_text(file_text(cid, data), encoding="utf-8")
    flows = "\n".join(f"  {name}: {fid}" for name, fid in FLOWS.items())
    (root / "campsync.yaml").write_text(f"experienceFlows:\n{flows}\n", encoding="utf-8")


# ---------------------------------------------------------------------------
# end-to-end runs against the emulator


@dataclass
class Run:
    name: str
    requests: int
    by_kind: dict[str, int]
    target: int | None
    target_text: str
    wall_s: float
    exit_code: int

    @property
    def at_platform_rate_s(self) -> float:
        # 60 per sliding minute: the first 60 at once, then one a second.
        return max(0.0, self.requests - PLATFORM_RATE) * 60.0 / PLATFORM_RATE

    @property
    def target_met(self) -> bool | None:
        return None if self.target is None else self.requests <= self.target


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def counted(emulator: RunningEmulator) -> tuple[int, dict[str, int]]:
    stats = emulator.store.stats()
    emulator.store.reset_stats()
    return int(stats["total"]), {k: int(v) for k, v in stats["by_kind"].items() if v}


def cli_run(
    emulator: RunningEmulator, name: str, argv: list[str], target: int, target_text: str
) -> Run:
    emulator.store.reset_stats()
    started = time.perf_counter()
    with quiet():
        code = campsync_main(argv)
    wall = time.perf_counter() - started
    total, by_kind = counted(emulator)
    return Run(name, total, by_kind, target, target_text, wall, code)


async def naive(settings: Settings) -> int:
    """A hand-written script: list, then GET each campaign, one after another."""
    client = KoreClient(
        settings.target(),
        settings.credentials,
        parallelism=settings.parallelism,
        rate_limit=settings.rate_limit,
    )
    async with client:
        items = await client.list_campaigns()
        for item in items:
            await client.get_campaign(item["_id"])
    return len(items)


PULL_REQUEST_FILES = 3  # the files a pull request changes in the `plan --since` run
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV, "HOME": str(root)}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def change_files(
    root: Path, ids: list[str], indexes: range, tag: str, *, queue: str | None = None
) -> None:
    """Change the files at `indexes`; with a `queue`, each becomes a Progressive campaign of
    that queue (a plan whose writes name a queue reads the queues too)."""
    for i in indexes:
        data = body(i, description=f"Changed by the benchmark ({tag}).")
        if queue is not None:
            del data["experienceFlowName"], data["enableMachineDetect"]
            data.update(dialingMode="Progressive", queue_name=queue)
        path = root / "campaigns" / f"c{i:05d}.yaml"
        path.write_text(file_text(ids[i], data), encoding="utf-8")


def end_to_end(args: argparse.Namespace, root: Path) -> tuple[list[Run], int]:
    config = EmulatorConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        stream_id=STREAM_ID,
        account_id=ACCOUNT_ID,
        rate_limit=0,
        latency_ms=args.latency_ms,
        ready_after=0,
        random_seed=1,
    )
    n = args.n
    bodies = [body(i) for i in range(n)]
    with start_in_thread(config) as emulator:
        ids = emulator.store.seed([{**b, "status": "Ready"} for b in bodies])
        write_workspace(root, ids, bodies)
        os.environ.update(
            {
                "KORE_HOST": emulator.url,
                "KORE_STREAM_ID": STREAM_ID,
                "KORE_ACCOUNT_ID": ACCOUNT_ID,
                "KORE_CLIENT_ID": CLIENT_ID,
                "KORE_CLIENT_SECRET": CLIENT_SECRET,
                "CAMPSYNC_RATE_LIMIT": "1000000000",
            }
        )
        os.environ.pop("KORE_JWT", None)
        os.environ.pop("CAMPSYNC_CACHE_DIR", None)
        os.chdir(root)
        pages = max(1, math.ceil(n / 1000))
        par = ["--parallelism", str(args.parallelism)]
        runs: list[Run] = []

        emulator.store.reset_stats()
        started = time.perf_counter()
        asyncio.run(naive(load_settings(parallelism=1)))
        wall = time.perf_counter() - started
        total, by_kind = counted(emulator)
        runs.append(Run("naive baseline (sequential GETs)", total, by_kind, None, "-", wall, 0))

        # A pull request on a fresh runner: the workspace as its base branch, then k files
        # changed; `plan --since` reads those alone. Then the base again, and no cache.
        k = PULL_REQUEST_FILES
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "campaigns", "campsync.yaml")
        git(root, "commit", "-q", "-m", "base")
        change_files(root, ids, range(n - k, n), "pull request")
        since = ["plan", "--json", "--since", "main", *par]
        name = f"cold plan --since, k={k} files changed"
        want = pages + k + 1  # and the contact lists, which its updates name (see below)
        runs.append(cli_run(emulator, name, since, want, f"pages+k+1 = {want}"))
        git(root, "checkout", "-q", "--", "campaigns")
        shutil.rmtree(root / ".campsync", ignore_errors=True)

        plan = ["plan", "--json", *par]
        runs.append(cli_run(emulator, "cold plan", plan, pages + n, f"pages+N = {pages + n}"))
        runs.append(cli_run(emulator, "warm plan", plan, pages, f"pages = {pages}"))

        # A plan with a create or an update also reads the names its writes give: the
        # contact lists (one request) and, when a write names a queue, the queues' pages.
        lists = 1
        queue_pages = math.ceil(len(default_catalog().queues) / QUEUE_PAGE_SIZE)
        k = max(1, n // 10)
        change_files(root, ids, range(k), "fresh apply")
        apply = ["apply", "--auto-approve", *par]
        name = f"apply fresh, k={k} files changed"
        target = pages + lists + k
        runs.append(cli_run(emulator, name, apply, target, f"pages+j+1+k = {target}"))

        change_files(root, ids, range(k, 2 * k), "saved plan")
        saved = ["plan", "--out", "plan.json", *par]
        name = f"plan --out after the apply, k={k}"
        runs.append(cli_run(emulator, name, saved, pages + lists, f"pages+j+1 = {pages + lists}"))
        apply_saved = ["apply", "plan.json", *par]
        name = f"apply saved plan, k={k}"
        runs.append(cli_run(emulator, name, apply_saved, pages + k, f"pages+k = {pages + k}"))

        change_files(root, ids, range(2 * k, 3 * k), "queues", queue="Sales Queue")
        cold = ["plan", "--json", "--refresh", *par]
        name = f"cold plan with changes, k={k} naming a queue"
        target = pages + n + lists + queue_pages
        text = f"pages+N+1+Q = {target}"
        runs.append(cli_run(emulator, name, cold, target, text))
    return runs, int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# ---------------------------------------------------------------------------
# work only: the plan's CPU work with the network excluded, in a child process


CATALOG = default_catalog()


class MemoryPlatform:
    """The platform's answers already at hand: the list items parsed (a plan always reads
    the list) and each get-one body as the JSON text an answer would carry, parsed only
    when asked for, so that memory is counted as a real run would use it."""

    def __init__(self, items: list[dict[str, Any]], bodies: dict[str, str]) -> None:
        self.items = items
        self.bodies = bodies

    async def list_campaigns(self, campaign_type: str = "voice") -> list[dict[str, Any]]:
        return self.items if campaign_type == "voice" else []

    async def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.bodies[campaign_id])
        return data

    # The names campaigns refer to (read only by a plan that writes: none here).
    async def list_contact_lists(self) -> list[Reference]:
        return [Reference(list_id, name) for name, list_id in CATALOG.list_names.items()]

    async def list_queues(self) -> list[Reference]:
        return [Reference(queue_id, name) for name, queue_id in CATALOG.queues.items()]


def prepare_work(root: Path, n: int) -> None:
    """Files and platform answers for the work-only child (not measured)."""
    store = Store(default_catalog(), ready_after=0)
    bodies = [body(i) for i in range(n)]
    ids = store.seed([{**b, "status": "Ready"} for b in bodies])
    write_workspace(root, ids, bodies)
    listing = store.list_campaigns(ListQuery("voice", limit=n + 1))["results"]
    (root / "items.json").write_text(json.dumps(listing), encoding="utf-8")
    answers = {cid: json.dumps(store.get_campaign(cid)) for cid in ids}
    (root / "bodies.json").write_text(json.dumps(answers), encoding="utf-8")


def own_peak_mb() -> float:
    """This process's own peak resident memory. Linux carries ru_maxrss across exec (a
    child would report its parent's peak when larger); VmHWM starts afresh with the exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workers_peak_mb() -> float:
    """The largest peak resident memory of this process's finished children (the
    validation workers), 0 when there were none."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def work_child(root: Path, previous: bool) -> None:
    """Run in a child: one plan's work as `campsync plan` does it, minus HTTP; prints JSON.
    `previous`: the files validated v0.1's way (careful path, jsonschema, one process)."""
    from campsync.campaign.reader import read_campaign_files
    from campsync.cli import fewer_gc_pauses
    from campsync.sync.engine import Sync

    fewer_gc_pauses()  # as `campsync plan` does
    os.chdir(root)
    platform_answers = MemoryPlatform(
        json.loads(Path("items.json").read_text(encoding="utf-8")),
        json.loads(Path("bodies.json").read_text(encoding="utf-8")),
    )
    run = load_job(
        Flags(),
        env={
            "KORE_STREAM_ID": STREAM_ID,
            "KORE_ACCOUNT_ID": ACCOUNT_ID,
            # as `campsync plan` has them (the cache's file data is tagged with a key from it)
            "KORE_CLIENT_ID": CLIENT_ID,
            "KORE_CLIENT_SECRET": CLIENT_SECRET,
        },
    )

    started = time.perf_counter()
    sync = Sync(run)
    cache = sync.cache
    loaded = time.perf_counter()
    if previous:
        result = read_campaign_files([Path("campaigns")], memo=cache.files, quick=False, workers=1)
        assert result.ok
        files = list(result.files)
    else:
        files = sync.read_files(Path("campaigns"))
    validated = time.perf_counter()
    plan = asyncio.run(sync.make_plan(platform_answers, files))  # as `plan` does
    compared = time.perf_counter()
    sync.finish()
    done = time.perf_counter()
    result_json = {
        "files": len(files),
        "unchanged": plan.unchanged,
        "changes": len(plan.changes),
        "file_cache_hits": cache.files.hits,
        "body_cache_hits": cache.campaigns.hits,
        "same_hits": cache.same.hits,
        "seconds": done - started,
        "cache_load_s": loaded - started,
        "validate_s": validated - loaded,
        "compare_s": compared - validated,
        "cache_save_s": done - compared,
        "peak_mb": own_peak_mb(),
        "workers_peak_mb": workers_peak_mb(),
    }
    print(json.dumps(result_json))


def validate_child(root: Path, previous: bool) -> None:
    """Run in a child: `campsync validate campaigns`, in-process (its output discarded);
    `previous`: what v0.1's validate did (careful path, jsonschema, one process)."""
    from campsync.campaign.reader import read_campaign_files
    from campsync.campaign.report import report_text, summary

    os.chdir(root)
    started = time.perf_counter()
    with quiet():
        if previous:
            result = read_campaign_files([Path("campaigns")], quick=False, workers=1)
            report_text(result, sys.stdout)
            print(summary(result), file=sys.stderr)
            code = 0 if result.ok else 1
        else:
            code = campsync_main(["validate", "campaigns"])
    seconds = time.perf_counter() - started
    result_json = {
        "exit_code": code,
        "seconds": seconds,
        "peak_mb": own_peak_mb(),
        "workers_peak_mb": workers_peak_mb(),
    }
    print(json.dumps(result_json))


COLD_TARGETS_S = {1_000: 0.8, 10_000: 6.0}  # issue 14, on the project's 2-core machine
VALIDATE_TARGETS_S = {10_000: 6.0}


@dataclass
class Work:
    n: int
    phase: str  # "cold plan", "warm plan", "validate"
    seconds: float
    peak_mb: float
    detail: dict[str, Any]
    previous_s: float
    previous_peak_mb: float

    @property
    def target_s(self) -> float | None:
        if self.phase == "cold plan":
            return COLD_TARGETS_S.get(self.n, WORK_TARGET_S if self.n <= 1_000 else None)
        if self.phase == "validate":
            return VALIDATE_TARGETS_S.get(self.n)
        return WORK_TARGET_S

    @property
    def met(self) -> bool:
        target = self.target_s
        return (target is None or self.seconds < target) and self.peak_mb < WORK_TARGET_MB


def _child(kind: str, root: Path, previous: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, f"--{kind}-child", str(root)]
    if previous:
        command.append("--previous")
    out = subprocess.run(command, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{kind} child for {root} failed:\n{out.stderr}")
    detail: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return detail


def work_runs(n: int, scratch: Path) -> list[Work]:
    """The cold and warm plan work and `campsync validate` of n files, each the current
    way and the previous way (v0.1: careful path, jsonschema, one process), in this run."""
    root = scratch / f"work-{n}"
    prepare_work(root, n)
    measured: dict[tuple[str, bool], dict[str, Any]] = {}
    for previous in (True, False):
        shutil.rmtree(root / ".campsync", ignore_errors=True)  # cold: no cache at all
        for phase in ("cold plan", "warm plan"):
            detail = _child("work", root, previous)
            if detail["unchanged"] != n or detail["changes"]:
                raise SystemExit(f"work-only plan of {n}: expected {n} unchanged, got {detail}")
            measured[(phase, previous)] = detail
        detail = _child("validate", root, previous)
        if detail["exit_code"] != 0:
            raise SystemExit(f"validate of {n} files failed: {detail}")
        measured[("validate", previous)] = detail
    results: list[Work] = []
    for phase in ("cold plan", "warm plan", "validate"):
        now, before = measured[(phase, False)], measured[(phase, True)]
        peak = now["peak_mb"] + now["workers_peak_mb"]  # workers counted as if all at once
        before_peak = before["peak_mb"] + before["workers_peak_mb"]
        results.append(Work(n, phase, now["seconds"], peak, now, before["seconds"], before_peak))
    return results


# ---------------------------------------------------------------------------
# output


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def report(args: argparse.Namespace, runs: list[Run], works: list[Work], rss_mb: float) -> str:
    baseline = runs[0]
    rows = [["run", "requests", "target", "met", "wall s", "at 60 req/min", "vs baseline"]]
    for run in runs:
        met = {None: "-", True: "yes", False: "NO"}[run.target_met]
        if run.exit_code not in (0, 2):
            met = f"exit {run.exit_code}"
        speed = "1.0x" if run is baseline else f"{baseline.wall_s / run.wall_s:.1f}x faster"
        rows.append(
            [
                run.name,
                str(run.requests),
                run.target_text,
                met,
                f"{run.wall_s:.2f}",
                duration(run.at_platform_rate_s),
                speed,
            ]
        )
    lines = [
        f"campsync bench: N={args.n} campaigns, latency {args.latency_ms:g} ms per request, "
        f"--parallelism {args.parallelism}, emulator without rate limit",
        "",
        table(rows),
        "",
        f"peak memory of the bench process (emulator included): {rss_mb:.0f} MB",
        "",
        "plan work, network excluded (load + validate + compare + cache; answers in memory),",
        "and `campsync validate` of the whole folder; each against the previous way (v0.1:",
        "the careful loader and jsonschema for every file, in one process) in this run:",
    ]
    wrows = [
        [
            "campaigns", "work", "seconds", "previous s", "vs previous", "peak MB", "previous MB",
            "target", "met", "validate/compare s",
        ]
    ]  # fmt: skip
    for work in works:
        d = work.detail
        target = f"< {work.target_s:g} s, " if work.target_s is not None else ""
        split = f"{d['validate_s']:.2f} / {d['compare_s']:.2f}" if "validate_s" in d else "-"
        wrows.append(
            [
                f"{work.n:,}",
                work.phase,
                f"{work.seconds:.2f}",
                f"{work.previous_s:.2f}",
                f"{work.previous_s / work.seconds:.1f}x faster",
                f"{work.peak_mb:.0f}",
                f"{work.previous_peak_mb:.0f}",
                f"{target}< {WORK_TARGET_MB:g} MB",
                "yes" if work.met else "NO",
                split,
            ]
        )
    lines.append(table(wrows))
    lines.append(
        "(cold: every file parsed and checked, every body compared; warm: files and bodies\n"
        " from the local cache, as a plan after the first one; validate: `campsync validate`\n"
        " in-process in a child, no cache. Peak MB: the process's peak resident memory plus\n"
        " the largest validation worker's, if any. Each run is a fresh child process.)"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="campaigns (default 1000)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="per request (20)")
    parser.add_argument("--parallelism", type=int, default=10, help="requests in flight (10)")
    parser.add_argument("--work-n", type=int, default=WORK_N, help="work-only size (10000)")
    parser.add_argument("--accounts", type=int, default=3, help="many accounts: E (3; 0: none)")
    parser.add_argument("--accounts-n", type=int, default=200, help="campaigns per account (200)")
    parser.add_argument(
        "--accounts-rate", type=int, default=0, help="requests/min per account (0: no limit)"
    )
    parser.add_argument("--accounts-only", action="store_true", help="only the many accounts")
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"))
    parser.add_argument("--work-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--validate-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--previous", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.work_child is not None:
        work_child(args.work_child, args.previous)
        return 0
    if args.validate_child is not None:
        validate_child(args.validate_child, args.previous)
        return 0
    if args.n < 1 or args.parallelism < 1 or args.latency_ms < 0:
        parser.error("--n and --parallelism must be at least 1, --latency-ms 0 or more")
    if args.accounts < 0 or args.accounts_n < 1 or args.accounts_rate < 0:
        parser.error("--accounts and --accounts-rate must be 0 or more, --accounts-n at least 1")

    out = args.out.resolve()
    cwd = Path.cwd()
    runs: list[Run] = []
    works: list[Work] = []
    many: list[accounts.AccountsRun] = []
    rss_kb = 0
    with tempfile.TemporaryDirectory(prefix="campsync-bench-") as scratch:
        scratch_path = Path(scratch)
        if not args.accounts_only:
            runs, rss_kb = end_to_end(args, scratch_path / "e2e")
            os.chdir(cwd)
            sizes = sorted({1_000, args.n, args.work_n})
            works = [w for size in sizes for w in work_runs(size, scratch_path)]
        if args.accounts > 0:
            many = accounts.run_accounts(
                scratch_path / "accounts",
                count=args.accounts,
                n=args.accounts_n,
                latency_ms=args.latency_ms,
                rate_limit=args.accounts_rate,
                parallelism=args.parallelism,
                flows=FLOWS,
                body=body,
                file_text=file_text,
                quiet=quiet,
            )
    texts = [report(args, runs, works, rss_kb / 1024)] if runs else []
    if many:
        shape = {
            "count": args.accounts,
            "n": args.accounts_n,
            "latency_ms": args.latency_ms,
            "rate_limit": args.accounts_rate,
        }
        texts.append(accounts.heading(**shape) + "\n\n" + table(accounts.report(many)))
    print("\n\n".join(texts))
    document = {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": [
            {**asdict(r), "at_platform_rate_s": r.at_platform_rate_s, "target_met": r.target_met}
            for r in runs
        ],
        "work": [{**asdict(w), "met": w.met} for w in works],
        "accounts": [run.to_json() for run in many],
        "bench_peak_mb": rss_kb / 1024,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {out}")
    failed = [r.name for r in runs[1:] if r.target_met is False or r.exit_code not in (0, 2)]
    failed += [f"{w.phase} {w.n}" for w in works if not w.met]
    failed += [f"many accounts: {run.name}" for run in many if not run.ok]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
