"""The one aiohttp adapter: sends what `protocol` builds, within the rate limit, with retries.

A `KoreClient` owns one `aiohttp.ClientSession` for a command run:

    async with KoreClient(settings) as client:
        campaigns = await client.list_campaigns()

Every HTTP request goes through one shared `RateLimiter` (retries included) and a
semaphore of `settings.parallelism`. Tokens are signed right before each request is
sent and appear in no message, log or repr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
import yarl

from campsync.config.settings import Settings
from campsync.config.target import check_host, is_loopback
from campsync.errors import (
    ApiError,
    BadResponseError,
    ConfigError,
    RateLimitedError,
    TransportError,
    WriteNotSent,
)
from campsync.kore import protocol
from campsync.kore.auth import TokenSource, token_source
from campsync.kore.protocol import Endpoints, Request, Response
from campsync.kore.ratelimit import REPORT_EVERY, RateLimiter, SlidingWindowLimiter
from campsync.kore.retry import MAX_RATE_LIMIT_WAIT, RetryPolicy
from campsync.progress import WaitFn

log = logging.getLogger("campsync.kore")

MAX_PAGES = 10_000
_READ_CHUNK = 64 * 1024
# A request without its answer for this long is told to the progress (and again every
# ratelimit.REPORT_EVERY seconds while it waits), so that a log says why nothing moves.
SLOW_ANSWER = 10.0


@dataclass(frozen=True)
class Timeouts:
    """Seconds per attempt of a request: the whole attempt (a server that sends a byte now
    and then included), making the connection, each read. With the retries of RetryPolicy
    a request that never gets an answer gives up after about 3.5 minutes."""

    total: float = 30.0
    connect: float = 10.0
    read: float = 20.0

    def client_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self.total, connect=self.connect, sock_read=self.read)


@dataclass
class RequestStats:
    """Every HTTP request sent, retries included."""

    total: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(protocol.KINDS, 0))

    def count(self, kind: str) -> None:
        self.total += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


class _AnswerLost(Exception):
    """A create whose outcome is unknown (dropped, timed out, 5xx); `error` if given up."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


