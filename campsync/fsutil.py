"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: Path, data: str | bytes, *, private: bool = False) -> None:
    """Write `data` to `path` through a temp file in the same folder and a rename.

    With `private`, the file is created owner-only (0600) from the start, so a
    plan or cache file is never readable by others, not even for a moment.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    _write_atomic(path, (raw,), private)


def write_atomic_parts(path: Path, parts: Iterable[str], *, private: bool = False) -> None:
    """write_atomic of the text the parts make together, each part encoded and written as
    it comes: a large document (the local cache of 10,000 campaigns) then never exists
    whole in memory, neither as one string nor as its bytes. A part that fails (to be made
    or encoded) leaves the old file as it was."""
    _write_atomic(path, (part.encode("utf-8") for part in parts), private)


def _write_atomic(path: Path, chunks: Iterable[bytes], private: bool) -> None:
    path = Path(path)
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
