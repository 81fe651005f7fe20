"""Serving the emulator: in the foreground until a signal (the CLI), or in a background
thread with its own event loop (tests, demo, bench)."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from campsync.emulator.app import EMULATOR, create_app
from campsync.emulator.config import EmulatorConfig
from campsync.emulator.store import Store
from campsync.errors import UsageError

HOST = "127.0.0.1"
SHUTDOWN_TIMEOUT = 1.0  # seconds in-flight requests get when the emulator stops


def bind(port: int) -> socket.socket:
    """A listening-ready socket on 127.0.0.1:port (0 = any free port), or UsageError."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {port}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {HOST} is already in use") from None
        raise UsageError(f"cannot listen on {HOST}:{port}: {exc.strerror}") from None
    return sock


def _url(sock: socket.socket) -> str:
    return f"http://{HOST}:{sock.getsockname()[1]}"


async def _start(app: web.Application, sock: socket.socket) -> web.AppRunner:
    # auto_decompress off: a body in a content coding reaches the emulator as sent, and is
    # refused there (415, bodies.check_encoding) instead of being decoded (or failing to
    # be) inside aiohttp.
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT, auto_decompress=False
    )
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner


async def serve(config: EmulatorConfig, port: int, on_listening: Callable[[str], None]) -> None:
    """Serve until SIGINT or SIGTERM. Settings and port errors raise before anything runs."""
    app = create_app(config)
    sock = bind(port)
    runner = await _start(app, sock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        on_listening(_url(sock))
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await runner.cleanup()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await the tasks still running (a connection aiohttp is lingering on after
    a 408, say), as asyncio.run does, so that none is destroyed pending."""
    remaining = asyncio.all_tasks(loop)
    for task in remaining:
        task.cancel()
    if remaining:
        loop.run_until_complete(asyncio.gather(*remaining, return_exceptions=True))


class RunningEmulator:
    """An emulator serving from a background thread. Use as a context manager or stop()."""

    def __init__(self, config: EmulatorConfig, port: int = 0) -> None:
        self.config = config
        self.app = create_app(config)
        self.store: Store = self.app[EMULATOR].store
        self._sock = bind(port)
        self.url = _url(self._sock)
        self.port = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="campsync-emulator", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error

    def __repr__(self) -> str:
        return f"RunningEmulator(url={self.url!r})"

    def _main(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        runner: web.AppRunner | None = None
        try:
            try:
                runner = loop.run_until_complete(_start(self.app, self._sock))
            except BaseException as exc:
                self._sock.close()
                self._error = exc
                return
            finally:
                self._started.set()
            loop.run_forever()
        finally:
            if runner is not None:
                loop.run_until_complete(runner.cleanup())
            _cancel_remaining(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Stop serving and wait for the thread to end. Calling it twice is fine."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_thread(config: EmulatorConfig, port: int = 0) -> RunningEmulator:
    """Start an emulator on 127.0.0.1:port (0 = a free port) in a background thread."""
    return RunningEmulator(config, port)
