"""The terminal, for the CLI layer (cli.py and the commands): the output streams (tokens
redacted), colour choice, progress lines, the confirmation prompt."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from time import monotonic
from typing import Any, TextIO, cast

from campsync.config.settings import DEFAULT_RATE_LIMIT
from campsync.progress import Phase, WaitReason
from campsync.text import plural, quoted, redact


class Redacting:
    """A text stream that hands everything written to it on to `stream` with every token
    redacted (campsync.text.redact); anything else is the stream's own. campsync writes
    values whole (a line, a rendered plan), so a token never arrives split over two writes."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextlib.contextmanager
def redacted_output() -> Iterator[None]:
    """stdout and stderr with tokens redacted, for the whole command: the one door every
    printed byte goes through (plans in every format, results, warnings, errors, progress),
    whatever the platform put in a name or a message."""
    saved = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, Redacting(sys.stdout))
    sys.stderr = cast(TextIO, Redacting(sys.stderr))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def capable_terminal(stream: TextIO) -> bool:
    """A terminal that understands escape sequences: not one that says `TERM=dumb` (an
    editor's shell, a plain console), which shows them as garbage."""
    return is_tty(stream) and os.environ.get("TERM") != "dumb"


def use_color(stream: TextIO) -> bool:
    """Colour only on a capable terminal, and never when NO_COLOR is set to anything
    (no-color.org)."""
    return capable_terminal(stream) and not os.environ.get("NO_COLOR")


# A run that sends more requests than this reports its progress in a log (contract).
LONG_RUN = 60
# Seconds between two progress lines in a log. The rate limiter speaks at least every
# ratelimit.REPORT_EVERY seconds while a request waits for its place, and the client as often
# while a request sent waits for its answer (from client.SLOW_ANSWER seconds on), so no two
# lines are more than about 25 s apart (the contract's bound is 30 s).
EVERY = 20.0
NOUNS: dict[Phase, str] = {"read": "campaigns", "applied": "changes", "pulled": "campaigns"}


