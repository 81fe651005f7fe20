"""When this machine's campsync runs last sent requests to each account, so that runs one
after another share the platform's rate limit (one budget per account, for every call)
instead of each spending it whole: a `pull`, then a `plan`, then an `apply` never send
more than the limit together in any window.

One small store per account, `sent-<key>.json` in the cache folder, the key a hash of the
host and the account id (no stream: two environments or streams on one account share it).
It holds the wall-clock times at which recent requests ended (their answer came, or they
failed), each rounded up to a hundredth of the window, and how many ended then:

    {"format": 1, "target": "<key>", "code": null, "sent": {"1718000000250": 3, ...}}

A run reads it before its first request (`load`, then `recall`: the places still held, as
ages for the limiter) and adds its own requests (`add`) under an exclusive `fcntl.flock` of
`sent-<key>.lock`, reading the file again under the lock so that what another process added
meanwhile is kept (the write itself is atomic, as every store's). `shared_limiter` wires a
run's limiter to the record: the run adds what it sent whenever a request must wait for a
place (the budget is spent: that is when the next run needs to know) and when it ends.

Two runs at once are not paced together live: each starts from what the other had recorded
by then (the record is never corrupted or lost). Pacing them exactly would need a claim
under the lock before every request, file I/O per request that high rate limits cannot
afford; the platform's 429 is waited out if they overlap. Syncs at once in one process (two
environments of one account in one run) are paced together: they share one limiter
(`AccountLimiters`).

The record is untrusted input (a cache restored from another branch, or written by someone
else): besides the store's own checks (a link, a FIFO, a file of another user or one others
may write is ignored), a file over MAX_BYTES is ignored, an entry that is not a time and a
count, or lies more than SKEW seconds ahead, is ignored (one warning), a time less ahead
counts as now, and of more places than the limit only the latest count: no record ever
makes a request wait more than one window.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import math
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campsync.config.target import Target
from campsync.kore.ratelimit import SlidingWindowLimiter
from campsync.sync.cache.store import FolderCheck, JsonStore, ensure_folder, target_key
from campsync.text import plural

# A recorded time may lie this far ahead of this machine's clock (the cache may come from
# another machine) and counts as now; one further ahead is wrong.
SKEW = 5.0
MAX_BYTES = 64 * 1024
# Times are rounded up to a hundredth of the window (at most a second, well within SKEW):
# the file holds about a hundred distinct times, and the next run waits at most that much
# longer (0.6 s at 60 s).
GRID = 100
MAX_GRID = 1.0
# Distinct times kept in the file; the requests of older ones count as of the oldest kept
# (later: the safe side). Only a file not of campsync, or a window over 100 s, has more.
MAX_TIMES = 1000
MAX_COUNT = 2**31  # requests ending at one time: beyond it, an entry is not campsync's
# At most this many earlier places are recalled, whatever the limit: a limit above it is
# far above any platform's (60 a minute), and a hostile count must not fill the memory.
MAX_RECALLED = 100_000
LOCK_WAIT = 2.0  # seconds to wait for another process to release the lock
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)


def account_key(target: Target) -> str:
    """The account's key: its host and account id, as the key of a target of no stream (no
    stream id is ever empty, so no target's key is an account's)."""
    return target_key(Target(target.host, "", target.account_id))


class SentRecord(JsonStore):
    """When recent requests to one account ended (see the module's docstring)."""

    file_name = "sent-{target}.json"
    entries_key = "sent"
    max_bytes = MAX_BYTES

    def __init__(
        self, folder: Path, target: Target, *, window: float, wall: Callable[[], float] = time.time
    ) -> None:
        super().__init__(folder, account_key(target))
        self.window = window
        self.lock_path = folder / f"sent-{self.target}.lock"
        self._wall = wall
        self._grid_ms = max(1, min(-(-round(window * 1000) // GRID), round(MAX_GRID * 1000)))
        self._earlier: dict[int, int] = {}  # as loaded: time (ms) -> requests that ended then

    def load(self) -> str | None:
        stored, warning = self._read_entries()
        self._earlier, ignored = self._valid(stored, self._wall())
        return warning or self._ignored(ignored)

    def save(self) -> str | None:
        """Nothing to save but what `add` writes at once."""
        return None

    def recall(self, limit: int) -> list[float]:
        """How many seconds ago each place still held ended, the latest first, at most
        `limit` (and MAX_RECALLED) of them; a time ahead of the clock is now (0)."""
        now_ms = self._wall() * 1000
        ages: list[float] = []
        room = min(limit, MAX_RECALLED)
        for at in sorted(self._earlier, reverse=True):
            count = min(self._earlier[at], room - len(ages))
            ages.extend([max(0.0, (now_ms - at) / 1000)] * count)
            if len(ages) >= room:
                break
        return ages

    def add(self, ages: Iterable[float]) -> list[str]:
        """Add requests that ended `ages` seconds ago, under the lock, to what the file holds
        now; one-line warnings when it cannot be read or written (never an error)."""
        ages = list(ages)
        if not ages or not self.folder_check.write:
            return []
        warnings: list[str] = []
        try:
            with self._locked():
                stored, warning = self._read_entries()
                now = self._wall()
                times, ignored = self._valid(stored, now)
                for age in ages:
                    at = self._on_grid(now - age)
                    times[at] = min(MAX_COUNT, times.get(at, 0) + 1)
                written = self._write_entries(_fold(times))
                warnings += [w for w in (warning, self._ignored(ignored), written) if w]
        except OSError as exc:
            why = "its lock is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
            warnings.append(f"cannot write the cache {self.path}: {why or exc}")
        return warnings

    # -- inside -----------------------------------------------------------------------------

    def _valid(self, stored: Mapping[str, Any], now: float) -> tuple[dict[int, int], int]:
        """The entries that are a time (whole milliseconds) and a count and whose place is
        still held, and how many were wrong (not so, or ahead of the clock beyond SKEW)."""
        now_ms = now * 1000
        since, until = now_ms - self.window * 1000, now_ms + SKEW * 1000
        times: dict[int, int] = {}
        wrong = 0
        for name, count in stored.items():
            at = int(name) if len(name) <= 16 and name.isascii() and name.isdigit() else -1
            if at < 0 or type(count) is not int or not 1 <= count <= MAX_COUNT or at > until:
                wrong += 1
            elif at > since:
                times[at] = min(MAX_COUNT, times.get(at, 0) + count)
        return times, wrong

    def _ignored(self, count: int) -> str | None:
        if not count:
            return None
        return (
            f"cache {self.path}: {plural(count, 'time')} ignored "
            "(not a time and a count, or ahead of the clock)"
        )

    def _on_grid(self, when: float) -> int:
        """`when` in milliseconds, rounded up to the grid (later is the safe side)."""
        grid = self._grid_ms
        return -(-math.ceil(when * 1000) // grid) * grid

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """This account's lock file, held exclusively (closing it releases the lock)."""
        ensure_folder(self.folder)
        descriptor = os.open(self.lock_path, _LOCK_FLAGS, 0o600)
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                raise OSError("its lock is not a regular file of this user")
            deadline = time.monotonic() + LOCK_WAIT
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        busy = f"another process held its lock for more than {LOCK_WAIT:g} s"
                        raise OSError(busy) from None
                    time.sleep(0.01)
            yield
        finally:
            os.close(descriptor)


def _fold(times: dict[int, int]) -> dict[str, int]:
    """The entries to write: at most MAX_TIMES, the older ones' counts added to the oldest
    kept (a later end: held longer, never shorter)."""
    ordered = sorted(times)
    older, kept = ordered[:-MAX_TIMES], ordered[-MAX_TIMES:]
    entries = {str(at): times[at] for at in kept}
    if older:
        entries[str(kept[0])] = min(
            MAX_COUNT, entries[str(kept[0])] + sum(times[at] for at in older)
        )
    return entries


@contextlib.contextmanager
def shared_limiter(
    folder: Path,
    check: FolderCheck,
    target: Target,
    limit: int,
    warn: Callable[[str], None],
    *,
    wall: Callable[[], float] = time.time,
) -> Iterator[SlidingWindowLimiter]:
    """The rate limiter of one run against `target`'s account: it starts with the places
    that earlier runs still hold (as recorded in `folder`, when `check` lets it be read),
    and what it sends is recorded whenever a request must wait for a place and when the run
    ends. Each distinct problem is told to `warn` once. The record's times are of the
    `wall` clock, the limiter's of its own (monotonic): they meet as ages, each measured
    on its own clock."""
    limiter = SlidingWindowLimiter(limit)
    record = SentRecord(folder, target, window=limiter.window, wall=wall)
    record.trust(check)
    told: set[str] = set()

    def tell(warnings: Iterable[str | None]) -> None:
        for warning in warnings:
            if warning and warning not in told:
                told.add(warning)
                warn(warning)

    def keep() -> None:
        tell(record.add(limiter.take_ended()))

    tell([record.load()])
    limiter.hold(record.recall(limit))
    limiter.when_full(keep)
    try:
        yield limiter
    finally:
        limiter.when_full(None)
        keep()


class AccountLimiters:
    """The rate limiters of the syncs one process runs at once, one per account: the syncs
    of two environments on one account (many accounts in one `campsync` run) take their
    places from one limiter, as the platform counts one budget per account. The first to
    begin builds it (shared_limiter: from its cache folder's record, told to its warnings),
    the last to end records what it sent. Without one shared, each sync has its own (a run
    of one environment), which is all the record could pace anyway: runs one after another.
    No awaiting inside: the syncs of one event loop never race for it."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}  # account key -> its limiter, while in use

    @contextlib.contextmanager
    def limiter(
        self,
        folder: Path,
        check: FolderCheck,
        target: Target,
        limit: int,
        warn: Callable[[str], None],
    ) -> Iterator[SlidingWindowLimiter]:
        """The limiter of `target`'s account, shared while more than one sync holds it."""
        key = account_key(target)
        held = self._held.get(key)
        if held is None:
            stack = contextlib.ExitStack()
            limiter = stack.enter_context(shared_limiter(folder, check, target, limit, warn))
            held = self._held[key] = _Held(limiter, stack)
        held.users += 1
        try:
            yield held.limiter
        finally:
            held.users -= 1
            if not held.users:
                del self._held[key]
                held.ending.close()


@dataclass
class _Held:
    """An account's limiter in use: how to end it (record what it sent), and by how many."""

    limiter: SlidingWindowLimiter
    ending: contextlib.ExitStack
    users: int = 0
