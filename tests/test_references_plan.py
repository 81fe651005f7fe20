"""References checked before anything is written (issue 21, contract "Version 0.3 >
References"), end to end against the emulator: a create or update naming a contact list, a
DNC list or a queue that the account lacks is blocked with the closest names, nothing is
written for it while the other changes apply; an unchanged plan reads no names; a refused
queues call is a warning and the plan goes on; a saved plan records what was checked."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import campaign_body, progressive_body
from tests.fixtures_workspace import Workspace

FORBIDDEN = (
    "queues not checked: the platform refused the queues call (403): the app may lack the "
    "Configuration scope"
)


def forbid_queues(running: RunningEmulator) -> None:
    request = urllib.request.Request(
        f"{running.url}/_emulator/faults",
        data=json.dumps({"queues_forbidden": True}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200


def written(ws: Workspace) -> dict[str, list[str]]:
    """The writes the emulator received, by kind: the campaign ids updated, the names created
    (from the request log: what was really sent)."""
    found: dict[str, list[str]] = {"update": [], "create": []}
    for logged in ws.store.requests():
        if logged["kind"] == "update":
            found["update"].append(logged["campaignId"])
        elif logged["kind"] == "create":
            found["create"].append(logged["path"])
    return found


def reasons(document: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["reason"] for c in document["changes"] if c["action"] == "blocked"}


def test_misspelt_names_are_blocked_with_the_closest_and_the_rest_applies(ws: Workspace) -> None:
    ids = ws.seed(
        campaign_body("List Typo"),
        campaign_body("DNC Typo"),
        progressive_body("Queue Typo"),
        campaign_body("Good Update"),
    )
    ws.write("list.yaml", {"id": ids[0], **campaign_body("List Typo", contactLists=["Q4 Renewal"])})
    ws.write(
        "dnc.yaml", {"id": ids[1], **campaign_body("DNC Typo", dncLists={"name": "Global DNK"})}
    )
    ws.write(
        "queue.yaml", {"id": ids[2], **progressive_body("Queue Typo", queue_name="Sales Queu")}
    )
    ws.write("good.yaml", {"id": ids[3], **campaign_body("Good Update", description="Changed.")})
    ws.write("new-bad.yaml", progressive_body("New Bad", queue_name="support queue"))
    ws.write("new-good.yaml", progressive_body("New Good"))

    document = ws.plan_json()
    assert reasons(document) == {
        "List Typo": "the platform would refuse it: contactLists[0]: no contact list "
        "'Q4 Renewal' on the account (closest: 'Q4 Renewals')",
        "DNC Typo": "the platform would refuse it: dncLists.name: no contact list 'Global DNK' "
        "on the account (closest: 'Global DNC')",
        "Queue Typo": "the platform would refuse it: queue_name: no queue 'Sales Queu' on the "
        "account (closest: 'Sales Queue')",
        "New Bad": "the platform would refuse it: queue_name: no queue 'support queue' on the "
        "account (names match exactly, case included; closest: 'Support Queue')",
    }
    assert document["summary"] == {
        **document["summary"], "create": 1, "update": 1, "blocked": 4,
    }  # fmt: skip
    blocked_update = next(c for c in document["changes"] if c["name"] == "Queue Typo")
    assert blocked_update["id"] == ids[2] and blocked_update["diff"]  # what differs, still shown
    assert not [warning for warning in document["warnings"] if "not checked" in warning]

    ws.store.reset_stats()
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 1  # blocked changes are not applied
    assert '! blocked "Queue Typo"' in result.out and "closest: 'Sales Queue'" in result.out
    sent = written(ws)
    assert sent["update"] == [ids[3]]  # nothing for the blocked ones
    assert (
        len(sent["create"]) == 1
        and ws.stored_by_name("New Good")["queue_name"] == "Collections Queue"
    )
    assert ws.stored(ids[0])["contactLists"] == ["Q4 Renewals"]
    assert ws.stored(ids[3])["description"] == "Changed."
    assert all(r["name"] != "New Bad" for r in ws.store.raw_campaigns())


def test_the_text_plan_shows_the_reason(ws: Workspace) -> None:
    ws.write("new.yaml", campaign_body("Brand New", contactLists=["CL Only 2020 Dec 5"]))
    result = ws.cli("plan")
    assert result.code == 0
    assert '! blocked "Brand New" campaigns/new.yaml' in result.out
    assert (
        "reason: the platform would refuse it: contactLists[0]: no contact list "
        "'CL Only 2020 Dec 5' on the account (closest: 'CL Only 2020 Dec 4')"
    ) in result.out
    assert "every one is blocked" in result.out


def test_an_unchanged_plan_and_an_agentless_one_read_only_what_they_need(ws: Workspace) -> None:
    ids = ws.seed(campaign_body("Spring"), progressive_body("Push"))
    ws.write("spring.yaml", {"id": ids[0], **campaign_body("Spring")})
    ws.write("push.yaml", {"id": ids[1], **progressive_body("Push")})
    ws.store.reset_stats()
    assert ws.plan_json()["summary"]["unchanged"] == 2
    assert [r["kind"] for r in ws.store.requests()] == ["list", "get", "get"]
    ws.write("spring.yaml", {"id": ids[0], **campaign_body("Spring", description="Edited.")})
    ws.store.reset_stats()
    assert ws.plan_json()["summary"]["update"] == 1
    # an Agentless update names no queue: the queues are not read (no Configuration scope needed)
    assert [r["kind"] for r in ws.store.requests()] == ["list", "contactLists"]


def test_a_forbidden_queues_call_is_a_warning_and_the_changes_go_on(ws: Workspace) -> None:
    forbid_queues(ws.emulator)
    (cid,) = ws.seed(progressive_body("Push"))
    ws.write("push.yaml", {"id": cid, **progressive_body("Push", description="Edited.")})
    ws.write("bad-list.yaml", progressive_body("New", contactLists=["Q4 Renewal"]))

    result = ws.cli("plan", "--json")
    assert result.code == 0
    document = json.loads(result.out)
    assert document["warnings"] == [FORBIDDEN]
    assert FORBIDDEN in result.err  # also said on stderr: stdout holds only the JSON
    assert [(c["name"], c["action"]) for c in document["changes"]] == [
        ("Push", "update"),
        ("New", "blocked"),  # the contact lists were still checked
    ]

    result = ws.cli("apply", "--auto-approve")
    assert FORBIDDEN in result.out + result.err
    assert ws.stored(cid)["description"] == "Edited."


def test_a_saved_plan_records_what_was_checked_and_apply_reads_it_not_again(
    ws: Workspace,
) -> None:
    forbid_queues(ws.emulator)
    (cid,) = ws.seed(progressive_body("Push"))
    ws.write("push.yaml", {"id": cid, **progressive_body("Push", description="Edited.")})
    assert ws.cli("plan", "--out", "plan.json").code == 0
    saved = json.loads((ws.root / "plan.json").read_text())
    assert saved["campsync"]["references"] == {
        "contactLists": "checked",
        "queues": FORBIDDEN.replace("queues not checked: ", "not checked: "),
    }
    assert saved["warnings"] == [FORBIDDEN]
    ws.store.reset_stats()
    result = ws.cli("apply", "plan.json")
    assert result.code == 0, result.err
    assert [r["kind"] for r in ws.store.requests()] == ["list", "update"]


def test_with_environments_the_names_checked_are_the_merged_ones(ws: Workspace) -> None:
    ws.config("environments:\n  staging:\n    overrides:\n      Push: {queue_name: Sales Queu}\n")
    ws.write("push.yaml", progressive_body("Push"))
    document = ws.plan_json("--env", "staging")
    assert reasons(document) == {
        "Push": "the platform would refuse it: queue_name: no queue 'Sales Queu' on the account "
        "(closest: 'Sales Queue')"
    }
