"""Verdicts on campaign files that had no problem, by file and digest (VerdictStore): the
plain files' store (FileCache) and an environment's (EnvironmentFileCache). Each implements
campaign.reader.CheckMemo."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from campsync.campaign.validation import CampaignFile, FileCheck, own_name
from campsync.sync.cache.store import JsonStore, source_fingerprint


def code_fingerprint() -> str:
    """A hash of the schema and of the code that decides whether a file is valid."""
    from campsync.campaign import messages, rules, schema, validation, yamlio

    modules = (rules, schema, validation, messages, yamlio)
    return source_fingerprint(modules, schema._schema_text().encode("utf-8"))


class VerdictStore(JsonStore):
    """Verdicts on campaign files that had no problem: by file name, an entry valid for one
    digest (the file's text, and whatever else the verdict depends on), pruned to the files
    seen in a run when written. Subclasses say what an entry holds (`width` items, the
    digest first and the file's data second).

    What it recalls is sent, and the cache is untrusted input (anyone who can write it, a CI
    cache restored from another branch): so the store is signed (JsonStore.signed) with
    `key`, derived from the client secret (sync.signing.cache_key). An edited store does not
    verify and is not used; without a key nothing is recalled or kept."""

    width = 0
    signed = True

    def __init__(self, folder: Path, target: str | None = None, *, key: bytes | None) -> None:
        super().__init__(folder, target, key=key)
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
            if isinstance(item, list)
            and len(item) == self.width
            and isinstance(item[0], str)
            and isinstance(item[1], dict)
        }
        return warning

    def save(self) -> str | None:
        """Write the entries of the files seen in this run (others are pruned), when that
        changes anything."""
        files = {name: item for name, item in self._entries.items() if name in self._seen}
        if not self._dirty and len(files) == len(self._entries):
            return None
        warning = self._write_entries(files)
        if warning is None:
            self._entries = files
            self._dirty = False
        return warning

    def recall(self, file: str, digest: str) -> FileCheck | None:
        """The outcome of checking `file`, when it had no problem and its digest is `digest`."""
        raise NotImplementedError

    def remember(self, file: str, digest: str, check: FileCheck) -> None:
        """Keep `check` for `file` when it found no problem, else forget the file."""
        raise NotImplementedError

    def _recall(self, file: str, digest: str) -> list[Any] | None:
        """The entry of `file` when it was made for `digest`."""
        self._seen.add(file)
        item = self._entries.get(file)
        if item is None or item[0] != digest:
            self.misses += 1
            return None
        self.hits += 1
        return item

    def _remember(self, file: str, entry: list[Any] | None) -> None:
        """Keep `entry` for `file`, or forget the file (None: it had a problem)."""
        self._seen.add(file)
        self._dirty = True
        if entry is None:
            self._entries.pop(file, None)
        else:
            self._entries[file] = entry


def at(value: tuple[int, int] | None) -> list[int] | None:
    """A position as stored (a list), None kept."""
    return list(value) if value else None


class FileCache(VerdictStore):
    """The outcome of validating a problem-free file, by its name and text digest."""

    file_name = "files.json"
    entries_key = "files"
    width = 4  # digest, data, where the name is written, where the id is

    def __init__(self, folder: Path, *, key: bytes | None) -> None:
        super().__init__(folder, key=key)
        self._fingerprint: str | None = None

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = code_fingerprint()
        return self._fingerprint

    def recall(self, file: str, digest: str) -> FileCheck | None:
        item = self._recall(file, digest)
        if item is None:
            return None
        data = item[1]
        campaign = CampaignFile(file, data, digest)
        return FileCheck(campaign, [], position(item[2]), position(item[3]), own_name(data))

    def remember(self, file: str, digest: str, check: FileCheck) -> None:
        if check.campaign is None or check.problems:
            self._remember(file, None)
        else:
            entry = [digest, check.campaign.data, at(check.name_at), at(check.id_at)]
            self._remember(file, entry)


class EnvironmentFileCache(VerdictStore):
    """Problem-free checks of one environment's files: by file, its merged data under the
    digest of its text and the overrides (campaign.merged.merged_digest: merged data is never
    recalled for other overrides), with the file's own name and where it writes its name and
    id; one store per environment, signed as the plain files' store is."""

    file_name = "files-{target}.json"
    entries_key = "files"
    width = 5  # digest, merged data, the file's own name, where it writes its name and id

    def __init__(self, folder: Path, environment: str, *, key: bytes | None) -> None:
        digest = hashlib.sha256(environment.encode("utf-8", "surrogatepass")).hexdigest()
        super().__init__(folder, "env-" + digest[:24], key=key)
        self._fingerprint: str | None = None

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            from campsync.campaign import environment, globs, merged, overrides

            self._fingerprint = source_fingerprint(
                (environment, merged, overrides, globs), code_fingerprint().encode("ascii")
            )
        return self._fingerprint

    def recall(self, file: str, digest: str) -> FileCheck | None:
        item = self._recall(file, digest)
        if item is None:
            return None
        name = item[2] if isinstance(item[2], str) else None
        campaign = CampaignFile(file, item[1], digest)
        return FileCheck(campaign, [], position(item[3]), position(item[4]), name)

    def remember(self, file: str, digest: str, check: FileCheck) -> None:
        if check.campaign is None or check.problems or check.in_config:
            self._remember(file, None)
        else:
            data = check.campaign.data
            self._remember(file, [digest, data, check.name, at(check.name_at), at(check.id_at)])


def position(value: Any) -> tuple[int, int] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return value[0], value[1]
    return None
