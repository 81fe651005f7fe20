"""The client's reads of what campaigns name (issue 21): the account's contact lists
(getAllListDetails, one request) and its queues (all pages), against the emulator and
against servers that lie (malformed, repeating, endless answers)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from campsync.config.target import Credentials, Target
from campsync.emulator.catalog import CONTACT_LISTS, DNC_LISTS, QUEUES
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.errors import AuthError, BadResponseError, RepeatingListError
from campsync.kore import KoreClient, RetryPolicy, SlidingWindowLimiter
from campsync.kore.client import QUEUE_PAGE_SIZE
from campsync.kore.protocol import MAX_REFERENCE_NAME
from campsync.sync.references import read_names
from tests.fixtures_emulator import emulator_test_config

FAST = RetryPolicy(base=0.001, cap=0.004, rate_limit_deadline=5.0)
STREAM = "st-stream-1"
ACCOUNT = "acc-account-1"
LISTS_PATH = f"/campaign/api/v2/public/{STREAM}/campaign/contactList/getAllListDetails"
QUEUES_PATH = f"/agentassist/api/v1/public/{STREAM}/queues"
CREDENTIALS = Credentials(client_id="cs-test-app", client_secret="client-secret-" + "q" * 40)

ServerFactory = Callable[..., Awaitable[TestServer]]


def emulator_client(running: RunningEmulator, **kwargs: Any) -> KoreClient:
    config = running.config
    target = Target.of(running.url, config.stream_id, config.account_id)
    credentials = Credentials(client_id=config.client_id, client_secret=config.client_secret)
    return KoreClient(target, credentials, retry=FAST, **kwargs)


def server_client(server: TestServer, **kwargs: Any) -> KoreClient:
    target = Target.of(str(server.make_url("")).rstrip("/"), STREAM, ACCOUNT)
    return KoreClient(target, CREDENTIALS, retry=FAST, **kwargs)


async def add(running: RunningEmulator, route: str, items: list[Any]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{running.url}/_emulator/{route}", json=items) as answer,
    ):
        assert answer.status == 200, await answer.text()


# ---- against the emulator -----------------------------------------------------------------


async def test_the_contact_lists_are_every_list_of_the_account_in_one_request(
    emulator: RunningEmulator,
) -> None:
    await add(
        emulator, "contactLists", ["Spring Leads", {"name": "Do Not Call", "isGlobalDNC": True}]
    )
    async with emulator_client(emulator) as client:
        lists = await client.list_contact_lists()
    names = [item.name for item in lists]
    assert sorted(names) == sorted([*CONTACT_LISTS, *DNC_LISTS, "Spring Leads", "Do Not Call"])
    assert all(item.id.startswith("cl-") for item in lists)
    assert client.stats.by_kind["contactLists"] == 1 and client.stats.total == 1
    assert emulator.store.stats()["by_kind"]["contactLists"] == 1
    (logged,) = emulator.store.requests()
    assert logged["kind"] == "contactLists" and logged["status"] == 200


async def test_the_queues_are_read_page_by_page_until_none_follow(
    emulator: RunningEmulator,
) -> None:
    more = [f"Queue {number:03d}" for number in range(QUEUE_PAGE_SIZE)]
    await add(emulator, "queues", more)
    async with emulator_client(emulator) as client:
        queues = await client.list_queues()
    assert sorted(queue.name for queue in queues) == sorted([*QUEUES, *more])
    assert len({queue.id for queue in queues}) == len(queues)
    assert client.stats.by_kind["queues"] == 2  # 103 queues, 100 a page
    pages = [logged["query"] for logged in emulator.store.requests()]
    assert [(query["page"], query["limit"]) for query in pages] == [("1", "100"), ("2", "100")]
    assert all("accountId" not in query for query in pages)  # the documented URL has none


async def test_an_account_with_few_queues_costs_one_request(emulator: RunningEmulator) -> None:
    async with emulator_client(emulator) as client:
        queues = await client.list_queues()
    assert sorted(queue.name for queue in queues) == sorted(QUEUES)
    assert client.stats.by_kind["queues"] == 1 and client.stats.total == 1


async def test_queues_refused_for_scope_name_the_configuration_scope() -> None:
    with start_in_thread(emulator_test_config(queues_forbidden=True)) as running:
        async with emulator_client(running) as client:
            with pytest.raises(AuthError) as caught:
                await client.list_queues()
            lists = await client.list_contact_lists()  # the other read is not concerned
    assert caught.value.status == 403
    message = str(caught.value)
    assert message.startswith("reading the queues: the platform refused access")
    assert "Configuration API scope" in message and "Campaign Management" not in message
    assert running.config.client_secret not in message
    assert len(lists) == len(CONTACT_LISTS) + len(DNC_LISTS)
    assert client.stats.by_kind["queues"] == 1  # a refusal is not retried


class CountingLimiter(SlidingWindowLimiter):
    """The client's limiter, counting the places it gives."""

    def __init__(self) -> None:
        super().__init__(1_000_000)
        self.places = 0

    @contextlib.asynccontextmanager
    async def reserve(self) -> AsyncIterator[None]:
        self.places += 1
        async with super().reserve():
            yield


