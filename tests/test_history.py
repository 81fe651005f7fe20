"""What campsync remembers across runs against one target (sync.cache.HistoryCache) and what
it tells from it (issue 10, items 2 and 3): a file whose name changed is pointed at the
campaign it matched last time; a write whose answer contradicts the experienceFlows mapping
names the entry to fix, at once and in the plans after it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from campsync.campaign.validation import CampaignFile
from campsync.sync.cache import HistoryCache
from campsync.sync.inventory import Listed
from campsync.sync.planner import make_plan
from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace
from tests.test_planner import MemoryPlatform, live

# --- renames -----------------------------------------------------------------------------


def test_a_renamed_file_without_id_is_pointed_at_its_old_campaign(ws: Workspace) -> None:
    ws.write("renewals.yaml", campaign_body("Spring Renewals"))
    assert ws.cli("apply", "--auto-approve").code == 0  # created: the history has its id
    cid = ws.stored_by_name("Spring Renewals")["_id"]
    ws.wait_ready()

    ws.write("renewals.yaml", campaign_body("Summer Renewals"))
    hint = (
        f"campaigns/renewals.yaml was 'Spring Renewals' ({cid}) last time; to rename that "
        f"campaign instead of creating a new one, add 'id: {cid}' to the file"
    )
    plan = ws.plan_json()
    assert [c["action"] for c in plan["changes"]] == ["create"]
    assert plan["summary"]["unmanaged"] == 1
    assert hint in plan["warnings"]
    assert f"  - {hint}" in ws.cli("plan").out.splitlines()
    markdown = ws.cli("plan", "--format", "markdown").out
    assert "was 'Spring Renewals'" in markdown and f"add 'id: {cid}' to the file" in markdown

    ws.write("renewals.yaml", {"id": cid, **campaign_body("Summer Renewals")})
    plan = ws.plan_json()
    assert [(c["action"], c["id"]) for c in plan["changes"]] == [("update", cid)]
    assert not any("last time" in w for w in plan["warnings"])
    assert ws.cli("apply", "--auto-approve").code == 0
    assert ws.stored(cid)["name"] == "Summer Renewals"


def test_with_environments_the_hint_points_at_the_environments_override(ws: Workspace) -> None:
    # An id in the file would be every environment's; ids are per account (issue 18, item 14).
    ws.config("environments:\n  staging: {}\n  production: {}\n")
    ws.write("renewals.yaml", campaign_body("Spring Renewals"))
    assert ws.cli("apply", "--env", "staging", "--auto-approve").code == 0
    cid = ws.stored_by_name("Spring Renewals")["_id"]
    ws.wait_ready()

    ws.write("renewals.yaml", campaign_body("Summer Renewals"))
    assert (
        f"campaigns/renewals.yaml was 'Spring Renewals' ({cid}) last time; to rename that "
        "campaign instead of creating a new one, set environments.staging.overrides.Summer "
        f"Renewals.id to {cid} in campsync.yaml (ids are per account: an id in the file would "
        "be sent to every environment)"
    ) in ws.plan_json("--env", "staging")["warnings"]

    ws.config(
        "environments:\n  staging:\n    overrides:\n      Summer Renewals:\n"
        f"        id: {cid}\n  production: {{}}\n"
    )
    assert ws.cli("validate").code == 0
    plan = ws.plan_json("--env", "staging")
    assert [(c["action"], c["id"]) for c in plan["changes"]] == [("update", cid)]
    assert not any("last time" in w for w in plan["warnings"])


def test_matches_are_remembered_by_plans_too(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("renewals.yaml", campaign_body("Spring Renewals"))
    assert ws.cli("plan").code == 0
    ws.write("renewals.yaml", campaign_body("Summer Renewals"))
    assert any(f"add 'id: {cid}'" in w for w in ws.plan_json()["warnings"])


async def test_no_hint_when_the_old_campaign_is_described_or_gone(tmp_path: Path) -> None:
    platform = MemoryPlatform({"cd-1": live("cd-1", "Alpha"), "cd-2": live("cd-2", "Beta")})
    files = [
        CampaignFile("a.yaml", {"name": "Renamed Alpha"}),  # cd-1 is unmanaged now: a hint
        CampaignFile("b.yaml", {"name": "Renamed Beta"}),  # cd-2 is described by c.yaml
        CampaignFile("c.yaml", {"name": "Beta", "description": "d"}),
        CampaignFile("d.yaml", {"name": "Renamed Gone"}),  # cd-9 is no longer listed
    ]
    history = HistoryCache(tmp_path, "target")
    for file, cid in {"a.yaml": "cd-1", "b.yaml": "cd-2", "d.yaml": "cd-9"}.items():
        history.remember_match(file, cid)
    decision = await make_plan(platform, files, history=history)
    assert [w.split(" was ")[0] for w in decision.plan.warnings] == ["a.yaml"]
    # this run's match, for the next one (the engine hands it to the history)
    assert decision.learnt.matches == (("c.yaml", "cd-2"),)


# --- a wrong experienceFlows entry -------------------------------------------------------


def swapped_flows(ws: Workspace) -> dict[str, str]:
    ids = dict(ws.store.catalog.experience_flows)
    survey, reminder = ids["Voice Survey Entry Flow"], ids["Payment Reminder Flow"]
    ws.config(
        "experienceFlows:\n"
        f"  Voice Survey Entry Flow: {reminder}\n"
        f"  Payment Reminder Flow: {survey}\n"
    )
    return ids


def test_a_write_that_contradicts_the_flow_mapping_names_the_entry(ws: Workspace) -> None:
    ids = swapped_flows(ws)
    (cid,) = ws.seed(campaign_body("Spring Renewals"))  # its flow: Payment Reminder Flow
    ws.write("spring.yaml", campaign_body("Spring Renewals"))
    (change,) = ws.plan_json()["changes"]
    assert [d["path"] for d in change["diff"]] == ["experienceFlowName"]

    wrong = (  # pointing at the id to fix: line 3, column 26 of campsync.yaml
        f"campsync.yaml:3:26 experienceFlows: 'Payment Reminder Flow' maps to "
        f"{ids['Voice Survey Entry Flow']}, but the platform set {ids['Payment Reminder Flow']} "
        "for that name; fix the entry"
    )
    applied = ws.cli("apply", "--auto-approve")
    assert 'applied: update "Spring Renewals"' in applied.out  # the write did happen
    assert f"campsync: warning: campaign 'Spring Renewals': {wrong}" in applied.err
    assert applied.code == 1 and "will show again" in applied.err.splitlines()[-1]
    assert ws.stored(cid)["experienceFlow"] == ids["Payment Reminder Flow"]

    again = ws.plan_json()  # the same change, now explained
    assert [c["action"] for c in again["changes"]] == ["update"]
    assert any(wrong in w and "Spring Renewals" in w for w in again["warnings"])

    ws.config("experienceFlows:\n" + "".join(f"  {n}: {i}\n" for n, i in ids.items()))
    fixed = ws.plan_json()
    assert fixed["changes"] == [] and not any("fix the entry" in w for w in fixed["warnings"])


def test_with_an_environment_the_warning_points_at_its_own_entry(ws: Workspace) -> None:
    ids = dict(ws.store.catalog.experience_flows)
    survey, reminder = ids["Voice Survey Entry Flow"], ids["Payment Reminder Flow"]
    ws.config(
        "experienceFlows:\n"
        f"  Voice Survey Entry Flow: {survey}\n"
        "environments:\n"
        "  staging:\n"
        f"    experienceFlows: {{Payment Reminder Flow: {survey}}}\n"
    )
    ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals"))
    applied = ws.cli("apply", "--env", "staging", "--auto-approve")
    assert applied.code == 1
    assert (
        "campsync.yaml:5:46 environments.staging.experienceFlows: 'Payment Reminder Flow' maps "
        f"to {survey}, but the platform set {reminder} for that name; fix the entry"
    ) in applied.err


def test_a_write_that_agrees_with_the_mapping_leaves_nothing_behind(ws: Workspace) -> None:
    ids = dict(ws.store.catalog.experience_flows)
    ws.config("experienceFlows:\n" + "".join(f"  {n}: {i}\n" for n, i in ids.items()))
    ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", priority=5))
    applied = ws.cli("apply", "--auto-approve")
    assert (applied.code, applied.err) == (0, "")
    history: dict[str, Any] = {}
    for path in Path(".campsync/cache").glob("history-*.json"):
        history = json.loads(path.read_text())["history"]
    assert history["flows"] == {} and list(history["files"]) == ["campaigns/spring.yaml"]


def test_a_flow_record_lasts_only_while_the_campaign_is_unchanged(tmp_path: Path) -> None:
    history = HistoryCache(tmp_path, "target")
    history.remember_flow("cd-1", "t1", "Flow", "cf-2")
    history.remember_match("a.yaml", "cd-1")
    assert history.save() is None
    again = HistoryCache(tmp_path, "target")
    assert again.load() is None
    assert again.flow_written("cd-1", "t1") == ("Flow", "cf-2")
    assert again.flow_written("cd-1", "t2") is None
    again.retain([Listed("cd-1", "One", "t2", "Ready", "voice", {})])
    assert again.flow_written("cd-1", "t1") is None and again.last_match("a.yaml") == "cd-1"
    again.retain([])
    assert again.last_match("a.yaml") is None
