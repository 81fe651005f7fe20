"""Orchestrates a plan: lists the platform, matches files to campaigns, reads the matched ones
in full, and asks the pure core (diffing, model, plan) what differs. No printing here."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from campsync.campaign.model import request_body
from campsync.campaign.validation import CampaignFile
from campsync.errors import BadResponseError, CampsyncError
from campsync.settings import Settings
from campsync.sync.diffing import compare, creation_diff
from campsync.sync.plan import Change, Plan

DEFAULT_TYPE = "voice"
REASON_ACTIVE = "the campaign is Active and can't be edited; stop it first"
REASON_PREPARING = "the campaign is still being prepared; plan again in a few seconds"

T = TypeVar("T")
ProgressFn = Callable[[int, int], None]


class MatchError(CampsyncError):
    """Files and platform campaigns cannot be matched one to one."""


class Lister(Protocol):
    async def list_campaigns(self, campaign_type: str = ...) -> list[dict[str, Any]]: ...


class Reader(Lister, Protocol):
    async def get_campaign(self, campaign_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Listed:
    """One entry of the platform's list, with the type it was listed under."""

    id: str
    name: str
    updated_at: str | None
    status: str | None
    campaign_type: str
    item: Mapping[str, Any]


class SameMemo(Protocol):
    """Remembers file/campaign pairs already found equal (see campsync.sync.cache.SameCache):
    `recall` gives the warnings of that comparison, or None when the pair is not known."""

    def recall(self, key: str) -> tuple[str, ...] | None: ...

    def remember(self, key: str, warnings: tuple[str, ...]) -> None: ...


def pair_key(cf: CampaignFile, entry: Listed, flows_key: str) -> str | None:
    """What a comparison of this file with this campaign depends on: the file's exact text,
    the campaign as of its updatedAt (any write moves it), the type it is listed under, its
    listed queue, and the experience-flow mapping. None when one of them is unknown."""
    if not cf.digest or not entry.updated_at:
        return None
    connection = entry.item.get("connection")
    parts = (
        cf.digest,
        entry.id,
        entry.updated_at,
        entry.campaign_type,
        connection if isinstance(connection, str) else repr(connection),
        flows_key,
    )
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:40]


def flows_key(experience_flows: Mapping[str, str]) -> str:
    return hashlib.sha256(repr(sorted(experience_flows.items())).encode()).hexdigest()


# Reads the full bodies (get-one `data`) of the given listed campaigns, keyed by id. Pluggable so
# that a cache keyed by (id, updated_at) can answer some of them without a request.
FetchFull = Callable[[Sequence[Listed]], Awaitable[dict[str, dict[str, Any]]]]


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

    async def fetch(wanted: Sequence[Listed]) -> dict[str, dict[str, Any]]:
        total = len(wanted)
        done = 0
        if progress is not None:
            progress(0, total)

        async def one(entry: Listed) -> tuple[str, dict[str, Any]]:
            nonlocal done
            data = await client.get_campaign(entry.id)
            done += 1
            if progress is not None:
                progress(done, total)
            return entry.id, data

        return dict(await gather_all(one(e) for e in wanted))

    return fetch


def campaign_type_of(data: Mapping[str, Any]) -> str:
    value = data.get("campaignType")
    return value if isinstance(value, str) and value else DEFAULT_TYPE


@dataclass(frozen=True)
class Matching:
    """Files matched to listed campaigns, files whose id is unknown, files to create."""

    matched: list[tuple[CampaignFile, Listed]]
    unknown_id: list[CampaignFile]
    to_create: list[CampaignFile]
    unmanaged: list[Listed]


def match_files(files: Sequence[CampaignFile], listed: Sequence[Listed]) -> Matching:
    """By `id` when the file has one; otherwise by name, case-insensitively (the file's own
    campaign type first); otherwise the campaign is to be created."""
    by_id = {item.id: item for item in listed}
    by_name: dict[tuple[str, str], list[Listed]] = {}
    for item in listed:
        by_name.setdefault((item.campaign_type, item.name.casefold()), []).append(item)
    types = sorted({item.campaign_type for item in listed})

    matched: list[tuple[CampaignFile, Listed]] = []
    unknown_id: list[CampaignFile] = []
    to_create: list[CampaignFile] = []
    owner: dict[str, CampaignFile] = {}

    for cf in files:
        entry: Listed | None = None
        file_id = cf.data.get("id")
        if isinstance(file_id, str) and file_id:
            entry = by_id.get(file_id)
            if entry is None:
                unknown_id.append(cf)
                continue
        else:
            name = str(cf.data.get("name", "")).casefold()
            own = campaign_type_of(cf.data)
            for campaign_type in [own, *(t for t in types if t != own)]:
                candidates = by_name.get((campaign_type, name), [])
                if len(candidates) > 1:
                    ids = ", ".join(sorted(c.id for c in candidates))
                    raise MatchError(
                        f"{cf.file}: {len(candidates)} platform campaigns are named "
                        f"{cf.data.get('name')!r} ({ids}); add the id to the file"
                    )
                if candidates:
                    entry = candidates[0]
                    break
            if entry is None:
                to_create.append(cf)
                continue
        previous = owner.get(entry.id)
        if previous is not None:
            first, second = sorted([previous.file, cf.file])
            raise MatchError(
                f"{first} and {second} both describe the campaign {entry.name!r} ({entry.id})"
            )
        owner[entry.id] = cf
        matched.append((cf, entry))

    unmanaged = [item for item in listed if item.id not in owner]
    return Matching(matched, unknown_id, to_create, unmanaged)


