"""A campaign's run state end to end (issue 20, contract "Version 0.3 > Run state"): plan and
apply against the emulator, the writes counted, in order, from its request log. Start on
apply, stop, stop-update-start with --restart, blocked without it, create-then-start once
Ready, the --wait limit running out (then the next apply starts it), a saved plan refused once
someone started the campaign, and every cell of the contract's table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from campsync.cli import main
from campsync.sync.runstate import REASON_ACTIVE, REASON_PREPARING
from tests.fixtures_emulator import campaign_body, flows_config, progressive_body
from tests.fixtures_workspace import Workspace
from tests.test_references_plan import forbid_queues

TRIGGERS = {"play": "start", "stop": "stop"}


@pytest.fixture(autouse=True)
def flows(ws: Workspace) -> None:
    """campsync.yaml maps the emulator's flows: no plan warns that a flow is not comparable."""
    ws.config(flows_config())


def seeded(ws: Workspace, name: str, status: str) -> str:
    """A campaign on the emulator in `status` (Preparing set so stays Preparing)."""
    (campaign_id,) = ws.seed(campaign_body(name))
    ws.store.set_status(campaign_id, status)
    ws.store.reset_stats()
    return campaign_id


def described(
    ws: Workspace, name: str, campaign_id: str | None, state: str | None, **edits: Any
) -> None:
    """The campaign's file: its id, its state (None: none), and `edits` to its fields."""
    data = campaign_body(name, **edits)
    if campaign_id is not None:
        data = {"id": campaign_id, **data}
    if state is not None:
        data["state"] = state
    ws.write(f"{name.lower().replace(' ', '-')}.yaml", data)


def writes(ws: Workspace) -> list[tuple[str, str | None]]:
    """The writes the emulator received, in order: (what, campaign id); a trigger as start or
    stop, a create with no id."""
    found = []
    for entry in ws.store.requests():
        kind = entry["kind"]
        if kind == "trigger":
            kind = TRIGGERS[entry["query"]["trigger"]]
        if kind in ("create", "update", "delete", "start", "stop"):
            found.append((kind, entry.get("campaignId")))
    return found


def status_of(ws: Workspace, campaign_id: str) -> str:
    return str(ws.stored(campaign_id)["status"])


def actions(plan: dict[str, Any]) -> list[tuple[str, str]]:
    return [(change["action"], change["name"]) for change in plan["changes"]]


# ---- the cases the issue names ------------------------------------------------------


