"""Progress on long runs (terminal.ProgressReporter): what a CI log and a terminal show,
on a fake clock (no sleeping), fed as the engine and the rate limiter feed it."""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil

import pytest

from campsync.errors import NotReady
from campsync.kore.ratelimit import SlidingWindowLimiter
from campsync.sync.readiness import ReadyWaiter
from campsync.terminal import ProgressLine, ProgressReporter, duration
from tests.test_kore_ratelimit import FakeTime, take_place
from tests.test_readiness import Statuses


class TimedStream(io.StringIO):
    """A log that remembers when (on the fake clock) each line was written."""

    def __init__(self, fake: FakeTime) -> None:
        super().__init__()
        self.fake = fake
        self.times: list[float] = []

    def write(self, text: str) -> int:
        self.times.extend(self.fake.now for _ in range(text.count("\n")))
        return super().write(text)

    def lines(self) -> list[tuple[float, str]]:
        return list(zip(self.times, self.getvalue().splitlines(), strict=True))


def log_reporter(fake: FakeTime, rate_limit: int = 60) -> tuple[ProgressReporter, TimedStream]:
    stream = TimedStream(fake)
    return ProgressReporter(stream, rate_limit=rate_limit, clock=fake.clock), stream


async def test_a_1000_campaign_read_at_60_a_minute_shows_a_line_at_least_every_30_s() -> None:
    fake = FakeTime()
    reporter, log = log_reporter(fake)
    limiter = SlidingWindowLimiter(60, clock=fake.clock, sleep=fake.sleep)
    limiter.report_waits_to(reporter.waiting)

    reporter.step(0, 1000, "read")
    for done in range(1, 1001):
        await take_place(limiter)
        reporter.step(done, 1000, "read")

    lines = log.lines()
    assert fake.now == 960.0  # 17 windows of 60
    assert lines[0] == (
        0.0,
        "campsync: read 0 of 1,000 campaigns, about 17 min left at 60 requests/min",
    )
    assert lines[-1] == (960.0, "campsync: read 1,000 of 1,000 campaigns in 16 min")
    assert (
        80.0,
        "campsync: read 120 of 1,000 campaigns, about 15 min left at 60 requests/min; "
        "waiting 40 s for the rate limit",
    ) in lines
    times = [t for t, _ in lines]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 30
    assert len(lines) <= 960 / 20 + 3  # not chatty either
    pattern = re.compile(
        r"campsync: read [\d,]+ of 1,000 campaigns"
        r"(, (about \d+ min|less than a minute) left at 60 requests/min"
        r"(; waiting \d+ s for the rate limit)?| in 16 min)"
    )
    assert all(pattern.fullmatch(text) for _, text in lines), lines


def test_a_short_run_says_nothing_in_a_log() -> None:
    fake = FakeTime()
    reporter, log = log_reporter(fake)
    for done in range(41):
        fake.now += 1
        reporter.step(done, 40, "read")
    for done in range(21):
        reporter.step(done, 20, "applied")  # 60 requests in all: still short
    assert log.getvalue() == ""


def test_phases_that_add_up_to_a_long_run_are_reported_from_then_on() -> None:
    fake = FakeTime()
    reporter, log = log_reporter(fake, rate_limit=30)
    for done in range(41):
        reporter.step(done, 40, "read")
    fake.now = 5.0
    reporter.step(0, 30, "applied")
    fake.now = 50.0
    reporter.step(30, 30, "applied")
    assert log.getvalue() == (
        "campsync: applied 0 of 30 changes, about 1 min left at 30 requests/min\n"
        "campsync: applied 30 of 30 changes in 45 s\n"
    )


def test_a_429_is_told_at_once_then_with_the_other_lines() -> None:
    fake = FakeTime()
    reporter, log = log_reporter(fake)
    reporter.step(0, 10, "pulled")  # a short run: quiet until it has to wait
    fake.now = 3.0
    reporter.waiting(30.0, "429")
    fake.now = 8.0
    reporter.waiting(25.0, "429")  # the limiter again, 5 s on: not due yet
    fake.now = 23.0
    reporter.waiting(10.0, "429")
    fake.now = 33.0
    reporter.step(10, 10, "pulled")
    assert log.lines() == [
        (
            3.0,
            "campsync: pulled 0 of 10 campaigns, less than a minute left at 60 requests/min; "
            "waiting 30 s: the platform answered 429 (rate limit)",
        ),
        (
            23.0,
            "campsync: pulled 0 of 10 campaigns, less than a minute left at 60 requests/min; "
            "waiting 10 s: the platform answered 429 (rate limit)",
        ),
        (33.0, "campsync: pulled 10 of 10 campaigns in 33 s"),
    ]