async def test_the_reads_take_their_places_in_the_one_rate_limit(
    emulator: RunningEmulator,
) -> None:
    await add(emulator, "queues", [f"Queue {number:03d}" for number in range(QUEUE_PAGE_SIZE)])
    limiter = CountingLimiter()
    async with emulator_client(emulator, limiter=limiter) as client:
        await client.list_campaigns()
        await client.list_contact_lists()
        await client.list_queues()
    assert limiter.places == client.stats.total == 4
    assert emulator.store.stats()["total"] == 4


# ---- against servers that lie -------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(
    aiohttp_server: ServerFactory, *, lists: Handler | None = None, queues: Handler | None = None
) -> TestServer:
    app = web.Application()
    if lists is not None:
        app.router.add_post(LISTS_PATH, lists)
    if queues is not None:
        app.router.add_get(QUEUES_PATH, queues)
    server: TestServer = await aiohttp_server(app)
    return server


def answering(body: Any, status: int = 200) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        return web.json_response(body, status=status)

    return handler


def queue(number: int, **changes: Any) -> dict[str, Any]:
    return {"_id": f"qu-{number}", "name": f"Queue {number}", **changes}


async def test_queues_say_id_or_underscore_id_and_pages_follow_total_pages(
    aiohttp_server: ServerFactory,
) -> None:
    async def pages(request: web.Request) -> web.StreamResponse:
        number = int(request.query["page"])
        item = {"id": f"qu-{number}", "name": f"Queue {number}"}  # `id`, as the docs also say
        return web.json_response({"results": [item], "page": number, "totalPages": 3})

    server = await serve(aiohttp_server, queues=pages)
    async with server_client(server) as client:
        queues = await client.list_queues()
    assert [(item.id, item.name) for item in queues] == [
        (f"qu-{n}", f"Queue {n}") for n in (1, 2, 3)
    ]
    assert client.stats.by_kind["queues"] == 3


async def test_pages_follow_total_results_when_nothing_else_says(
    aiohttp_server: ServerFactory,
) -> None:
    async def pages(request: web.Request) -> web.StreamResponse:
        number = int(request.query["page"])
        return web.json_response({"results": [queue(number)], "totalResults": 101})

    server = await serve(aiohttp_server, queues=pages)
    async with server_client(server) as client:
        queues = await client.list_queues()
    assert len(queues) == 2 and client.stats.by_kind["queues"] == 2  # page 2 reaches 101


async def test_a_queues_answer_that_ignores_page_stops_at_the_first_repeated_page(
    aiohttp_server: ServerFactory,
) -> None:
    same = {"results": [queue(1), queue(2)], "page": 1, "hasMore": True}
    server = await serve(aiohttp_server, queues=answering(same))
    async with server_client(server) as client:
        with pytest.raises(RepeatingListError) as caught:
            await client.list_queues()
        # Not one more answer out of shape, which the check would skip with a warning: a
        # list that repeats itself ends the run (contract, "Trust boundaries").
        with pytest.raises(RepeatingListError):
            await read_names(client)
    message = str(caught.value)
    assert message.startswith("reading the queues: page 2 brought no queue")
    assert "repeats itself" in message and "\n" not in message
    assert client.stats.by_kind["queues"] == 4  # not 100 pages, twice


async def test_an_empty_page_while_more_follow_is_refused(aiohttp_server: ServerFactory) -> None:
    server = await serve(aiohttp_server, queues=answering({"results": [], "hasMore": True}))
    async with server_client(server) as client:
        with pytest.raises(BadResponseError, match=r"empty page \(page 1\)"):
            await client.list_queues()