def test_start_on_apply(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Ready")
    described(ws, "Spring", cid, "running")
    plan = ws.plan_json()
    assert actions(plan) == [("start", "Spring")]
    assert plan["changes"][0]["diff"] == [{"path": "status", "before": "Ready", "after": "Active"}]
    assert (plan["summary"]["start"], plan["summary"]["stop"]) == (1, 0)

    result = ws.cli("apply", "--auto-approve")

    assert result.code == 0, result.out + result.err
    assert 'applied: start "Spring"' in result.out
    assert writes(ws) == [("start", cid)]
    assert status_of(ws, cid) == "Active"
    assert ws.cli("plan", "--detailed-exitcode").code == 0  # Active and running: nothing


def test_stop_on_apply(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Active")
    described(ws, "Spring", cid, "stopped")
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 0, result.out + result.err
    assert writes(ws) == [("stop", cid)]
    assert status_of(ws, cid) == "Stopped"
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_an_active_campaign_with_edits_is_blocked_naming_both_ways_out(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Active")
    described(ws, "Spring", cid, "running", priority=5)
    plan = ws.plan_json()
    assert actions(plan) == [("blocked", "Spring")]
    assert plan["changes"][0]["reason"] == REASON_ACTIVE
    assert "state: stopped" in REASON_ACTIVE and "--restart" in REASON_ACTIVE

    result = ws.cli("apply", "--auto-approve")

    assert result.code == 1
    assert f'blocked: "Spring": {REASON_ACTIVE}' in result.out
    assert writes(ws) == []
    assert status_of(ws, cid) == "Active"


def test_restart_stops_updates_and_starts_in_that_order(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Active")
    other = seeded(ws, "Autumn", "Ready")
    described(ws, "Spring", cid, None, priority=5)  # no state: the restart keeps it running
    described(ws, "Autumn", other, None, priority=4)
    plan = ws.plan_json("--restart")
    # Every stop first, then every update, then every start: one campaign's in apply order.
    assert actions(plan) == [
        ("stop", "Spring"),
        ("update", "Autumn"),
        ("update", "Spring"),
        ("start", "Spring"),
    ]
    text = ws.cli("plan", "--restart")
    assert '< stop "Spring"' in text.out and "(restart)" in text.out
    assert "Plan: 1 to stop, 2 to update, 1 to start (1 restart), 0 unchanged." in text.out

    result = ws.cli("apply", "--auto-approve", "--restart")

    assert result.code == 0, result.out + result.err
    assert [w for w in writes(ws) if w[1] == cid] == [
        ("stop", cid),
        ("update", cid),
        ("start", cid),
    ]
    assert ws.stored(cid)["priority"] == "5"
    assert status_of(ws, cid) == "Active"
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_state_stopped_stops_then_updates(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Active")
    described(ws, "Spring", cid, "stopped", priority=5)
    assert actions(ws.plan_json()) == [("stop", "Spring"), ("update", "Spring")]
    assert ws.cli("apply", "--auto-approve").code == 0
    assert writes(ws) == [("stop", cid), ("update", cid)]
    assert (status_of(ws, cid), ws.stored(cid)["priority"]) == ("Stopped", "5")


def test_a_new_campaign_is_created_then_started_once_ready(ws: Workspace) -> None:
    described(ws, "Fresh", None, "running")
    plan = ws.plan_json()
    assert actions(plan) == [("create", "Fresh"), ("start", "Fresh")]
    assert plan["changes"][1]["id"] is None
    assert "(once Ready)" in ws.cli("plan").out

    result = ws.cli("apply", "--auto-approve")

    assert result.code == 0, result.out + result.err
    cid = ws.stored_by_name("Fresh")["_id"]
    assert writes(ws) == [("create", None), ("start", cid)]
    kinds = [e["kind"] for e in ws.store.requests() if e["kind"] in ("create", "status", "trigger")]
    assert kinds[0] == "create" and kinds[-1] == "trigger"
    assert set(kinds[1:-1]) == {"status"}  # asked until Ready (after 0.2 s here)
    assert status_of(ws, cid) == "Active"
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_when_the_wait_runs_out_the_start_is_not_done_and_the_next_apply_does_it(
    ws: Workspace,
) -> None:
    described(ws, "Fresh", None, "running")

    first = ws.cli("apply", "--auto-approve", "--wait", "0")

    assert first.code == 1
    cid = ws.stored_by_name("Fresh")["_id"]
    assert 'applied: create "Fresh"' in first.out
    assert (
        'failed: start "Fresh": still Preparing after 0 s (--wait 0): not started; '
        "the next apply starts it"
    ) in first.out
    assert first.err == "campsync: error: 1 change(s) not applied\n"
    assert writes(ws) == [("create", None)]
    assert ws.store.stats()["by_kind"]["status"] == 1  # --wait 0 asks once

    ws.wait_ready()
    ws.store.reset_stats()
    assert actions(ws.plan_json()) == [("start", "Fresh")]
    second = ws.cli("apply", "--auto-approve")
    assert second.code == 0, second.out + second.err
    assert writes(ws) == [("start", cid)]
    assert status_of(ws, cid) == "Active"


def test_a_campaign_found_preparing_is_started_once_ready_or_not_at_all(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Preparing")  # set so, it stays Preparing
    described(ws, "Spring", cid, "running")
    assert actions(ws.plan_json()) == [("start", "Spring")]
    result = ws.cli("apply", "--auto-approve", "--wait", "1")
    assert result.code == 1
    assert 'failed: start "Spring": still Preparing after 1 s (--wait 1)' in result.out
    assert writes(ws) == []
    assert ws.store.stats()["by_kind"]["status"] >= 1


def test_a_saved_start_is_refused_once_someone_started_the_campaign(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Ready")
    described(ws, "Spring", cid, "running")
    assert ws.cli("plan", "--out", "p.json").code == 0
    saved = json.loads((ws.root / "p.json").read_text())
    assert saved["changes"][0]["campsync"]["status"] == "Ready"
    ws.store.trigger(cid, "play")  # someone starts it in the web UI
    ws.store.reset_stats()

    result = ws.cli("apply", "p.json")

    assert result.code == 1
    assert result.err == (
        "campsync: error: the plan was already applied: campaign 'Spring' "
        f"({cid}) is Active already; nothing was sent\n"
    )
    assert writes(ws) == []


def test_a_saved_plan_is_refused_when_the_status_it_saw_changed(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Stopped")
    done = seeded(ws, "Autumn", "Active")
    described(ws, "Spring", cid, "running")
    described(ws, "Autumn", done, "stopped")
    assert ws.cli("plan", "--out", "p.json").code == 0
    ws.store.set_status(cid, "Completed")  # finished meanwhile
    ws.store.reset_stats()

    result = ws.cli("apply", "p.json")

    assert result.code == 1
    (line,) = result.err.splitlines()
    assert f"campaign 'Spring' ({cid}) is Completed now (the plan saw Stopped)" in line
    assert "nothing was applied" in line
    assert writes(ws) == []
    assert status_of(ws, done) == "Active"  # the other campaign's stop was not sent either


def test_a_saved_update_and_start_is_refused_once_someone_started_the_campaign(
    ws: Workspace,
) -> None:
    cid = seeded(ws, "Spring", "Stopped")
    described(ws, "Spring", cid, "running", priority=5)
    assert ws.cli("plan", "--out", "p.json").code == 0
    ws.store.trigger(cid, "play")
    ws.store.reset_stats()

    result = ws.cli("apply", "p.json")

    assert result.code == 1
    assert f"campaign 'Spring' ({cid}) changed on the platform" in result.err
    assert result.err.count("\n") == 1
    assert writes(ws) == []


def test_a_saved_restart_is_applied_in_order_without_the_flag(ws: Workspace) -> None:
    cid = seeded(ws, "Spring", "Active")
    described(ws, "Spring", cid, "running", priority=5)
    assert ws.cli("plan", "--restart", "--out", "p.json").code == 0
    refused = ws.cli("apply", "p.json", "--restart")
    assert refused.code == 1
    assert refused.err.startswith("campsync: error: --restart: a saved plan is applied exactly")
    result = ws.cli("apply", "p.json")
    assert result.code == 0, result.out + result.err
    assert writes(ws) == [("stop", cid), ("update", cid), ("start", cid)]


def test_a_failed_step_holds_back_the_rest_of_its_campaign_only(ws: Workspace) -> None:
    (cid,) = ws.seed(progressive_body("Spring"))
    ws.store.set_status(cid, "Stopped")
    other = seeded(ws, "Autumn", "Ready")
    # The update names a queue the account lacks; with the queues call refused, the plan can't
    # tell (a warning), so the update is sent and refused (400): the start after it is not.
    forbid_queues(ws.emulator)
    spring = {"id": cid, **progressive_body("Spring", queue_name="No Such Queue")}
    ws.write("spring.yaml", {**spring, "state": "running"})
    described(ws, "Autumn", other, "running")

    result = ws.cli("apply", "--auto-approve")

    assert result.code == 1
    assert 'failed: update "Spring": queue not found' in result.out
    assert 'not sent: start "Spring": the update before it failed' in result.out
    assert "1 applied, 1 failed, 1 not sent" in result.out
    # The refused update was sent (400); the start after it was not.
    assert sorted(writes(ws)) == sorted([("update", cid), ("start", other)])
    assert (status_of(ws, cid), status_of(ws, other)) == ("Stopped", "Active")


# ---- every cell of the contract's table ----------------------------------------------

# (status, state, edits) -> (the plan's actions, apply's exit code, the status after it,
# a word of the plan's warning or None). Preparing is set by the admin route: it stays so,
# and apply runs with --wait 0 (one look).
NONE: list[str] = []
TABLE: dict[tuple[str, str | None, bool], tuple[list[str], int, str, str | None]] = {
    ("Active", "running", False): (NONE, 0, "Active", None),
    ("Active", "running", True): (["blocked"], 1, "Active", None),
    ("Active", "stopped", False): (["stop"], 0, "Stopped", None),
    ("Active", "stopped", True): (["stop", "update"], 0, "Stopped", None),
    ("Active", None, False): (NONE, 0, "Active", None),
    ("Active", None, True): (["blocked"], 1, "Active", None),
    **{
        (status, state, edits): outcome
        for status in ("Ready", "Stopped", "Paused")
        for (state, edits), outcome in {
            ("running", False): (["start"], 0, "Active", None),
            ("running", True): (["update", "start"], 0, "Active", None),
            ("stopped", False): (NONE, 0, status, None),
            ("stopped", True): (["update"], 0, status, None),
            (None, False): (NONE, 0, status, None),
            (None, True): (["update"], 0, status, None),
        }.items()
    },
    ("Preparing", "running", False): (["start"], 1, "Preparing", None),
    ("Preparing", "running", True): (["blocked"], 1, "Preparing", None),
    ("Preparing", "stopped", False): (NONE, 0, "Preparing", None),
    ("Preparing", "stopped", True): (["blocked"], 1, "Preparing", None),
    ("Preparing", None, False): (NONE, 0, "Preparing", None),
    ("Preparing", None, True): (["blocked"], 1, "Preparing", None),
    **{
        (status, state, edits): outcome
        for status in ("Scheduled", "Rescheduled")
        for (state, edits), outcome in {
            ("running", False): (NONE, 0, status, "schedule starts it"),
            ("running", True): (["update"], 0, status, "schedule starts it"),
            ("stopped", False): (NONE, 0, status, "schedule will start it"),
            ("stopped", True): (["update"], 0, status, "schedule will start it"),
            (None, False): (NONE, 0, status, None),
            (None, True): (["update"], 0, status, None),
        }.items()
    },
    ("Completed", "running", False): (NONE, 0, "Completed", "is not restarted"),
    ("Completed", "running", True): (["update"], 0, "Completed", "is not restarted"),
    ("Completed", "stopped", False): (NONE, 0, "Completed", None),
    ("Completed", "stopped", True): (["update"], 0, "Completed", None),
    ("Completed", None, False): (NONE, 0, "Completed", None),
    ("Completed", None, True): (["update"], 0, "Completed", None),
}


def test_the_table_covers_every_status_state_and_edit() -> None:
    assert len(TABLE) == 8 * 3 * 2


@pytest.mark.parametrize(("status", "state", "edits"), list(TABLE))
def test_each_cell_of_the_table(ws: Workspace, status: str, state: str | None, edits: bool) -> None:
    expected, code, after, warning = TABLE[status, state, edits]
    cid = seeded(ws, "Cell", status)
    described(ws, "Cell", cid, state, **({"priority": 5} if edits else {}))

    plan = ws.plan_json()

    assert [change["action"] for change in plan["changes"]] == expected
    assert (plan["summary"]["start"], plan["summary"]["stop"]) == (
        expected.count("start"),
        expected.count("stop"),
    )
    if warning is None:
        assert plan["warnings"] == []
    else:
        (text,) = plan["warnings"]
        assert text.startswith(f"campaign 'Cell' is {status}") and warning in text
    if expected == ["blocked"]:
        reason = REASON_PREPARING if status == "Preparing" else REASON_ACTIVE
        assert plan["changes"][0]["reason"] == reason

    result = ws.cli("apply", "--auto-approve", "--wait", "0")

    assert result.code == code, result.out + result.err
    sent = [what for what, _ in writes(ws)]
    assert sent == [action for action in expected if action != "blocked" and code == 0]
    assert status_of(ws, cid) == after
    assert ws.stored(cid)["priority"] == ("5" if "update" in sent else "3")
    if code == 0:
        assert ws.cli("plan", "--detailed-exitcode").code == 0  # converged


# ---- the flags ------------------------------------------------------------------------


def refused_flags(ws: Workspace, *argv: str) -> str:
    """What argparse says of bad flags (exit 1, as every usage error: cli.ArgumentParser)."""
    ws.capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    assert info.value.code == 1
    return ws.capsys.readouterr().err


@pytest.mark.parametrize("value", ["-1", "1.5", "abc", "", "86401", "1e3", "\u0663", " 5"])
def test_wait_is_a_whole_number_of_seconds_from_0_to_a_day(ws: Workspace, value: str) -> None:
    described(ws, "Fresh", None, "running")
    err = refused_flags(ws, "apply", "--auto-approve", "--wait", value)
    line = err.splitlines()[-1]
    assert line.startswith("campsync: error: argument --wait: a whole number of seconds from 0")
    assert ws.store.stats()["total"] == 0


def test_wait_belongs_to_apply_and_restart_to_plan_and_apply(ws: Workspace) -> None:
    err = refused_flags(ws, "plan", "--wait", "5")
    assert err.splitlines()[-1] == "campsync: error: unrecognized arguments: --wait"
    described(ws, "Fresh", None, None)
    assert ws.cli("plan", "--restart").code == 0
    assert ws.cli("apply", "--auto-approve", "--restart", "--wait", "86400").code == 0
