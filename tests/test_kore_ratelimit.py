"""The sliding-window limiter, on a fake clock (exact) and on the real one (counts only)."""

from __future__ import annotations

import asyncio
import time

import pytest

from campsync.kore.ratelimit import SlidingWindowLimiter
from campsync.kore.retry import RetryPolicy


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


async def take_place(limiter: SlidingWindowLimiter) -> None:
    """A request that ends as soon as it has its place (which frees a window later)."""
    async with limiter.reserve():
        pass


def under_way_until(limiter: SlidingWindowLimiter, gate: asyncio.Event) -> asyncio.Task[None]:
    """A request under way, holding its place, until `gate` is set."""

    async def held() -> None:
        async with limiter.reserve():
            await gate.wait()

    return asyncio.create_task(held())


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


async def test_places_free_a_window_after_use() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(5, 10.0, clock=fake.clock, sleep=fake.sleep)
    times = []
    for _ in range(12):
        await take_place(limiter)
        times.append(fake.now)
    assert times == [0.0] * 5 + [10.0] * 5 + [20.0] * 2


async def test_concurrent_acquirers_share_one_budget() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(3, 1.0, clock=fake.clock, sleep=fake.sleep)
    times: list[float] = []

    async def one() -> None:
        await take_place(limiter)
        times.append(fake.now)

    await asyncio.gather(*(one() for _ in range(10)))
    assert sorted(times) == [0.0] * 3 + [1.0] * 3 + [2.0] * 3 + [3.0]


async def test_a_place_is_held_while_the_request_is_under_way() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(2, 10.0, clock=fake.clock, sleep=fake.sleep)
    release_a = asyncio.Event()
    hold_b = asyncio.Event()
    entered: list[str] = []

    async def held(name: str, until: asyncio.Event) -> None:
        async with limiter.reserve():
            entered.append(name)
            await until.wait()

    a = asyncio.create_task(held("a", release_a))
    b = asyncio.create_task(held("b", hold_b))
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(take_place(limiter))
    await asyncio.sleep(0.01)
    assert entered == ["a", "b"] and not waiter.done()  # both places in flight
    fake.now = 5.0
    release_a.set()  # a's answer arrives at 5: its place frees at 15, not at 10
    await waiter
    assert fake.now == 15.0
    hold_b.set()
    await asyncio.gather(a, b)


async def test_a_failed_request_still_uses_its_place() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(1, 10.0, clock=fake.clock, sleep=fake.sleep)
    with pytest.raises(RuntimeError):
        async with limiter.reserve():
            raise RuntimeError("dropped")
    await take_place(limiter)
    assert fake.now == 10.0


async def test_pause_holds_everyone() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(100, 60.0, clock=fake.clock, sleep=fake.sleep)
    await take_place(limiter)
    limiter.pause(30.0)
    limiter.pause(5.0)  # a shorter pause does not cut a longer one
    await take_place(limiter)
    assert fake.now == 30.0
    await take_place(limiter)
    assert fake.now == 30.0


async def test_real_clock_budget_is_never_exceeded() -> None:
    limiter = SlidingWindowLimiter(4, 0.1)
    times: list[float] = []

    async def one() -> None:
        async with limiter.reserve():
            times.append(time.monotonic())
            await asyncio.sleep(0.001)

    await asyncio.gather(*(one() for _ in range(14)))
    assert len(times) == 14
    assert most_in_any_window(times, 0.1) <= 4


async def test_cancelled_waiters_leave_no_trace() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(1, 10.0, clock=fake.clock, sleep=fake.sleep)
    gate = asyncio.Event()
    holder = under_way_until(limiter, gate)
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(take_place(limiter))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.set()
    await holder
    await take_place(limiter)
    assert fake.now == 10.0


def test_bad_limits() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0)
    with pytest.raises(ValueError):
        SlidingWindowLimiter(1, window=0)
    assert repr(SlidingWindowLimiter(60)) == "SlidingWindowLimiter(limit=60, window=60.0)"