def test_a_wait_before_any_phase_is_told_alone() -> None:
    fake = FakeTime()
    reporter, log = log_reporter(fake)
    reporter.waiting(59.2, "limit")
    assert log.getvalue() == "campsync: waiting 60 s for the rate limit\n"


def test_on_a_terminal_one_line_overwrites_itself_and_says_when_it_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "get_terminal_size", lambda: os.terminal_size((80, 24)))
    fake = FakeTime()
    stream = io.StringIO()
    reporter = ProgressReporter(stream, rate_limit=60, clock=fake.clock, terminal=True)
    reporter.step(0, 2, "read")
    reporter.step(1, 2, "read")
    reporter.waiting(42.0, "limit")
    fake.now = 42.0
    reporter.step(2, 2, "read")
    reporter.clear()
    reporter.clear()  # once is enough
    assert stream.getvalue().split("\r\x1b[K") == [
        "",
        "read 0/2 campaigns, <1 min left",
        "read 1/2 campaigns, <1 min left",
        "read 1/2 campaigns, <1 min left; waiting 42 s for the rate limit",
        "read 2/2 campaigns in 42 s",
        "",
    ]
    assert "\n" not in stream.getvalue()

    reporter.step(0, 1200, "applied")
    reporter.waiting(75.0, "429")
    assert stream.getvalue().endswith(
        "\r\x1b[Kapplied 0/1,200 changes, about 20 min left; waiting 75 s (platform's 429)"
    )
    monkeypatch.setattr(shutil, "get_terminal_size", lambda: os.terminal_size((40, 24)))
    reporter.step(1, 1200, "applied")
    assert stream.getvalue().endswith("\r\x1b[Kapplied 1/1,200 changes, about 20 min l")  # cut


def test_durations() -> None:
    assert [duration(s) for s in (0, 0.4, 42, 60, 185, 1020)] == [
        "0 s",
        "0 s",
        "42 s",
        "1 min",
        "3 min 5 s",
        "17 min",
    ]


def test_the_time_left_is_no_less_than_the_wait_under_way() -> None:
    fake = FakeTime()
    reporter, log = log_reporter(fake)
    reporter.step(0, 17, "read")
    reporter.waiting(130.0, "429")  # 17 reads take 17 s at 60 a minute, but not before this
    assert log.getvalue().splitlines()[-1] == (
        "campsync: read 0 of 17 campaigns, about 2 min left at 60 requests/min; "
        "waiting 130 s: the platform answered 429 (rate limit)"
    )


def test_a_platform_that_does_not_answer_is_told_in_a_log_at_least_every_30_s() -> None:
    """A short run (quiet otherwise) whose one request hangs for 3 minutes: the client tells
    how long its oldest request has waited, every 5 s once it passes 10 s."""
    fake = FakeTime()
    reporter, log = log_reporter(fake)
    reporter.step(0, 3, "read")
    for waited in range(10, 181, 5):
        fake.now = float(waited)
        reporter.waiting(float(waited), "answer")
    fake.now = 185.0
    reporter.waiting(0.0, "answer")  # it came
    fake.now = 186.0
    reporter.step(3, 3, "read")
    lines = log.lines()
    assert lines[0] == (
        10.0,
        "campsync: read 0 of 3 campaigns, less than a minute left at 60 requests/min; "
        "waiting 10 s so far for the platform to answer",
    )
    times = [t for t, _ in lines]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 30
    assert lines[-1] == (186.0, "campsync: read 3 of 3 campaigns in 3 min 6 s")
    assert all("to answer" not in text for t, text in lines if t > 180)


def test_on_a_terminal_a_missing_answer_shows_on_the_line() -> None:
    fake = FakeTime()
    stream = io.StringIO()
    reporter = ProgressReporter(stream, rate_limit=60, clock=fake.clock, terminal=True)
    reporter.step(0, 2, "read")
    fake.now = 12.0
    reporter.waiting(12.0, "answer")
    assert stream.getvalue().endswith("read 0/2 campaigns, <1 min left; no answer for 12 s")
    reporter.waiting(0.0, "answer")
    assert stream.getvalue().endswith("\r\x1b[Kread 0/2 campaigns, <1 min left")


