"""What each campaign was when campsync last saw it agree with its file, or applied it: the
record that tells where a later difference came from (sync.origin)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from campsync.sync.cache.same import compare_fingerprint
from campsync.sync.cache.store import JsonStore, compact_json
from campsync.sync.origin import Agreed

# Bumped when what a record holds changes meaning (beside the comparison code's fingerprint).
_RECORD_VERSION = b"agreed 1"


class AgreedCache(JsonStore):
    """Per platform target, by campaign id: `[updatedAt, form]`, the campaign's comparable
    form (diffing.agreed_form) when campsync last found it equal to its file (a plan) or
    wrote the file's body (an apply's answer), and its updatedAt then.

    Read on first use, as the bodies are: a plan that has no update and learns nothing new
    never opens the file (a warm plan of unchanged campaigns neither reads nor writes it).
    Written under a fingerprint of the comparison code: a form made by other rules is not
    compared with this code's. Untrusted, as the whole cache is, and not signed: a record
    only ever chooses which origin a plan shows, never what is sent; an entry of another
    shape is dropped."""

    file_name = "agreed-{target}.json"
    entries_key = "campaigns"

    def __init__(self, folder: Path, target: str) -> None:
        super().__init__(folder, target)
        # A form recorded in this run is held as the compact JSON text it is saved as (the
        # planner makes it as the campaign's body goes by, and a cold plan records them all).
        self._entries: dict[str, tuple[str | None, dict[str, Any] | str]] = {}
        self._loaded = False
        self._dirty = False
        self._keep: set[str] | None = None
        self._fingerprint: str | None = None
        self.load_warning: str | None = None

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = compare_fingerprint(_RECORD_VERSION)
        return self._fingerprint

    def load(self) -> str | None:
        """Read the file; on any problem start empty and return a one-line warning."""
        self._loaded = True
        stored, warning = self._read_entries()
        self._entries = {
            cid: (item[0], item[1])
            for cid, item in stored.items()
            if isinstance(item, list)
            and len(item) == 2
            and (item[0] is None or isinstance(item[0], str))
            and isinstance(item[1], dict)
        }
        if len(self._entries) != len(stored):
            self._dirty = True  # the dropped entries go at the next save
        return warning

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self.load_warning = self.load()
            self._prune()

    def recall(self, campaign_id: str) -> Agreed | None:
        """The record of this campaign, or None."""
        self._ensure_loaded()
        entry = self._entries.get(campaign_id)
        if entry is None:
            return None
        stamp, form = entry
        return Agreed(stamp, json.loads(form) if isinstance(form, str) else form)

    def seen_at(self, campaign_id: str) -> str | None:
        """The updatedAt of this campaign's record (None: no record, or none was given)."""
        agreed = self.recall(campaign_id)
        return None if agreed is None else agreed.updated_at

    def remember(
        self, campaign_id: str, updated_at: str | None, form: Mapping[str, Any] | str
    ) -> None:
        """Record the campaign as now agreed (replacing any earlier record): `form` as
        diffing.agreed_form made it, or its compact JSON text (store.compact_json)."""
        self._ensure_loaded()
        text = form if isinstance(form, str) else compact_json(form)
        known = self._entries.get(campaign_id)
        if known is None or known[0] != updated_at or _text_of(known[1]) != text:
            self._entries[campaign_id] = (updated_at, text)
            self._dirty = True

    def forget(self, campaign_id: str) -> None:
        """Drop the campaign's record (a write whose answer cannot stand for it)."""
        self._ensure_loaded()
        if self._entries.pop(campaign_id, None) is not None:
            self._dirty = True

    def retain(self, campaign_ids: Iterable[str]) -> None:
        """Forget the campaigns no longer listed: at once when the file is read, else when it
        next is (a record of an unlisted campaign is never recalled anyway)."""
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
        """Write the file when anything changed; a one-line warning when it cannot."""
        if self._loaded:
            self._prune()
        if not self._dirty:
            return None
        entries = (
            (cid, f"[{compact_json(stamp)},{_text_of(form)}]")
            for cid, (stamp, form) in self._entries.items()
        )
        warning = self._write_texts(entries)
        self._dirty = warning is not None
        return warning


def _text_of(form: dict[str, Any] | str) -> str:
    return form if isinstance(form, str) else compact_json(form)
