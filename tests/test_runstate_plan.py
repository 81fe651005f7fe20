"""Starts and stops in the plan's parts (issue 20), without HTTP: the plan's order and counts,
the renderers (text, Markdown, JSON), the safety thresholds by campaign, saved plans, the
freshness of a saved start or stop, and the applier's order per campaign (an in-memory
writer: a step after a failed one is not sent, a new campaign's start takes its id, an
interrupted wait sends nothing). End to end against the emulator: test_runstate_apply.py."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from campsync.config.settings import Safety
from campsync.config.target import Target
from campsync.errors import ApiError, NotReady, StalePlanError, TransportError, WriteNotSent
from campsync.kore.protocol import Trigger, Triggered
from campsync.sync.applier import apply_plan, check_fresh
from campsync.sync.plan import Change, FieldDiff, Plan
from campsync.sync.planfile import load_plan, save_plan
from campsync.sync.render import render_json, render_markdown, render_text
from campsync.sync.results import results_of
from campsync.sync.runstate import run_change
from campsync.sync.safety import check_safe
from tests.test_apply_unit import Listing, MemoryWriter

TARGET = Target("https://platform.kore.ai", "st-1", "acc-1")


def update(name: str, **more: Any) -> Change:
    return Change(
        "update",
        name,
        f"cd-{name}",
        f"{name}.yaml",
        diff=(FieldDiff("priority", "3", "5"),),
        body={"name": name},
        updated_at="t0",
        **more,
    )


def run(action: Any, name: str, status: str | None, **more: Any) -> Change:
    created = status is None
    return run_change(
        action,
        name=name,
        campaign_id=None if created else f"cd-{name}",
        file=f"{name}.yaml",
        campaign_type="voice",
        status=status,
        updated_at=None if created else "t0",
        **more,
    )


def create(name: str) -> Change:
    return Change("create", name, None, f"{name}.yaml", body={"name": name})


def restart_plan() -> Plan:
    """Spring restarted (Active, --restart), Fresh created and started, Old stopped."""
    return Plan.of(
        [
            run("start", "Spring", "Active", after_stop=True),
            update("Spring", status="Active"),
            run("stop", "Spring", "Active"),
            run("start", "Fresh", None),
            create("Fresh"),
            run("stop", "Old", "Active"),
        ],
        unchanged=2,
        existing=10,
    )


# ---- the plan -------------------------------------------------------------------------


def test_one_campaigns_changes_come_in_apply_order() -> None:
    plan = restart_plan()
    assert [(c.action, c.name) for c in plan.changes] == [
        ("create", "Fresh"),
        ("stop", "Old"),
        ("stop", "Spring"),
        ("update", "Spring"),
        ("start", "Fresh"),
        ("start", "Spring"),
    ]
    assert plan.restarts == frozenset({"file:Spring.yaml"})
    assert plan.summary == {
        "create": 1,
        "stop": 2,
        "update": 1,
        "start": 2,
        "delete": 0,
        "blocked": 0,
        "unchanged": 2,
        "unmanaged": 0,
    }


def test_a_start_or_stop_shows_the_status_it_moves_the_campaign_from_and_to() -> None:
    assert run("start", "A", "Paused").diff == (FieldDiff("status", "Paused", "Active"),)
    assert run("start", "A", None).diff == (FieldDiff("status", "Preparing", "Active"),)
    assert run("start", "A", "Active", after_stop=True).diff == (
        FieldDiff("status", "Stopped", "Active"),
    )
    assert run("stop", "A", "Active").diff == (FieldDiff("status", "Active", "Stopped"),)
    entry = run("stop", "A", "Active").to_json()
    assert entry == {
        "action": "stop",
        "id": "cd-A",
        "name": "A",
        "file": "A.yaml",
        "diff": [{"path": "status", "before": "Active", "after": "Stopped"}],
    }


def test_text_says_restart_and_once_ready() -> None:
    out = io.StringIO()
    render_text(restart_plan(), out)
    text = out.getvalue()
    assert '< stop "Spring" (cd-Spring) Spring.yaml (restart)\n' in text
    assert '~ update "Spring" (cd-Spring) Spring.yaml (restart)\n' in text
    assert '> start "Spring" (cd-Spring) Spring.yaml (restart)\n' in text
    assert (
        '> start "Fresh" Fresh.yaml (once Ready)\n    ~ status: "Preparing" -> "Active"\n' in text
    )
    assert '< stop "Old" (cd-Old) Old.yaml\n    ~ status: "Active" -> "Stopped"\n' in text
    assert "Plan: 1 to create, 2 to stop, 1 to update, 2 to start (1 restart), 2 unchanged." in text


def test_markdown_says_restart_and_once_ready_with_its_symbols_escaped() -> None:
    out = io.StringIO()
    render_markdown(restart_plan(), out)
    text = out.getvalue()
    assert text.startswith(
        "### campsync plan: 1 to create, 2 to stop, 1 to update, 2 to start (1 restart), "
        "2 unchanged.\n"
    )
    assert "| \\< | stop | Spring | cd-Spring | Spring.yaml | Active to Stopped (restart) |" in text
    assert "| \\> | start | Fresh |  | Fresh.yaml | Preparing to Active (once Ready) |" in text
    assert "| ~ | update | Spring | cd-Spring | Spring.yaml | 1 field (restart) |" in text
    assert "**start:" not in text and "**stop:" not in text  # their table row says it all


def test_json_counts_starts_and_stops() -> None:
    out = io.StringIO()
    render_json(restart_plan(), out)
    document = json.loads(out.getvalue())
    assert (document["summary"]["start"], document["summary"]["stop"]) == (2, 2)
    assert [c["action"] for c in document["changes"] if c["name"] == "Spring"] == [
        "stop",
        "update",
        "start",
    ]


# ---- the safety thresholds ------------------------------------------------------------


def test_starts_and_stops_count_as_updates_once_per_campaign() -> None:
    safety = Safety(max_update_percent=20, max_delete_percent=30, min_existing=10)
    # Spring (restart: 3 changes) and Old (a stop) are 2 campaigns of 10; Fresh's start is
    # that of a campaign the plan creates: it changes nothing that exists.
    assert check_safe(restart_plan(), safety) == []
    third = Plan.of([*restart_plan().changes, run("start", "Other", "Ready")], existing=10)
    (reason,) = check_safe(third, safety)
    assert reason == "updates 3 of 10 campaigns (30%) > maxUpdatePercent 20"


# ---- saved plans ----------------------------------------------------------------------


def test_a_saved_plan_keeps_each_start_and_stop_with_the_status_it_saw(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(path, restart_plan(), TARGET)
    document = json.loads(path.read_text())
    assert [c["campsync"]["status"] for c in document["changes"]] == [
        None,
        "Active",
        "Active",
        "Active",
        None,
        "Active",
    ]
    assert load_plan(path).plan == restart_plan()


# ---- freshness of a saved start or stop ------------------------------------------------


def listing(**statuses: str) -> Listing:
    items = [
        {"_id": f"cd-{name}", "name": name, "status": status, "updatedAt": "t9"}
        for name, status in statuses.items()
    ]
    return Listing(items, {})


async def test_a_start_or_stop_is_fresh_while_the_status_is_the_one_planned() -> None:
    # updatedAt moved (t0 -> t9): no matter for a start or a stop.
    plan = Plan.of([run("start", "A", "Ready"), run("stop", "B", "Active")])
    await check_fresh(listing(A="Ready", B="Active"), plan)
    # The start of a campaign the plan creates goes with its create.
    await check_fresh(listing(), Plan.of([create("N"), run("start", "N", None)]))


async def test_a_start_or_stop_whose_status_changed_is_refused_naming_it() -> None:
    plan = Plan.of([run("start", "A", "Ready"), run("stop", "B", "Active")])
    with pytest.raises(StalePlanError) as caught:
        await check_fresh(listing(A="Completed", B="Active"), plan)
    assert str(caught.value) == (
        "the plan is out of date: campaign 'A' (cd-A) is Completed now (the plan saw Ready) on "
        "the platform after the plan was made; nothing was applied, plan again"
    )
    with pytest.raises(StalePlanError) as done:
        await check_fresh(listing(A="Active", B="Stopped"), plan)
    assert str(done.value) == (
        "the plan was already applied: campaign 'B' (cd-B) is Stopped already, campaign 'A' "
        "(cd-A) is Active already; nothing was sent"
    )
    with pytest.raises(StalePlanError, match=r"campaign 'A' \(cd-A\) was deleted"):
        await check_fresh(listing(B="Active"), plan)


# ---- the applier ----------------------------------------------------------------------


class RunWriter(MemoryWriter):
    """The in-memory writer, with triggers and statuses (a campaign's statuses in turn)."""

    def __init__(self, *, refuse: set[str] | None = None, statuses: dict[str, list[str]]):
        super().__init__(refuse=refuse)
        self.statuses = statuses

    async def trigger(
        self, campaign_id: str, action: Trigger, campaign_type: str = "voice", *, name: Any = None
    ) -> Triggered:
        await self._write(action, campaign_id, {"name": name})
        return Triggered("Active" if action == "play" else "Stopped")

    async def campaign_status(self, campaign_id: str, *, name: str | None = None) -> str:
        await asyncio.sleep(0)
        found = self.statuses[campaign_id]
        return found.pop(0) if len(found) > 1 else found[0]


class Instant:
    """A wait for Ready that asks once (as --wait 0 does)."""

    def __init__(self, writer: RunWriter) -> None:
        self.writer = writer
        self.asked: list[str] = []

    async def ready(self, campaign_id: str, name: str) -> str:
        self.asked.append(campaign_id)
        status = await self.writer.campaign_status(campaign_id)
        if status == "Preparing":
            raise NotReady("still Preparing after 0 s (--wait 0): not started")
        return status


def sent(writer: MemoryWriter) -> list[tuple[str, str | None]]:
    return [(action, campaign_id) for action, campaign_id, _ in writer.sent]


async def test_one_campaigns_steps_run_in_order_and_a_new_ones_start_takes_its_id() -> None:
    writer = RunWriter(statuses={"cd-new-Fresh": ["Ready"]})
    waiting = Instant(writer)
    plan = restart_plan()
    result = await apply_plan(writer, plan, ready=waiting)
    assert result.ok
    spring = [s for s in sent(writer) if s[1] == "cd-Spring"]
    assert spring == [("stop", "cd-Spring"), ("update", "cd-Spring"), ("play", "cd-Spring")]
    assert sent(writer).index(("create", None)) < sent(writer).index(("play", "cd-new-Fresh"))
    assert waiting.asked == ["cd-new-Fresh"]  # only the new campaign's start waits
    # The result holds the plan's own changes (apply --json tells each one's outcome), the
    # new campaign's start with the id its create gave.
    assert result.applied == [c for c in plan.changes if c.action != "blocked"]
    outcomes = [r.to_json() for r in results_of(plan, result).results if r.change.name == "Fresh"]
    assert [(r["action"], r["id"], r["outcome"]) for r in outcomes] == [
        ("create", "cd-new-Fresh", "applied"),
        ("start", "cd-new-Fresh", "applied"),
    ]


async def test_a_step_after_a_failed_one_is_not_sent_and_is_told_apart() -> None:
    writer = RunWriter(refuse={"Spring"}, statuses={})
    seen: list[tuple[str, str | None]] = []
    plan = Plan.of(
        [run("stop", "Spring", "Active"), update("Spring"), run("stop", "Old", "Active")]
    )
    result = await apply_plan(writer, plan, on_result=lambda c, e: seen.append((c.action, e)))
    assert [(c.action, c.name) for c, _ in result.failed] == [("stop", "Spring")]
    assert [(c.action, why) for c, why in result.after_failure] == [
        ("update", "the stop before it failed")
    ]
    assert [(c.action, c.name) for c in result.applied] == [("stop", "Old")]
    assert result.skipped == [] and not result.ok and not result.interrupted
    assert sorted(a for a, _ in seen) == ["stop", "stop"]  # the update was never tried
    assert ("update", "cd-Spring") not in sent(writer)


class LosingWriter(RunWriter):
    """Every trigger is sent, and its answer lost (the client could not tell its outcome)."""

    async def trigger(
        self, campaign_id: str, action: Trigger, campaign_type: str = "voice", *, name: Any = None
    ) -> Triggered:
        await self._write(action, campaign_id, {"name": name})
        raise TransportError(
            "could not reach the platform: the server closed the connection",
            campaign=name,
            outcome_unknown=True,
        )


async def test_a_trigger_whose_answer_was_lost_is_unknown_and_holds_back_its_campaign() -> None:
    """apply --json: the stop's outcome is unknown (never re-sent blindly here: the client
    looked, or gave up); the update and start after it are not sent, saying why."""
    writer = LosingWriter(statuses={})
    plan = Plan.of(c for c in restart_plan().changes if c.name == "Spring")
    assert [c.action for c in plan.changes] == ["stop", "update", "start"]
    result = await apply_plan(writer, plan)
    assert sent(writer) == [("stop", "cd-Spring")]
    assert [c.action for c in result.unknown] == ["stop"]
    entries = results_of(plan, result).to_json()
    assert [(r["action"], r["outcome"]) for r in entries["results"]] == [
        ("stop", "unknown"),
        ("update", "not sent"),
        ("start", "not sent"),
    ]
    reasons = [r["reason"] for r in entries["results"]]
    assert reasons[0].endswith("its answer was lost: the outcome is unknown (plan again to see)")
    assert reasons[1:] == ["the stop before it had its answer lost"] * 2
    assert entries["summary"]["unknown"] == 1 and entries["summary"]["not sent"] == 2


async def test_a_start_whose_campaign_is_still_preparing_fails_saying_so() -> None:
    writer = RunWriter(statuses={"cd-A": ["Preparing"], "cd-B": ["Completed"], "cd-C": ["Active"]})
    found = replace(run("start", "C", None), id="cd-C")  # a new campaign, created earlier
    plan = Plan.of([run("start", "A", "Preparing"), run("start", "B", "Preparing"), found])
    result = await apply_plan(writer, plan, ready=Instant(writer))
    assert {c.name: why for c, why in result.failed} == {
        "A": "still Preparing after 0 s (--wait 0): not started",
        "B": "the campaign is Completed now, not Ready: not started",
    }
    assert [c.name for c in result.applied] == ["C"]  # someone started it: nothing to send
    assert sent(writer) == []


async def test_an_interrupted_wait_for_ready_sends_nothing() -> None:
    writer = RunWriter(statuses={"cd-A": ["Preparing"]})
    stop = asyncio.Event()

    class Stopped:
        async def ready(self, campaign_id: str, name: str) -> str:
            stop.set()
            raise WriteNotSent("start of campaign 'A': not sent (apply was stopped)")

    result = await apply_plan(
        writer, Plan.of([run("start", "A", "Preparing")]), stop=stop, ready=Stopped()
    )
    assert result.interrupted
    assert [c.name for c in result.skipped] == ["A"]
    assert result.failed == [] and sent(writer) == []


async def test_a_refused_trigger_is_a_failed_change_with_the_platforms_reason() -> None:
    class Refusing(RunWriter):
        async def trigger(
            self,
            campaign_id: str,
            action: Trigger,
            campaign_type: str = "voice",
            *,
            name: Any = None,
        ) -> Triggered:
            raise ApiError(
                "A campaign in status Completed can't be started", status=400, campaign=name
            )

    writer = Refusing(statuses={})
    result = await apply_plan(writer, Plan.of([run("start", "A", "Ready")]))
    assert [(c.name, why) for c, why in result.failed] == [
        ("A", "A campaign in status Completed can't be started (HTTP 400)")
    ]


async def test_a_new_campaigns_start_not_sent_after_an_interrupt_still_names_its_id() -> None:
    """Interrupted while it waited for Ready: the create was applied, the start not sent, and
    apply --json names the new campaign's id for both (the campaign exists)."""
    writer = RunWriter(statuses={"cd-new-Fresh": ["Preparing"]})
    stop = asyncio.Event()

    class Interrupted:
        async def ready(self, campaign_id: str, name: str) -> str:
            stop.set()
            raise WriteNotSent(f"start of campaign {name!r}: not sent (apply was stopped)")

    plan = Plan.of([run("start", "Fresh", None), create("Fresh")])
    result = await apply_plan(writer, plan, stop=stop, ready=Interrupted())
    outcomes = [r.to_json() for r in results_of(plan, result).results]
    assert [(r["action"], r["id"], r["outcome"]) for r in outcomes] == [
        ("create", "cd-new-Fresh", "applied"),
        ("start", "cd-new-Fresh", "not sent"),
    ]
