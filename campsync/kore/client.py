"""The platform's campaign API for one target, as policy in plain code over a transport:

    async with KoreClient(target, credentials) as client:
        campaigns = await client.list_campaigns()

`protocol` builds each request and reads each answer (no I/O); a `Transport` (transport.py:
aiohttp, or a fake one in tests) sends it. Here, and only here, is what happens around
that: the one bound on requests in flight (`parallelism`), the rate limit shared by every
request (retries included), retries with backoff, 429 waits, paging, never creating a
campaign twice and never re-sending a start or stop blindly. Time is the injected `clock`
and `sleep`. Tokens are signed right before each request is sent and appear in no message,
log or repr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar

from campsync.aio import Sleep, until_set
from campsync.config.settings import DEFAULT_PARALLELISM, DEFAULT_RATE_LIMIT
from campsync.config.target import CredentialNames, Credentials, Target, is_loopback
from campsync.errors import (
    ApiError,
    BadResponseError,
    ConfigError,
    RateLimitedError,
    RepeatingListError,
    TransportError,
    WriteNotSent,
)
from campsync.kore import protocol
from campsync.kore.auth import TokenSource, token_source
from campsync.kore.protocol import Endpoints, Reference, Request, Response
from campsync.kore.ratelimit import REPORT_EVERY, RateLimiter, SlidingWindowLimiter
from campsync.kore.retry import MAX_RATE_LIMIT_WAIT, RetryPolicy
from campsync.kore.transport import AiohttpTransport, Timeouts, Transport, Unreachable
from campsync.progress import WaitFn

log = logging.getLogger("campsync.kore")

MAX_PAGES = 10_000
# The queues call documents no page size: 100 is the largest any paged Contact Center call
# documents (the status call's contacts, 1..100). An account's queues are tens, so one page;
# more than QUEUE_PAGES pages (10,000 queues) is not an answer to walk on the account's budget.
QUEUE_PAGE_SIZE = 100
QUEUE_PAGES = 100
# A request without its answer for this long is told to the progress (and again every
# ratelimit.REPORT_EVERY seconds while it waits), so that a log says why nothing moves.
SLOW_ANSWER = 10.0

T = TypeVar("T")
E = TypeVar("E", bound=ApiError)


class _Reading(TypedDict):
    static_jwt: bool
    redact: tuple[str, ...]
    names: CredentialNames


@dataclass
class RequestStats:
    """Every HTTP request sent, retries included."""

    total: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(protocol.KINDS, 0))

    def count(self, kind: str) -> None:
        self.total += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


class _AnswerLost(Exception):
    """A create or trigger whose outcome is unknown (dropped, timed out, 5xx); `error` if
    given up."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


def _answer_lost(error: E, more: str = "", *, unknown: bool = True) -> E:
    """`error`, of a write whose answer was lost, marked so (`outcome_unknown`: the platform
    may have made the change all the same, unless `unknown` is False); `more` said after its
    message."""
    return type(error)(
        f"{error.platform_message}{more}",
        status=error.status,
        campaign=error.campaign,
        outcome_unknown=unknown,
    )


