"""When to try a failed request again, and how long to wait first."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

RATE_LIMIT_DEADLINE = 15 * 60.0
# A 429's wait is never shorter than this (a `Retry-After: 0` or negative would otherwise be
# asked again at once, as fast as the rate limit lets through) nor longer than a day (a
# `Retry-After: 1e308` is no number to compute with or to print).
MIN_RATE_LIMIT_WAIT = 1.0
MAX_RATE_LIMIT_WAIT = 24 * 60 * 60.0


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
    min_rate_limit_wait: float = MIN_RATE_LIMIT_WAIT
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = (
            self.max_retries,
            self.base,
            self.cap,
            self.rate_limit_deadline,
            self.min_rate_limit_wait,
        )
        if any(value < 0 for value in values):
            raise ValueError("retry settings must not be negative")

    def rate_limit_wait(self, retry_after: float | None, window: float) -> float:
        """Seconds to wait out a 429: its Retry-After, else a whole rate-limit window; at
        least `min_rate_limit_wait`, at most MAX_RATE_LIMIT_WAIT."""
        wait = window if retry_after is None else retry_after
        return min(max(wait, self.min_rate_limit_wait), MAX_RATE_LIMIT_WAIT)

    def backoff(self, retry: int) -> float:
        """Seconds to wait before re-send number `retry` (1 for the first re-send)."""
        ceiling = min(self.cap, self.base * 2.0 ** max(0, retry - 1))
        return ceiling * self.jitter()

    def may_retry(self, retries_done: int) -> bool:
        return retries_done < self.max_retries