class ProgressLine:
    """A terminal's one self-overwriting progress line, which the runs reporting at once (one
    per environment) share: each run's short text under its label, drawn together
    (`staging: read 12/40 campaigns | production: read 3/40 campaigns`) and redrawn whole
    whenever one of them moves, so that they never write over each other. A run alone has a
    line of its own, without a label."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._parts: dict[str, str] = {}
        self._shown = False

    def draw(self, label: str | None, text: str) -> None:
        self._parts[label or ""] = text
        line = " | ".join(
            f"{key}: {value}" if key else value for key, value in self._parts.items() if value
        )
        width = shutil.get_terminal_size().columns - 1
        self._stream.write("\r\033[K" + line[: max(20, width)])
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._shown = False


class ProgressReporter:
    """How far a run is, on stderr: the campsync.progress.Progress that the engine and the
    client's rate limiter report to. Never a byte on stdout (`--json` stays clean).

    On a terminal: one self-overwriting line (`read 12/40 campaigns, <1 min left`), saying
    also when a request waits for the rate limit or a 429. In a log (stderr not a terminal, as
    in CI): nothing for a short run; once the run is known to send more than LONG_RUN
    requests, or has to wait, a line when a phase starts and ends and at least every EVERY
    seconds in between, with the time left at the rate limit:
    `campsync: read 120 of 1,000 campaigns, about 15 min left at 60 requests/min`.
    Runs at once (one per environment) each have a reporter with their `label` (the
    environment), sharing one terminal `line`: in a log, each line names its run
    (`campsync: staging: read 120 of ...`). `clock` (seconds, monotonic) is there for tests."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        clock: Callable[[], float] | None = None,
        every: float = EVERY,
        terminal: bool | None = None,
        label: str | None = None,
        line: ProgressLine | None = None,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._label = label
        self._drawn = line if line is not None else ProgressLine(self._stream)
        # A dumb terminal gets the log's lines: it cannot redraw one line in place.
        self._terminal = capable_terminal(self._stream) if terminal is None else terminal
        self._rate = max(1, rate_limit)
        self._clock = clock if clock is not None else monotonic
        self._every = every
        self._phase: Phase | None = None
        self._done = 0
        self._total = 0
        self._started = 0.0
        self._took: float | None = None  # how long the phase took, once it is complete
        self._requests = 0  # the steps of every phase begun: one request each
        self._loud = False  # in a log: this run is long enough to report on
        self._wait_until = float("-inf")
        self._why: WaitReason | None = None
        self._unanswered_since: float | None = None  # a request sent, still unanswered
        self._said_429 = False  # the last line told of a 429
        # Campaigns to start that wait to be Ready: their names, since when, for how long.
        self._preparing: tuple[tuple[str, ...], float, float] | None = None
        self._last_line: float | None = None

    # -- what the run reports (campsync.progress.Progress) -----------------------------------

    def step(self, done: int, total: int, what: Phase) -> None:
        if total <= 0:
            return
        now = self._clock()
        if done == 0 or what != self._phase:
            self._phase, self._total, self._started, self._took = what, total, now, None
            self._requests += total
            self._loud = self._loud or self._requests > LONG_RUN
        self._done = min(done, total)
        if self._done == total and self._took is None:
            self._took = now - self._started
        if self._terminal:
            self._draw(now)
        elif self._loud and (self._done in (0, total) or self._due(now)):
            self._line(now)

    def waiting(self, seconds: float, why: WaitReason) -> None:
        now = self._clock()
        if why == "answer":
            self._unanswered_since = now - seconds if seconds > 0 else None
        else:
            self._wait_until, self._why = now + seconds, why
        if self._terminal:
            self._draw(now)
            return
        if self._unanswered_since is None and why == "answer":
            return  # the answer came: nothing to tell until the next line is due
        self._loud = True  # a run that waits (the rate limit, the platform) is a long one
        if self._due(now) or (why == "429" and not self._said_429):
            self._line(now)

    def preparing(self, names: tuple[str, ...], waited: float, limit: float) -> None:
        now = self._clock()
        began = self._preparing is None
        self._preparing = (names, now - waited, limit) if names else None
        if self._terminal:
            self._draw(now)
            return
        if not names:
            return  # none waits any more: nothing to tell until the next line is due
        self._loud = True  # a run that waits is a long one
        if began or self._due(now):
            self._line(now)

    def clear(self) -> None:
        """Take the terminal line away (before other output, and at the end)."""
        self._drawn.clear()

    # -- the text ------------------------------------------------------------------------

    def _text(self, now: float, *, short: bool = False) -> str:
        """The log line; `short`: the terminal's, which must fit its width."""
        parts: list[str] = []
        if self._phase is not None:
            of = "/" if short else " of "
            noun = NOUNS[self._phase]
            head = f"{self._phase} {self._done:,}{of}{self._total:,} {noun}"
            if self._took is not None:
                head += f" in {duration(self._took)}"
            else:
                head += ", " + self._time_left(now, short=short)
            parts.append(head)
        waited = self._wait_until - now
        if waited > 0:
            seconds = math.ceil(waited)
            if self._why != "429":
                parts.append(f"waiting {seconds} s for the rate limit")
            elif short:
                parts.append(f"waiting {seconds} s (platform's 429)")
            else:
                parts.append(f"waiting {seconds} s: the platform answered 429 (rate limit)")
        if self._preparing is not None:
            parts.append(_ready_text(*self._preparing, now, short=short))
        if self._unanswered_since is not None:
            seconds = math.floor(now - self._unanswered_since)
            if short:
                parts.append(f"no answer for {seconds} s")
            else:
                parts.append(f"waiting {seconds} s so far for the platform to answer")
        return "; ".join(parts)

    def _time_left(self, now: float, *, short: bool = False) -> str:
        """From the requests left in the phase at the rate limit (the bound on a long run),
        and no less than the wait under way."""
        minutes = max((self._total - self._done) / self._rate, (self._wait_until - now) / 60)
        rate = "" if short else f" at {self._rate:,} requests/min"
        if minutes < 1:
            return ("<1 min left" if short else "less than a minute left") + rate
        return f"about {round(minutes)} min left{rate}"

    def _due(self, now: float) -> bool:
        return self._last_line is None or now - self._last_line >= self._every

    def _line(self, now: float) -> None:
        text = self._text(now)
        if not text:
            return
        label = f"{self._label}: " if self._label else ""
        self._stream.write(f"campsync: {label}{text}\n")
        self._stream.flush()
        self._last_line = now
        self._said_429 = self._why == "429" and self._wait_until > now

    def _draw(self, now: float) -> None:
        self._drawn.draw(self._label, self._text(now, short=True))


def _ready_text(
    names: tuple[str, ...], since: float, limit: float, now: float, *, short: bool = False
) -> str:
    """`waiting 35 s (at most 300 s) for 2 campaigns to be Ready: 'A', 'B'`."""
    waited = math.floor(now - since)
    count = plural(len(names), "campaign")
    if short:
        return f"{count} to be Ready, {waited}/{limit:g} s"
    shown = ", ".join(quoted(name, 40) for name in names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f"waiting {waited} s (at most {limit:g} s) for {count} to be Ready: {shown}{more}"


def duration(seconds: float) -> str:
    """`42 s`, `3 min 5 s`, `17 min`."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def confirm(prompt: str) -> bool:
    """Ask on the terminal; only the exact answer 'yes' confirms (as Terraform)."""
    try:
        answer = input(prompt)
    except EOFError:
        return False
    return answer.strip() == "yes"