def test_backoff_is_capped_exponential_with_full_jitter() -> None:
    top = RetryPolicy(base=0.5, cap=8.0, jitter=lambda: 1.0)
    assert [top.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert RetryPolicy(jitter=lambda: 0.0).backoff(3) == 0.0
    policy = RetryPolicy()
    assert policy.max_retries == 5
    assert all(0.0 <= policy.backoff(5) <= 8.0 for _ in range(100))
    assert [policy.may_retry(n) for n in range(7)] == [True] * 5 + [False] * 2
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


async def test_a_listener_hears_each_wait_and_its_reason_every_few_seconds() -> None:
    fake = FakeTime()
    heard: list[tuple[float, float, str]] = []
    limiter = SlidingWindowLimiter(2, 12.0, clock=fake.clock, sleep=fake.sleep, report_every=5.0)
    limiter.report_waits_to(lambda seconds, why: heard.append((fake.now, seconds, why)))
    for _ in range(3):
        await take_place(limiter)
    assert fake.now == 12.0  # the same wait as without a listener, told in pieces
    assert heard == [(0.0, 12.0, "limit"), (5.0, 7.0, "limit"), (10.0, 2.0, "limit")]

    heard.clear()
    limiter.pause(7.0)  # a 429's Retry-After
    await take_place(limiter)
    assert fake.now == 19.0
    assert heard == [(12.0, 7.0, "429"), (17.0, 2.0, "429")]

    limiter.report_waits_to(None)
    heard.clear()
    await take_place(limiter)
    assert heard == []


def test_a_429_wait_is_at_least_a_second_and_at_most_a_day() -> None:
    policy = RetryPolicy()
    assert policy.rate_limit_wait(0.0, 60.0) == 1.0
    assert policy.rate_limit_wait(0.2, 60.0) == 1.0
    assert policy.rate_limit_wait(7.5, 60.0) == 7.5
    assert policy.rate_limit_wait(None, 60.0) == 60.0  # no Retry-After: a whole window
    assert policy.rate_limit_wait(1e308, 60.0) == 86_400.0
    assert RetryPolicy(min_rate_limit_wait=0.01).rate_limit_wait(0.0, 60.0) == 0.01
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(min_rate_limit_wait=-1)


# --- places of earlier runs (hold) and this run's for the next (take_ended) ----------------


async def test_places_held_by_earlier_runs_free_a_window_after_they_ended() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(3, 10.0, clock=fake.clock, sleep=fake.sleep)
    limiter.hold([2.0, 5.0])  # two requests of an earlier run ended 2 s and 5 s ago
    times = []
    for _ in range(4):
        await take_place(limiter)
        times.append(fake.now)
    assert times == [0.0, 5.0, 8.0, 10.0]


@pytest.mark.parametrize(
    ("ages", "first"),
    [
        ([-1e9, -5.0], 10.0),  # times far ahead of the clock counts as now: one window, no more
        ([0.0] * 50, 10.0),  # more places than the limit: never more than one window either
        ([10.0, 50.0, 1e12], 0.0),  # places already free: no wait
        ([], 0.0),
    ],
)
async def test_earlier_places_never_cost_more_than_one_window(
    ages: list[float], first: float
) -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(2, 10.0, clock=fake.clock, sleep=fake.sleep)
    limiter.hold(ages)
    await take_place(limiter)
    assert fake.now == first


async def test_take_ended_tells_this_limiters_ended_requests_once() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(10, 10.0, clock=fake.clock, sleep=fake.sleep)
    limiter.hold([1.0])  # an earlier run's: not this limiter's to tell
    await take_place(limiter)
    fake.now = 4.0
    gate = asyncio.Event()
    task = under_way_until(limiter, gate)
    await asyncio.sleep(0.01)
    await take_place(limiter)
    fake.now = 6.0
    assert limiter.take_ended() == [6.0, 2.0]  # the one under way is not told yet
    assert limiter.take_ended() == []
    gate.set()
    await task
    fake.now = 7.0
    assert limiter.take_ended() == [1.0]
    await take_place(limiter)
    fake.now = 30.0  # its place is free again by now: nothing to tell
    assert limiter.take_ended() == []


async def test_ended_requests_beyond_the_window_are_not_kept_without_end() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(1_000_000, 1.0, clock=fake.clock, sleep=fake.sleep)
    for n in range(5000):
        fake.now = n * 0.01
        await take_place(limiter)
    ages = limiter.take_ended()
    assert len(ages) == 100  # the last second's requests only
    assert max(ages) < 1.0


async def test_when_full_hears_each_wait_for_a_place_before_it() -> None:
    fake = FakeTime()
    limiter = SlidingWindowLimiter(2, 10.0, clock=fake.clock, sleep=fake.sleep)
    heard: list[float] = []
    limiter.when_full(lambda: heard.append(fake.now))
    await take_place(limiter)
    await take_place(limiter)
    assert heard == []  # no wait yet
    await take_place(limiter)
    assert heard == [0.0] and fake.now == 10.0
    limiter.when_full(None)
    await take_place(limiter)
    await take_place(limiter)
    assert heard == [0.0] and fake.now == 20.0
