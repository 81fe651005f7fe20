"""The platform inventory: listing every campaign (all pages, each type), reading full bodies
concurrently, and the small protocols the planner, the applier and pull read through. Reads
only; the client (campsync.kore) enforces the rate limit and the parallelism."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from campsync.errors import BadResponseError

DEFAULT_TYPE = "voice"

T = TypeVar("T")
ProgressFn = Callable[[int, int], None]


class Lister(Protocol):
    async def list_campaigns(self, campaign_type: str = ...) -> list[dict[str, Any]]: ...


class Reader(Lister, Protocol):
    async def get_campaign(self, campaign_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Listed:
    """One entry of the platform's list, with the type it was listed under."""

    id: str
    name: str
    updated_at: str | None
    status: str | None
    campaign_type: str
    item: Mapping[str, Any]


# What a fetch keeps of each full body, as soon as it is at hand (see FetchFull).
Keep = Callable[[Listed, dict[str, Any]], T]


class FetchFull(Protocol):
    """Reads the full bodies (get-one `data`) of the given listed campaigns and gives each,
    as soon as it is at hand, to `keep`: what that returns is kept, by id. Pluggable so that
    a cache keyed by (id, updated_at) can answer some of them without a request. `keep`
    lets a caller hold only what it needs of each body: a plan compares each body with its
    file as it comes, rather than holding 10,000 parsed bodies (some 60 MB) until the last
    one is read. `whole` keeps the bodies themselves."""

    def __call__(self, wanted: Sequence[Listed], keep: Keep[T], /) -> Awaitable[dict[str, T]]: ...


def whole(entry: Listed, body: dict[str, Any]) -> dict[str, Any]:
    """A FetchFull `keep` that keeps each body whole."""
    return body


def listed_id(item: Mapping[str, Any]) -> str | None:
    """The id of a list entry. The client already turns the docs' `id` into `_id`
    (kore.protocol), so only `_id` is read here."""
    value = item.get("_id")
    return value if isinstance(value, str) and value else None


async def gather_all(coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run concurrently; on the first failure cancel the rest and raise that failure."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    if not tasks:
        return []
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        pending = [t for t in tasks if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return [t.result() for t in tasks]


async def list_platform(client: Lister, types: Iterable[str]) -> list[Listed]:
    """Every campaign of the given types (the client walks the pages)."""
    ordered = sorted(set(types))
    pages = await gather_all(client.list_campaigns(t) for t in ordered)
    listed: list[Listed] = []
    seen: set[str] = set()
    for campaign_type, items in zip(ordered, pages, strict=True):
        for item in items:
            cid = listed_id(item)
            if cid is None:
                raise BadResponseError("the campaign list has an entry without an id")
            if cid in seen:
                continue
            seen.add(cid)
            updated = item.get("updatedAt")
            status = item.get("status")
            listed.append(
                Listed(
                    id=cid,
                    name=str(item.get("name", "")),
                    updated_at=updated if isinstance(updated, str) else None,
                    status=status if isinstance(status, str) else None,
                    campaign_type=campaign_type,
                    item=item,
                )
            )
    return listed


def client_fetcher(client: Reader, progress: ProgressFn | None = None) -> FetchFull:
    """The plain reader: one get-one per campaign, concurrently (the client enforces the rate
    limit and the parallelism)."""

    async def fetch(wanted: Sequence[Listed], keep: Keep[T]) -> dict[str, T]:
        total = len(wanted)
        done = 0
        if progress is not None:
            progress(0, total)

        async def one(entry: Listed) -> tuple[str, T]:
            nonlocal done
            data = await client.get_campaign(entry.id)
            done += 1
            if progress is not None:
                progress(done, total)
            return entry.id, keep(entry, data)

        return dict(await gather_all(one(e) for e in wanted))

    return fetch


def campaign_type_of(data: Mapping[str, Any]) -> str:
    value = data.get("campaignType")
    return value if isinstance(value, str) and value else DEFAULT_TYPE
