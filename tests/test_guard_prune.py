"""Pruning end to end against the emulator: nothing is deleted without --prune (or
`prune: true`); with it, campaigns no file describes are deleted except `keep:` names and
Active ones (blocked); deletes count against the delete threshold; an empty folder, or no
file in scope, is stopped; a saved plan's deletes are applied exactly, and refused when
stale. Writes counted from the emulator's log."""

from __future__ import annotations

import json

import pytest

from tests.fixtures_guard import error_line, fleet, names_on_platform, sent
from tests.fixtures_workspace import Workspace

MANAGED = [f"Managed {n}" for n in range(9)]


@pytest.fixture
def two_loose(ws: Workspace) -> dict[str, str]:
    """Nine described campaigns and two no file describes (2 of 11 deleted: within 30%)."""
    fleet(ws, MANAGED)
    loose = fleet(ws, ["Old Promo", "Older Promo"], described=False)
    ws.store.reset_stats()
    return loose


def test_without_prune_nothing_is_deleted(ws: Workspace, two_loose: dict[str, str]) -> None:
    plan = ws.plan_json()
    assert plan["changes"] == [] and plan["summary"]["unmanaged"] == 2
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 0 and sent(ws) == {}
    assert {"Old Promo", "Older Promo"} <= names_on_platform(ws)


def test_prune_shows_deletes_in_every_format_and_deletes_exactly_them(
    ws: Workspace, two_loose: dict[str, str]
) -> None:
    old = two_loose["Old Promo"]
    text = ws.cli("plan", "--prune")
    assert text.code == 0 and text.err == ""
    assert f'- delete "Old Promo" ({old})\n' in text.out
    assert "Plan: 2 to delete, 9 unchanged." in text.out
    assert "unmanaged" not in text.out

    markdown = ws.cli("plan", "--prune", "--format", "markdown")
    assert f"| - | delete | Old Promo | {old} |  | no file describes it |" in markdown.out

    plan = ws.plan_json("--prune")
    assert plan["changes"][0] == {
        "action": "delete",
        "id": old,
        "name": "Old Promo",
        "file": None,
        "diff": [],
    }
    assert plan["summary"] == {
        "create": 0,
        "stop": 0,
        "update": 0,
        "start": 0,
        "delete": 2,
        "blocked": 0,
        "unchanged": 9,
        "unmanaged": 0,
    }
    assert sent(ws) == {}  # plans read only

    result = ws.cli("apply", "--auto-approve", "--prune")
    assert result.code == 0, result.err
    assert 'applied: delete "Old Promo"' in result.out
    assert sent(ws) == {"delete": 2}
    assert names_on_platform(ws) == set(MANAGED)
    assert ws.plan_json("--prune")["changes"] == []


def test_keep_patterns_and_active_campaigns_are_never_deleted(ws: Workspace) -> None:
    fleet(ws, MANAGED)
    loose_names = ["Legacy Promo", "legacy dialer", "Running Promo", "Old Promo"]
    loose = fleet(ws, loose_names, described=False)
    ws.store.set_status(loose["Running Promo"], "Active")
    ws.config('keep: ["LEGACY *"]\n')
    ws.store.reset_stats()

    plan = ws.plan_json("--prune")
    assert [(c["action"], c["name"]) for c in plan["changes"]] == [
        ("blocked", "Running Promo"),
        ("delete", "Old Promo"),
    ]
    assert plan["changes"][0]["reason"] == (
        "no file describes it, but the campaign is Active and can't be deleted; stop it first "
        "(or keep it: keep: in campsync.yaml)"
    )
    assert plan["summary"]["unmanaged"] == 2  # kept: still unmanaged, listed as such
    text = ws.cli("plan", "--prune").out
    assert '"Legacy Promo"' in text and '"legacy dialer"' in text
    assert '! blocked "Running Promo"' in text

    result = ws.cli("apply", "--auto-approve", "--prune")
    assert result.code == 1  # a blocked change is a change not applied
    assert sent(ws) == {"delete": 1}
    assert names_on_platform(ws) == {*MANAGED, "Legacy Promo", "legacy dialer", "Running Promo"}
    assert ws.requests_about(loose["Running Promo"]) == []  # listed only: never read nor sent
    assert [r["method"] for r in ws.requests_about(loose["Old Promo"])] == ["DELETE"]


def test_prune_true_in_campsync_yaml_and_no_prune_flag(
    ws: Workspace, two_loose: dict[str, str]
) -> None:
    ws.config("prune: true\n")
    assert ws.plan_json()["summary"]["delete"] == 2
    assert ws.plan_json("--no-prune")["summary"]["delete"] == 0
    assert ws.cli("apply", "--auto-approve", "--no-prune").code == 0
    assert sent(ws) == {}
    assert ws.cli("apply", "--auto-approve").code == 0
    assert sent(ws) == {"delete": 2}


