"""One store of the local cache: a JSON document in one file, read and written safely (a
problem is a one-line warning, never an error), written entry by entry."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from campsync.fsutil import write_atomic, write_atomic_parts

FORMAT = 1
GITIGNORE = "*\n"


def target_key(host: str, stream_id: str, account_id: str) -> str:
    """A stable, non-reversible name for one platform target."""
    raw = "\0".join((host.rstrip("/").lower(), stream_id, account_id)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def ensure_folder(folder: Path) -> None:
    """Create the cache folder owner-only, with a .gitignore that ignores everything."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        write_atomic(ignore, GITIGNORE)


def read_json(path: Path) -> tuple[Any, str | None]:
    """The file's JSON (None when it does not exist) and a warning when it is unusable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cache {path} ignored: cannot read it ({exc.strerror or exc})"
    try:
        return json.loads(raw), None
    except (ValueError, RecursionError):
        return None, f"cache {path} ignored: it is not valid JSON"


compact_json = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)


def _document_parts(
    head: dict[str, Any], key: str, entries: Iterable[tuple[str, str]]
) -> Iterator[str]:
    """The text of `{**head, key: {name: value, ...}}` exactly as one compact json.dumps
    writes it, from the entries' names and their values' JSON text, in parts of one entry
    each: a store of 10,000 campaign bodies is written without ever being one string
    (json's own iterencode would do that in pure Python, several times slower than its C
    encoder used per entry)."""
    opening = compact_json({**head, key: {}})
    yield opening[:-2]  # up to the entries' "{"
    comma = ""
    for name, value in entries:
        yield f"{comma}{compact_json(name)}:{value}"
        comma = ","
    yield "}}"


def write_json(
    folder: Path, path: Path, head: dict[str, Any], key: str, entries: Iterable[tuple[str, str]]
) -> str | None:
    try:
        ensure_folder(folder)
        write_atomic_parts(path, _document_parts(head, key, entries), private=True)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"cannot write the cache {path}: {reason}"
    return None


class JsonStore:
    """One store of the cache: a JSON document `{format, target, code, <entries>}` in one
    file. A document of another shape or target is ignored with a warning; one written by
    another format or another campsync (`code`: a fingerprint of the deciding code) is
    simply not used. Subclasses say what an entry is and when to write."""

    file_name = ""  # may use {target}
    entries_key = ""

    def __init__(self, folder: Path, target: str | None = None) -> None:
        self.folder = folder
        self.target = target
        self.path = folder / self.file_name.format(target=target)

    @property
    def code(self) -> str | None:
        """The fingerprint a document must carry to be used (None: any)."""
        return None

    def load(self) -> str | None:
        """Read the file; a one-line warning when it is unusable (the store is then empty)."""
        raise NotImplementedError

    def save(self) -> str | None:
        """Write the file when anything changed; a one-line warning when it cannot."""
        raise NotImplementedError

    def _read_entries(self) -> tuple[dict[str, Any], str | None]:
        """The stored entries ({} when none or unusable) and a warning when unusable."""
        document, warning = read_json(self.path)
        if document is None:
            return {}, warning
        if (
            not isinstance(document, dict)
            or not isinstance(document.get(self.entries_key), dict)
            or document.get("target") != self.target
        ):
            return {}, f"cache {self.path} ignored: not a campsync cache of this format and target"
        if document.get("format") != FORMAT or document.get("code") != self.code:
            return {}, None
        return document[self.entries_key], None

    def _write_entries(self, entries: dict[str, Any]) -> str | None:
        return self._write_texts((name, compact_json(value)) for name, value in entries.items())

    def _write_texts(self, entries: Iterable[tuple[str, str]]) -> str | None:
        """_write_entries of entries whose values are JSON text already."""
        head = {"format": FORMAT, "target": self.target, "code": self.code}
        return write_json(self.folder, self.path, head, self.entries_key, entries)


def source_fingerprint(modules: Iterable[ModuleType], extra: bytes = b"") -> str:
    """A hash of these modules' source (and `extra`): a verdict cached by one campsync is
    not trusted by another whose deciding code differs."""
    digest = hashlib.sha256(extra)
    for module in modules:
        if module.__file__ is not None:
            digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


class Entry(Protocol):
    """What pruning needs of a listed campaign (inventory.Listed)."""

    @property
    def id(self) -> str: ...

    @property
    def updated_at(self) -> str | None: ...
