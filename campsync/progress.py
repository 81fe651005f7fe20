"""What a long run tells its caller as it goes: how far each phase is, and when it waits.

The core never prints. The engine reports each phase's steps and the platform client's rate
limiter reports its waits through this small protocol; the CLI layer (terminal.py)
turns them into a progress line. At 60 requests a minute a first plan of 1,000 campaigns
takes about 17 minutes: without these a CI log shows nothing for all of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

# A phase, named by what its steps did: campaigns read (plan, apply), changes applied,
# campaigns pulled. Each step is one request.
Phase = Literal["read", "applied", "pulled"]

# Why a request waits: campsync's own pacing within CAMPSYNC_RATE_LIMIT ("limit"), a 429
# from the platform being waited out ("429"), or the platform's answer to a request sent
# ("answer": a server that answers nothing, or a byte now and then).
WaitReason = Literal["limit", "429", "answer"]

# (seconds, why): for "limit" and "429" the seconds still to wait; for "answer" how long the
# oldest request in flight has waited for its answer so far (0: none waits any more). Said
# again at least every few seconds while the wait lasts.
WaitFn = Callable[[float, WaitReason], None]


class Progress(Protocol):
    def step(self, done: int, total: int, what: Phase) -> None:
        """`done` of `total` steps of the phase `what` are complete (0 when it starts)."""
        ...

    def waiting(self, seconds: float, why: WaitReason) -> None:
        """A request waits `seconds` more before it may be sent (or, for "answer", has
        waited `seconds` so far for the platform's answer)."""
        ...

    def preparing(self, names: tuple[str, ...], waited: float, limit: float) -> None:
        """Campaigns to start wait for the platform to make them Ready (sync.readiness):
        their names (none: no more), how long the longest has waited so far, and for how
        long at most (--wait). Said again at least every few seconds while they wait."""
        ...
