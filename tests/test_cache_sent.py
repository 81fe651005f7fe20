"""The record of the requests sent to each account (sync/cache/sent.py): kept across runs,
bounded, untrusted, sound with two processes at once; and the limiter a run starts from
it, on fake clocks (a wall clock for the record, a monotonic one for waiting)."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from campsync.config.target import Target
from campsync.kore.ratelimit import SlidingWindowLimiter
from campsync.sync.cache import sent as sent_module
from campsync.sync.cache.sent import SentRecord, account_key, shared_limiter
from campsync.sync.cache.store import FolderCheck, target_key
from tests.fixtures_emulator import REPO
from tests.test_kore_ratelimit import FakeTime, take_place

TARGET = Target("https://platform.kore.ai", "st-1111", "acct-1")
WALL = 1_700_000_000  # the wall clock when the monotonic one reads 0


class Clocks(FakeTime):
    """One fake time, read as a monotonic clock (from 0) and as a wall clock (from WALL)."""

    def wall(self) -> float:
        return WALL + self.now


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def record(folder: Path, clocks: Clocks, window: float = 60.0) -> SentRecord:
    return SentRecord(folder, TARGET, window=window, wall=clocks.wall)


def loaded(folder: Path, clocks: Clocks, window: float = 60.0) -> tuple[SentRecord, str | None]:
    fresh = record(folder, clocks, window)
    return fresh, fresh.load()


def write_entries(folder: Path, entries: Any, **document: Any) -> Path:
    """A record file of these entries, as campsync would write it (or as someone else)."""
    path = folder / f"sent-{account_key(TARGET)}.json"
    content = {"format": 1, "target": account_key(TARGET), "code": None, "sent": entries}
    path.write_text(json.dumps({**content, **document}), encoding="utf-8")
    path.chmod(0o600)
    return path


def ms(wall_seconds: float) -> str:
    return str(round(wall_seconds * 1000))


def recorded(folder: Path) -> dict[str, int]:
    path = folder / f"sent-{account_key(TARGET)}.json"
    entries: dict[str, int] = json.loads(path.read_text())["sent"]
    return entries


def test_requests_added_are_recalled_by_the_next_run_as_places_still_held(
    tmp_path: Path, clocks: Clocks
) -> None:
    assert record(tmp_path, clocks).add([1.0, 2.5, 30.0, 59.0]) == []
    clocks.now = 10.0
    fresh, warning = loaded(tmp_path, clocks)
    assert warning is None
    ages = fresh.recall(60)
    # Each time was rounded up to a hundredth of the window (0.6 s): held a little longer,
    # never shorter. The one of 59 s ago is free by now.
    assert len(ages) == 3 and ages == sorted(ages)
    for age, exact in zip(ages, [11.0, 12.5, 40.0], strict=True):
        assert exact - 0.6 <= age <= exact
    assert fresh.recall(2) == ages[:2]  # the latest first, at most the limit


def test_streams_and_environments_on_one_account_share_the_record() -> None:
    other_stream = Target(TARGET.host, "st-2222", TARGET.account_id)
    assert account_key(other_stream) == account_key(TARGET)
    assert account_key(Target(TARGET.host, "st-1111", "acct-2")) != account_key(TARGET)
    assert account_key(Target("https://other.kore.ai", "st-1111", "acct-1")) != account_key(TARGET)
    # and no target's own stores (keyed by host, stream and account) share its file name
    assert account_key(TARGET) != target_key(TARGET)


def test_the_file_stays_small_however_many_requests(tmp_path: Path, clocks: Clocks) -> None:
    clocks.now = 100.0
    rec = record(tmp_path, clocks)
    assert rec.add(n * 0.006 for n in range(10_000)) == []  # 10,000 requests in 60 s
    document = json.loads(rec.path.read_text())
    assert len(document["sent"]) <= 101
    assert sum(document["sent"].values()) == 10_000
    assert rec.path.stat().st_size < 3000
    assert rec.path.stat().st_mode & 0o777 == 0o600


def test_a_file_of_too_many_times_is_folded_onto_later_ones(tmp_path: Path, clocks: Clocks) -> None:
    """Only a file not written by campsync (or a window over 100 s) has more than
    MAX_TIMES distinct times: the oldest count as of the oldest time kept, never dropped."""
    clocks.now = 5000.0
    now = clocks.wall()
    write_entries(tmp_path, {ms(now - 2 * n): 1 for n in range(1, 1501)})
    rec = record(tmp_path, clocks, window=3600.0)
    assert rec.load() is None
    assert rec.add([0.0]) == []
    entries = recorded(tmp_path)
    assert len(entries) == sent_module.MAX_TIMES
    assert sum(entries.values()) == 1501
    assert min(entries, key=int) == ms(now - 2 * 999)  # where the 502 oldest now count
    assert entries[ms(now - 2 * 999)] == 502


def test_what_another_run_added_meanwhile_is_kept(tmp_path: Path, clocks: Clocks) -> None:
    first, second = record(tmp_path, clocks), record(tmp_path, clocks)
    first.load()
    second.load()
    assert first.add([1.0, 2.0]) == []
    assert second.add([3.0]) == []
    assert first.add([4.0]) == []
    assert len(loaded(tmp_path, clocks)[0].recall(60)) == 4


def test_entries_that_are_wrong_are_ignored_with_one_warning(
    tmp_path: Path, clocks: Clocks
) -> None:
    clocks.now = 100.0
    now = clocks.wall()
    good = {ms(now - 1): 2, ms(now + 3): 1}  # the second slightly ahead (a skewed clock)
    wrong = {
        ms(now + 3600): 1,  # far ahead
        ms(now - 2): True,
        ms(now - 3): 1.5,
        ms(now - 4): 0,
        ms(now - 5): -1,
        ms(now - 6): 2**31 + 1,
        ms(now - 7): "3",
        ms(now - 8): None,
        ms(now - 9): [1],
        "-5": 1,
        "1e3": 1,
        "\u0661\u0662\u0663": 1,  # digits, but not ASCII ones
        "": 1,
        "9" * 17: 1,
        "1700000099000.5": 1,
    }
    write_entries(tmp_path, {**good, **wrong})
    fresh, warning = loaded(tmp_path, clocks)
    assert warning is not None and "15 times ignored" in warning and "\n" not in warning
    assert fresh.recall(60) == [0.0, 1.0, 1.0]  # ahead within the skew: now

    # rewritten without them, with what this run sent
    assert fresh.add([0.5]) == [warning]
    again, warning = loaded(tmp_path, clocks)
    assert warning is None and len(again.recall(60)) == 4


def test_more_places_than_the_limit_cost_one_window_at_most(tmp_path: Path, clocks: Clocks) -> None:
    clocks.now = 100.0
    write_entries(tmp_path, {ms(clocks.wall() + 4): 2**31, ms(clocks.wall() - 1): 2**31})
    fresh, warning = loaded(tmp_path, clocks)
    assert warning is None
    assert fresh.recall(5) == [0.0] * 5
    assert len(fresh.recall(10**9)) == sent_module.MAX_RECALLED  # never a list of 2**32


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"target": "someone-else"}, "not a campsync cache of this format and target"),
        ({"sent": [1, 2]}, "not a campsync cache of this format and target"),
    ],
)
def test_a_record_of_another_shape_or_account_is_ignored(
    tmp_path: Path, clocks: Clocks, document: dict[str, Any], says: str
) -> None:
    write_entries(tmp_path, {ms(clocks.wall()): 1}, **document)
    fresh, warning = loaded(tmp_path, clocks)
    assert warning is not None and says in warning
    assert fresh.recall(60) == []


def test_a_huge_file_is_not_read(tmp_path: Path, clocks: Clocks) -> None:
    path = write_entries(tmp_path, {ms(clocks.wall()): 1})
    path.write_bytes(b'{"sent": {' + b'"1": 1, ' * 200_000 + b'"2": 1}}')
    fresh, warning = loaded(tmp_path, clocks)
    assert warning == f"cache {path} ignored: larger than 65536 bytes"
    assert fresh.recall(60) == []
    path.write_text("{broken")
    assert loaded(tmp_path, clocks)[1] == f"cache {path} ignored: it is not valid JSON"


def test_a_link_or_a_fifo_in_its_place_is_not_followed(tmp_path: Path, clocks: Clocks) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    real = write_entries(elsewhere, {ms(clocks.wall()): 5})
    link = tmp_path / real.name
    link.symlink_to(real)
    fresh, warning = loaded(tmp_path, clocks)
    assert warning is not None and "a symbolic link" in warning
    assert fresh.recall(60) == []

    link.unlink()
    os.mkfifo(link)  # no writer: reading it would wait for ever
    fresh, warning = loaded(tmp_path, clocks)
    assert warning is not None and "not a regular file" in warning
    assert fresh.recall(60) == []


def test_a_folder_the_checks_refuse_means_no_record(tmp_path: Path, clocks: Clocks) -> None:
    path = write_entries(tmp_path, {ms(clocks.wall()): 5})
    unread = record(tmp_path, clocks)
    unread.trust(FolderCheck(read=False, write=False))
    assert unread.load() is None and unread.recall(60) == []
    before = path.read_bytes()
    assert unread.add([1.0]) == []
    assert path.read_bytes() == before  # nor written


def test_a_lock_held_too_long_or_not_a_file_means_no_write(
    tmp_path: Path, clocks: Clocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sent_module, "LOCK_WAIT", 0.05)
    rec = record(tmp_path, clocks)
    with rec.lock_path.open("a") as other:  # another process's lock (its own file description)
        fcntl.flock(other, fcntl.LOCK_EX)
        (warning,) = rec.add([1.0])
    assert warning == (
        f"cannot write the cache {rec.path}: another process held its lock for more than 0.05 s"
    )
    assert not rec.path.exists()

    rec.lock_path.unlink()
    target = tmp_path / "not-a-lock"
    target.write_text("keep")
    rec.lock_path.symlink_to(target)
    (warning,) = rec.add([1.0])
    assert warning == f"cannot write the cache {rec.path}: its lock is a symbolic link"
    assert target.read_text() == "keep" and not rec.path.exists()

    rec.lock_path.unlink()
    os.mkfifo(rec.lock_path)
    (warning,) = rec.add([1.0])
    assert "its lock is not a regular file of this user" in warning
    assert not rec.path.exists()

    rec.lock_path.unlink()
    assert rec.add([1.0]) == []
    assert rec.path.exists()


ADDER = """
import sys
from pathlib import Path
from campsync.config.target import Target
from campsync.sync.cache.sent import SentRecord