def test_deletes_count_against_the_delete_threshold(ws: Workspace) -> None:
    fleet(ws, MANAGED[:6])
    fleet(ws, [f"Loose {n}" for n in range(4)], described=False)  # 4 of 10: 40%
    ws.store.reset_stats()
    plan = ws.cli("plan", "--prune")
    assert plan.code == 0
    assert (
        "campsync: warning: apply will refuse this plan without --force: "
        "deletes 4 of 10 campaigns (40%) > maxDeletePercent 30"
    ) in plan.err.splitlines()
    refused = ws.cli("apply", "--auto-approve", "--prune")
    assert refused.code == 1
    assert "maxDeletePercent" in error_line(refused.err)
    assert sent(ws) == {}
    forced = ws.cli("apply", "--auto-approve", "--prune", "--force")
    assert forced.code == 0, forced.err
    assert sent(ws) == {"delete": 4}


def test_an_empty_folder_with_prune_is_stopped(ws: Workspace) -> None:
    fleet(ws, [*MANAGED, "Tenth", "Eleventh", "Twelfth"], described=False)
    (ws.root / "empty").mkdir()
    ws.store.reset_stats()
    result = ws.cli("apply", "empty", "--auto-approve", "--prune")
    assert result.code == 1
    assert error_line(result.err) == (
        "campsync: error: no campaign files (*.yaml, *.yml) under empty"
    )
    mistyped = ws.cli("apply", "campaigns-typo", "--auto-approve", "--prune")
    assert mistyped.code == 1
    assert error_line(mistyped.err) == (
        "campsync: error: campaigns-typo: no such file or directory"
    )
    assert ws.store.stats()["total"] == 0


def test_no_file_in_scope_is_stopped_below_min_existing_too(ws: Workspace) -> None:
    fleet(ws, ["Kept"])
    fleet(ws, ["One", "Two", "Three"], described=False)
    ws.store.reset_stats()
    every_file_out = ("--prune", "--exclude", "*.yaml")
    plan = ws.cli("plan", *every_file_out)
    assert "no campaign file is in scope" in plan.err
    refused = ws.cli("apply", "--auto-approve", *every_file_out)
    assert refused.code == 1
    assert error_line(refused.err) == (
        "campsync: error: apply refuses this plan: deletes 3 campaigns and no campaign file is "
        "in scope (an empty or mistyped folder, or --only/--exclude leaving out every file?); "
        "nothing was applied; check PATH, --only and --exclude, then apply with --force if that "
        "is meant"
    )
    assert sent(ws) == {}
    forced = ws.cli("apply", "--auto-approve", "--force", *every_file_out)
    assert forced.code == 0, forced.err
    assert sent(ws) == {"delete": 3}
    assert names_on_platform(ws) == {"Kept"}


def test_a_saved_plan_applies_its_deletes_without_prune(
    ws: Workspace, two_loose: dict[str, str]
) -> None:
    assert ws.cli("plan", "--prune", "--out", "p.json").code == 0
    saved = json.loads((ws.root / "p.json").read_text())
    assert [c["action"] for c in saved["changes"]] == ["delete", "delete"]
    ws.store.reset_stats()
    result = ws.cli("apply", "p.json")
    assert result.code == 0, result.err
    assert sent(ws) == {"delete": 2}
    assert names_on_platform(ws) == set(MANAGED)


@pytest.mark.parametrize("move", ["edited", "deleted", "started"])
def test_a_saved_delete_is_refused_when_its_campaign_moved(
    ws: Workspace, two_loose: dict[str, str], move: str
) -> None:
    assert ws.cli("plan", "--prune", "--out", "p.json").code == 0
    old = two_loose["Old Promo"]
    if move == "edited":
        ws.store.update_campaign(old, {**ws.store.get_campaign(old), "description": "Mine."})
    elif move == "deleted":
        ws.store.delete_campaign(old)
    else:
        ws.store.set_status(old, "Active")
    ws.store.reset_stats()

    result = ws.cli("apply", "p.json")
    assert result.code == 1
    if move == "deleted":  # what the delete wanted is done already: said so, nothing sent
        assert "the plan was already applied in part: campaign 'Old Promo'" in error_line(
            result.err
        )
    else:
        assert "the plan is out of date: campaign 'Old Promo'" in error_line(result.err)
    assert sent(ws) == {}
    assert "Older Promo" in names_on_platform(ws)
