"""--only / --exclude end to end against the emulator: by name and by file path (with `**`),
exclude wins, out-of-scope campaigns are never written, never deleted, never unmanaged, and a
saved plan made with them holds only what is in scope. Writes counted from the emulator's
log."""

from __future__ import annotations

import json

from tests.fixtures_guard import change_files, error_line, fleet, sent
from tests.fixtures_workspace import Workspace


def test_only_by_name_plans_and_writes_only_that_campaign(ws: Workspace) -> None:
    ids = fleet(ws, ["Spring Renewals", "Spring Promo", "Summer Sale"])
    change_files(ws, ["Spring Renewals", "Spring Promo", "Summer Sale"])
    before = ws.stored(ids["Summer Sale"])
    ws.store.reset_stats()

    plan = ws.plan_json("--only", "spring renewals")  # the exact name, any case
    assert [c["name"] for c in plan["changes"]] == ["Spring Renewals"]
    assert plan["summary"]["unmanaged"] == 0  # the others are out of scope, not unmanaged

    result = ws.cli("apply", "--auto-approve", "--only", "SPRING*")
    assert result.code == 0, result.err
    assert sent(ws) == {"update": 2}
    assert ws.stored(ids["Summer Sale"]) == before
    assert ws.requests_about(ids["Summer Sale"]) == []  # not even read


def test_only_by_path_with_double_star_and_exclude_wins(ws: Workspace) -> None:
    fleet(ws, ["Alpha", "Beta"], folder="team-a/")
    fleet(ws, ["Gamma", "Delta"], folder="team-b/deep/")
    fleet(ws, ["Epsilon"], folder="team-b/")
    every = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]
    change_files(ws, ["Alpha", "Beta"], folder="team-a/")
    change_files(ws, ["Gamma", "Delta"], folder="team-b/deep/")
    change_files(ws, ["Epsilon"], folder="team-b/")
    ws.store.reset_stats()

    def planned(*args: str) -> list[str]:
        return [c["name"] for c in ws.plan_json(*args)["changes"]]

    assert planned("--only", "team-b/**") == ["Delta", "Epsilon", "Gamma"]
    assert planned("--only", "team-b/*.yaml") == ["Epsilon"]  # `*` stays in one folder
    assert planned("--only", "**/gamma.yaml", "--only", "Alpha") == ["Alpha", "Gamma"]
    assert planned("--only", "campaigns/team-a/*") == ["Alpha", "Beta"]  # as shown works too
    assert planned("--only", "team-b/**", "--exclude", "**/deep/**") == ["Epsilon"]
    exclude_wins = ("--exclude", "team-a/**", "--only", "Alpha", "--only", "Gamma")
    assert planned(*exclude_wins) == ["Gamma"]
    assert planned("--exclude", "delta", "--exclude", "team-a/**") == ["Epsilon", "Gamma"]
    assert sorted(planned()) == sorted(every)

    result = ws.cli("apply", "--auto-approve", "--only", "team-b/**", "--exclude", "Delta")
    assert result.code == 0, result.err
    assert sent(ws) == {"update": 2}
    assert ws.stored_by_name("Delta")["description"] != "Delta, changed."


def test_out_of_scope_is_never_unmanaged_nor_deleted(ws: Workspace) -> None:
    ids = fleet(ws, ["Spring Renewals", "Summer Sale"])
    loose = fleet(ws, ["Spring Leftover", "Winter Leftover"], described=False)
    ws.store.reset_stats()

    plan = ws.plan_json("--only", "spring*")
    assert plan["summary"]["unmanaged"] == 1  # Spring Leftover; Winter is out of scope

    pruned = ws.plan_json("--only", "spring*", "--prune")
    assert [(c["action"], c["name"]) for c in pruned["changes"]] == [("delete", "Spring Leftover")]
    assert pruned["summary"]["unmanaged"] == 0

    # Excluded by name: neither the described campaign nor the loose one is touched.
    excluded = ws.plan_json("--prune", "--exclude", "*leftover", "--exclude", "summer*")
    assert excluded["changes"] == [] and excluded["summary"]["unchanged"] == 1

    result = ws.cli("apply", "--auto-approve", "--prune", "--only", "spring*")
    assert result.code == 0, result.err
    assert sent(ws) == {"delete": 1}
    on_platform = {r["_id"] for r in ws.store.raw_campaigns()}
    assert on_platform == {ids["Spring Renewals"], ids["Summer Sale"], loose["Winter Leftover"]}