folder, times = Path(sys.argv[1]), int(sys.argv[2])
record = SentRecord(folder, Target(*sys.argv[3:6]), window=3600.0)
for n in range(times):
    warnings = record.add([n * 0.001])
    assert not warnings, warnings
"""


def test_two_processes_at_once_leave_a_sound_record(tmp_path: Path) -> None:
    """Each process adds its requests one by one (read, merge, write each time): without
    the lock, one's write would drop what the other wrote since it read."""
    times, processes = 150, 3
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [str(tmp_path), str(times), TARGET.host, TARGET.stream_id, TARGET.account_id]
    running = [
        subprocess.Popen([sys.executable, "-c", ADDER, *args], env=env, stderr=subprocess.PIPE)
        for _ in range(processes)
    ]
    for process in running:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    fresh = SentRecord(tmp_path, TARGET, window=3600.0)
    assert fresh.load() is None
    assert len(fresh.recall(10**6)) == times * processes


# --- the limiter of a run, started from the record ------------------------------------------


@pytest.fixture
def paced(clocks: Clocks, monkeypatch: pytest.MonkeyPatch) -> Clocks:
    """The limiter shared_limiter builds, on the fake monotonic clock, with a 10 s window."""
    monkeypatch.setattr(
        sent_module,
        "SlidingWindowLimiter",
        functools.partial(
            SlidingWindowLimiter, window=10.0, clock=clocks.clock, sleep=clocks.sleep
        ),
    )
    return clocks