class KoreClient:
    """The platform's campaign API for one target and app (see docs/architecture.md).

    `parallelism`: requests in flight at once, the one bound on them in campsync;
    `rate_limit`: requests per window of the default limiter (real time; give `limiter` for
    another). `transport`: how requests travel (default: aiohttp, opened on entry)."""

    def __init__(
        self,
        target: Target,
        credentials: Credentials,
        *,
        parallelism: int = DEFAULT_PARALLELISM,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        transport: Transport | None = None,
        page_size: int = 1000,
        max_body_bytes: int = protocol.MAX_BODY_BYTES,
        max_pages: int = MAX_PAGES,
        queue_pages: int = QUEUE_PAGES,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._target = target
        self._credentials = credentials
        self._limiter: RateLimiter = limiter or SlidingWindowLimiter(rate_limit)
        self._retry = retry or RetryPolicy()
        self._timeouts = timeouts or Timeouts()
        self._given_transport = transport
        self._page_size = page_size
        self._max_body = max_body_bytes
        self._max_pages = max_pages
        self._queue_pages = queue_pages
        self._clock = clock
        self._sleep = sleep
        self._gate = asyncio.Semaphore(max(1, parallelism))
        self._write_stop: asyncio.Event | None = None
        self._on_wait: WaitFn | None = None
        self._in_flight: dict[int, float] = {}  # attempt number -> when it was sent
        self._attempts = 0
        self._watcher: asyncio.Future[None] | None = None
        self._transport: Transport | None = None
        self._tokens: TokenSource | None = None
        self._endpoints = Endpoints(target.host, target.stream_id, target.account_id)
        self.stats = RequestStats()

    def __repr__(self) -> str:
        return f"KoreClient(host={self._target.host!r}, stream_id={self._target.stream_id!r})"

    # ------------------------------------------------------------ session

    async def __aenter__(self) -> Self:
        self._credentials.require()  # before any request: missing or unusable credentials
        self._tokens = token_source(self._credentials)
        self._transport = self._given_transport or AiohttpTransport(self._timeouts, self._max_body)
        self._watch()
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
        if self._transport is not None:
            transport, self._transport = self._transport, None
            await transport.close()

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
        self._watch()

    def _watch(self) -> None:
        """Watch the answers awaited, once there is a session and someone to tell."""
        if self._on_wait is not None and self._transport is not None and self._watcher is None:
            self._watcher = asyncio.ensure_future(self._watch_answers())

    async def _watch_answers(self) -> None:
        """Tell the listener while the oldest request in flight has waited SLOW_ANSWER
        seconds or more for its answer (every REPORT_EVERY seconds), and once when none
        does any more."""
        told = False
        while True:
            await self._sleep(REPORT_EVERY)
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

    # ------------------------------------------------------------ calls

    async def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        request = self._endpoints.get(campaign_id)
        envelope = await self._call(request)
        return protocol.check_campaign(
            request, protocol.campaign_data(request, envelope, required=True)
        )

    async def list_campaigns(self, campaign_type: str = "voice") -> list[dict[str, Any]]:
        """Every campaign of the type, all pages, each with `_id`, in creation order."""

        async def page_at(number: int, skip: int) -> protocol.Page[dict[str, Any]]:
            request = self._endpoints.list_page(campaign_type, limit=self._page_size, skip=skip)
            return protocol.list_page(request, await self._call(request), skip)

        return await self._all_pages(
            page_at,
            lambda item: str(item["_id"]),
            what=f"listing {campaign_type} campaigns",
            noun="campaign",
            pages=self._max_pages,
            at=lambda number, skip: f"page {number} (skip={skip})",
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
        request = self._endpoints.update(campaign_id, body, campaign_type, label)
        envelope = await self._call(request, unsent=True)
        return protocol.campaign_data(request, envelope, required=False)

    async def delete_campaign(
        self, campaign_id: str, campaign_type: str = "voice"
    ) -> dict[str, Any]:
        request = self._endpoints.delete(campaign_id, campaign_type)
        envelope = await self._call(request, unsent=True)
        return protocol.campaign_data(request, envelope, required=False)

    async def create_campaign(self, body: dict[str, Any], campaign_type: str = "voice") -> str:
        """Create and return the new id. Never creates twice: when an answer is lost, the
        campaign is looked up by name first and only sent again if it is really absent."""
        request = self._endpoints.create(body, campaign_type)
        name = request.campaign  # the body's name, when it has one

        async def made(lost: ApiError) -> str | None:
            try:
                existing = await self.find_campaign_by_name(str(name), campaign_type)
            except ApiError as error:
                more = f"; looking it up afterwards failed: {error.platform_message}"
                unknown = lost.outcome_unknown  # else that attempt was never sent
                raise _answer_lost(lost, more, unknown=unknown) from None
            if existing is None:
                log.info("create of %r: not on the platform, sending again", name)
                return None
            log.info("create of %r: the lost answer had created it", name)
            return str(existing["_id"])

        return await self._write_once(
            request, lambda envelope: protocol.created_id(request, envelope), made if name else None
        )

    # ------------------------------------------------------------ run state

    async def campaign_status(self, campaign_id: str, *, name: str | None = None) -> str:
        """The campaign's status now, by the status call (one request of the account's
        budget, within the rate limit like every other). `name` is what messages call it."""
        request = self._endpoints.status(campaign_id, name)
        return protocol.campaign_status(request, await self._call(request), campaign_id)

    async def trigger(
        self,
        campaign_id: str,
        action: protocol.Trigger,
        campaign_type: str = "voice",
        *,
        name: str | None = None,
    ) -> protocol.Triggered:
        """Start (`play`) or stop (`stop`) the campaign; what the platform answered.

        A refusal (a 400: not in a status it starts or stops from) is an ApiError with the
        platform's reason, never sent again. Nor is the trigger re-sent blindly when its
        answer is lost (a dropped connection, a timeout, a 5xx): a play that did start the
        campaign would be refused the second time. The campaign's status is read first; the
        trigger is sent again only if it has not taken effect, within the retry policy."""
        request = self._endpoints.trigger(campaign_id, action, campaign_type, name)
        reached = "Active" if action == "play" else "Stopped"

        async def done(lost: ApiError) -> protocol.Triggered | None:
            status = await self._status_after(lost, campaign_id, name)
            if status != reached:
                log.info("%s: still %s, sending again", self._what(request), status)
                return None
            log.info("%s: the lost answer's trigger took effect", self._what(request))
            return protocol.Triggered(status)

        return await self._write_once(
            request, lambda envelope: protocol.triggered(request, envelope, reached), done
        )

    async def _status_after(self, lost: ApiError, campaign_id: str, name: str | None) -> str:
        """The status after a trigger whose answer was lost; if that cannot be read either,
        the trigger's own error, saying that its outcome is unknown."""
        try:
            return await self.campaign_status(campaign_id, name=name)
        except ApiError as error:
            unknown = lost.outcome_unknown  # else that attempt was never sent
            why = error.platform_message
            more = (
                f"; whether it took effect is unknown (its status could not be read: {why})"
                if unknown
                else f"; its status could not be read afterwards: {why}"
            )
            raise _answer_lost(lost, more, unknown=unknown) from None

    # ------------------------------------------------------------ what campaigns name

    async def list_contact_lists(self) -> list[Reference]:
        """Every contact list of the account, DNC lists among them (one request: the call
        has no pagination)."""
        request = self._endpoints.contact_lists()
        return protocol.contact_lists(request, await self._call(request))

    async def list_queues(self) -> list[Reference]:
        """Every queue of the account, all pages (`queue_pages` at most, and
        protocol.MAX_REFERENCES queues)."""
        limit = QUEUE_PAGE_SIZE

        async def page_at(number: int, _skip: int) -> protocol.Page[Reference]:
            request = self._endpoints.queues_page(page=number, limit=limit)
            return protocol.queue_page(request, await self._call(request), page=number, limit=limit)

        return await self._all_pages(
            page_at,
            lambda queue: queue.id,
            what="reading the queues",
            noun="queue",
            pages=self._queue_pages,
            at=lambda number, _skip: f"page {number}",
            most=protocol.MAX_REFERENCES,
        )

    async def _all_pages(
        self,
        page_at: Callable[[int, int], Awaitable[protocol.Page[T]]],
        key: Callable[[T], str],
        *,
        what: str,
        noun: str,
        pages: int,
        at: Callable[[int, int], str],
        most: int | None = None,
    ) -> list[T]:
        """Every item of a paged list: page 1, 2, ... (`page_at(number, skip)`, `skip` the
        items before it), an item that moved pages counted once (`key`). A page that brings
        no new item while more are said to follow ends the walk at once (RepeatingListError):
        a platform that ignores paging would spend the account's budget on the same page for
        ever. So does an empty page, more than `pages` pages or `most` items (BadResponseError).
        `what`, `noun` and `at(number, skip)` (the page) word the messages."""
        found: dict[str, T] = {}
        skip = 0
        for number in range(1, pages + 1):
            page = await page_at(number, skip)
            known = len(found)
            for item in page.results:
                found.setdefault(key(item), item)
            if most is not None and len(found) > most:
                raise BadResponseError(f"{what}: more than {most:,} {noun}s")
            if not page.has_more:
                return list(found.values())
            if not page.results:
                raise BadResponseError(
                    f"{what}: the platform said more pages follow but sent an empty page "
                    f"(page {number})"
                )
            if len(found) == known:
                raise RepeatingListError(
                    f"{what}: {at(number, skip)} brought no {noun} that earlier pages had not, "
                    "while the platform said more pages follow: stopped (the list repeats itself)"
                )
            skip += len(page.results)
        raise BadResponseError(f"{what}: gave up after {pages} pages")

    # ------------------------------------------------------------ sending

    async def _write_once(
        self,
        request: Request,
        read: Callable[[dict[str, Any]], T],
        took_effect: Callable[[ApiError], Awaitable[T | None]] | None,
    ) -> T:
        """Send a write that must not be repeated blindly (a create, a trigger): when its
        answer is lost, `took_effect` looks whether it happened (what it returns then stands
        for the answer) before it is sent again, within the retry policy. Without one, a
        lost answer is the error."""
        retries = 0
        while True:
            try:
                return read(await self._call(request, unsent=retries == 0))
            except _AnswerLost as lost:
                if took_effect is None or not self._retry.may_retry(retries):
                    raise lost.error from None
                retries += 1
                await self._sleep(self._retry.backoff(retries))
                found = await took_effect(lost.error)
                if found is not None:
                    return found

    async def _call(self, request: Request, *, unsent: bool = False) -> dict[str, Any]:
        """Send with retries; the answer's JSON object or a typed error. `unsent`: a write
        the platform has not seen yet, which `stop_new_writes_on` may still hold back.

        429: wait (Retry-After, else a whole window), then again, until the overall
        deadline. 5xx, timeouts, dropped connections: backoff and again, `max_retries`
        times, but only for requests that are safe to repeat; for a create or a trigger the
        caller decides (`_AnswerLost`, `_write_once`)."""
        started = self._clock()
        retries = 0
        while True:
            try:
                # Unsent while only 429s came back: any other outcome ends or counts a retry.
                response, token = await self._send(request, unsent=unsent and retries == 0)
            except Unreachable as unreachable:
                error = self._transport_error(request, unreachable, retries + 1)
                if unreachable.final:
                    raise error from None
                if not request.retry_safe:
                    raise _AnswerLost(error) from None
                if not self._retry.may_retry(retries):
                    raise error from None
                retries += 1
                log.info("%s: %s; retry %d", self._what(request), unreachable.reason, retries)
                await self._sleep(self._retry.backoff(retries))
                continue
            if response.status == 429:
                wait = self._retry.rate_limit_wait(response.retry_after, self._limiter.window)
                if self._clock() + wait - started > self._retry.rate_limit_deadline:
                    refused = protocol.error_for(request, response, **self._reading(token))
                    raise self._rate_limited(refused, started, wait)
                log.info("%s: rate limited; waiting %.1f s", self._what(request), wait)
                self._limiter.pause(wait)
                continue  # a 429 was not processed: the write is still unsent
            if response.status in protocol.RETRY_STATUSES:
                if not request.retry_safe:
                    refused = protocol.error_for(request, response, **self._reading(token))
                    raise _AnswerLost(_answer_lost(refused))
                if self._retry.may_retry(retries):
                    retries += 1
                    log.info("%s: HTTP %d; retry %d", self._what(request), response.status, retries)
                    await self._sleep(self._retry.backoff(retries))
                    continue
            return protocol.parse_envelope(request, response, **self._reading(token))

    def _reading(self, token: str) -> _Reading:
        """How protocol reads an answer to a request sent with `token`: which variables a
        refusal names, and the secrets its messages must never show."""
        tokens = self._token_source
        return {
            "static_jwt": tokens.static,
            "redact": (*tokens.secrets(), token),
            "names": self._credentials.names,
        }

    @property
    def _token_source(self) -> TokenSource:
        if self._tokens is None:
            raise ConfigError("KoreClient used outside 'async with'")
        return self._tokens

    async def _send(self, request: Request, *, unsent: bool = False) -> tuple[Response, str]:
        """One attempt: in flight within the parallelism, inside the rate limit."""
        transport = self._transport
        if transport is None:
            raise ConfigError("KoreClient used outside 'async with'")
        async with self._turn(request, self._write_stop if unsent else None):
            token = self._token_source.token()  # signed now, after waiting for the limiter
            headers = protocol.request_headers(
                token, account_id=self._target.account_id, stream_id=self._target.stream_id
            )
            self.stats.count(request.kind)
            self._attempts += 1
            attempt = self._attempts
            self._in_flight[attempt] = self._clock()
            try:
                return await transport.send(request, headers), token
            finally:
                del self._in_flight[attempt]

    @contextlib.asynccontextmanager
    async def _turn(self, request: Request, stop: asyncio.Event | None) -> AsyncIterator[None]:
        """A place within the parallelism and the rate limit, held while the request is
        under way. With `stop`: give up (WriteNotSent) as soon as it is set, not waiting
        for the place (which may be a whole rate-limit window away)."""
        async with contextlib.AsyncExitStack() as stack:

            async def take_place() -> None:
                await stack.enter_async_context(self._gate)
                await stack.enter_async_context(self._limiter.reserve())

            if stop is None:
                await take_place()
            else:
                await until_set(take_place(), stop)
                if stop.is_set():
                    raise WriteNotSent(f"{self._what(request)}: not sent (apply was stopped)")
            yield

    # ------------------------------------------------------------ messages

    def _what(self, request: Request) -> str:
        if request.campaign is not None:
            return f"{request.kind} of campaign {request.campaign!r}"
        return request.action or request.kind

    def _transport_error(
        self, request: Request, unreachable: Unreachable, attempts: int
    ) -> TransportError:
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        hostname = self._target.hostname
        message = f"could not reach {hostname}: {unreachable.reason} ({tries})"
        if unreachable.no_tls and is_loopback(hostname):
            plain = "http://" + self._target.host.removeprefix("https://")
            message += f"; for a local server without TLS (the emulator), use {plain}"
        error = TransportError(protocol.with_action(request, message), campaign=request.campaign)
        return _answer_lost(error) if request.writes and unreachable.sent else error

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
