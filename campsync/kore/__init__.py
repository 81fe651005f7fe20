"""The Kore.ai campaign API client: `async with KoreClient(settings) as client: ...`."""

from campsync.kore.client import KoreClient, RequestStats, Timeouts
from campsync.kore.ratelimit import RateLimiter, SlidingWindowLimiter
from campsync.kore.retry import RetryPolicy

__all__ = [
    "KoreClient",
    "RateLimiter",
    "RequestStats",
    "RetryPolicy",
    "SlidingWindowLimiter",
    "Timeouts",
]
