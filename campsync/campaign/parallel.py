"""Run a function over chunks of work in worker processes, results in the order given.

For checking thousands of campaign files on every core (issue 14). The workers:
- are started with `spawn` (a fresh interpreter: no copy of the parent's memory, where
  settings and secrets may live, and no fork of a process that has threads);
- get only a harmless environment (no KORE_* or other variables: validation needs none,
  and a secret must not reach them, not even in their initial environment);
- ignore Ctrl-C (the parent alone handles it, so an interrupt ends in the CLI's one line,
  not in a traceback per worker) and write nothing: their stdout and stderr are
  /dev/null.
When the pool cannot start or a worker dies, `WorkerPool.map` returns None and the
caller does the work itself, so the result never depends on the pool.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

# Variables a worker may inherit: what Python itself and the C library look at.
_HARMLESS = frozenset({"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP"})
_HARMLESS_PREFIXES = ("LC_", "PYTHON")


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class WorkerPool:
    """Up to `workers` processes, started on entering (each runs `warm` once, so that
    imports and other set-up overlap with what the parent does meanwhile), shut down on
    leaving. `map` gives None when the pool could not start or broke."""

    def __init__(self, workers: int, warm: Callable[[], object] | None = None) -> None:
        self.workers = max(1, workers)
        self._warm = warm
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        context = multiprocessing.get_context("spawn")
        try:
            pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_quiet_worker)
            with _spawning():
                # With spawn, a process starts at each submit that finds none idle: start
                # them all here, inside _spawning().
                for _ in range(self.workers):
                    pool.submit(_warm_up, self._warm)
        except (OSError, ValueError, RuntimeError, BrokenProcessPool):
            return self  # no pool: map() says so
        self._pool = pool
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            # On Ctrl-C too: drop the chunks not started; workers end after their current one.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def map(
        self, function: Callable[..., list[T]], chunks: Sequence[Any], *extra: Any
    ) -> list[T] | None:
        """`function(chunk, *extra)` for every chunk; the lists returned, concatenated in
        the order of `chunks`. `function` must be importable by name (module level)."""
        if self._pool is None:
            return None
        try:
            futures: list[Future[list[T]]] = [
                self._pool.submit(function, chunk, *extra) for chunk in chunks
            ]
            results: list[T] = []
            for future in futures:
                results.extend(future.result())
            return results
        except (OSError, RuntimeError, BrokenProcessPool):
            return None


@contextlib.contextmanager
def _spawning() -> Iterator[None]:
    """While workers start: only harmless variables in the environment they inherit, and
    SIGINT ignored (a process started with SIGINT ignored keeps ignoring it, so a worker is
    never interrupted, even before its initializer runs). Both restored afterwards."""
    removed = {
        name: value
        for name, value in os.environ.items()
        if name not in _HARMLESS and not name.startswith(_HARMLESS_PREFIXES)
    }
    previous = signal.getsignal(signal.SIGINT)
    can_signal = _main_thread() and previous is not None
    if can_signal:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for name in removed:
            del os.environ[name]
        yield
    finally:
        os.environ.update(removed)
        if can_signal:
            signal.signal(signal.SIGINT, previous)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _quiet_worker() -> None:
    """Initializer of each worker: no Ctrl-C, no output."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _warm_up(warm: Callable[[], object] | None) -> None:
    if warm is not None:
        warm()
