"""Each change's outcome after an apply (campsync.sync.results) and the result JSON, from the
real applier's results: over an in-memory writer for refusals, over the real client and a
fake transport for the stop and abandon events. End to end against the emulator:
test_apply_json.py."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from campsync.kore import Unreachable
from campsync.sync.applier import UNKNOWN_OUTCOME, apply_plan
from campsync.sync.plan import Change, Plan
from campsync.sync.render import render_results_json
from campsync.sync.results import (
    INTERRUPTED,
    NOT_STARTED,
    OUTCOMES,
    ApplyResults,
    ChangeResult,
    results_of,
)
from tests.test_apply_unit import MemoryWriter, plan_of, platform_of, update
from tests.test_kore_policy import client_on
from tests.test_kore_ratelimit import FakeTime

BLOCKED = Change("blocked", "Busy", "cd-busy", "busy.yaml", reason="the campaign is Active")
CREATE = Change("create", "New", None, "new.yaml", body={"name": "New"})


async def test_applied_failed_and_blocked_in_the_plans_order() -> None:
    plan = plan_of(CREATE, update("ok"), update("bad"), BLOCKED)
    result = await apply_plan(MemoryWriter(refuse={"bad"}), plan)
    results = results_of(plan, result)
    assert results.to_json() == {
        "format_version": 1,
        "results": [
            # the created campaign's new id
            {"action": "create", "id": "cd-new-New", "name": "New", "file": "new.yaml",
             "outcome": "applied"},
            {"action": "update", "id": "cd-bad", "name": "bad", "file": "bad.yaml",
             "outcome": "failed", "reason": "contactLists: unknown list 'Nope' (HTTP 400)"},
            {"action": "update", "id": "cd-ok", "name": "ok", "file": "ok.yaml",
             "outcome": "applied"},
            {"action": "blocked", "id": "cd-busy", "name": "Busy", "file": "busy.yaml",
             "outcome": "blocked", "reason": "the campaign is Active"},
        ],
        "summary": {"applied": 2, "failed": 1, "blocked": 1, "not sent": 0, "unknown": 0},
        "warnings": [],
    }  # fmt: skip
    assert not results.ok


async def test_stopped_writes_are_not_sent() -> None:
    transport = platform_of(*(str(i) for i in range(4)))
    transport.hold = asyncio.Event()
    stop = asyncio.Event()
    plan = plan_of(*(update(str(i)) for i in range(4)))
    async with client_on(transport, FakeTime(), parallelism=1) as writer:
        writer.stop_new_writes_on(stop)
        task = asyncio.create_task(apply_plan(writer, plan, stop=stop))
        while transport.in_flight < 1:
            await asyncio.sleep(0)
        stop.set()
        transport.hold.set()
        result = await task
    results = results_of(plan, result)
    assert [(r.change.name, r.outcome, r.reason) for r in results.results] == [
        ("0", "applied", None),
        ("1", "not sent", INTERRUPTED),
        ("2", "not sent", INTERRUPTED),
        ("3", "not sent", INTERRUPTED),
    ]
    assert results.summary == {"applied": 1, "failed": 0, "blocked": 0, "not sent": 3, "unknown": 0}


async def test_writes_abandoned_in_flight_have_an_unknown_outcome() -> None:
    transport = platform_of(*(str(i) for i in range(3)))
    transport.hold = asyncio.Event()  # never set: the writes hang
    stop, abandon = asyncio.Event(), asyncio.Event()
    plan = plan_of(*(update(str(i)) for i in range(3)))
    async with client_on(transport, FakeTime(), parallelism=2) as writer:
        writer.stop_new_writes_on(stop)
        task = asyncio.create_task(apply_plan(writer, plan, stop=stop, abandon=abandon))
        while transport.in_flight < 2:
            await asyncio.sleep(0)
        stop.set()
        abandon.set()
        result = await task
    outcomes = [(r.change.name, r.outcome, r.reason) for r in results_of(plan, result).results]
    assert outcomes == [
        ("0", "unknown", UNKNOWN_OUTCOME),
        ("1", "unknown", UNKNOWN_OUTCOME),
        ("2", "not sent", INTERRUPTED),
    ]


async def test_a_write_whose_answer_was_lost_has_an_unknown_outcome() -> None:
    """Sent, and every answer lost (the real client over a fake transport): it may have been
    made, so it is neither applied nor failed."""
    transport = platform_of("lost", "fine")
    transport.script["update"] = [Unreachable("the server closed the connection")] * 6
    plan = plan_of(update("lost"))
    async with client_on(transport, FakeTime()) as writer:
        result = await apply_plan(writer, plan)
    [entry] = results_of(plan, result).to_json()["results"]
    assert entry["outcome"] == "unknown"
    assert entry["reason"] == (
        "could not reach platform.example.com: the server closed the connection (6 attempts); "
        "its answer was lost: the outcome is unknown (plan again to see)"
    )
    assert result.failed and not result.ok  # apply exits 1, as for a failure


def test_nothing_written_every_change_blocked() -> None:
    plan = Plan.of([BLOCKED])
    assert [(r.outcome, r.reason) for r in results_of(plan, None).results] == [
        ("blocked", "the campaign is Active")
    ]
    assert results_of(Plan.of([update("x")]), None).results[0].reason == NOT_STARTED
    assert results_of(Plan.of(), None).to_json()["results"] == []


def test_any_action_is_reported_as_planned() -> None:
    """The result names the plan's own action, whatever it is (run state adds start, stop)."""
    plan = plan_of(update("a"))
    (entry,) = ApplyResults((ChangeResult(plan.changes[0], "applied"),)).to_json()["results"]
    assert entry["action"] == "update" and "reason" not in entry


def test_an_outcome_is_one_of_five_and_only_an_applied_change_has_no_reason() -> None:
    assert OUTCOMES == ("applied", "failed", "blocked", "not sent", "unknown")
    change = update("a")
    with pytest.raises(ValueError, match="unknown outcome"):
        ChangeResult(change, "skipped")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has a reason"):
        ChangeResult(change, "failed")
    with pytest.raises(ValueError, match="has a reason"):
        ChangeResult(change, "applied", "why")


def test_warnings_of_applied_writes_are_kept_and_make_it_not_ok() -> None:
    plan = plan_of(update("a"))
    results = ApplyResults((ChangeResult(plan.changes[0], "applied"),), ("fix experienceFlows",))
    assert results.to_json()["warnings"] == ["fix experienceFlows"] and not results.ok
    assert ApplyResults((ChangeResult(plan.changes[0], "applied"),)).ok


def test_the_result_json_renderer_writes_exactly_the_results_without_raw_controls() -> None:
    name = "evil\n\x1b[31mname\u202e"
    change = Change("update", name, "cd-1", "f.yaml", body={})
    results = ApplyResults((ChangeResult(change, "failed", f"refused: {name}"),))
    out = io.StringIO()
    render_results_json(results, out)
    text = out.getvalue()
    assert not [c for c in text if not c.isprintable() and c != "\n"]
    assert json.loads(text) == results.to_json()
