"""The Kore.ai campaign API client: `async with KoreClient(target, credentials) as client: ...`."""

from campsync.kore.client import KoreClient, RequestStats
from campsync.kore.ratelimit import RateLimiter, SlidingWindowLimiter
from campsync.kore.retry import RetryPolicy
from campsync.kore.transport import AiohttpTransport, Timeouts, Transport, Unreachable

__all__ = [
    "AiohttpTransport",
    "KoreClient",
    "RateLimiter",
    "RequestStats",
    "RetryPolicy",
    "SlidingWindowLimiter",
    "Timeouts",
    "Transport",
    "Unreachable",
]
