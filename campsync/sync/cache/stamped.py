"""A store of one JSON object per campaign, each with the `updatedAt` it stands for, read on
first use and kept to the campaigns still listed (the platform bodies, the records of
agreement)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from campsync.sync.cache.store import JsonStore, compact_json

# An object as held: parsed (read from the file), or the compact JSON text it is saved as
# (made in this run: text takes a fraction of the memory of the parsed object).
Held = str | dict[str, Any]


def text_of(value: Held) -> str:
    """A held object's JSON text."""
    return value if isinstance(value, str) else compact_json(value)


# What a store holds of one campaign: its updatedAt, the object, and what else goes with it
# (plain JSON values, written after the object).
Stamped = tuple[str | None, Held, tuple[Any, ...]]


class StampedStore(JsonStore):
    """`{campaign id: [updatedAt, object, ...]}` of one platform target. The file is read on
    first use (a run that needs none of it never reads it) and written only when changed;
    campaigns no longer listed are dropped (`retain`). An entry of another shape is dropped
    when read (`accept` says which are taken). Subclasses say what an object is, and what
    goes with it (`extra`: how many values after the object)."""

    extra = 0

    def __init__(self, folder: Path, target: str, *, key: bytes | None = None) -> None:
        super().__init__(folder, target, key=key)
        self._entries: dict[str, Stamped] = {}
        self._loaded = False
        self._dirty = False
        self._keep: set[str] | None = None
        self.load_warning: str | None = None

    def accept(self, stamp: Any, value: Any, extra: tuple[Any, ...]) -> bool:
        """Whether an entry read from the file is taken (another shape is dropped)."""
        return isinstance(stamp, str) and isinstance(value, dict)

    def load(self) -> str | None:
        """Read the file; on any problem start empty and return a one-line warning."""
        self._loaded = True
        stored, warning = self._read_entries()
        size = 2 + self.extra
        self._entries = {
            cid: (item[0], item[1], tuple(item[2:]))
            for cid, item in stored.items()
            if isinstance(item, list)
            and len(item) == size
            and self.accept(item[0], item[1], tuple(item[2:]))
        }
        if len(self._entries) != len(stored):
            self._dirty = True  # the dropped entries go at the next save
        return warning

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self.load_warning = self.load()
            self._prune()

    def _entry(self, campaign_id: str) -> tuple[str | None, dict[str, Any], tuple[Any, ...]] | None:
        """The campaign's updatedAt, object (parsed) and what goes with it, or None."""
        self._ensure_loaded()
        entry = self._entries.get(campaign_id)
        if entry is None:
            return None
        stamp, value, extra = entry
        return stamp, json.loads(value) if isinstance(value, str) else value, extra

    def _held(self, campaign_id: str, stamp: str | None) -> Held | None:
        """The object held for exactly this updatedAt, as held (text or parsed), or None."""
        self._ensure_loaded()
        entry = self._entries.get(campaign_id)
        return entry[1] if entry is not None and entry[0] == stamp else None

    def holds(self, campaign_id: str) -> bool:
        self._ensure_loaded()
        return campaign_id in self._entries

    def seen_at(self, campaign_id: str) -> str | None:
        """The updatedAt the store holds the campaign at (None: it holds none)."""
        self._ensure_loaded()
        entry = self._entries.get(campaign_id)
        return None if entry is None else entry[0]

    def _hold(
        self, campaign_id: str, stamp: str | None, value: Held, extra: tuple[Any, ...] = ()
    ) -> None:
        self._ensure_loaded()
        self._entries[campaign_id] = (stamp, value, extra)
        self._dirty = True

    def forget(self, campaign_id: str) -> None:
        """Drop what the store holds of the campaign."""
        self._ensure_loaded()
        if self._entries.pop(campaign_id, None) is not None:
            self._dirty = True

    def retain(self, campaign_ids: Iterable[str]) -> None:
        """Forget the campaigns no longer listed: at once when the file is read, else when it
        next is (what the store holds of an unlisted campaign is never asked for anyway)."""
        self._keep = set(campaign_ids)
        if self._loaded:
            self._prune()

    def _prune(self) -> None:
        if self._keep is None:
            return
        kept = {cid: entry for cid, entry in self._entries.items() if cid in self._keep}
        self._dirty = self._dirty or len(kept) != len(self._entries)
        self._entries = kept

    def save(self) -> str | None:
        """Write the file atomically, owner-only, when anything changed; a one-line warning
        when it cannot."""
        if self._loaded:
            self._prune()
        if not self._dirty:
            return None
        entries = (
            (cid, f"[{compact_json(stamp)},{text_of(value)}{_after(extra)}]")
            for cid, (stamp, value, extra) in self._entries.items()
        )
        warning = self._write_texts(entries)
        self._dirty = warning is not None
        return warning


def _after(extra: tuple[Any, ...]) -> str:
    """What goes after an entry's object, as JSON text (each value with its comma)."""
    return "".join("," + compact_json(value) for value in extra)
