"""`plan --env all` with two environments on one account: their syncs take their places from
one limiter, so that together they stay within the account's limit (the emulator's request
log shows no 429 and never more than the limit in any window). Windows scaled down, as in
tests/test_shared_limit.py; HTTP is real."""

from __future__ import annotations

import collections
import json

import pytest

from tests.fixtures_emulator import campaign_body, flows_config
from tests.fixtures_workspace import Workspace
from tests.test_faults import pace_campsync, workspace
from tests.test_kore_ratelimit import most_in_any_window

__all__ = ["workspace"]  # the fixture, shared with the fault tests

LIMIT = 4
WINDOW = 0.6  # seconds


@pytest.mark.parametrize("workspace", [{"rate_limit": LIMIT, "rate_window": WINDOW}], indirect=True)
def test_two_environments_on_one_account_share_its_limit(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace
    pace_campsync(monkeypatch, LIMIT, WINDOW)
    # Both environments on the one account of the KORE_* variables (which win over the file).
    ws.config(flows_config() + "environments:\n  east: {}\n  west: {}\n")
    names = [f"Shared {n}" for n in range(3)]
    ws.seed(*(campaign_body(name) for name in names))
    for n, name in enumerate(names):
        ws.write(f"shared{n}.yaml", campaign_body(name))

    result = ws.cli("plan", "--env", "all", "--json", "--refresh")
    assert result.code == 0, result.err
    plans = json.loads(result.out)["environments"]
    assert [plans[name]["summary"]["unchanged"] for name in ("east", "west")] == [3, 3]
    log = ws.store.requests()
    assert len(log) == 2 * (1 + 3)  # each: the list, then the three campaigns
    assert collections.Counter(entry["status"] for entry in log) == {200: len(log)}
    assert most_in_any_window([entry["time"] for entry in log], WINDOW) <= LIMIT
