"""The applier's own logic against an in-memory writer, or the real client over a fake
transport where the client's part matters (no HTTP): the concurrency bound (the client's),
partial failure, the stop and abandon events. End-to-end behaviour against the emulator is in
test_apply.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from campsync.errors import ApiError, StalePlanError
from campsync.sync.applier import UNKNOWN_OUTCOME, apply_plan, check_fresh
from campsync.sync.journal import ApplyJournal, plan_key
from campsync.sync.plan import Change, Plan
from tests.test_kore_policy import FakeTransport, client_on
from tests.test_kore_ratelimit import FakeTime


class MemoryWriter:
    def __init__(self, *, refuse: set[str] | None = None):
        self.refuse = refuse or set()
        self.sent: list[tuple[str, str | None, dict[str, Any]]] = []

    async def _write(self, action: str, cid: str | None, body: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        if body.get("name") in self.refuse:
            raise ApiError("contactLists: unknown list 'Nope'", status=400)
        self.sent.append((action, cid, body))

    async def update_campaign(
        self, campaign_id: str, body: dict[str, Any], campaign_type: str = "voice"
    ) -> dict[str, Any]:
        await self._write("update", campaign_id, body)
        return {}

    async def create_campaign(self, body: dict[str, Any], campaign_type: str = "voice") -> str:
        await self._write("create", None, body)
        return f"cd-new-{body['name']}"

    async def delete_campaign(
        self, campaign_id: str, campaign_type: str = "voice"
    ) -> dict[str, Any]:
        await self._write("delete", campaign_id, {})
        return {}


def update(name: str) -> Change:
    return Change(
        action="update", name=name, id=f"cd-{name}", file=f"{name}.yaml", body={"name": name}
    )


def plan_of(*changes: Change) -> Plan:
    return Plan.of(changes=list(changes), unchanged=0, unmanaged=[], warnings=[])


def platform_of(*names: str) -> FakeTransport:
    """A platform (behind the real client) holding the campaigns `update(name)` writes."""
    return FakeTransport({f"cd-{n}": {"_id": f"cd-{n}", "name": n} for n in names})


async def test_every_write_is_sent_within_the_parallelism_and_blocked_ones_are_not() -> None:
    # The one bound on requests in flight is the client's parallelism.
    transport = platform_of(*(str(i) for i in range(7)))
    blocked = Change(action="blocked", name="B", id="cd-B", file="B.yaml", reason="Active")
    create = Change(action="create", name="N", id=None, file="N.yaml", body={"name": "N"})
    changes = [update(str(i)) for i in range(7)]
    async with client_on(transport, FakeTime(), parallelism=3) as writer:
        result = await apply_plan(writer, plan_of(create, *changes, blocked))
    assert len(transport.sent) == 8
    assert transport.max_in_flight <= 3
    assert result.skipped == [blocked]
    assert result.created_ids == {"N.yaml": "cd-new-N"}
    assert not result.ok and not result.interrupted and not result.failed


async def test_a_failure_does_not_stop_the_others() -> None:
    writer = MemoryWriter(refuse={"2"})
    seen: list[tuple[str, str | None]] = []
    result = await apply_plan(
        writer,
        plan_of(*(update(str(i)) for i in range(4))),
        on_result=lambda c, err: seen.append((c.name, err)),
    )
    assert [c.name for c in result.applied] == ["0", "1", "3"]
    assert [(c.name, "unknown list" in reason) for c, reason in result.failed] == [("2", True)]
    assert sorted(n for n, _ in seen) == ["0", "1", "2", "3"]
    assert not result.ok


async def test_stop_lets_writes_in_flight_finish_and_starts_no_new_ones() -> None:
    transport = platform_of(*(str(i) for i in range(6)))
    transport.hold = asyncio.Event()
    stop = asyncio.Event()
    async with client_on(transport, FakeTime(), parallelism=2) as writer:
        writer.stop_new_writes_on(stop)
        task = asyncio.create_task(
            apply_plan(writer, plan_of(*(update(str(i)) for i in range(6))), stop=stop)
        )
        while transport.in_flight < 2:
            await asyncio.sleep(0)
        stop.set()
        transport.hold.set()
        result = await task
    assert result.interrupted
    assert [c.name for c in result.applied] == ["0", "1"]
    assert [c.name for c in result.skipped] == ["2", "3", "4", "5"]
    assert len(transport.sent) == 2


async def test_abandon_stops_waiting_for_writes_in_flight() -> None:
    transport = platform_of(*(str(i) for i in range(4)))
    transport.hold = asyncio.Event()  # never set: the writes hang
    stop = asyncio.Event()
    abandon = asyncio.Event()
    async with client_on(transport, FakeTime(), parallelism=2) as writer:
        writer.stop_new_writes_on(stop)
        task = asyncio.create_task(
            apply_plan(
                writer,
                plan_of(*(update(str(i)) for i in range(4))),
                stop=stop,
                abandon=abandon,
            )
        )
        while transport.in_flight < 2:
            await asyncio.sleep(0)
        stop.set()
        abandon.set()
        result = await task
    assert result.interrupted and result.applied == []
    assert [(c.name, reason) for c, reason in result.failed] == [
        ("0", UNKNOWN_OUTCOME),
        ("1", UNKNOWN_OUTCOME),
    ]
    assert [c.name for c in result.skipped] == ["2", "3"]
    assert transport.in_flight == 0  # the hanging writes were cancelled


class Listing:
    """A platform list in memory, and what a local cache would recall."""

    def __init__(self, items: list[dict[str, Any]], bodies: dict[str, dict[str, Any]]) -> None:
        self.items = items
        self.bodies = bodies

    async def list_campaigns(self, campaign_type: str = "voice") -> list[dict[str, Any]]:
        return self.items if campaign_type == "voice" else []

    def known_body(self, campaign_id: str, updated_at: str | None) -> dict[str, Any] | None:
        body = self.bodies.get(campaign_id)
        return body if body is not None and body["updatedAt"] == updated_at else None

    def last_match(self, file: str) -> str | None:
        return None


async def test_a_plan_already_applied_in_part_or_out_of_date_says_which() -> None:
    applied = {"_id": "cd-a", "name": "a", "description": "new", "updatedAt": "t1"}
    platform = Listing([applied, {"_id": "cd-b", "name": "b", "updatedAt": "t0"}], {})
    body = {"name": "a", "description": "new"}
    plan = plan_of(
        Change("update", "a", "cd-a", None, body=body, updated_at="t0"),
        Change("update", "b", "cd-b", None, body={**body, "name": "b"}, updated_at="t0"),
        Change("delete", "gone", "cd-gone", None, updated_at="t0"),
    )
    with pytest.raises(StalePlanError) as unknown:  # nothing recalled: 'a' changed
        await check_fresh(platform, plan, memory=platform)
    assert "campaign 'a' (cd-a) changed on the platform" in str(unknown.value)

    platform.bodies["cd-a"] = applied  # as the answer to this plan's update left it
    with pytest.raises(StalePlanError) as in_part:
        await check_fresh(platform, plan, memory=platform)
    assert str(in_part.value) == (
        "the plan was already applied in part: campaign 'a' (cd-a) already holds its change, "
        "campaign 'gone' (cd-gone) was deleted; nothing was sent, plan again"
    )

    platform.items[1]["updatedAt"] = "t2"  # and 'b' was changed by someone else
    with pytest.raises(StalePlanError) as mixed:
        await check_fresh(platform, plan, memory=platform)
    assert str(mixed.value).startswith(
        "the plan is out of date: campaign 'b' (cd-b) changed on the platform after the plan"
        " was made (campaign 'a' (cd-a) already holds its change, campaign 'gone' (cd-gone)"
        " was deleted: already applied)"
    )


async def test_a_plan_whose_earlier_apply_was_cut_short_is_said_to_be_partly_applied() -> None:
    platform = Listing([{"_id": "cd-a", "name": "a", "updatedAt": "t1"}], {})
    plan = plan_of(Change("update", "a", "cd-a", None, body={"name": "a"}, updated_at="t0"))
    with pytest.raises(StalePlanError) as caught:
        await check_fresh(platform, plan, memory=platform, interrupted="2025-01-02T03:04:05+00:00")
    assert str(caught.value) == (
        "the plan was partly applied: an apply of it begun at 2025-01-02T03:04:05+00:00 ended "
        "before it could record its writes, so the campaigns it wrote look changed on the "
        "platform (campaign 'a' (cd-a) changed); nothing was sent; make a new plan "
        "('campsync plan --out FILE'), review what is left, and apply that"
    )


def test_the_apply_journal_keeps_a_mark_until_it_is_taken_away(tmp_path: Path) -> None:
    plan = plan_of(Change("update", "a", "cd-a", None, body={"name": "a"}, updated_at="t0"))
    other = plan_of(Change("update", "a", "cd-a", None, body={"name": "a"}, updated_at="t9"))
    key = plan_key(plan)
    assert key == plan_key(plan_of(*plan.changes)) and key != plan_key(other)
    journal = ApplyJournal(tmp_path, "target-1")
    assert journal.load() is None and journal.begun(key) is None
    assert journal.begin(key, datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) is None
    reread = ApplyJournal(tmp_path, "target-1")  # as the next run finds it
    assert reread.load() is None
    assert reread.begun(key) == "2025-01-02T03:04:05+00:00"
    assert ApplyJournal(tmp_path, "target-2").begun(key) is None  # another target's
    assert reread.end(key) is None
    again = ApplyJournal(tmp_path, "target-1")
    again.load()
    assert again.begun(key) is None