async def test_a_wait_for_ready_is_told_in_a_log_at_once_then_at_least_every_30_s() -> None:
    """Issue 20: a new campaign to start waits (up to --wait) for the platform to make it
    Ready; the log says what is waited for, from the first look to the last."""
    fake = FakeTime()
    reporter, log = log_reporter(fake)
    reporter.step(0, 2, "applied")
    statuses = Statuses(fake.clock, {"cd-1": ["Preparing"]})
    waiter = ReadyWaiter(
        statuses, 300, clock=fake.clock, sleep=fake.sleep, on_waiting=reporter.preparing
    )
    with pytest.raises(NotReady):
        await waiter.ready("cd-1", "Spring Renewals")
    lines = log.lines()
    assert lines[0] == (
        2.0,
        "campsync: applied 0 of 2 changes, less than a minute left at 60 requests/min; "
        "waiting 2 s (at most 300 s) for 1 campaign to be Ready: 'Spring Renewals'",
    )
    times = [t for t, _ in lines]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 30
    assert times[-1] >= 280
    assert all("to be Ready: 'Spring Renewals'" in text for _, text in lines)
    fake.now += 30
    reporter.step(1, 2, "applied")  # none waits any more: the line says so no longer
    assert "Ready" not in log.lines()[-1][1]


def test_on_a_terminal_the_wait_for_ready_shows_on_the_line() -> None:
    fake = FakeTime()
    stream = io.StringIO()
    reporter = ProgressReporter(stream, rate_limit=60, clock=fake.clock, terminal=True)
    reporter.step(0, 3, "applied")
    fake.now = 40.0
    reporter.preparing(("A", "B"), 35.0, 300)
    assert stream.getvalue().endswith(
        "applied 0/3 changes, <1 min left; 2 campaigns to be Ready, 35/300 s"
    )
    reporter.preparing((), 0.0, 300)
    assert stream.getvalue().endswith("\r\x1b[Kapplied 0/3 changes, <1 min left")


# --- several environments at once (issue 23) ------------------------------------------------


def test_on_a_terminal_runs_at_once_share_one_line_each_under_its_label(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "get_terminal_size", lambda: os.terminal_size((120, 24)))
    fake = FakeTime()
    stream = io.StringIO()
    line = ProgressLine(stream)
    staging, production = (
        ProgressReporter(stream, clock=fake.clock, terminal=True, label=name, line=line)
        for name in ("staging", "production")
    )
    staging.step(0, 4, "read")
    production.step(0, 2, "read")
    staging.step(1, 4, "read")
    production.waiting(30.0, "limit")
    production.clear()  # before a result line, by whichever run has one
    staging.step(2, 4, "read")
    staging.clear()
    assert stream.getvalue().split("\r\x1b[K") == [
        "",
        "staging: read 0/4 campaigns, <1 min left",
        "staging: read 0/4 campaigns, <1 min left | production: read 0/2 campaigns, <1 min left",
        "staging: read 1/4 campaigns, <1 min left | production: read 0/2 campaigns, <1 min left",
        "staging: read 1/4 campaigns, <1 min left | production: read 0/2 campaigns, <1 min "
        "left; waiting 30 s for the rate limit",
        "",  # cleared: the line is drawn again whole, both runs on it
        "staging: read 2/4 campaigns, <1 min left | production: read 0/2 campaigns, <1 min "
        "left; waiting 30 s for the rate limit",
        "",
    ]


def test_in_a_log_each_line_names_its_run() -> None:
    fake = FakeTime()
    log = TimedStream(fake)
    line = ProgressLine(log)
    staging, production = (
        ProgressReporter(log, clock=fake.clock, terminal=False, label=name, line=line)
        for name in ("staging", "production")
    )
    staging.step(0, 100, "read")
    production.step(0, 80, "read")
    production.waiting(12.0, "429")
    staging.step(100, 100, "read")
    assert [text for _, text in log.lines()] == [
        "campsync: staging: read 0 of 100 campaigns, about 2 min left at 60 requests/min",
        "campsync: production: read 0 of 80 campaigns, about 1 min left at 60 requests/min",
        "campsync: production: read 0 of 80 campaigns, about 1 min left at 60 requests/min; "
        "waiting 12 s: the platform answered 429 (rate limit)",
        "campsync: staging: read 100 of 100 campaigns in 0 s",
    ]
