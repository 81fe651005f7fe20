"""Platform bodies: each campaign's full get-one body, valid for one `updatedAt`, per target,
kept without its status."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from campsync.sync.cache.stamped import Held, StampedStore
from campsync.sync.cache.store import compact_json
from campsync.sync.inventory import FetchFull, Keep, Listed

T = TypeVar("T")


def _as_text(body: dict[str, Any]) -> Held:
    """A body as the compact JSON text it is saved as; as it is when it has no such text
    (not plain JSON data), so that saving it fails as it always did."""
    try:
        return compact_json(body)
    except (TypeError, ValueError):
        return body


def without_status(body: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of a campaign body without `status`: a status never comes from the
    cache, since it changes without moving `updatedAt` (a new campaign: Preparing -> Ready)."""
    return {key: value for key, value in body.items() if key != "status"}


class CampaignCache(StampedStore):
    """Full campaign bodies of one platform target, by id, each valid for one updatedAt.

    A body kept in this run is held as the compact JSON text it is saved as, and parsed
    again when asked for: 10,000 bodies are some 14 MB of text, against 60 MB parsed
    (every key a string of its own), and their text is made once either way. The bodies
    read from the file stay as read (a run that needs one needs the file parsed)."""

    file_name = "campaigns-{target}.json"
    entries_key = "campaigns"
    signed_when_keyed = True  # a pull writes these bodies into campaign files

    def __init__(self, folder: Path, target: str, *, key: bytes | None = None) -> None:
        super().__init__(folder, target, key=key)
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._entries)

    def mark_fresh(self) -> None:
        """Start empty without reading the file (--refresh); the next save rewrites it."""
        self._entries = {}
        self._loaded = True
        self._dirty = True

    def load(self) -> str | None:
        warning = super().load()
        for _, body, _ in self._entries.values():
            if isinstance(body, dict):
                body.pop("status", None)  # written by an older campsync
        return warning

    def get(self, campaign_id: str, updated_at: str | None) -> dict[str, Any] | None:
        """The body seen for exactly this updatedAt, or None."""
        if updated_at is None:
            return None
        entry = self._entry(campaign_id)
        return entry[1] if entry is not None and entry[0] == updated_at else None

    def held(self, campaign_id: str, updated_at: str | None) -> Held | None:
        """The body seen for exactly this updatedAt as held (its JSON text when read or
        answered in this run, else parsed), without parsing it: what a record of agreement
        shares (cache.AgreedCache), or None."""
        return None if updated_at is None else self._held(campaign_id, updated_at)

    def put(self, campaign_id: str, updated_at: str, data: dict[str, Any]) -> None:
        """Keep a body for this updatedAt, without its status (the caller's body, read in
        this run, keeps it)."""
        self._hold(campaign_id, updated_at, _as_text(without_status(data)))

    def remember_answer(self, campaign_id: str, data: Any) -> None:
        """Keep an update's answer (the campaign as now stored, in the get-one shape) so the
        next plan need not read it again. Ignored unless it is that campaign with a stamp."""
        if not isinstance(data, dict):
            return
        stamp = data.get("updatedAt")
        if isinstance(stamp, str) and data.get("_id", data.get("id")) == campaign_id:
            self.put(campaign_id, stamp, data)

    def fetcher(self, inner: FetchFull, *, refresh: bool = False) -> FetchFull:
        """A fetcher that answers from the cache where the listed updatedAt matches (unless
        `refresh`), asks `inner` for the rest, and remembers what it got."""

        async def fetch(wanted: Sequence[Listed], keep: Keep[T]) -> dict[str, T]:
            found: dict[str, T] = {}
            missing: list[Listed] = []
            for entry in wanted:
                hit = None if refresh else self.get(entry.id, entry.updated_at)
                if hit is None:
                    missing.append(entry)
                else:
                    found[entry.id] = keep(entry, hit)
            self.hits += len(found)
            self.misses += len(missing)
            read: dict[str, tuple[str, Held]] = {}

            def remember(entry: Listed, data: dict[str, Any]) -> T:
                # Keyed by the body's own updatedAt when it has one: that is what it shows.
                stamp = data.get("updatedAt")
                stamp = stamp if isinstance(stamp, str) else entry.updated_at
                if stamp is not None:
                    read[entry.id] = (stamp, _as_text(without_status(data)))
                return keep(entry, data)

            fetched = await inner(missing, remember) if missing else {}
            for entry in missing:  # kept in the order asked for, not the order of arrival
                if entry.id in read:
                    self._hold(entry.id, *read[entry.id])
            found.update(fetched)
            return found

        return fetch