def test_a_campaign_described_by_an_excluded_file_is_not_pruned(ws: Workspace) -> None:
    ids = fleet(ws, ["Keep Me", "Plain"])
    result = ws.cli("apply", "--auto-approve", "--prune", "--exclude", "keep-me.yaml")
    assert result.code == 0, result.err
    assert "Nothing to apply" in result.out
    assert sent(ws) == {}
    assert ws.stored(ids["Keep Me"])["name"] == "Keep Me"


def test_a_saved_plan_made_with_a_scope_holds_only_it(ws: Workspace) -> None:
    fleet(ws, ["Spring Renewals", "Summer Sale"])
    change_files(ws, ["Spring Renewals", "Summer Sale"])
    assert ws.cli("plan", "--only", "Spring*", "--out", "p.json").code == 0
    saved = json.loads((ws.root / "p.json").read_text())
    assert [c["name"] for c in saved["changes"]] == ["Spring Renewals"]
    assert saved["campsync"]["existing"] == 1
    ws.store.reset_stats()

    result = ws.cli("apply", "p.json")
    assert result.code == 0, result.err
    assert sent(ws) == {"update": 1}
    assert ws.stored_by_name("Summer Sale")["description"] != "Summer Sale, changed."


def test_a_saved_plan_refuses_scope_and_prune_flags_before_any_request(ws: Workspace) -> None:
    fleet(ws, ["Spring Renewals"])
    change_files(ws, ["Spring Renewals"])
    assert ws.cli("plan", "--out", "p.json").code == 0
    ws.store.reset_stats()
    for flags in (["--only", "x"], ["--exclude", "x"], ["--prune"], ["--no-prune"]):
        result = ws.cli("apply", "p.json", *flags)
        assert result.code == 1
        assert error_line(result.err) == (
            f"campsync: error: {flags[0]}: a saved plan is applied exactly as it was made; "
            "give it to 'campsync plan --out FILE' instead"
        )
    assert ws.store.stats()["total"] == 0


def test_a_pattern_that_matches_nothing_is_a_warning(ws: Workspace) -> None:
    fleet(ws, ["Spring Renewals"])
    plan = ws.plan_json("--only", "Spring*", "--only", "Sprnig*")
    assert plan["changes"] == [] and plan["summary"]["unchanged"] == 1
    assert (
        "--only 'Sprnig*' matches no campaign file and no platform campaign" in (plan["warnings"])
    )
    empty = ws.cli("plan", "--only", "")
    assert empty.code == 1
    assert error_line(empty.err) == (
        "campsync: error: --only needs a campaign name or a file path pattern"
    )


def test_patterns_that_leave_nothing_in_scope_are_an_error(ws: Workspace) -> None:
    # Not "No changes. The platform matches the files (0 campaigns)" (issue 18, item 20).
    fleet(ws, ["Spring Renewals"])
    cases = {
        ("--only", "Sprnig*"): "--only 'Sprnig*'",
        ("--only", "Spring*", "--exclude", "spring-*"): "--only 'Spring*', --exclude 'spring-*'",
    }
    for patterns, named in cases.items():
        for command in (["plan"], ["plan", "--json"], ["apply", "--auto-approve"]):
            result = ws.cli(*command, *patterns)
            assert (result.code, result.out) == (1, ""), command
            assert error_line(result.err) == (
                "campsync: error: nothing is in scope: no campaign file and no platform "
                f"campaign is left by {named} (a pattern matches a campaign name, or a file "
                "path relative to PATH)"
            )
    assert sent(ws) == {}
