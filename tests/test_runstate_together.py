"""Run state where it meets the rest of v0.3 (issues 20 to 23), end to end against the
emulator, the writes counted from its request log: a create or update that the reference
check blocks takes its campaign's start with it (and a restart's stop); `apply --json` lists
each start and stop with its outcome (a step after a failed one not sent; a trigger whose
answer was lost looked at, or unknown, never sent twice); `plan --since` plans the starts
and stops of the campaigns it compares on the list; a saved plan carries both the
names checked and the statuses planned against, and `show` prints its starts and stops and
its refusal; starts in several accounts at once, one section each, and the waits for Ready
of two environments on one account paced by that account's one limiter."""

from __future__ import annotations

import collections
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from campsync.kore import RetryPolicy
from campsync.kore import client as client_module
from tests.fixtures_accounts import BOTH, Accounts, converge
from tests.fixtures_emulator import campaign_body, flows_config, progressive_body
from tests.fixtures_workspace import Workspace
from tests.git_repos import git
from tests.test_faults import fast_retries, pace_campsync, set_faults, workspace
from tests.test_kore_ratelimit import most_in_any_window
from tests.test_plan_since import repo
from tests.test_references_plan import forbid_queues
from tests.test_runstate_apply import actions, described, seeded, status_of, writes

# The fixtures of the fault tests (an emulator with its own settings) and of plan --since (a
# git repository of campaigns in sync).
__all__ = ["repo", "workspace"]

RUN_CALLS = ("trigger", "status")
LOST = "its answer was lost: the outcome is unknown (plan again to see)"


@pytest.fixture
def flows(ws: Workspace) -> Workspace:
    """campsync.yaml maps the emulator's flows: no plan warns that a flow is not comparable."""
    ws.config(flows_config())
    return ws


def active_progressive(ws: Workspace, name: str) -> str:
    """A Progressive campaign (it names a queue) on the emulator, Active."""
    (campaign_id,) = ws.seed(progressive_body(name))
    ws.store.set_status(campaign_id, "Active")
    ws.store.reset_stats()
    return campaign_id


def running_with_queue(ws: Workspace, name: str, campaign_id: str, queue: str) -> None:
    """The Progressive campaign's file: `state: running`, and its queue changed to `queue`."""
    body = progressive_body(name, queue_name=queue)
    ws.write(f"{name.lower()}.yaml", {"id": campaign_id, **body, "state": "running"})


def results(out: str) -> list[tuple[str, str, str]]:
    """apply --json's stdout: each change as (action, name, outcome)."""
    document: dict[str, Any] = json.loads(out)
    return [(r["action"], r["name"], r["outcome"]) for r in document["results"]]


# ---- references: a blocked create or update takes its start with it ---------------------


def test_a_create_or_update_blocked_for_a_missing_name_is_not_started(flows: Workspace) -> None:
    ws = flows
    cid = seeded(ws, "Spring", "Stopped")
    described(ws, "Spring", cid, "running", contactLists=["Q4 Renewal"])  # the list is Renewals
    described(ws, "Fresh", None, "running", dncLists={"name": "Global DNK"})

    plan = ws.plan_json()

    assert actions(plan) == [("blocked", "Fresh"), ("blocked", "Spring")]
    assert (plan["summary"]["start"], plan["summary"]["create"], plan["summary"]["update"]) == (
        0,
        0,
        0,
    )
    reasons = {c["name"]: c["reason"] for c in plan["changes"]}
    assert "contactLists[0]: no contact list 'Q4 Renewal'" in reasons["Spring"]
    assert "dncLists.name: no contact list 'Global DNK'" in reasons["Fresh"]

    result = ws.cli("apply", "--auto-approve", "--json")

    assert result.code == 1
    assert results(result.out) == [
        ("blocked", "Fresh", "blocked"),
        ("blocked", "Spring", "blocked"),
    ]
    assert writes(ws) == []  # no create, no update, and no start of either
    assert status_of(ws, cid) == "Stopped"


