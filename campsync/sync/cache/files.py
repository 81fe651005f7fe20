"""Verdicts on campaign files that had no problem, by file and digest (VerdictStore), and the
plain files' store (FileCache)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from campsync.campaign.validation import CampaignFile, FileCheck
from campsync.sync.cache.store import JsonStore, compact_json, source_fingerprint


def code_fingerprint() -> str:
    """A hash of the schema and of the code that decides whether a file is valid."""
    from campsync.campaign import messages, rules, schema, validation, yamlio

    modules = (rules, schema, validation, messages, yamlio)
    return source_fingerprint(modules, schema._schema_text().encode("utf-8"))


class VerdictStore(JsonStore):
    """Verdicts on campaign files that had no problem: by file name, an entry valid for one
    digest (the file's text, and whatever else the verdict depends on), pruned to the files
    seen in a run when written.

    The cache is untrusted input (anyone who can write it, a CI cache restored from another
    branch), and what it recalls is sent: so each entry is `[digest, payload, tag]`, the
    payload the JSON text of what the file gave (its data first), the tag an HMAC over the
    store, the file, the digest and the payload under `key` (derived from the client secret,
    sync.signing.cache_key). An entry whose tag does not verify is a miss: the file is read
    again. Without a key nothing is recalled or kept. Subclasses say what a payload holds."""

    def __init__(self, folder: Path, target: str | None = None, *, key: bytes | None) -> None:
        super().__init__(folder, target)
        self._key = key
        # file -> [digest, payload, tag]; a payload recalled in this run is held parsed (it
        # is the file's data the run uses: one copy, not its text beside it)
        self._entries: dict[str, list[Any]] = {}
        self._seen: set[str] = set()
        self._dirty = True  # until a load shows the file holds what this run knows
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def load(self) -> str | None:
        stored, warning = self._read_entries()
        self._dirty = warning is not None or not self.path.exists()
        self._entries = {
            name: item
            for name, item in stored.items()
            if isinstance(item, list) and len(item) == 3 and all(isinstance(i, str) for i in item)
        }
        return warning

    def save(self) -> str | None:
        """Write the entries of the files seen in this run (others are pruned), when that
        changes anything."""
        files = {name: item for name, item in self._entries.items() if name in self._seen}
        if not self._dirty and len(files) == len(self._entries):
            return None
        warning = self._write_texts(
            (name, compact_json(self._as_stored(name, item))) for name, item in files.items()
        )
        if warning is None:
            self._entries = files
            self._dirty = False
        return warning

    def _as_stored(self, file: str, item: list[Any]) -> list[str]:
        """An entry as written: its payload as JSON text, tagged over that text."""
        digest, payload, tag = item
        if isinstance(payload, str):
            return [digest, payload, tag]
        text = compact_json(payload)
        return [digest, text, self._tag(file, digest, text)]

    def _recall(self, file: str, digest: str, items: int) -> list[Any] | None:
        """The payload kept for `file` when it was made for `digest` and its tag verifies
        (a list of `items` items, the file's data first)."""
        self._seen.add(file)
        item = self._entries.get(file)
        if item is None or item[0] != digest:
            self.misses += 1
            return None
        payload = item[1] if not isinstance(item[1], str) else self._verified(file, item)
        if not isinstance(payload, list) or len(payload) != items or type(payload[0]) is not dict:
            self.misses += 1
            return None
        item[1] = payload  # parsed once: its text goes (made again if the store is saved)
        self.hits += 1
        return payload

    def _verified(self, file: str, item: list[str]) -> Any:
        """The payload of a stored entry whose tag verifies, parsed (None otherwise)."""
        if self._key is None or not hmac.compare_digest(item[2], self._tag(file, item[0], item[1])):
            return None
        try:
            return json.loads(item[1])
        except (ValueError, RecursionError):
            return None

    def _remember(self, file: str, digest: str, payload: list[Any] | None) -> None:
        """Keep `payload` for `file` at `digest`, or forget the file (None: it had a problem)."""
        self._seen.add(file)
        self._dirty = True
        if payload is None or self._key is None:
            self._entries.pop(file, None)
            return
        self._entries[file] = [digest, payload, ""]  # its text and tag are made when saved

    def _tag(self, file: str, digest: str, payload: str) -> str:
        assert self._key is not None
        message = "\0".join((self.path.name, file, digest, payload))
        raw = message.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, raw, hashlib.sha256).hexdigest()


def at(value: tuple[int, int] | None) -> list[int] | None:
    """A position as stored (a list), None kept."""
    return list(value) if value else None


class FileCache(VerdictStore):
    """The outcome of validating a problem-free file, by its name and text digest: its data,
    where its name is written and where its id is (the payload), tagged (VerdictStore).

    Implements validation.CheckMemo."""

    file_name = "files.json"
    entries_key = "files"

    def __init__(self, folder: Path, *, key: bytes | None) -> None:
        super().__init__(folder, key=key)
        self._fingerprint: str | None = None

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = code_fingerprint()
        return self._fingerprint

    def recall(self, file: str, digest: str) -> FileCheck | None:
        payload = self._recall(file, digest, 3)
        if payload is None:
            return None
        campaign = CampaignFile(file, payload[0], digest)
        return FileCheck(campaign, [], position(payload[1]), position(payload[2]))

    def remember(self, file: str, digest: str, check: FileCheck) -> None:
        if check.campaign is None or check.problems:
            self._remember(file, digest, None)
        else:
            payload = [check.campaign.data, at(check.name_at), at(check.id_at)]
            self._remember(file, digest, payload)


def position(value: Any) -> tuple[int, int] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return value[0], value[1]
    return None
