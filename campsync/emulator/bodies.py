"""Reading a request's body: whole, in time, unencoded, as bounded JSON.

What can go wrong on the way in, and what the client is told:
- a `Content-Encoding` other than identity: 415 with `Accept-Encoding: identity`. The
  platform documents JSON bodies and no content coding, so the strict reading refuses
  even a well-formed gzip body (RFC 9110 section 15.5.16 names 415 for a content coding
  the server does not take). The server runs with aiohttp's `auto_decompress` off, so
  nothing is decoded behind the emulator's back (a gzip header on a plain body used to
  end in a 500, br or zstd in a plain-text 400 from aiohttp's parser);
- a body that has not arrived in full after `timeout` seconds: 408, and the connection is
  closed (RFC 9110 section 15.5.9). aiohttp's server has no timeout for a request body
  (only for idle keep-alive connections), so the wait is bounded here;
- broken framing (a malformed chunk): 400;
- the client closing the connection mid-body: no answer (ClientClosed), not an error of
  the emulator;
- anything safejson refuses (not UTF-8, too deep, NaN, inexact integers): 400.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from campsync.emulator import safejson
from campsync.emulator.errors import ClientClosed
from campsync.emulator.rules import Refusal

IDENTITY = "identity"


def check_encoding(request: web.Request) -> None:
    """Refusal(415) for a body in any content coding but identity."""
    coding = request.headers.get("Content-Encoding", IDENTITY).strip().lower()
    if coding != IDENTITY:
        raise Refusal(
            415,
            "Content-Encoding is not supported: send the JSON body as it is (identity)",
            headers={"Accept-Encoding": IDENTITY},
        )


async def read_raw(request: web.Request, timeout: float) -> bytes:
    """The whole body, within `timeout` seconds; Refusal (415, 408, 400, 413) or
    ClientClosed otherwise."""
    check_encoding(request)
    try:
        async with asyncio.timeout(timeout) as deadline:
            return await request.read()
    except TimeoutError:
        if deadline.expired():
            raise Refusal(
                408, f"the request body did not arrive within {timeout:g} s", close=True
            ) from None
        raise ClientClosed from None  # a socket timeout of the connection itself
    except web.RequestPayloadError:
        raise Refusal(400, "the request body is not framed correctly", close=True) from None
    except ConnectionError:
        raise ClientClosed from None


async def read_json(request: web.Request, timeout: float) -> Any:
    """The request's JSON body (None when empty); Refusal or ClientClosed otherwise."""
    raw = await read_raw(request, timeout)
    if not raw.strip():
        return None
    try:
        return safejson.loads(raw)
    except safejson.JsonRefused as exc:
        raise Refusal(400, str(exc)) from None
