"""File/campaign pairs found equal, so that a warm plan neither reads nor compares them."""

from __future__ import annotations

from pathlib import Path

from campsync.sync.cache.store import JsonStore, source_fingerprint


def compare_fingerprint() -> str:
    """A hash of the code that decides whether a file and a campaign are equal."""
    from campsync.campaign import model
    from campsync.sync import diffing

    return source_fingerprint((diffing, model))


class SameCache(JsonStore):
    """File/campaign pairs found equal, by planner.pair_key, with that comparison's warnings:
    a warm plan needs neither the campaign's body nor a comparison for them. One file per
    platform target; pairs not seen in a run are dropped when it is written, by a run that
    asked it (a plan): a pull, a compare or a saved plan's apply leaves it as it is.

    Implements planner.SameMemo."""

    file_name = "same-{target}.json"
    entries_key = "pairs"
    # A pair recalled equal is an update a plan does not make: signed when there is a client
    # secret, so that a cache restored from another branch cannot hide a change (as bodies).
    signed_when_keyed = True

    def __init__(self, folder: Path, target: str, *, key: bytes | None = None) -> None:
        super().__init__(folder, target, key=key)
        self._known: dict[str, list[str]] = {}
        self._seen: dict[str, list[str]] = {}
        self._fingerprint: str | None = None
        self._asked = False  # by a plan: recall or remember
        self.hits = 0

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = compare_fingerprint()
        return self._fingerprint

    def load(self) -> str | None:
        stored, warning = self._read_entries()
        self._known = {
            key: value
            for key, value in stored.items()
            if isinstance(value, list) and all(isinstance(w, str) for w in value)
        }
        return warning

    def recall(self, key: str) -> tuple[str, ...] | None:
        self._asked = True
        warnings = self._known.get(key)
        if warnings is None:
            return None
        self.hits += 1
        self._seen[key] = warnings
        return tuple(warnings)

    def remember(self, key: str, warnings: tuple[str, ...]) -> None:
        self._asked = True
        self._seen[key] = list(warnings)

    def save(self) -> str | None:
        if not self._asked or self._seen == self._known:
            return None
        warning = self._write_entries(self._seen)
        if warning is None:
            self._known = dict(self._seen)
        return warning
