"""asyncio helpers shared by the client and the sync."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

# The sleep the client and the sync are given (asyncio.sleep, or a test's fake clock).
Sleep = Callable[[float], Awaitable[None]]


async def until_set(work: Awaitable[object], event: asyncio.Event) -> None:
    """Wait until `work` is done or `event` is set, whichever comes first; the other is
    cancelled and awaited, so nothing is left running. An exception `work` ended with is
    raised; the caller tells the two outcomes apart by `event.is_set()`."""
    task = asyncio.ensure_future(work)
    setting = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({task, setting}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in (task, setting):
            if not future.done():
                future.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await future
