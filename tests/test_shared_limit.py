"""The rate limit across runs, end to end: a `pull`, then a `plan`, then an `apply` in quick
succession against one account never send more than the limit together in any window, nor
do two environments on one account planned at once (`plan --env all`), as the emulator's
request log shows. The window is scaled down (the emulator's and campsync's
alike, campsync's by giving the limiter the engine builds a shorter one); HTTP is real."""

from __future__ import annotations

import asyncio
import collections
import json

import pytest

from campsync.config.job import Job
from campsync.config.settings import load_settings
from campsync.sync.engine import AccountLimiters, Plan, Sync
from tests.fixtures_emulator import campaign_body, flows_config
from tests.fixtures_workspace import Workspace
from tests.test_faults import pace_campsync, workspace
from tests.test_kore_ratelimit import most_in_any_window

__all__ = ["workspace"]  # the fixture, shared with the fault tests

LIMIT = 4
WINDOW = 0.6  # seconds


@pytest.mark.parametrize("workspace", [{"rate_limit": LIMIT, "rate_window": WINDOW}], indirect=True)
def test_a_pull_then_a_plan_then_an_apply_never_exceed_the_limit_together(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace
    pace_campsync(monkeypatch, LIMIT, WINDOW)
    ws.config(flows_config())
    names = [f"Shared {n}" for n in range(3)]
    ws.seed(*(campaign_body(name) for name in names))

    pulled = ws.cli("pull")  # the list and three reads: the whole budget
    # right after it, as many (--refresh: the pull left the bodies in the cache)
    planned = ws.cli("plan", "--json", "--detailed-exitcode", "--refresh")
    edited = next(ws.campaigns.glob("*.yaml"))
    edited.write_text(edited.read_text().replace("spring", "summer"), encoding="utf-8")
    applied = ws.cli("apply", "--auto-approve")

    assert pulled.code == 0, pulled.err
    assert planned.code == 0, planned.err
    assert json.loads(planned.out)["summary"]["unchanged"] == 3
    assert applied.code == 0, applied.err
    assert "Apply complete: 1 applied." in applied.out
    log = ws.store.requests()
    statuses = collections.Counter(entry["status"] for entry in log)
    assert len(log) > 2 * LIMIT  # more than two windows' worth, in three runs
    assert statuses == {200: len(log)}  # the platform never had to refuse one (429)
    assert most_in_any_window([entry["time"] for entry in log], WINDOW) <= LIMIT
    assert "warning" not in pulled.err + planned.err + applied.err


@pytest.mark.parametrize("workspace", [{"rate_limit": LIMIT, "rate_window": WINDOW}], indirect=True)
def test_two_syncs_on_one_account_at_once_share_one_limiter(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many accounts in one run: a Sync per environment, run together in one event loop. Two
    on one account take their places from one limiter (AccountLimiters), so that together
    they stay within the account's limit; each with its own, they would each spend it whole
    and meet the platform's 429."""
    ws = workspace
    three_alike(ws, monkeypatch, flows_config())
    jobs = [Job.of(load_settings(cache_dir=ws.root / folder)) for folder in ("a", "b")]
    limiters = AccountLimiters()

    async def both() -> list[Plan]:
        syncs = [Sync(job, limiters=limiters) for job in jobs]
        files = [sync.read_files(ws.campaigns) for sync in syncs]
        plans = await asyncio.gather(*(sync.plan(f) for sync, f in zip(syncs, files, strict=True)))
        assert [sync.finish() for sync in syncs] == [[], []]
        return list(plans)

    plans = asyncio.run(both())

    assert [plan.unchanged for plan in plans] == [3, 3]
    assert_two_cold_plans_within_the_limit(ws)


@pytest.mark.parametrize("workspace", [{"rate_limit": LIMIT, "rate_window": WINDOW}], indirect=True)
def test_two_environments_on_one_account_share_its_limit(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`plan --env all` with two environments on one account: their syncs take their places
    from one limiter, as above, from the command line."""
    ws = workspace
    # Both environments on the one account of the KORE_* variables (which win over the file).
    three_alike(ws, monkeypatch, flows_config() + "environments:\n  east: {}\n  west: {}\n")

    result = ws.cli("plan", "--env", "all", "--json", "--refresh")
    assert result.code == 0, result.err
    plans = json.loads(result.out)["environments"]
    assert [plans[name]["summary"]["unchanged"] for name in ("east", "west")] == [3, 3]
    assert_two_cold_plans_within_the_limit(ws)


def three_alike(ws: Workspace, monkeypatch: pytest.MonkeyPatch, config: str) -> None:
    """campsync paced at LIMIT per WINDOW, campsync.yaml `config`, and three campaigns on the
    platform that their files describe as they are."""
    pace_campsync(monkeypatch, LIMIT, WINDOW)
    ws.config(config)
    names = [f"Shared {n}" for n in range(3)]
    ws.seed(*(campaign_body(name) for name in names))
    for n, name in enumerate(names):
        ws.write(f"shared{n}.yaml", campaign_body(name))


def assert_two_cold_plans_within_the_limit(ws: Workspace) -> None:
    """Two plans of the three campaigns, from cold caches, together within the limit: no
    429, never more than LIMIT requests in any window."""
    log = ws.store.requests()
    assert len(log) == 2 * (1 + 3)  # each: the list, then the three campaigns
    assert collections.Counter(entry["status"] for entry in log) == {200: len(log)}
    assert most_in_any_window([entry["time"] for entry in log], WINDOW) <= LIMIT
