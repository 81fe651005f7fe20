"""Safety thresholds end to end against the emulator: `plan` warns on stderr (every format),
`apply` refuses before any write (a fresh plan after showing it, a saved plan before any
request) unless --force, and then writes exactly the plan. Writes counted from the
emulator's log."""

from __future__ import annotations

import json
import sys

import pytest

from tests.fixtures_guard import change_files, error_line, fleet, sent
from tests.fixtures_workspace import TerminalInput, Workspace

TEN = [f"Campaign {n:02d}" for n in range(10)]
UPDATE_REASON = "updates 4 of 10 campaigns (40%) > maxUpdatePercent 30"
UPDATE_REFUSAL = (
    f"campsync: error: apply refuses this plan: {UPDATE_REASON}; nothing was applied; check "
    "the plan, then apply with --force or raise the threshold (safety: in campsync.yaml)"
)
UPDATE_WARNING = f"campsync: warning: apply will refuse this plan without --force: {UPDATE_REASON}"


@pytest.fixture
def four_of_ten(ws: Workspace) -> Workspace:
    """Ten campaigns described by files; four files changed (40% > 30%)."""
    fleet(ws, TEN)
    change_files(ws, TEN[:4])
    ws.store.reset_stats()
    return ws


def test_the_plan_says_apply_will_refuse_it_in_every_form(four_of_ten: Workspace) -> None:
    """At the top of the text and Markdown plans, as `refusal` in the plan JSON, and on
    stderr; the plan is the plan all the same (exit 0, nothing sent)."""
    ws = four_of_ten
    text = ws.cli("plan")
    assert text.code == 0 and UPDATE_WARNING in text.err.splitlines()
    assert text.out.splitlines()[:3] == [
        "apply will refuse this plan without --force:",
        f"  - {UPDATE_REASON}",
        "",
    ]
    assert "Plan: 4 to update, 6 unchanged." in text.out
    markdown = ws.cli("plan", "--format", "markdown")
    assert markdown.out.splitlines()[:5] == [
        "### campsync plan: 4 to update, 6 unchanged.",
        "",
        "> [!CAUTION]",
        "> **apply will refuse this plan without --force:**",
        "> - updates 4 of 10 campaigns (40%) \\> maxUpdatePercent 30",
    ]
    plan = ws.cli("plan", "--json")
    assert UPDATE_WARNING in plan.err.splitlines()
    document = json.loads(plan.out)  # stdout holds only the plan JSON
    assert document["refusal"] == {"reasons": [UPDATE_REASON], "override": "--force"}
    assert document["summary"]["update"] == 4
    assert sum(sent(ws).values()) == 0


def test_a_saved_plan_keeps_the_refusal_it_was_made_with(four_of_ten: Workspace) -> None:
    ws = four_of_ten
    assert ws.cli("plan", "--out", "p.json").code == 0
    saved = json.loads((ws.root / "p.json").read_text())
    assert saved["refusal"] == {"reasons": [UPDATE_REASON], "override": "--force"}
    forced = ws.cli("apply", "p.json", "--force")  # the flag it names
    assert forced.code == 0, forced.err
    assert sent(ws) == {"update": 4}


def test_within_the_threshold_plan_says_nothing(ws: Workspace) -> None:
    fleet(ws, TEN)
    change_files(ws, TEN[:3])  # exactly 30%: not more than
    result = ws.cli("plan")
    assert result.code == 0 and "3 to update" in result.out
    assert "refuse" not in result.err and "refuse" not in result.out
    assert "refusal" not in ws.plan_json()


def test_a_fresh_apply_shows_the_plan_then_refuses_without_writing(
    four_of_ten: Workspace,
) -> None:
    ws = four_of_ten
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 1
    assert "Plan: 4 to update, 6 unchanged." in result.out  # shown first
    assert error_line(result.err) == UPDATE_REFUSAL
    assert "applied" not in result.out
    assert sent(ws) == {}

    forced = ws.cli("apply", "--auto-approve", "--force")
    assert forced.code == 0, forced.err
    assert sent(ws) == {"update": 4}
    assert "Apply complete: 4 applied." in forced.out


def test_on_a_terminal_the_refusal_comes_before_the_question(
    four_of_ten: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(sys, "stdin", TerminalInput())
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "yes")
    result = four_of_ten.cli("apply")
    assert result.code == 1 and asked == []
    assert error_line(result.err) == UPDATE_REFUSAL
    assert sent(four_of_ten) == {}


def test_a_saved_plan_is_refused_before_any_request_then_forced(four_of_ten: Workspace) -> None:
    ws = four_of_ten
    planned = ws.cli("plan", "--out", "p.json")
    assert planned.code == 0 and UPDATE_WARNING in planned.err
    ws.store.reset_stats()

    refused = ws.cli("apply", "p.json")
    assert refused.code == 1
    assert error_line(refused.err) == UPDATE_REFUSAL
    assert ws.store.stats()["total"] == 0  # from the plan file's own counts: no request

    forced = ws.cli("apply", "p.json", "--force")
    assert forced.code == 0, forced.err
    assert sent(ws) == {"update": 4}


def test_raising_the_threshold_is_the_other_way(four_of_ten: Workspace) -> None:
    ws = four_of_ten
    assert ws.cli("plan", "--out", "p.json").code == 0
    ws.config("safety:\n  maxUpdatePercent: 40\n")
    assert "refuse" not in ws.cli("plan").err
    ws.store.reset_stats()
    result = ws.cli("apply", "p.json")  # the apply's settings judge the saved counts
    assert result.code == 0, result.err
    assert sent(ws) == {"update": 4}


def test_an_environment_has_its_own_thresholds(four_of_ten: Workspace) -> None:
    ws = four_of_ten
    ws.config(
        "safety:\n  maxUpdatePercent: 50\n"
        "environments:\n  strict:\n    safety:\n      maxUpdatePercent: 10\n  loose: {}\n"
    )
    assert "refuse" not in ws.cli("plan", "--env", "loose").err
    strict = ws.cli("apply", "--auto-approve", "--env", "strict")
    assert strict.code == 1
    assert "(40%) > maxUpdatePercent 10;" in error_line(strict.err)
    assert sent(ws) == {}


def test_min_existing_boundary(ws: Workspace) -> None:
    nine = TEN[:9]
    fleet(ws, nine)
    change_files(ws, nine)  # every one of them: 100%, but fewer than minExisting (10)
    ws.store.reset_stats()
    plan = ws.cli("plan")
    assert plan.code == 0 and "refuse" not in plan.err

    ws.config("safety:\n  minExisting: 9\n")
    refused = ws.cli("apply", "--auto-approve")
    assert refused.code == 1
    assert "updates 9 of 9 campaigns (100%)" in error_line(refused.err)
    assert sent(ws) == {}

    ws.config("safety:\n  minExisting: 10\n")
    applied = ws.cli("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    assert sent(ws) == {"update": 9}


def test_creates_do_not_count(ws: Workspace) -> None:
    fleet(ws, TEN)
    change_files(ws, [f"New {n}" for n in range(20)])  # twenty files for new campaigns
    ws.store.reset_stats()
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 0, result.err
    assert sent(ws) == {"create": 20}
