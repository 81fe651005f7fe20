"""Waiting until a campaign is Ready before it is started (contract "Version 0.3 > Run
state"): a campaign apply creates, or finds Preparing, with `state: running` is started once
the platform says it is Ready, asking at most for `limit` seconds (`--wait`).

Each question is the status call, one request of the account's budget within the rate limit
like any other, so the questions thin out: the first after FIRST_POLL seconds, then each
interval GROWTH times the last, at most MAX_POLL apart, and a last one when the time is up
(24 requests per campaign for the default 300 s; `limit` 0 asks once). Whoever listens hears
which campaigns wait and for how long, at least every REPORT_EVERY seconds while they do, so
that a CI log can say what is waited for (the rate limiter tells of its own waits as often).
Time is the injected `clock` and `sleep`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from campsync.aio import Sleep, until_set
from campsync.config.settings import DEFAULT_WAIT
from campsync.errors import NotReady, WriteNotSent
from campsync.kore.ratelimit import REPORT_EVERY
from campsync.sync.runstate import PREPARING
from campsync.text import quoted

__all__ = ["DEFAULT_WAIT", "ReadyWaiter", "StatusReader", "WaitingFn"]

FIRST_POLL = 2.0
GROWTH = 1.5
MAX_POLL = 15.0
# (the names of the campaigns waiting now, seconds the longest of them has waited, the limit);
# called with no names once none waits any more.
WaitingFn = Callable[[tuple[str, ...], float, float], None]


class StatusReader(Protocol):
    """The client's status call (kore.client.KoreClient.campaign_status)."""

    async def campaign_status(self, campaign_id: str, *, name: str | None = None) -> str: ...


class ReadyWaiter:
    """Waits for the campaigns of one apply to be Ready, each for at most `limit` seconds
    from when its wait began. `stop`: once set (apply interrupted), a wait ends at once
    (WriteNotSent: the start is not sent)."""

    def __init__(
        self,
        client: StatusReader,
        limit: float,
        *,
        stop: asyncio.Event | None = None,
        on_waiting: WaitingFn | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        first: float = FIRST_POLL,
        growth: float = GROWTH,
        longest: float = MAX_POLL,
        report_every: float = REPORT_EVERY,
    ) -> None:
        if limit < 0:
            raise ValueError("the wait limit must not be negative")
        self._client = client
        self._limit = limit
        self._stop = stop
        self._on_waiting = on_waiting
        self._clock = clock
        self._sleep = sleep
        self._first = first
        self._growth = growth
        self._longest = longest
        self._report_every = report_every
        self._waiting: dict[str, tuple[str, float]] = {}  # campaign id -> (name, since)

    async def ready(self, campaign_id: str, name: str) -> str:
        """The campaign's first status that is not Preparing (Ready, as a rule; someone may
        have started it meanwhile). NotReady once it is still Preparing after the limit."""
        started = self._clock()
        deadline = started + self._limit
        interval = self._first
        due = started + min(interval, self._limit)
        self._waiting[campaign_id] = (name, started)
        try:
            while True:
                await self._pause(due, name)
                status = await self._client.campaign_status(campaign_id, name=name)
                if status != PREPARING:
                    return status
                now = self._clock()
                if now >= deadline:
                    waited = f"{now - started:,.0f} s (--wait {self._limit:g})"
                    raise NotReady(
                        f"still Preparing after {waited}: not started; the next apply starts it"
                    )
                interval = min(interval * self._growth, self._longest)
                due = min(now + interval, deadline)
        finally:
            del self._waiting[campaign_id]
            if not self._waiting:
                self._tell()

    def _tell(self) -> None:
        if self._on_waiting is None:
            return
        now = self._clock()
        names = tuple(sorted(name for name, _ in self._waiting.values()))
        waited = max((now - since for _, since in self._waiting.values()), default=0.0)
        self._on_waiting(names, waited, self._limit)

    async def _pause(self, until: float, name: str) -> None:
        """Sleep until the clock says `until` (not at all when it is past), telling the
        listener at least every `report_every` seconds, or until apply is stopped."""
        stop = self._stop
        while (seconds := min(until - self._clock(), self._report_every)) > 0:
            nap = self._sleep(seconds)
            await (nap if stop is None else until_set(nap, stop))
            if stop is not None and stop.is_set():
                break
            self._tell()
        if stop is not None and stop.is_set():
            raise WriteNotSent(
                f"start of campaign {quoted(name)}: not sent (apply was stopped while it "
                "waited for the campaign to be Ready)"
            )
