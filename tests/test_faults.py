"""Faults end to end: `campsync apply` through `campsync.cli.main` against the emulator with
its fault options on (5xx, dropped connections, writes applied but their answer lost, 429s).

The client's backoff and rate-limit window are shortened by replacing the two classes built
by default (`RetryPolicy()` by the client, `SlidingWindowLimiter(settings.rate_limit)` by
the engine's `shared_limiter`) with the same classes given tiny timings: everything else,
HTTP included, is real.
"""

from __future__ import annotations

import collections
import functools
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import campsync.kore.client as client_module
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.kore.ratelimit import SlidingWindowLimiter
from campsync.kore.retry import RetryPolicy
from campsync.sync.cache import sent as sent_module
from tests.fixtures_emulator import campaign_body, emulator_test_config, seed_ready
from tests.fixtures_workspace import Workspace
from tests.test_kore_ratelimit import most_in_any_window

UPDATES = 25
CREATES = 5
FAULTS = {"fail_rate": 0.2, "drop_rate": 0.05, "lost_write_rate": 0.1}


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's default RetryPolicy, with millisecond backoff (same retry count)."""
    monkeypatch.setattr(
        client_module, "RetryPolicy", functools.partial(RetryPolicy, base=0.002, cap=0.02)
    )


def set_faults(running: RunningEmulator, **faults: float) -> None:
    """Through the emulator's admin route, as a user's pipeline test would."""
    request = urllib.request.Request(
        running.url + "/_emulator/faults",
        data=json.dumps(faults).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


def point_at(running: RunningEmulator, monkeypatch: pytest.MonkeyPatch, rate: int) -> None:
    config = running.config
    monkeypatch.setenv("KORE_HOST", running.url)
    monkeypatch.setenv("KORE_STREAM_ID", config.stream_id)
    monkeypatch.setenv("KORE_ACCOUNT_ID", config.account_id)
    monkeypatch.setenv("KORE_CLIENT_ID", config.client_id)
    monkeypatch.setenv("KORE_CLIENT_SECRET", config.client_secret)
    monkeypatch.setenv("CAMPSYNC_RATE_LIMIT", str(rate))
    monkeypatch.delenv("KORE_JWT", raising=False)


def pace_campsync(monkeypatch: pytest.MonkeyPatch, limit: int, window: float) -> None:
    """campsync's limit (CAMPSYNC_RATE_LIMIT), and its window scaled down as the emulator's
    (the limiter the engine builds, through sync.cache.sent)."""
    monkeypatch.setenv("CAMPSYNC_RATE_LIMIT", str(limit))
    monkeypatch.setattr(
        sent_module, "SlidingWindowLimiter", functools.partial(SlidingWindowLimiter, window=window)
    )


@pytest.fixture
def workspace(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Workspace]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    with start_in_thread(emulator_test_config(**overrides)) as running:
        point_at(running, monkeypatch, rate=100_000)
        monkeypatch.chdir(tmp_path)
        fast_retries(monkeypatch)
        yield Workspace(tmp_path, running, capsys)


def names_on_platform(ws: Workspace) -> collections.Counter[str]:
    return collections.Counter(r["name"].casefold() for r in ws.store.raw_campaigns())


def assert_converged(ws: Workspace, expected_names: set[str]) -> None:
    """One campaign per name, and a plan with faults off has nothing to do."""
    counts = names_on_platform(ws)
    assert set(counts) == {n.casefold() for n in expected_names}
    assert max(counts.values()) == 1, counts
    ws.wait_ready()
    result = ws.cli("plan", "--json", "--detailed-exitcode")
    assert result.code == 0, result.out + result.err
    assert json.loads(result.out)["changes"] == []


# --- 5xx, drops and lost writes -----------------------------------------------------------


@pytest.mark.parametrize("workspace", [{"random_seed": 7}], indirect=True)
def test_apply_converges_in_one_run_under_faults_without_duplicates(workspace: Workspace) -> None:
    ws = workspace
    names = {f"Fault {n:02d}" for n in range(UPDATES + CREATES)}
    updated = sorted(names)[:UPDATES]
    seed_ready(ws.emulator, *(campaign_body(n) for n in updated))
    for name in sorted(names):
        ws.write(
            f"{name.lower().replace(' ', '-')}.yaml",
            campaign_body(name, description="Changed under faults."),
        )
    set_faults(ws.emulator, **FAULTS)

    # --force: every campaign is updated, far above the safety threshold (not the point here)
    result = ws.cli("apply", "--auto-approve", "--force")

    set_faults(ws.emulator, fail_rate=0, drop_rate=0, lost_write_rate=0)
    assert result.code == 0, result.out + result.err
    assert f"Apply complete: {UPDATES + CREATES} applied." in result.out
    by_status = ws.store.stats()["by_status"]
    # The faults really happened: answers lost after the write, 5xx and plain drops.
    assert by_status.get("dropped", 0) >= 3, by_status
    assert sum(by_status.get(s, 0) for s in ("500", "502", "503")) >= 5, by_status
    assert_converged(ws, names)


# --- the rate limit, retries included ------------------------------------------------------

CLIENT_LIMIT = 6
WINDOW = 0.5


@pytest.mark.parametrize(
    "workspace", [{"rate_limit": 4, "rate_window": WINDOW, "random_seed": 3}], indirect=True
)
def test_429s_are_waited_out_and_no_window_holds_more_than_the_limit(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace
    # The client's limit (CAMPSYNC_RATE_LIMIT) is above the emulator's: 429s are provoked.
    pace_campsync(monkeypatch, CLIENT_LIMIT, WINDOW)
    names = {f"Paced {n}" for n in range(8)}
    seed_ready(ws.emulator, *(campaign_body(n) for n in sorted(names)))
    for name in sorted(names):
        ws.write(
            f"{name.lower().replace(' ', '-')}.yaml",
            campaign_body(name, description="Changed within the limit."),
        )
    # A little 5xx too: retries must come out of the same budget.
    set_faults(ws.emulator, fail_rate=0.1)

    result = ws.cli("apply", "--auto-approve")

    assert result.code == 0, result.out + result.err
    log = ws.store.requests()
    statuses = collections.Counter(entry["status"] for entry in log)
    assert statuses[429] >= 1, statuses  # the emulator did refuse some
    busiest = most_in_any_window([entry["time"] for entry in log], WINDOW)
    assert busiest <= CLIENT_LIMIT, (busiest, statuses)
    set_faults(ws.emulator, fail_rate=0)
    monkeypatch.setenv("CAMPSYNC_RATE_LIMIT", "100000")
    assert_converged(ws, names)


# --- starts and stops under faults (issue 20) ---------------------------------------------


@pytest.mark.parametrize("workspace", [{"random_seed": 11}], indirect=True)
def test_starts_and_stops_under_faults_are_never_re_sent_blindly(workspace: Workspace) -> None:
    """A trigger whose answer is lost (applied, then the connection dropped) or failed (5xx)
    is looked at before it is sent again: a second play of a started campaign would be
    refused (400), so no trigger is ever refused, and each campaign ends as its file says."""
    ws = workspace
    starts = [f"Start {n}" for n in range(8)]
    stops = [f"Stop {n}" for n in range(8)]
    names = starts + stops
    ids = dict(zip(names, seed_ready(ws.emulator, *map(campaign_body, names)), strict=True))
    for name in stops:
        ws.store.set_status(ids[name], "Active")
    for name in names:
        state = "running" if name in starts else "stopped"
        ws.write(f"{name.lower().replace(' ', '-')}.yaml", {**campaign_body(name), "state": state})
    ws.store.reset_stats()
    set_faults(ws.emulator, fail_rate=0.2, lost_write_rate=0.4)

    result = ws.cli("apply", "--auto-approve", "--force")

    set_faults(ws.emulator, fail_rate=0, lost_write_rate=0)
    assert result.code == 0, result.out + result.err
    assert "Apply complete: 16 applied." in result.out
    triggers = [entry for entry in ws.store.requests() if entry["kind"] == "trigger"]
    outcomes = collections.Counter(entry["status"] for entry in triggers)
    assert outcomes[400] == 0, outcomes  # never a blind second play or stop
    assert outcomes[None] >= 2, outcomes  # answers were lost (dropped after the write)
    assert sum(outcomes[code] for code in (500, 502, 503)) >= 2, outcomes
    assert all(ws.stored(ids[name])["status"] == "Active" for name in starts)
    assert all(ws.stored(ids[name])["status"] == "Stopped" for name in stops)