class KoreClient:
    """The platform's campaign API for one account and app (see docs/architecture.md)."""

    def __init__(
        self,
        settings: Settings,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        page_size: int = 1000,
        max_body_bytes: int = protocol.MAX_BODY_BYTES,
        max_pages: int = MAX_PAGES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._settings = settings
        self._limiter: RateLimiter = limiter or SlidingWindowLimiter(settings.rate_limit)
        self._retry = retry or RetryPolicy()
        self._timeouts = timeouts or Timeouts()
        self._page_size = page_size
        self._max_body = max_body_bytes
        self._max_pages = max_pages
        self._clock = clock
        self._semaphore = asyncio.Semaphore(max(1, settings.parallelism))
        self._write_stop: asyncio.Event | None = None
        self._on_wait: WaitFn | None = None
        self._in_flight: dict[int, float] = {}  # attempt number -> when it was sent
        self._attempts = 0
        self._watcher: asyncio.Future[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tokens: TokenSource | None = None
        self._endpoints: Endpoints | None = None
        self._hostname = urlsplit(settings.host).hostname or settings.host
        self.stats = RequestStats()

    def __repr__(self) -> str:
        return f"KoreClient(host={self._settings.host!r}, stream_id={self._settings.stream_id!r})"

    # ------------------------------------------------------------ session

    async def __aenter__(self) -> Self:
        settings = self._settings
        settings.require_remote()
        host = check_host(settings.host)
        assert settings.stream_id is not None and settings.account_id is not None
        self._tokens = token_source(settings.credentials)
        self._endpoints = Endpoints(host, settings.stream_id, settings.account_id)
        # TLS verification stays on (aiohttp's default): no `ssl=False` anywhere.
        self._session = aiohttp.ClientSession(
            timeout=self._timeouts.client_timeout(),
            connector=aiohttp.TCPConnector(limit=max(1, settings.parallelism)),
            trust_env=False,
        )
        # aiohttp silently re-sends an idempotent request once when a kept-alive
        # connection drops. That copy would bypass the rate limiter and the request
        # count, and reuse the JWT's jti (a "replay" to apps that enforce jti): every
        # re-send must be ours. aiohttp's own test client turns it off the same way.
        if hasattr(self._session, "_retry_connection"):
            self._session._retry_connection = False
        self._watcher = asyncio.ensure_future(self._watch_answers())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._watcher is not None:
            watcher, self._watcher = self._watcher, None
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def _watch_answers(self) -> None:
        """Tell the listener while the oldest request in flight has waited SLOW_ANSWER
        seconds or more for its answer (every REPORT_EVERY seconds), and once when none
        does any more."""
        told = False
        while True:
            await asyncio.sleep(REPORT_EVERY)
            on_wait = self._on_wait
            if on_wait is None:
                continue
            sent = min(self._in_flight.values(), default=None)
            waited = 0.0 if sent is None else self._clock() - sent
            if waited >= SLOW_ANSWER:
                on_wait(waited, "answer")
                told = True
            elif told:
                on_wait(0.0, "answer")
                told = False

    @property
    def _api(self) -> Endpoints:
        if self._endpoints is None or self._session is None:
            raise ConfigError("KoreClient used outside 'async with'")
        return self._endpoints

    def stop_new_writes_on(self, stop: asyncio.Event) -> None:
        """Once `stop` is set, a write not yet sent (still waiting for its turn within the
        parallelism or the rate limit, or refused with a 429) is never sent: it raises
        WriteNotSent at once. Writes already sent complete, with their retries."""
        self._write_stop = stop

    def report_waits_to(self, on_wait: WaitFn | None) -> None:
        """Tell `on_wait` while a request waits for its place in the rate limit, waits out
        a 429 (every request of the client shares the one limiter and its waits), or waits
        long for the platform's answer."""
        self._on_wait = on_wait
        self._limiter.report_waits_to(on_wait)

    # ------------------------------------------------------------ calls

    async def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        request = self._api.get(campaign_id)
        envelope = await self._call(request)
        return protocol.check_campaign(
            request, protocol.campaign_data(request, envelope, required=True)
        )

    async def list_campaigns(self, campaign_type: str = "voice") -> list[dict[str, Any]]:
        """Every campaign of the type, all pages, each with `_id`, in creation order."""
        found: dict[str, dict[str, Any]] = {}
        skip = 0
        for number in range(1, self._max_pages + 1):
            request = self._api.list_page(campaign_type, limit=self._page_size, skip=skip)
            page = protocol.list_page(request, await self._call(request), skip)
            known = len(found)
            for item in page.results:
                found.setdefault(item["_id"], item)  # an item that moved pages counts once
            if not page.has_more:
                return list(found.values())
            if not page.results:
                raise BadResponseError(
                    f"listing {campaign_type} campaigns: the platform said more pages follow "
                    f"but sent an empty page at skip={skip}"
                )
            if len(found) == known:
                # A platform that ignores `skip` sends the same page for ever: stop at once
                # rather than spend thousands of requests of the account's budget on it.
                raise BadResponseError(
                    f"listing {campaign_type} campaigns: page {number} (skip={skip}) brought "
                    "no campaign that earlier pages had not, while the platform said more "
                    "pages follow: stopped (the list repeats itself)"
                )
            skip += len(page.results)
        raise BadResponseError(
            f"listing {campaign_type} campaigns: gave up after {self._max_pages} pages"
        )

    async def find_campaign_by_name(
        self, name: str, campaign_type: str = "voice"
    ) -> dict[str, Any] | None:
        """The campaign of that name (case-insensitively), or None."""
        for item in await self.list_campaigns(campaign_type):
            if protocol.same_name(item, name):
                return item
        return None

    async def update_campaign(
        self, campaign_id: str, body: dict[str, Any], campaign_type: str = "voice"
    ) -> dict[str, Any]:
        name = body.get("name")
        label = name if isinstance(name, str) else None
        request = self._api.update(campaign_id, body, campaign_type, label)
        envelope = await self._call(request, unsent=True)
        return protocol.campaign_data(request, envelope, required=False)

    async def delete_campaign(
        self, campaign_id: str, campaign_type: str = "voice"
    ) -> dict[str, Any]:
        request = self._api.delete(campaign_id, campaign_type)
        envelope = await self._call(request, unsent=True)
        return protocol.campaign_data(request, envelope, required=False)

    async def create_campaign(self, body: dict[str, Any], campaign_type: str = "voice") -> str:
        """Create and return the new id. Never creates twice: when an answer is lost, the
        campaign is looked up by name first and only sent again if it is really absent."""
        request = self._api.create(body, campaign_type)
        name = request.campaign  # the body's name, when it has one
        retries = 0
        while True:
            try:
                envelope = await self._call(request, unsent=retries == 0)
                return protocol.created_id(request, envelope)
            except _AnswerLost as lost:
                if name is None or not self._retry.may_retry(retries):
                    raise lost.error from None
                retries += 1
                await asyncio.sleep(self._retry.backoff(retries))
                existing = await self.find_campaign_by_name(name, campaign_type)
                if existing is not None:
                    log.info("create of %r: the lost answer had created it", name)
                    return str(existing["_id"])
                log.info("create of %r: not on the platform, sending again", name)

    # ------------------------------------------------------------ sending

    async def _call(self, request: Request, *, unsent: bool = False) -> dict[str, Any]:
        """Send with retries; the answer's JSON object or a typed error. `unsent`: a write
        the platform has not seen yet, which `stop_new_writes_on` may still hold back.

        429: wait (Retry-After, else a whole window), then again, until the overall
        deadline. 5xx, timeouts, dropped connections: backoff and again, `max_retries`
        times, but only for requests that are safe to repeat; for a create the caller
        decides (`_AnswerLost`)."""
        started = self._clock()
        retries = 0
        while True:
            try:
                # Unsent while only 429s came back: any other outcome ends or counts a retry.
                response, token = await self._send(request, unsent=unsent and retries == 0)
            except (TimeoutError, aiohttp.ClientError) as exc:
                error = self._transport_error(request, exc, retries + 1)
                if isinstance(exc, aiohttp.ClientSSLError):
                    raise error from None
                if not request.retry_safe:
                    raise _AnswerLost(error) from None
                if not self._retry.may_retry(retries):
                    raise error from None
                retries += 1
                log.info("%s: %s; retry %d", self._what(request), _describe(exc), retries)
                await asyncio.sleep(self._retry.backoff(retries))
                continue
            secrets = (*self._token_source.secrets(), token)
            static = self._token_source.static
            names = self._settings.credentials.names
            if response.status == 429:
                wait = self._retry.rate_limit_wait(response.retry_after, self._limiter.window)
                if self._clock() + wait - started > self._retry.rate_limit_deadline:
                    refused = protocol.error_for(
                        request, response, static_jwt=static, redact=secrets, names=names
                    )
                    raise self._rate_limited(refused, started, wait)
                log.info("%s: rate limited; waiting %.1f s", self._what(request), wait)
                self._limiter.pause(wait)
                continue  # a 429 was not processed: the write is still unsent
            if response.status in protocol.RETRY_STATUSES:
                if not request.retry_safe:
                    raise _AnswerLost(
                        protocol.error_for(
                            request, response, static_jwt=static, redact=secrets, names=names
                        )
                    )
                if self._retry.may_retry(retries):
                    retries += 1
                    log.info("%s: HTTP %d; retry %d", self._what(request), response.status, retries)
                    await asyncio.sleep(self._retry.backoff(retries))
                    continue
            return protocol.parse_envelope(
                request, response, static_jwt=static, redact=secrets, names=names
            )

    @property
    def _token_source(self) -> TokenSource:
        if self._tokens is None:
            raise ConfigError("KoreClient used outside 'async with'")
        return self._tokens

    async def _send(self, request: Request, *, unsent: bool = False) -> tuple[Response, str]:
        """One attempt: in flight within the parallelism, inside the rate limit."""
        session = self._session
        if session is None:
            raise ConfigError("KoreClient used outside 'async with'")
        assert self._endpoints is not None
        async with self._turn(request, self._write_stop if unsent else None):
            token = self._token_source.token()  # signed now, after waiting for the limiter
            headers = protocol.request_headers(
                token, account_id=self._endpoints.account_id, stream_id=self._endpoints.stream_id
            )
            self.stats.count(request.kind)
            self._attempts += 1
            attempt = self._attempts
            self._in_flight[attempt] = self._clock()
            try:
                async with session.request(
                    request.method,
                    yarl.URL(request.url, encoded=True),
                    data=request.body,
                    headers=headers,
                    allow_redirects=False,
                ) as resp:
                    body = await self._read_body(request, resp)
                    response = Response(
                        status=resp.status,
                        content_type=protocol.media_type(resp.headers.get("Content-Type")),
                        body=body,
                        retry_after=protocol.parse_retry_after(resp.headers.get("Retry-After")),
                    )
            finally:
                del self._in_flight[attempt]
        return response, token

    @contextlib.asynccontextmanager
    async def _turn(self, request: Request, stop: asyncio.Event | None) -> AsyncIterator[None]:
        """A place within the parallelism and the rate limit, held while the request is
        under way. With `stop`: give up (WriteNotSent) as soon as it is set, not waiting
        for the place (which may be a whole rate-limit window away)."""
        async with contextlib.AsyncExitStack() as stack:

            async def take_place() -> None:
                await stack.enter_async_context(self._semaphore)
                await stack.enter_async_context(self._limiter.reserve())

            if stop is None:
                await take_place()
            else:
                place = asyncio.ensure_future(take_place())
                stopped = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({place, stopped}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for future in (place, stopped):
                        if not future.done():
                            future.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await future
                if stop.is_set():
                    raise WriteNotSent(f"{self._what(request)}: not sent (apply was stopped)")
            yield

    async def _read_body(self, request: Request, resp: aiohttp.ClientResponse) -> bytes:
        limit = self._max_body
        if resp.content_length is not None and resp.content_length > limit:
            raise protocol.oversized(request, resp.status, limit)
        chunks: list[bytes] = []
        size = 0
        while chunk := await resp.content.read(_READ_CHUNK):
            size += len(chunk)
            if size > limit:
                raise protocol.oversized(request, resp.status, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    # ------------------------------------------------------------ messages

    def _what(self, request: Request) -> str:
        if request.campaign is not None:
            return f"{request.kind} of campaign {request.campaign!r}"
        return request.action or request.kind

    def _transport_error(
        self, request: Request, exc: BaseException, attempts: int
    ) -> TransportError:
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        message = f"could not reach {self._hostname}: {_describe(exc)} ({tries})"
        if _no_tls_there(exc) and is_loopback(self._hostname):
            plain = "http://" + self._settings.host.removeprefix("https://")
            message += f"; for a local server without TLS (the emulator), use {plain}"
        return TransportError(protocol.with_action(request, message), campaign=request.campaign)

    def _rate_limited(self, error: ApiError, started: float, wait: float) -> RateLimitedError:
        """The 429's own error, saying how long was waited and why no longer."""
        waited = self._clock() - started
        more = "more than a day" if wait >= MAX_RATE_LIMIT_WAIT else f"{wait:,.0f} s more"
        return RateLimitedError(
            f"{error.platform_message}; gave up after waiting {waited:,.0f} s, as waiting "
            f"{more} would pass the {self._retry.rate_limit_deadline:,.0f} s limit",
            status=error.status,
            campaign=error.campaign,
        )


def _no_tls_there(exc: BaseException) -> bool:
    """A TLS handshake that failed for another reason than the certificate: most often an
    https:// URL for a server that speaks plain HTTP."""
    return isinstance(exc, aiohttp.ClientSSLError) and not isinstance(
        exc, aiohttp.ClientConnectorCertificateError
    )


def _describe(exc: BaseException) -> str:
    """What went wrong, in words that carry no URL, header or token."""
    if _no_tls_there(exc):
        return "TLS handshake failed (does the server speak TLS?)"
    if isinstance(exc, aiohttp.ClientSSLError):
        return "TLS verification failed"
    if isinstance(exc, TimeoutError):
        return "the request timed out"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        return f"cannot connect ({reason})"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the answer was cut short"
    if isinstance(exc, aiohttp.ClientOSError):
        return f"connection error ({exc.strerror or 'reset'})"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"malformed HTTP answer (status {exc.status})"
    return f"connection error ({type(exc).__name__})"
