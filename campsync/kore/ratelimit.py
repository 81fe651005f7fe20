"""One request budget shared by every request of a run: at most `limit` per window.

A request occupies its place in the window from the moment it is sent until `window`
seconds after its answer arrived (or it failed). The platform counts a request when it
arrives, which is somewhere between those two moments, so however the network delays
requests, no window of the platform's ever holds more than `limit` of ours.

A wait can last a whole window (a minute at the platform's limit): whoever listens
(`report_waits_to`) hears of it when it starts and again every few seconds while it lasts,
so that a CI log can say why nothing moves.

Runs one after another share the platform's budget: a limiter can start with the places
earlier runs still hold (`hold`, from how long ago each ended) and tells which of its own
requests ended (`take_ended`), so that its caller can keep them for the next run
(sync/cache/sent.py); `when_full` hears whenever a request must wait for a place. Time
here is the injected clock alone: the caller converts ages to and from its own clock.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from campsync.aio import Sleep
from campsync.progress import WaitFn, WaitReason

# While a listener is told of waits, a wait is slept in pieces this long, each announced.
REPORT_EVERY = 5.0
# The platform's window: its limit counts the requests of the last 60 seconds.
WINDOW = 60.0


class RateLimiter(Protocol):
    @property
    def window(self) -> float: ...

    def reserve(self) -> AbstractAsyncContextManager[None]:
        """Wait for a place in the window, hold it while the request is under way."""
        ...

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` (after a 429)."""
        ...

    def report_waits_to(self, on_wait: WaitFn | None) -> None:
        """Tell `on_wait` how long a request still waits, and why, while it waits."""
        ...


class SlidingWindowLimiter:
    """No `window`-second span ever holds more than `limit` requests (retries included).

    A place is held by a request under way (counted) or by one that ended less than a
    window ago (its end kept in `_ends`, in the order they came, which on a monotonic clock
    is ascending): taking a place costs the same however many are held."""

    def __init__(
        self,
        limit: int,
        window: float = WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        report_every: float = REPORT_EVERY,
    ) -> None:
        if limit < 1:
            raise ValueError("the rate limit must be at least 1 request per window")
        if window <= 0:
            raise ValueError("the rate limit window must be positive")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._under_way = 0
        self._ends: collections.deque[float] = collections.deque()  # held places, ascending
        self._hold_until = float("-inf")
        self._lock = asyncio.Lock()  # FIFO: requests get their places in arrival order
        self._released = asyncio.Event()
        self._on_wait: WaitFn | None = None
        self._report_every = report_every
        self._when_full: Callable[[], None] | None = None
        self._own_ends: collections.deque[float] = collections.deque()  # not yet taken

    def report_waits_to(self, on_wait: WaitFn | None) -> None:
        self._on_wait = on_wait

    def when_full(self, callback: Callable[[], None] | None) -> None:
        """Call `callback` whenever a request must wait for a place (the window is full),
        before it waits."""
        self._when_full = callback

    def hold(self, ages: Iterable[float]) -> None:
        """Places taken before this limiter existed (by earlier runs): each request ended
        `age` seconds ago, and its place frees `window` seconds after that. A negative age
        counts as now (no earlier place ever costs more than one window's wait), places
        already free are dropped, and of more than `limit` only the latest are kept (the
        older ones free sooner: they could change no wait)."""
        now = self._clock()
        kept = sorted(max(0.0, age) for age in ages if age < self._window)[: self._limit]
        self._ends = collections.deque(sorted([*self._ends, *(now - age for age in kept)]))

    def take_ended(self) -> list[float]:
        """How many seconds ago each request of this limiter ended, for those that ended
        since the last call and whose place is still held (the places `hold` is given by
        the next run). A request under way is not in it yet: it is once it ends."""
        now = self._clock()
        ages = [now - end for end in self._own_ends if now - end < self._window]
        self._own_ends.clear()
        return ages

    @property
    def window(self) -> float:
        return self._window

    def pause(self, seconds: float) -> None:
        self._hold_until = max(self._hold_until, self._clock() + max(0.0, seconds))

    @asynccontextmanager
    async def _reservation(self) -> AsyncIterator[None]:
        await self._take()
        try:
            yield
        finally:
            self._finish()

    def reserve(self) -> AbstractAsyncContextManager[None]:
        return self._reservation()

    def _finish(self) -> None:
        end = self._clock()
        self._under_way -= 1
        self._ends.append(end)
        own = self._own_ends
        own.append(end)
        while own[0] <= end - self._window:  # not taken for a window: no longer held
            own.popleft()
        self._released.set()

    async def _take(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._hold_until:
                    await self._wait(self._hold_until - now, "429")
                    continue
                ends = self._ends
                while ends and ends[0] <= now - self._window:
                    ends.popleft()
                if self._under_way + len(ends) < self._limit:
                    self._under_way += 1
                    return
                if ends:
                    if self._when_full is not None:
                        self._when_full()
                    await self._wait(ends[0] + self._window - now, "limit")
                else:  # every place is held by a request under way: wait for one to end
                    self._released.clear()
                    await self._released.wait()

    async def _wait(self, seconds: float, why: WaitReason) -> None:
        """Sleep toward the end of a wait; with a listener, in announced pieces (the caller's
        loop looks again after each piece)."""
        if self._on_wait is None:
            await self._sleep(seconds)
            return
        self._on_wait(seconds, why)
        await self._sleep(min(seconds, self._report_every))

    def __repr__(self) -> str:
        return f"SlidingWindowLimiter(limit={self._limit}, window={self._window})"