async def test_queues_that_never_end_are_given_up_after_the_page_bound(
    aiohttp_server: ServerFactory,
) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        number = int(request.query["page"])
        return web.json_response({"results": [queue(number)], "hasMore": True})

    server = await serve(aiohttp_server, queues=endless)
    async with server_client(server, queue_pages=4) as client:
        with pytest.raises(BadResponseError, match="gave up after 4 pages"):
            await client.list_queues()
    assert client.stats.by_kind["queues"] == 4


def lists_answer(data: Any) -> dict[str, Any]:
    return {"status": "success", "data": data}


@pytest.mark.parametrize(
    ("kind", "answer", "words"),
    [
        ("queues", {"data": []}, "no `results` list"),
        ("queues", {"results": {"a": 1}, "hasMore": False}, "no `results` list"),
        ("queues", {"results": [queue(1)]}, "does not say whether more pages follow"),
        ("queues", {"results": [queue(1)], "hasMore": "no", "totalPages": "1"}, "does not say"),
        ("queues", {"results": ["Sales"], "hasMore": False}, "a queue that is not an object"),
        ("queues", {"results": [{"name": "Sales"}], "hasMore": False}, "a queue without an id"),
        ("queues", {"results": [queue(1, _id=7)], "hasMore": False}, "a queue without an id"),
        ("queues", {"results": [queue(1, name=None)], "hasMore": False}, "without a name"),
        ("queues", {"results": [queue(1, name=["S"])], "hasMore": False}, "without a name"),
        ("queues", {"results": [queue(1, name="")], "hasMore": False}, "without a name"),
        (
            "queues",
            {"results": [queue(1, name="Q" * (MAX_REFERENCE_NAME + 1))], "hasMore": False},
            "a queue name longer than 1,000 characters",
        ),
        ("queues", [queue(1)], "JSON that is not an object"),
        ("contact lists", lists_answer({"results": []}), "no `data` list"),
        ("contact lists", {"status": "success"}, "no `data` list"),
        ("contact lists", lists_answer([{"_id": "cl-1"}]), "a contact list without a name"),
        ("contact lists", lists_answer([{"name": "CL"}]), "a contact list without an id"),
        ("contact lists", lists_answer([None]), "a contact list that is not an object"),
    ],
)
async def test_an_answer_not_of_the_documented_shape_is_refused(
    aiohttp_server: ServerFactory, kind: str, answer: Any, words: str
) -> None:
    handler = answering(answer)
    if kind == "queues":
        server = await serve(aiohttp_server, queues=handler)
    else:
        server = await serve(aiohttp_server, lists=handler)
    async with server_client(server) as client:
        read = client.list_queues if kind == "queues" else client.list_contact_lists
        with pytest.raises(BadResponseError) as caught:
            await read()
    message = str(caught.value)
    assert message.startswith(f"reading the {kind}: ") and words in message
    assert "\n" not in message and len(message) < 400


async def test_the_contact_lists_request_is_the_documented_post(
    aiohttp_server: ServerFactory,
) -> None:
    seen: list[tuple[str, dict[str, str], bytes, str]] = []

    async def lists(request: web.Request) -> web.StreamResponse:
        seen.append(
            (
                request.method,
                dict(request.query),
                await request.read(),
                request.headers["accountid"],
            )
        )
        data = [
            {
                "_id": "cl-1",
                "name": "CL Only 2020 Dec 4",
                "isGlobalDNC": False,
                "campaignInUse": [{"id": "cd-1", "name": "x"}],
            }
        ]
        return web.json_response({"status": "success", "data": data})

    server = await serve(aiohttp_server, lists=lists)
    async with server_client(server) as client:
        (item,) = await client.list_contact_lists()
    assert (item.id, item.name) == ("cl-1", "CL Only 2020 Dec 4")
    assert seen == [("POST", {"accountId": ACCOUNT, "type": "call"}, b"{}", ACCOUNT)]


async def test_a_failing_read_is_retried_as_every_read_is(aiohttp_server: ServerFactory) -> None:
    failures = [503, 502]

    async def flaky(request: web.Request) -> web.StreamResponse:
        if failures:
            return web.json_response({"errors": [{"msg": "busy"}]}, status=failures.pop(0))
        return web.json_response({"results": [queue(1)], "hasMore": False})

    server = await serve(aiohttp_server, queues=flaky)
    async with server_client(server) as client:
        (item,) = await client.list_queues()
    assert item.name == "Queue 1" and client.stats.by_kind["queues"] == 3