@pytest.fixture
def warnings() -> list[str]:
    return []


async def test_a_run_right_after_another_waits_for_the_places_it_still_holds(
    tmp_path: Path, paced: Clocks, warnings: list[str]
) -> None:
    with shared_limiter(tmp_path, FolderCheck(), TARGET, 3, warnings.append, wall=paced.wall) as a:
        for moment in (0.0, 1.0, 2.0):
            paced.now = moment
            await take_place(a)
    paced.now = 3.0
    sent = []
    with shared_limiter(tmp_path, FolderCheck(), TARGET, 3, warnings.append, wall=paced.wall) as b:
        for _ in range(4):
            await take_place(b)
            sent.append(paced.now)
    assert sent == [10.0, 11.0, 12.0, 20.0]  # as if one run had sent all seven
    assert warnings == []


async def test_a_run_records_what_it_sent_as_soon_as_it_must_wait(
    tmp_path: Path, paced: Clocks, warnings: list[str]
) -> None:
    with shared_limiter(tmp_path, FolderCheck(), TARGET, 2, warnings.append, wall=paced.wall) as a:
        await take_place(a)
        await take_place(a)
        assert not record(tmp_path, paced).path.exists()  # no file I/O per request
        await take_place(a)  # waits a window: the two before are recorded first
        assert recorded(tmp_path) == {ms(WALL): 2}
    # at the end, the third (the first two are free by then, and gone from the file)
    assert recorded(tmp_path) == {ms(WALL + 10): 1}


async def test_a_hostile_record_costs_one_window_at_most_and_a_refused_folder_none(
    tmp_path: Path, paced: Clocks, warnings: list[str]
) -> None:
    paced.now = 100.0
    write_entries(tmp_path, {ms(paced.wall() + 4.5): 2**31, ms(paced.wall() + 999): 9})
    with shared_limiter(tmp_path, FolderCheck(), TARGET, 3, warnings.append, wall=paced.wall) as a:
        await take_place(a)
    assert paced.now == 110.0
    assert len(warnings) == 1 and "1 time ignored" in warnings[0]

    refused = FolderCheck(read=False, write=False, warning="not used")
    paced.now = 111.0
    with shared_limiter(tmp_path, refused, TARGET, 3, warnings.append, wall=paced.wall) as b:
        for _ in range(3):
            await take_place(b)
    assert paced.now == 111.0  # the record (3 places held until 120) was not read
