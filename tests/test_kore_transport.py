"""The aiohttp transport alone, against a real server on 127.0.0.1: it sends what it is given,
reads the answer within its limit, and never sends a request a second time by itself."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from campsync.errors import BadResponseError
from campsync.kore import AiohttpTransport, Timeouts, Unreachable
from campsync.kore.protocol import Endpoints

ServerFactory = Callable[..., Awaitable[TestServer]]
HEADERS = {"auth": "t", "accountid": "acc", "iid": "st-1", "Content-Type": "application/json"}


def endpoints(server: TestServer, scheme: str = "http") -> Endpoints:
    return Endpoints(f"{scheme}://127.0.0.1:{server.port}", "st-1", "acc")


async def test_an_answer_is_read_whole_with_its_headers(aiohttp_server: ServerFactory) -> None:
    seen: list[tuple[str, str, bytes, str]] = []

    async def update(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, await request.read(), request.headers["iid"]))
        return web.json_response({"status": "success"}, status=429, headers={"Retry-After": "7"})

    app = web.Application()
    app.router.add_put("/campaign/api/v2/public/st-1/campaign/{id}", update)
    server = await aiohttp_server(app)
    transport = AiohttpTransport(Timeouts(), max_body=1024)
    try:
        request = endpoints(server).update("cd-1", {"name": "N"}, "voice", None)
        answer = await transport.send(request, HEADERS)
    finally:
        await transport.close()
    assert (answer.status, answer.content_type, answer.retry_after) == (
        429,
        "application/json",
        7.0,
    )
    assert json.loads(answer.body) == {"status": "success"}
    path = "/campaign/api/v2/public/st-1/campaign/cd-1?accountId=acc&campaignType=voice"
    assert seen == [("PUT", path, b'{"name":"N"}', "st-1")]


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_body_over_the_limit_is_refused(
    aiohttp_server: ServerFactory, streamed: bool
) -> None:
    async def get(request: web.Request) -> web.StreamResponse:
        if not streamed:
            return web.Response(body=b" " * 2048, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for _ in range(4):
            await response.write(b" " * 1024)
        return response

    app = web.Application()
    app.router.add_get("/campaign/api/v2/public/st-1/campaign/{id}", get)
    server = await aiohttp_server(app)
    transport = AiohttpTransport(Timeouts(), max_body=1024)
    try:
        with pytest.raises(BadResponseError, match="larger than 1024 bytes"):
            await transport.send(endpoints(server).get("cd-1"), HEADERS)
    finally:
        await transport.close()


async def test_a_dropped_connection_is_never_sent_again_by_aiohttp(
    aiohttp_server: ServerFactory,
) -> None:
    """aiohttp re-sends an idempotent request (PUT, GET, DELETE) once by itself when the
    connection drops; the transport must not: each re-send is the client's, counted and
    within the rate limit."""
    arrivals: list[str] = []

    async def update(request: web.Request) -> web.Response:
        await request.read()
        arrivals.append(request.match_info["id"])
        if request.match_info["id"] == "cd-drop":
            assert request.transport is not None
            request.transport.close()  # on a kept-alive connection: no answer at all
        return web.json_response({"status": "success", "data": {}})

    app = web.Application()
    app.router.add_put("/campaign/api/v2/public/st-1/campaign/{id}", update)
    server = await aiohttp_server(app)
    transport = AiohttpTransport(Timeouts(), max_body=1024)
    api = endpoints(server)
    try:
        first = await transport.send(api.update("cd-ok", {}, "voice", None), HEADERS)
        assert first.status == 200  # the connection is now kept alive
        with pytest.raises(Unreachable) as caught:
            await transport.send(api.update("cd-drop", {}, "voice", None), HEADERS)
    finally:
        await transport.close()
    assert caught.value.reason == "the server closed the connection"
    assert not caught.value.final
    assert caught.value.sent  # it arrived: whatever it did, its answer is lost
    assert arrivals == ["cd-ok", "cd-drop"]  # once, not twice


async def test_https_to_plain_http_is_a_failed_handshake(aiohttp_server: ServerFactory) -> None:
    server = await aiohttp_server(web.Application())
    transport = AiohttpTransport(Timeouts(), max_body=1024)
    try:
        with pytest.raises(Unreachable) as caught:
            await transport.send(endpoints(server, "https").get("cd-1"), HEADERS)
    finally:
        await transport.close()
    assert caught.value.final and caught.value.no_tls and not caught.value.sent
    assert caught.value.reason == "TLS handshake failed (does the server speak TLS?)"


async def test_no_connection_means_the_request_was_not_sent(aiohttp_server: ServerFactory) -> None:
    server = await aiohttp_server(web.Application())
    api = endpoints(server)
    await server.close()  # nothing listens on its port any more
    transport = AiohttpTransport(Timeouts(), max_body=1024)
    try:
        with pytest.raises(Unreachable) as caught:
            await transport.send(api.update("cd-1", {}, "voice", None), HEADERS)
    finally:
        await transport.close()
    assert caught.value.reason.startswith("cannot connect")
    assert not caught.value.sent and not caught.value.final