def _blocked_reason(status: str | None) -> str | None:
    if status == "Active":
        return REASON_ACTIVE
    if status == "Preparing":
        return REASON_PREPARING
    return None


async def make_plan(
    client: Reader,
    files: Sequence[CampaignFile],
    settings: Settings,
    *,
    fetch_full: FetchFull | None = None,
    progress: ProgressFn | None = None,
    on_listed: Callable[[Sequence[Listed]], None] | None = None,
    same: SameMemo | None = None,
) -> Plan:
    """Compare the files with the platform. Reads only; raises the client's typed errors.
    `on_listed` sees every listed campaign (a cache prunes the ones no longer there).
    With `same`, a pair found equal before (same file text, same updatedAt, ...) is
    unchanged without reading or comparing the campaign again."""
    types = {DEFAULT_TYPE, *(campaign_type_of(cf.data) for cf in files)}
    listed = await list_platform(client, types)
    if on_listed is not None:
        on_listed(listed)
    matching = match_files(files, listed)

    changes: list[Change] = []
    warnings: list[str] = []
    unchanged = 0

    to_compare: list[tuple[CampaignFile, Listed, str | None]] = []
    mapping_key = flows_key(settings.experience_flows)
    for cf, entry in matching.matched:
        key = pair_key(cf, entry, mapping_key) if same is not None else None
        known = same.recall(key) if same is not None and key is not None else None
        if known is None:
            to_compare.append((cf, entry, key))
        else:
            unchanged += 1
            warnings.extend(known)

    fetch = fetch_full if fetch_full is not None else client_fetcher(client, progress)
    full = await fetch([entry for _, entry, _ in to_compare]) if to_compare else {}

    for cf in matching.unknown_id:
        changes.append(
            Change(
                action="blocked",
                name=str(cf.data.get("name", "")),
                id=str(cf.data["id"]),
                file=cf.file,
                reason=(
                    f"no campaign with id {cf.data['id']} on the platform "
                    "(remove the id to create it)"
                ),
                campaign_type=campaign_type_of(cf.data),
            )
        )

    for cf in matching.to_create:
        changes.append(
            Change(
                action="create",
                name=str(cf.data.get("name", "")),
                id=None,
                file=cf.file,
                diff=creation_diff(cf.data),
                campaign_type=campaign_type_of(cf.data),
                body=request_body(cf.data),
            )
        )

    for cf, entry, key in to_compare:
        live = full.get(entry.id)
        if live is None:
            raise BadResponseError(f"campaign {entry.name!r} ({entry.id}) could not be read")
        comparison = compare(
            cf.data,
            live,
            entry.item,
            experience_flows=settings.experience_flows,
            listed_type=entry.campaign_type,
        )
        warnings.extend(comparison.warnings)
        if not comparison.diffs:
            unchanged += 1
            if same is not None and key is not None:
                same.remember(key, comparison.warnings)
            continue
        # The full read is fresher than the list: prefer its status.
        status = live.get("status")
        reason = _blocked_reason(status if isinstance(status, str) else entry.status)
        updated_at = entry.updated_at
        if updated_at is None and isinstance(live.get("updatedAt"), str):
            updated_at = live["updatedAt"]
        changes.append(
            Change(
                action="blocked" if reason else "update",
                name=str(cf.data.get("name", entry.name)),
                id=entry.id,
                file=cf.file,
                diff=comparison.diffs,
                reason=reason,
                campaign_type=entry.campaign_type,
                body=None if reason else request_body(cf.data),
                updated_at=updated_at,
            )
        )

    # Plan keeps its own stable order (changes and unmanaged names).
    return Plan(
        changes=changes,
        unchanged=unchanged,
        unmanaged=[entry.name for entry in matching.unmanaged],
        warnings=warnings,
    )
