"""When to try a failed request again, and how long to wait first."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

RATE_LIMIT_DEADLINE = 15 * 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter for 5xx, timeouts and dropped
    connections (`max_retries` re-sends, so at most `max_retries + 1` attempts), and
    an overall time limit for waiting out 429s (which are retried without a count limit).
    """

    max_retries: int = 5
    base: float = 0.5
    cap: float = 8.0
    rate_limit_deadline: float = RATE_LIMIT_DEADLINE
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base < 0 or self.cap < 0 or self.rate_limit_deadline < 0:
            raise ValueError("retry settings must not be negative")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before re-send number `retry` (1 for the first re-send)."""
        ceiling = min(self.cap, self.base * 2.0 ** max(0, retry - 1))
        return ceiling * self.jitter()

    def may_retry(self, retries_done: int) -> bool:
        return retries_done < self.max_retries
