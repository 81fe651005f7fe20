"""The platform's rate limit: N requests per sliding window per account."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable


class SlidingWindowLimiter:
    """Admits at most `limit` requests per `window` seconds per key; 0 = unlimited.

    Only admitted requests count: a refused (429) request does not extend the wait,
    so a client that waits out the window always gets through.
    """

    def __init__(
        self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._times: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> float | None:
        """None when admitted; otherwise the seconds until a slot frees up."""
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            times = self._times.setdefault(key, collections.deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                return max(0.0, times[0] + self.window - now)
            times.append(now)
            return None
