"""How the emulator reads a request off the wire (issue 18, item 24): bodies in a content
coding, bodies that never end, broken framing and clients that close mid-body. Each used
to end in a 500, a plain-text 400 or a wait without end; each is now answered in the
platform's error shape (or, for a client gone, counted apart, not as an error)."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.errors import UsageError
from tests.fixtures_emulator import (
    EmulatorApi,
    emulator_headers,
    emulator_test_config,
    platform_error,
)

LIST_BODY = b'{"type": "voice"}'
WAIT = 10.0  # an upper bound for an answer that comes at once: never reached when it works


@pytest.fixture
def impatient() -> Iterator[RunningEmulator]:
    """An emulator that waits 0.3 s for a request body."""
    with start_in_thread(emulator_test_config(body_timeout=0.3)) as running:
        yield running


def list_request(running: RunningEmulator, extra: str, body: bytes = b"") -> bytes:
    """A list call's request head (valid auth, every header but the framing in `extra`)."""
    stream, account = running.config.stream_id, running.config.account_id
    path = f"/campaign/api/v2/public/{stream}/campaign/getAllCampaignDetails?accountId={account}"
    headers = "".join(f"{k}: {v}\r\n" for k, v in emulator_headers(running).items())
    return f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}{extra}\r\n".encode() + body


async def answer_to(running: RunningEmulator, *parts: bytes) -> tuple[int, dict[str, str], Any]:
    """Send `parts` on a fresh connection (after the first, each once the emulator said
    "100 Continue": the request has reached its routes) and read the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
    try:
        first, *rest = parts
        writer.write(first)
        for part in rest:
            interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
            assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
            writer.write(part)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        status_line, *lines = head.decode("latin-1").strip().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), WAIT)
        return int(status_line.split()[1]), headers, json.loads(body)
    finally:
        writer.close()


def wait_counted(running: RunningEmulator, total: int) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while running.store.stats()["total"] < total:
        assert time.monotonic() < deadline, running.store.stats()
        time.sleep(0.01)
    return running.store.stats()


# ---- content codings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", LIST_BODY),  # a plain body said to be gzip: was a 500
        ("gzip", gzip.compress(LIST_BODY)),  # a real one: the platform documents none
        ("deflate", LIST_BODY),
        ("br", LIST_BODY),  # was aiohttp's plain-text 400
        ("x-unknown", LIST_BODY),  # was read as if plain
    ],
)
async def test_a_body_in_a_content_coding_is_a_415(
    emulator: RunningEmulator, api: EmulatorApi, coding: str, body: bytes
) -> None:
    headers = {**emulator_headers(emulator), "Content-Encoding": coding}
    url = f"{api.base}/getAllCampaignDetails"
    async with api.session.post(
        url, data=body, headers=headers, params={"accountId": emulator.config.account_id}
    ) as response:
        assert response.status == 415, await response.text()
        assert response.headers["Accept-Encoding"] == "identity"
        assert platform_error(await response.json(), 415) == [
            "Content-Encoding is not supported: send the JSON body as it is (identity)"
        ]
    assert emulator.store.stats()["by_status"] == {"415": 1}
    # identity is no coding at all
    headers = {**emulator_headers(emulator), "Content-Encoding": "identity"}
    status, _ = await api.call("POST", url, data=LIST_BODY, headers=headers)
    assert status == 200


# ---- bodies that never end, broken framing ---------------------------------------------


async def test_a_body_that_never_ends_is_a_408_and_the_connection_closes(
    impatient: RunningEmulator,
) -> None:
    head = list_request(impatient, "Content-Length: 100\r\n", b'{"type": ')
    status, headers, answer = await answer_to(impatient, head)
    assert status == 408
    assert headers["connection"] == "close"
    assert platform_error(answer, 408) == ["the request body did not arrive within 0.3 s"]
    assert impatient.store.stats()["by_status"] == {"408": 1}


async def test_a_chunked_body_that_never_ends_is_a_408(impatient: RunningEmulator) -> None:
    head = list_request(impatient, "Transfer-Encoding: chunked\r\n", b'5\r\n{"typ\r\n')
    status, _, answer = await answer_to(impatient, head)
    assert status == 408
    platform_error(answer, 408)


async def test_a_malformed_chunk_after_the_head_is_a_408_not_a_wait_without_end(
    impatient: RunningEmulator,
) -> None:
    # aiohttp's parser stops at the bad chunk size and the body never completes. (Sent
    # with the head in one piece, the parser refuses the whole request with its own
    # plain-text 400 before the emulator sees it: docs/emulator.md says so.)
    head = list_request(impatient, "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n")
    status, _, answer = await answer_to(impatient, head, b"zz\r\n{}\r\n0\r\n\r\n")
    assert status == 408
    platform_error(answer, 408)


def test_the_body_timeout_must_be_positive() -> None:
    for value in (0, -1, float("nan")):
        with pytest.raises(UsageError, match="--body-timeout must be a positive number"):
            start_in_thread(emulator_test_config(body_timeout=value))


# ---- a client that goes away -------------------------------------------------------------


async def test_a_client_closing_mid_body_is_counted_apart_not_as_a_500(
    emulator: RunningEmulator, api: EmulatorApi, caplog: pytest.LogCaptureFixture
) -> None:
    # Expect: 100-continue makes the emulator say when the request reached its routes, so
    # the connection is closed while the handler waits for the rest of the body.
    head = list_request(emulator, "Content-Length: 100\r\nExpect: 100-continue\r\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", emulator.port)
    writer.write(head)
    await writer.drain()
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    assert interim.startswith(b"HTTP/1.1 100 Continue")
    writer.write(b'{"type": ')
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    stats = wait_counted(emulator, 1)
    assert stats["by_status"] == {"client-closed": 1}
    (entry,) = emulator.store.requests()
    assert entry["status"] is None and entry["outcome"] == "client-closed"
    assert "emulator bug" not in caplog.text
    status, _ = await api.list()  # and it serves on
    assert status == 200
    assert emulator.store.stats()["by_status"] == {"client-closed": 1, "200": 1}


async def test_a_client_that_sends_nothing_after_its_head_gets_the_408(
    impatient: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    # aiohttp's own client, a body that is a stalled stream: the emulator does not wait
    # for it forever
    async def stalled() -> Any:
        yield b'{"type": '
        await asyncio.sleep(WAIT)

    api = EmulatorApi(session, impatient)
    url = f"{api.base}/getAllCampaignDetails"
    headers = emulator_headers(impatient)
    async with session.post(
        url, data=stalled(), headers=headers, params={"accountId": impatient.config.account_id}
    ) as response:
        assert response.status == 408
        platform_error(await response.json(), 408)


# ---- requests under way ------------------------------------------------------------------


async def test_stats_count_a_request_under_way_until_it_is_answered(
    emulator: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    # What a test waits on before counting the writes of a client it killed: every request
    # the emulator received is answered (or counted as not answered).
    async def stats() -> Any:
        async with session.get(f"{emulator.url}/_emulator/stats") as response:
            return await response.json()

    head = list_request(emulator, "Content-Length: 17\r\nExpect: 100-continue\r\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", emulator.port)
    try:
        writer.write(head)
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert interim.startswith(b"HTTP/1.1 100 Continue")  # in the handler, waiting
        waiting = await stats()
        assert (waiting["in_flight"], waiting["total"]) == (1, 0)
        writer.write(LIST_BODY)
        head_back = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head_back.startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
    answered = await stats()
    assert (answered["in_flight"], answered["total"]) == (0, 1)