def test_a_blocked_restart_stops_nothing_and_a_stop_the_file_asks_for_stays(
    flows: Workspace,
) -> None:
    ws = flows
    busy = active_progressive(ws, "Busy")
    halt = seeded(ws, "Halt", "Active")
    running_with_queue(ws, "Busy", busy, "Collections Queu")  # a typo
    described(ws, "Halt", halt, "stopped", contactLists=["Q4 Renewal"])

    plan = ws.plan_json("--restart")

    # Busy's restart would be stop, update, start: with its update blocked, neither the stop
    # (which was only for the edit) nor the start is planned. Halt's file asks for the stop.
    assert actions(plan) == [("stop", "Halt"), ("blocked", "Busy"), ("blocked", "Halt")]
    reasons = {c["name"]: c["reason"] for c in plan["changes"] if c["action"] == "blocked"}
    assert "queue_name: no queue 'Collections Queu'" in reasons["Busy"]

    result = ws.cli("apply", "--auto-approve", "--restart")

    assert result.code == 1
    assert writes(ws) == [("stop", halt)]
    assert (status_of(ws, busy), status_of(ws, halt)) == ("Active", "Stopped")


# ---- apply --json: each start and stop with its outcome ---------------------------------


def test_apply_json_lists_each_step_and_one_after_a_failed_step_as_not_sent(
    flows: Workspace,
) -> None:
    ws = flows
    busy = active_progressive(ws, "Busy")
    other = seeded(ws, "Other", "Ready")
    # The queues can't be read (a warning: not checked), so the update naming a queue the
    # account lacks is sent, and refused: the start after it is not sent.
    forbid_queues(ws.emulator)
    running_with_queue(ws, "Busy", busy, "No Such Queue")
    described(ws, "Other", other, "running")

    result = ws.cli("apply", "--auto-approve", "--restart", "--json")

    assert result.code == 1
    document = json.loads(result.out)
    assert results(result.out) == [
        ("stop", "Busy", "applied"),
        ("update", "Busy", "failed"),
        ("start", "Busy", "not sent"),
        ("start", "Other", "applied"),
    ]
    reasons = [r.get("reason") for r in document["results"]]
    assert reasons[1] is not None and reasons[1].startswith("queue not found")
    assert reasons[2] == "the update before it failed"
    assert [r["id"] for r in document["results"]] == [busy, busy, busy, other]
    assert document["summary"] == {
        "applied": 2,
        "failed": 1,
        "blocked": 0,
        "not sent": 1,
        "unknown": 0,
    }
    assert sorted(writes(ws)) == sorted([("stop", busy), ("update", busy), ("start", other)])
    assert (status_of(ws, busy), status_of(ws, other)) == ("Stopped", "Active")
    assert 'not sent: start "Busy": the update before it failed' in result.err  # the reader's


