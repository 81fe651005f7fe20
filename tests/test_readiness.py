"""Waiting for a campaign to be Ready before it is started (sync/readiness.py, issue 20):
when it asks (thinning out, within the limit), what it ends with, what it tells the
progress, and an interrupted apply. On a fake clock with a scripted status source; then
with the real client against the emulator, whose request log counts the status calls."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from campsync.emulator.runner import RunningEmulator
from campsync.errors import NotReady, WriteNotSent
from campsync.sync.readiness import ReadyWaiter
from tests.fixtures_emulator import campaign_body
from tests.test_emulator_runstate import in_status
from tests.test_kore_ratelimit import FakeTime
from tests.test_kore_runstate import emulator_client


@dataclass
class Statuses:
    """A status source: each campaign's statuses in turn (the last one repeats), and the
    time of every question."""

    clock: Callable[[], float]
    script: dict[str, list[str]]
    asked: list[tuple[str, float]] = field(default_factory=list)

    async def campaign_status(self, campaign_id: str, *, name: str | None = None) -> str:
        self.asked.append((campaign_id, self.clock()))
        await asyncio.sleep(0)
        statuses = self.script[campaign_id]
        return statuses.pop(0) if len(statuses) > 1 else statuses[0]

    def times(self, campaign_id: str = "cd-1") -> list[float]:
        return [at for ident, at in self.asked if ident == campaign_id]


def waiter(fake: FakeTime, statuses: Statuses, limit: float) -> ReadyWaiter:
    return ReadyWaiter(statuses, limit, clock=fake.clock, sleep=fake.sleep)


async def test_it_asks_less_and_less_often_until_ready() -> None:
    fake = FakeTime()
    statuses = Statuses(fake.clock, {"cd-1": ["Preparing"] * 6 + ["Ready"]})
    assert await waiter(fake, statuses, 300).ready("cd-1", "Spring") == "Ready"
    # 2 s, then each interval 1.5 times the last (3, 4.5, 6.75, 10.125), 15 at most.
    assert statuses.times() == [2.0, 5.0, 9.5, 16.25, 26.375, 41.375, 56.375]


async def test_a_campaign_still_preparing_when_the_time_is_up_is_not_ready() -> None:
    fake = FakeTime()
    statuses = Statuses(fake.clock, {"cd-1": ["Preparing"]})
    with pytest.raises(NotReady) as caught:
        await waiter(fake, statuses, 300).ready("cd-1", "Spring")
    assert str(caught.value) == (
        "still Preparing after 300 s (--wait 300): not started; the next apply starts it"
    )
    times = statuses.times()
    assert times[-1] == 300.0  # a last question when the time is up, never later
    assert len(times) == 24  # what the default wait costs of the account's budget
    assert max(b - a for a, b in itertools.pairwise(times)) == 15.0


async def test_no_wait_asks_once() -> None:
    fake = FakeTime()
    statuses = Statuses(fake.clock, {"cd-1": ["Preparing"], "cd-2": ["Ready"]})
    with pytest.raises(NotReady, match="after 0 s \\(--wait 0\\)"):
        await waiter(fake, statuses, 0).ready("cd-1", "New")
    assert await waiter(fake, statuses, 0).ready("cd-2", "Found") == "Ready"
    assert statuses.asked == [("cd-1", 0.0), ("cd-2", 0.0)]


async def test_any_status_but_preparing_ends_the_wait() -> None:
    fake = FakeTime()
    statuses = Statuses(fake.clock, {"cd-1": ["Preparing", "Active"]})  # someone started it
    assert await waiter(fake, statuses, 60).ready("cd-1", "Spring") == "Active"


class VirtualTime:
    """A clock whose sleepers wake in order of their time, the clock jumping to each once
    every task is blocked (so that concurrent waits overlap, as in real time)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), id(wake), wake))
        await wake

    async def run(self, *coroutines: Awaitable[str]) -> list[str]:
        everything = asyncio.ensure_future(asyncio.gather(*coroutines))
        while not everything.done():
            for _ in range(20):  # let every task run until it blocks
                await asyncio.sleep(0)
            if self._sleepers and not everything.done():
                self.now, _, wake = heapq.heappop(self._sleepers)
                wake.set_result(None)
        return everything.result()


async def test_the_listener_hears_who_waits_at_each_question_and_when_none_does() -> None:
    time = VirtualTime()
    script = {"cd-1": ["Preparing", "Ready"], "cd-2": ["Preparing"] * 3 + ["Ready"]}
    statuses = Statuses(time.clock, script)
    heard: list[tuple[tuple[str, ...], float, float]] = []
    both = ReadyWaiter(
        statuses, 120, clock=time.clock, sleep=time.sleep, on_waiting=lambda *t: heard.append(t)
    )
    got = await time.run(both.ready("cd-1", "Bravo"), both.ready("cd-2", "Alpha"))
    assert got == ["Ready", "Ready"]
    assert statuses.times("cd-1") == [2.0, 5.0]
    assert statuses.times("cd-2") == [2.0, 5.0, 9.5, 16.25]
    assert heard[0] == (("Alpha", "Bravo"), 2.0, 120)
    assert (("Alpha",), 9.5, 120) in heard  # Bravo is Ready at 5 s, Alpha still waits
    assert heard[-1] == ((), 0.0, 120)  # none waits any more


async def test_an_interrupted_apply_ends_the_wait_at_once() -> None:
    fake = FakeTime()
    statuses = Statuses(fake.clock, {"cd-1": ["Preparing"]})
    stop = asyncio.Event()
    sleeping = asyncio.Event()

    async def sleep_forever(seconds: float) -> None:
        sleeping.set()
        await asyncio.Event().wait()

    waiting = ReadyWaiter(statuses, 300, stop=stop, clock=fake.clock, sleep=sleep_forever)
    task = asyncio.ensure_future(waiting.ready("cd-1", "Spring"))
    await sleeping.wait()
    stop.set()
    with pytest.raises(WriteNotSent, match="start of campaign 'Spring': not sent \\(apply was"):
        await task
    assert statuses.asked == []


def test_a_negative_limit_is_a_bug_of_the_caller() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        ReadyWaiter(Statuses(FakeTime().clock, {}), -1)


# ---- with the real client against the emulator


async def test_a_new_campaign_is_waited_for_on_the_emulator(emulator: RunningEmulator) -> None:
    async with emulator_client(emulator) as client:
        campaign_id = await client.create_campaign(campaign_body("Fresh"))
        waiting = ReadyWaiter(client, 10, first=0.05, longest=0.1)
        assert await waiting.ready(campaign_id, "Fresh") == "Ready"  # Ready after 0.2 s
    asked = [r for r in emulator.store.requests() if r["kind"] == "status"]
    assert len(asked) >= 2 and all(r["campaignId"] == campaign_id for r in asked)
    assert client.stats.by_kind["status"] == len(asked)


async def test_a_wait_that_runs_out_on_the_emulator(emulator: RunningEmulator) -> None:
    campaign_id = in_status(emulator, "Stuck", "Preparing")  # set so, it stays Preparing
    async with emulator_client(emulator) as client:
        waiting = ReadyWaiter(client, 0.3, first=0.05, longest=0.1)
        with pytest.raises(NotReady, match=r"^still Preparing after 0 s \(--wait 0\.3\)"):
            await waiting.ready(campaign_id, "Stuck")
    asked = [r for r in emulator.store.requests() if r["kind"] == "status"]
    assert 2 <= len(asked) == client.stats.by_kind["status"]
    assert emulator.store.stats()["by_kind"]["trigger"] == 0
