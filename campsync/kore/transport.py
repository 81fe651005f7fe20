"""The one place that talks HTTP: send a request `protocol` built, read its answer (within a
size limit), nothing else. No retry, no rate limit, no policy: the client (client.py) decides
all that in plain code, so that a fake transport can stand in for this one in tests.

Every failure to get a whole answer is an `Unreachable` whose reason carries no URL, header
or token. aiohttp itself re-sends an idempotent request once when a kept-alive connection
drops under it; that copy would bypass the rate limit and the request count, and reuse the
JWT's jti (a "replay" to apps that enforce jti): a client middleware (aiohttp's public hook)
turns such a drop into an error aiohttp does not retry, so that every re-send is the client's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import yarl

from campsync.kore import protocol
from campsync.kore.protocol import Request, Response

_READ_CHUNK = 64 * 1024


class Transport(Protocol):
    async def send(self, request: Request, headers: Mapping[str, str]) -> Response:
        """The answer to `request`, whatever its status; Unreachable when none came whole,
        BadResponseError when it is larger than the transport reads."""
        ...

    async def close(self) -> None: ...


class Unreachable(Exception):
    """No (whole) answer. `reason`: what happened, in words that carry no URL or token;
    `final`: trying again cannot help (TLS); `no_tls`: the TLS handshake itself failed (an
    https:// URL for a server that speaks plain HTTP, most often); `sent`: the request may
    have reached the server (False only when no connection was made)."""

    def __init__(
        self, reason: str, *, final: bool = False, no_tls: bool = False, sent: bool = True
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.no_tls = no_tls
        self.sent = sent


@dataclass(frozen=True)
class Timeouts:
    """Seconds per attempt of a request: the whole attempt (a server that sends a byte now
    and then included), making the connection, each read. With the retries of RetryPolicy
    a request that never gets an answer gives up after about 3.5 minutes."""

    total: float = 30.0
    connect: float = 10.0
    read: float = 20.0


class AiohttpTransport:
    """The transport over one aiohttp session, owned here from creation to close()."""

    def __init__(self, timeouts: Timeouts, max_body: int) -> None:
        self._max_body = max_body
        # TLS verification stays on (aiohttp's default): no `ssl=False` anywhere. No
        # connection limit here: the client's gate is the one bound on requests in flight.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(
                total=timeouts.total, connect=timeouts.connect, sock_read=timeouts.read
            ),
            connector=aiohttp.TCPConnector(limit=0),
            middlewares=(_no_resend,),
            trust_env=False,
        )

    async def send(self, request: Request, headers: Mapping[str, str]) -> Response:
        try:
            async with self._session.request(
                request.method,
                yarl.URL(request.url, encoded=True),
                data=request.body,
                headers=dict(headers),
                allow_redirects=False,
            ) as answer:
                body = await self._read_body(request, answer)
                return protocol.response(
                    answer.status,
                    body,
                    content_type=answer.headers.get("Content-Type"),
                    retry_after=answer.headers.get("Retry-After"),
                )
        except (TimeoutError, aiohttp.ClientError) as error:
            raise _unreachable(error) from None

    async def _read_body(self, request: Request, answer: aiohttp.ClientResponse) -> bytes:
        limit = self._max_body
        if answer.content_length is not None and answer.content_length > limit:
            raise protocol.oversized(request, answer.status, limit)
        chunks: list[bytes] = []
        size = 0
        while chunk := await answer.content.read(_READ_CHUNK):
            size += len(chunk)
            if size > limit:
                raise protocol.oversized(request, answer.status, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def close(self) -> None:
        await self._session.close()


class _Dropped(aiohttp.ClientConnectionError):
    """A connection that broke under a request, raised in place of aiohttp's own error, which
    aiohttp would answer by sending the request again by itself."""


async def _no_resend(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # no connection was made: aiohttp does not re-send these
    except aiohttp.ServerDisconnectedError:
        raise _Dropped("the server closed the connection") from None
    except aiohttp.ClientOSError as error:
        raise _Dropped(f"connection error ({error.strerror or 'reset'})") from None


def _unreachable(error: BaseException) -> Unreachable:
    """What went wrong, in words that carry no URL, header or token."""
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return Unreachable("TLS verification failed", final=True, sent=False)
    if isinstance(error, aiohttp.ClientSSLError):
        return Unreachable(
            "TLS handshake failed (does the server speak TLS?)", final=True, no_tls=True, sent=False
        )
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return Unreachable("the request timed out (no connection)", sent=False)
    if isinstance(error, TimeoutError):
        return Unreachable("the request timed out")
    if isinstance(error, _Dropped):
        return Unreachable(str(error))
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return Unreachable("the server closed the connection")
    if isinstance(error, aiohttp.ClientConnectorError):
        reason = error.os_error.strerror or type(error.os_error).__name__
        return Unreachable(f"cannot connect ({reason})", sent=False)
    if isinstance(error, aiohttp.ClientPayloadError):
        return Unreachable("the answer was cut short")
    if isinstance(error, aiohttp.ClientOSError):
        return Unreachable(f"connection error ({error.strerror or 'reset'})")
    if isinstance(error, aiohttp.ClientResponseError):
        return Unreachable(f"malformed HTTP answer (status {error.status})")
    return Unreachable(f"connection error ({type(error).__name__})")
