"""Platform bodies: each campaign's full get-one body, valid for one `updatedAt`, per target,
kept without its status."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from campsync.sync.cache.store import JsonStore, compact_json
from campsync.sync.inventory import FetchFull, Keep, Listed

T = TypeVar("T")


def _as_text(body: dict[str, Any]) -> str | dict[str, Any]:
    """A body as the compact JSON text it is saved as; as it is when it has no such text
    (not plain JSON data), so that saving it fails as it always did."""
    try:
        return compact_json(body)
    except (TypeError, ValueError):
        return body


def _text_of(body: str | dict[str, Any]) -> str:
    """A body's JSON text (this run's bodies are kept as text already)."""
    return body if isinstance(body, str) else compact_json(body)


def without_status(body: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of a campaign body without `status`: a status never comes from the
    cache, since it changes without moving `updatedAt` (a new campaign: Preparing -> Ready)."""
    return {key: value for key, value in body.items() if key != "status"}


class CampaignCache(JsonStore):
    """Full campaign bodies of one platform target, by id, each valid for one updatedAt.

    A body kept in this run is held as the compact JSON text it is saved as, and parsed
    again when asked for: 10,000 bodies are some 14 MB of text, against 60 MB parsed
    (every key a string of its own), and their text is made once either way. The bodies
    read from the file stay as read (a run that needs one needs the file parsed)."""

    file_name = "campaigns-{target}.json"
    entries_key = "campaigns"

    def __init__(self, folder: Path, target: str) -> None:
        super().__init__(folder, target)
        self._entries: dict[str, tuple[str, str | dict[str, Any]]] = {}
        self._loaded = False  # read on first use: a plan that needs no body never reads it
        self._dirty = False
        self._keep: set[str] | None = None
        self.load_warning: str | None = None
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._entries)

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self.load_warning = self.load()
            self._prune()

    def mark_fresh(self) -> None:
        """Start empty without reading the file (--refresh); the next save rewrites it."""
        self._entries = {}
        self._loaded = True
        self._dirty = True

    def load(self) -> str | None:
        """Read the file; on any problem start empty and return a one-line warning."""
        self._loaded = True
        stored, warning = self._read_entries()
        self._entries = {}
        for cid, item in stored.items():
            if (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], dict)
            ):
                item[1].pop("status", None)  # written by an older campsync
                self._entries[cid] = (item[0], item[1])
        return warning

    def save(self) -> str | None:
        """Write the file atomically, owner-only, when anything changed; a one-line warning
        when it cannot."""
        if self._loaded:
            self._prune()
        if not self._dirty:
            return None
        entries = (
            (cid, f"[{compact_json(stamp)},{_text_of(body)}]")
            for cid, (stamp, body) in self._entries.items()
        )
        warning = self._write_texts(entries)
        self._dirty = warning is not None
        return warning

    def get(self, campaign_id: str, updated_at: str | None) -> dict[str, Any] | None:
        """The body seen for exactly this updatedAt, or None."""
        if updated_at is None:
            return None
        self._ensure_loaded()
        entry = self._entries.get(campaign_id)
        if entry is None or entry[0] != updated_at:
            return None
        body = entry[1]
        if isinstance(body, str):
            parsed: dict[str, Any] = json.loads(body)
            return parsed
        return body

    def put(self, campaign_id: str, updated_at: str, data: dict[str, Any]) -> None:
        """Keep a body for this updatedAt, without its status (the caller's body, read in
        this run, keeps it)."""
        self._hold(campaign_id, updated_at, _as_text(without_status(data)))

    def _hold(self, campaign_id: str, updated_at: str, body: str | dict[str, Any]) -> None:
        self._ensure_loaded()
        self._entries[campaign_id] = (updated_at, body)
        self._dirty = True

    def remember_answer(self, campaign_id: str, data: Any) -> None:
        """Keep an update's answer (the campaign as now stored, in the get-one shape) so the
        next plan need not read it again. Ignored unless it is that campaign with a stamp."""
        if not isinstance(data, dict):
            return
        stamp = data.get("updatedAt")
        if isinstance(stamp, str) and data.get("_id", data.get("id")) == campaign_id:
            self.put(campaign_id, stamp, data)

    def retain(self, campaign_ids: Iterable[str]) -> None:
        """Forget the campaigns that are no longer listed: at once when the bodies are read,
        else when they next are (a body of an unlisted campaign is never served anyway)."""
        self._keep = set(campaign_ids)
        if self._loaded:
            self._prune()

    def _prune(self) -> None:
        if self._keep is None:
            return
        kept = {cid: e for cid, e in self._entries.items() if cid in self._keep}
        self._dirty = self._dirty or len(kept) != len(self._entries)
        self._entries = kept

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
            read: dict[str, tuple[str, str | dict[str, Any]]] = {}

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
