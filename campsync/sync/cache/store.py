"""One store of the local cache: a JSON document in one file, read and written safely (a
problem is a one-line warning, never an error), written entry by entry."""

from __future__ import annotations

import errno
import functools
import hashlib
import hmac
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from campsync.config.target import Target
from campsync.fsutil import write_atomic, write_atomic_parts
from campsync.text import clip, size

FORMAT = 1
GITIGNORE = "*\n"


def target_key(target: Target) -> str:
    """A stable, non-reversible name for one platform target (the same as campsync 0.2's)."""
    parts = (target.host.rstrip("/").lower(), target.stream_id, target.account_id)
    raw = "\0".join(parts).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def ensure_folder(folder: Path) -> None:
    """Create the cache folder owner-only, with a .gitignore that ignores everything."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        write_atomic(ignore, GITIGNORE)


@dataclass(frozen=True)
class FolderCheck:
    """What a run may do with its cache folder: use what it holds (`read`), write into it
    (`write`); `warning` says why not, or what was changed."""

    read: bool = True
    write: bool = True
    warning: str | None = None


def _user() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def check_folder(folder: Path) -> FolderCheck:
    """Trust the cache folder as ssh trusts ~/.ssh: one of another user's is not used at all
    (its content is theirs, and it is not ours to change); one of ours that others may write
    is made owner-only, and what it held is not used by this run (anyone may have written it;
    the run then writes it anew). A missing folder is made owner-only when first written.
    One reached through a symbolic link inside the working folder (`.campsync` committed as a
    link, say) is not used either: the link sends the cache's files into a folder nobody chose
    for them, whose files of the same names a write would replace (cacheDir names a folder of
    one's own, anywhere, without a link)."""
    shown = clip(str(folder))
    linked = _linked_part(folder)
    if linked is not None:
        return FolderCheck(
            False,
            False,
            f"cache folder {shown} is reached through a symbolic link ({clip(str(linked))}): "
            "not used; remove the link, or set cacheDir (CAMPSYNC_CACHE_DIR) to the folder itself",
        )
    try:
        info = os.stat(folder)  # through a link: the folder the files are in
    except FileNotFoundError:
        return FolderCheck()
    except OSError as exc:
        return FolderCheck(False, False, f"cache folder {shown} not used: {exc.strerror or exc}")
    user = _user()
    if user is not None and info.st_uid != user:
        return FolderCheck(
            False,
            False,
            f"cache folder {shown} belongs to another user (uid {info.st_uid}): not used; "
            "remove it, or set cacheDir (CAMPSYNC_CACHE_DIR) to a folder of yours",
        )
    if stat.S_ISDIR(info.st_mode) and info.st_mode & _OTHERS_WRITE:
        try:
            os.chmod(folder, 0o700)
        except OSError as exc:
            return FolderCheck(
                False,
                False,
                f"cache folder {shown} could be written by other users and cannot be made "
                f"owner-only ({exc.strerror or exc}): not used",
            )
        return FolderCheck(
            False,
            True,
            f"cache folder {shown} could be written by other users: made owner-only (0700), "
            "and what it held is not used by this run",
        )
    return FolderCheck()


def _linked_part(folder: Path) -> Path | None:
    """The first part of `folder` that is a symbolic link: of the parts under the working
    folder when it lies there (what a repository can hold), else of the folder itself."""
    absolute = Path(os.path.abspath(folder))
    here = Path(os.path.abspath(os.curdir))
    try:
        parts = absolute.relative_to(here).parts
    except ValueError:
        return absolute if absolute.is_symlink() else None
    path = here
    for part in parts:
        path = path / part
        if path.is_symlink():
            return path
    return None


_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def read_raw(path: Path, max_bytes: int | None = None) -> tuple[bytes | None, str | None]:
    """The file's bytes (None when it does not exist) and a warning when it is unusable: not
    readable, or not a regular file of this user that only this user may write (a symbolic
    link is not followed, a FIFO not waited on), or larger than `max_bytes`."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        why = "a symbolic link" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        return None, f"cache {path} ignored: cannot read it ({why})"
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        user = _user()
        if not stat.S_ISREG(info.st_mode):
            return None, f"cache {path} ignored: not a regular file"
        if user is not None and info.st_uid != user:
            return None, f"cache {path} ignored: it belongs to another user"
        if info.st_mode & _OTHERS_WRITE:
            return None, f"cache {path} ignored: other users could write it"
        too_large = f"cache {path} ignored: larger than {size(max_bytes or 0)}"
        if max_bytes is not None and info.st_size > max_bytes:
            return None, too_large
        try:
            raw = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        except OSError as exc:
            return None, f"cache {path} ignored: cannot read it ({exc.strerror or exc})"
        if max_bytes is not None and len(raw) > max_bytes:  # it grew while it was read
            return None, too_large
        return raw, None


def parse_json(path: Path, raw: bytes) -> tuple[Any, str | None]:
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


# A signed document ends `,"signature":"<hex>"}`: an HMAC of everything before that, and of
# the store's file name (an entry is not valid in another store).
_SIGNATURE = ',"signature":"'


def _signer(key: bytes, path: Path) -> hmac.HMAC:
    return hmac.new(key, path.name.encode("utf-8", "surrogatepass") + b"\0", hashlib.sha256)


def _signed_parts(parts: Iterable[str], key: bytes, path: Path) -> Iterator[str]:
    """The document's parts, its closing brace replaced by its signature and the brace."""
    signer = _signer(key, path)
    pending = ""
    for part in parts:
        if pending:
            signer.update(pending.encode("utf-8"))
            yield pending
        pending = part
    body = pending[:-1]  # the document's own closing "}" follows the signature
    signer.update(body.encode("utf-8"))
    yield body + _SIGNATURE + signer.hexdigest() + '"}'


def signature_verifies(raw: bytes, key: bytes | None, path: Path) -> bool:
    """Whether `raw`, a document read from `path`, ends with a signature made with `key` over
    all that comes before it."""
    at = raw.rfind(_SIGNATURE.encode("ascii"))
    if key is None or at < 0:
        return False
    signer = _signer(key, path)
    signer.update(raw[:at])
    found = raw[at + len(_SIGNATURE) :]
    return hmac.compare_digest(found, signer.hexdigest().encode("ascii") + b'"}')


def write_json(
    folder: Path,
    path: Path,
    head: dict[str, Any],
    key: str,
    entries: Iterable[tuple[str, str]],
    *,
    signing_key: bytes | None = None,
) -> str | None:
    parts = _document_parts(head, key, entries)
    if signing_key is not None:
        parts = _signed_parts(parts, signing_key, path)
    try:
        ensure_folder(folder)
        write_atomic_parts(path, parts, private=True, own=True)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"cannot write the cache {path}: {reason}"
    return None


class JsonStore:
    """One store of the cache: a JSON document `{format, target, code, <entries>}` in one
    file. A document of another shape or target is ignored with a warning; one written by
    another format or another campsync (`code`: a fingerprint of the deciding code) is
    simply not used. Subclasses say what an entry is and when to write.

    A `signed` store (one whose entries are sent: file data) also ends with a `signature`,
    an HMAC under `key` over the whole document: one that does not verify (edited, or made
    with another client secret) is simply not used, and without a key the store is neither
    read nor written. (One HMAC over the file's bytes: parsing stays one json.loads.)
    A store `signed_when_keyed` (platform bodies: a pull writes them into files) is signed
    and checked the same way when there is a key, and kept unsigned without one: `vouched`
    says whether what it recalls is the run's own (a verified signature)."""

    file_name = ""  # may use {target}
    entries_key = ""
    signed = False
    signed_when_keyed = False
    max_bytes: int | None = None  # a larger file is ignored (None: any size)

    def __init__(self, folder: Path, target: str | None = None, *, key: bytes | None = None):
        self.folder = folder
        self.target = target
        self.path = folder / self.file_name.format(target=target)
        self.folder_check = FolderCheck()
        self._key = key

    @property
    def _signs(self) -> bool:
        return self.signed or (self.signed_when_keyed and self._key is not None)

    @property
    def vouched(self) -> bool:
        """What this store recalls was written by a run holding the same client secret."""
        return self._signs

    def trust(self, check: FolderCheck) -> None:
        """What the run may do with the folder (check_folder): unread, the store is empty;
        unwritable, it is never saved."""
        self.folder_check = check

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
        if not self.folder_check.read or (self.signed and self._key is None):
            return {}, None
        raw, warning = read_raw(self.path, self.max_bytes)
        if raw is None:
            return {}, warning
        document, warning = parse_json(self.path, raw)
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
        if self._signs and not signature_verifies(raw, self._key, self.path):
            return {}, None
        return document[self.entries_key], None

    def _write_entries(self, entries: dict[str, Any]) -> str | None:
        return self._write_texts((name, compact_json(value)) for name, value in entries.items())

    def _write_texts(self, entries: Iterable[tuple[str, str]]) -> str | None:
        """_write_entries of entries whose values are JSON text already."""
        if not self.folder_check.write or (self.signed and self._key is None):
            return None
        head = {"format": FORMAT, "target": self.target, "code": self.code}
        signing_key = self._key if self._signs else None
        return write_json(
            self.folder, self.path, head, self.entries_key, entries, signing_key=signing_key
        )


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
