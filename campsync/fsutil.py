"""Files campsync reads and writes by a path a user named: bounded reads of regular files
only, and atomic writes (a reader sees the old file or the new one, never half of one)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from campsync.text import size


class FileRefused(OSError):
    """A path campsync will not read or write: `reason` says why in a few words ("not a
    regular file", "larger than the limit of 64 MiB"). An OSError, so that a caller's
    `except OSError` turns it into its own one-line message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.strerror = reason


class FileTooLarge(FileRefused):
    """A file over the size a reader takes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than the limit of {size(limit)}")
        self.limit = limit


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file `path`, at most `max_bytes` of them: a larger file is
    refused after reading `max_bytes + 1` bytes at most (a file that grows while it is read
    included: FileTooLarge), a directory raises IsADirectoryError, and a FIFO, socket or
    device FileRefused without waiting for a writer: the file is opened without blocking and
    checked through the open descriptor, so what is checked is what is read."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("not a regular file")
        if info.st_size > max_bytes:
            raise FileTooLarge(max_bytes)
        blocks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            block = os.read(descriptor, max_bytes + 1 - total)
            if not block:
                break
            blocks.append(block)
            total += len(block)
    finally:
        os.close(descriptor)
    if total > max_bytes:
        raise FileTooLarge(max_bytes)
    return b"".join(blocks)


def check_writable(path: Path) -> None:
    """Refuse to write `path` unless it is a regular file or nothing yet: a write replaces
    what the path names, and a symbolic link, a FIFO or a device (`--out /dev/full` as root)
    must not be replaced by a file. Raises FileRefused (or IsADirectoryError)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise FileRefused("it is a symbolic link")
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused("it is not a regular file")


def write_atomic(path: Path, data: str | bytes, *, private: bool = False) -> None:
    """Write `data` to `path` through a temp file in the same folder and a rename; only
    onto a regular file or a new path (check_writable).

    With `private`, the file is created owner-only (0600) from the start, so a
    plan or cache file is never readable by others, not even for a moment.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    _write_atomic(path, (raw,), private)


def write_atomic_parts(
    path: Path, parts: Iterable[str], *, private: bool = False, own: bool = False
) -> None:
    """write_atomic of the text the parts make together, each part encoded and written as
    it comes: a large document (the local cache of 10,000 campaigns) then never exists
    whole in memory, neither as one string nor as its bytes. A part that fails (to be made
    or encoded) leaves the old file as it was. `own`: the path is campsync's own (a cache
    file), so whatever else stands there (a link, a FIFO someone put there) is replaced by
    the new file, never followed or written through."""
    _write_atomic(path, (part.encode("utf-8") for part in parts), private, own=own)


def _write_atomic(path: Path, chunks: Iterable[bytes], private: bool, *, own: bool = False) -> None:
    path = Path(path)
    if not own:
        check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        if not private:
            os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