def test_a_start_whose_answer_was_lost_is_looked_at_and_never_sent_twice(
    flows: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = flows
    fast_retries(monkeypatch)
    cid = seeded(ws, "Spring", "Ready")
    described(ws, "Spring", cid, "running")
    set_faults(ws.emulator, lost_write_rate=1.0)  # every write made, and its answer dropped
    try:
        result = ws.cli("apply", "--auto-approve", "--json")
    finally:
        set_faults(ws.emulator, lost_write_rate=0)

    assert result.code == 0, result.err
    assert results(result.out) == [("start", "Spring", "applied")]
    log = [(e["kind"], e["status"]) for e in ws.store.requests() if e["kind"] in RUN_CALLS]
    assert log == [("trigger", None), ("status", 200)]  # dropped; the status said Active
    assert status_of(ws, cid) == "Active"


def test_a_start_whose_answer_stays_lost_has_an_unknown_outcome(
    flows: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = flows
    # No retry at all: the client can't look whether the lost start took effect.
    once = functools.partial(RetryPolicy, base=0.002, cap=0.02, max_retries=0)
    monkeypatch.setattr(client_module, "RetryPolicy", once)
    cid = seeded(ws, "Spring", "Ready")
    described(ws, "Spring", cid, "running")
    set_faults(ws.emulator, lost_write_rate=1.0)
    try:
        result = ws.cli("apply", "--auto-approve", "--json")
    finally:
        set_faults(ws.emulator, lost_write_rate=0)

    assert result.code == 1
    document = json.loads(result.out)
    assert results(result.out) == [("start", "Spring", "unknown")]
    assert document["results"][0]["reason"].endswith(LOST)
    assert document["summary"]["unknown"] == 1
    assert writes(ws) == [("start", cid)]  # sent once
    assert status_of(ws, cid) == "Active"  # it was made: the next plan has nothing to do
    assert ws.cli("plan", "--detailed-exitcode").code == 0


# ---- plan --since ------------------------------------------------------------------------


def test_since_plans_the_starts_and_stops_of_campaigns_compared_on_the_list(
    ws: Workspace, repo: list[str]
) -> None:
    """A campaign compared on what the list returns has no edits, but its `state` is still
    compared with the listed status, at no request more."""
    for i, state in ((0, "running"), (1, "stopped")):
        body = {"id": repo[i], **campaign_body(f"Campaign {i}"), "state": state}
        ws.write(f"c{i}.yaml", body)
    git(ws.root, "commit", "-q", "-am", "states")
    git(ws.root, "tag", "states")
    assert ws.cli("plan").code == 0  # the cache knows every campaign as it is now
    ws.store.set_status(repo[1], "Active")  # someone starts Campaign 1 (updatedAt moves)
    ws.store.reset_stats()

    document = ws.plan_json("--since", "states")

    assert actions(document) == [("stop", "Campaign 1"), ("start", "Campaign 0")]
    assert [each["name"] for each in document["compared_in_full"]] == ["Campaign 1"]
    assert document["compared_on_list"] == len(repo) - 1  # Campaign 0 among them
    assert not any(e["kind"] == "get" for e in ws.requests_about(repo[0]))
    assert document["summary"]["unchanged"] == len(repo) - 2


# ---- saved plans and show ----------------------------------------------------------------


def test_a_saved_plan_keeps_the_names_checked_and_the_statuses_and_show_prints_them(
    ws: Workspace,
) -> None:
    ws.config(flows_config() + "safety:\n  maxUpdatePercent: 10\n  minExisting: 1\n")
    go = seeded(ws, "Go", "Ready")
    described(ws, "Go", go, "running")
    halt = seeded(ws, "Halt", "Active")
    described(ws, "Halt", halt, "stopped")
    typo = seeded(ws, "Typo", "Stopped")
    described(ws, "Typo", typo, "running", contactLists=["Q4 Renewal"])

    made = ws.cli("plan", "--out", "p.json")

    assert made.code == 0, made.err
    saved = json.loads(Path("p.json").read_text(encoding="utf-8"))
    assert saved["campsync"]["references"] == {
        "contactLists": "checked",
        "queues": "not needed: no create or update names one",
    }
    planned = {
        (c["action"], c["name"]): c["campsync"]["status"]
        for c in saved["changes"]
        if c["action"] in ("start", "stop")
    }
    assert planned == {("stop", "Halt"): "Active", ("start", "Go"): "Ready"}  # Typo's start went
    assert saved["refusal"]["reasons"] == ["updates 2 of 3 campaigns (67%) > maxUpdatePercent 10"]

    shown = ws.cli("show", "p.json")
    assert shown.code == 0, shown.err
    assert shown.out.startswith("apply will refuse this plan without --force:\n")
    assert f'< stop "Halt" ({halt}) campaigns/halt.yaml\n' in shown.out
    assert f'> start "Go" ({go}) campaigns/go.yaml\n' in shown.out
    assert "Plan: 1 to stop, 1 to start, 1 blocked, 0 unchanged." in shown.out
    markdown = ws.cli("show", "p.json", "--format", "markdown")
    assert markdown.out.startswith("### campsync plan: 1 to stop, 1 to start, 1 blocked")
    assert "| \\> | start | Go |" in markdown.out
    as_json = json.loads(ws.cli("show", "p.json", "--json").out)
    assert (as_json["summary"]["start"], as_json["summary"]["stop"]) == (1, 1)

    ws.store.reset_stats()
    applied = ws.cli("apply", "p.json", "--force")

    assert applied.code == 1  # Typo is blocked
    assert sorted(writes(ws)) == sorted([("start", go), ("stop", halt)])
    assert ws.store.stats()["by_kind"].get("contactLists", 0) == 0  # not read again
    assert (status_of(ws, go), status_of(ws, halt), status_of(ws, typo)) == (
        "Active",
        "Stopped",
        "Stopped",
    )


# ---- many accounts -----------------------------------------------------------------------


def test_starts_in_several_accounts_at_once_one_section_and_one_result_each(
    accounts: Accounts,
) -> None:
    converge(accounts)
    accounts.write("Spring Renewals", state="running")

    plans = json.loads(accounts.cli("plan", "--env", "all", "--json").out)["environments"]
    for environment in BOTH:
        summary = plans[environment]["summary"]
        assert (summary["start"], summary["stop"], summary["update"]) == (1, 0, 0)
    text = accounts.cli("plan", "--env", "all").out
    assert text.count("Plan: 1 to start, 2 unchanged.") == 2
    assert text.count('> start "Spring Renewals"') == 2

    applied = accounts.cli("apply", "--env", "all", "--auto-approve", "--json")

    assert applied.code == 0, applied.err
    document = json.loads(applied.out)["environments"]
    for environment in BOTH:
        outcome = document[environment]
        assert [(r["action"], r["outcome"]) for r in outcome["results"]] == [("start", "applied")]
        assert outcome["summary"]["applied"] == 1
        assert accounts.stored(environment)["Spring Renewals"]["status"] == "Active"
        by_kind = accounts.by_name[environment].store.stats()["by_kind"]
        assert by_kind["trigger"] == 1  # each account started its own


LIMIT = 4
WINDOW = 0.6  # seconds: the emulator's and campsync's window scaled down (test_shared_limit)


@pytest.mark.parametrize("workspace", [{"rate_limit": LIMIT, "rate_window": WINDOW}], indirect=True)
def test_waits_for_ready_of_two_environments_on_one_account_share_its_limit(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both environments create three campaigns each and start them once Ready: every status
    call and trigger takes its place from the account's one limiter (no 429, never more than
    the limit in any window)."""
    ws = workspace
    pace_campsync(monkeypatch, LIMIT, WINDOW)
    ws.config(
        flows_config() + "environments:\n"
        '  east: {campaigns: ["east/*.yaml"]}\n'
        '  west: {campaigns: ["west/*.yaml"]}\n'
    )
    for environment in ("east", "west"):
        for n in range(3):
            body = {**campaign_body(f"{environment} {n}"), "state": "running"}
            ws.write(f"{environment}/{n}.yaml", body)

    result = ws.cli("apply", "--env", "all", "--auto-approve", "--json")

    assert result.code == 0, result.err
    document = json.loads(result.out)["environments"]
    for environment in ("east", "west"):
        assert collections.Counter(r["action"] for r in document[environment]["results"]) == {
            "create": 3,
            "start": 3,
        }
        assert document[environment]["summary"]["applied"] == 6
    log = ws.store.requests()
    kinds = collections.Counter(entry["kind"] for entry in log)
    assert kinds["trigger"] == 6 and kinds["status"] >= 6
    assert collections.Counter(entry["status"] for entry in log) == {200: len(log)}
    assert most_in_any_window([entry["time"] for entry in log], WINDOW) <= LIMIT
    assert {r["status"] for r in ws.store.raw_campaigns()} == {"Active"}
