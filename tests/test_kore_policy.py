"""The client's policy in plain code (retries, 429 waits, paging, never creating twice, the
one bound on requests in flight), over a fake transport and on a fake clock: no network, no
sleeping. (The aiohttp transport itself: tests/test_kore_transport.py; both together against
a real server: tests/test_kore_client.py.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from campsync.config.target import Credentials, Target
from campsync.errors import ApiError, RateLimitedError, ServerError, TransportError
from campsync.kore import KoreClient, RetryPolicy, SlidingWindowLimiter, Unreachable
from campsync.kore.protocol import Request, Response
from tests.test_kore_ratelimit import FakeTime

TARGET = Target("https://platform.example.com", "st-1", "acc-1")
CREDENTIALS = Credentials(client_id="cs-1", client_secret="s" * 40)
# Backoff without jitter: the sleeps asked for are the policy's ceilings.
POLICY = RetryPolicy(jitter=lambda: 1.0, rate_limit_deadline=900.0)

Answer = Response | Unreachable


def ok(data: Any) -> Response:
    body = json.dumps({"status": "success", "data": data}).encode()
    return Response(200, "application/json", body)


def status(code: int, retry_after: float | None = None) -> Response:
    body = json.dumps({"errors": [{"msg": f"trouble {code}"}]}).encode()
    return Response(code, "application/json", body, retry_after)


@dataclass
class FakeTransport:
    """Answers from a script per request kind, else from a small campaign store."""

    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    script: dict[str, list[Answer | Callable[[], Answer]]] = field(default_factory=dict)
    sent: list[Request] = field(default_factory=list)
    hold: asyncio.Event | None = None  # while set to an unset event, answers wait for it
    in_flight: int = 0
    max_in_flight: int = 0
    closed: bool = False

    async def send(self, request: Request, headers: Mapping[str, str]) -> Response:
        assert headers["auth"] and headers["accountid"] == "acc-1" and headers["iid"] == "st-1"
        self.sent.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold is not None:
                await self.hold.wait()
            await asyncio.sleep(0)
            scripted = self.script.get(request.kind)
            if scripted:
                answer = scripted.pop(0)
                answer = answer() if callable(answer) else answer
                if isinstance(answer, Unreachable):
                    raise answer
                return answer
            return self._store(request)
        finally:
            self.in_flight -= 1

    def _store(self, request: Request) -> Response:
        if request.kind == "list":
            query = json.loads(request.body or b"{}")
            items = list(self.campaigns.values())
            page = items[query["skip"] : query["skip"] + query["limit"]]
            more = query["skip"] + query["limit"] < len(items)
            return ok({"results": page, "hasMore": more})
        if request.kind == "create":
            body = json.loads(request.body or b"{}")
            new_id = f"cd-new-{body['name']}"
            self.campaigns[new_id] = {"_id": new_id, **body}
            return ok({"id": new_id})
        campaign_id = request.url.split("?")[0].rsplit("/", 1)[1]
        if request.kind == "update":
            self.campaigns[campaign_id].update(json.loads(request.body or b"{}"))
        return ok(self.campaigns[campaign_id])

    def kinds(self) -> list[str]:
        return [request.kind for request in self.sent]

    async def close(self) -> None:
        self.closed = True


def seeded(count: int) -> FakeTransport:
    return FakeTransport({f"cd-{i}": {"_id": f"cd-{i}", "name": f"C{i}"} for i in range(count)})


def client_on(transport: FakeTransport, fake: FakeTime, **kwargs: Any) -> KoreClient:
    kwargs.setdefault("retry", POLICY)
    kwargs.setdefault("limiter", SlidingWindowLimiter(60, clock=fake.clock, sleep=fake.sleep))
    return KoreClient(
        TARGET, CREDENTIALS, transport=transport, clock=fake.clock, sleep=fake.sleep, **kwargs
    )


async def test_server_errors_and_lost_connections_are_retried_with_capped_backoff() -> None:
    fake = FakeTime()
    transport = seeded(1)
    dropped = Unreachable("the server closed the connection")
    transport.script["get"] = [status(503), dropped, status(500), dropped, status(502)]
    async with client_on(transport, fake) as client:
        assert (await client.get_campaign("cd-0"))["name"] == "C0"
    assert transport.kinds() == ["get"] * 6
    assert fake.now == 0.5 + 1 + 2 + 4 + 8  # each re-send after its backoff, capped at 8 s
    assert transport.closed


async def test_retries_give_up_in_one_line_and_tls_is_never_retried() -> None:
    fake = FakeTime()
    transport = seeded(1)
    transport.script["delete"] = [status(503)] * 10
    transport.script["get"] = [Unreachable("TLS verification failed", final=True)]
    async with client_on(transport, fake) as client:
        with pytest.raises(ServerError, match="trouble 503"):
            await client.delete_campaign("cd-0")
        with pytest.raises(TransportError, match="TLS verification failed \\(1 attempt\\)"):
            await client.get_campaign("cd-0")
    assert transport.kinds() == ["delete"] * 6 + ["get"]


async def test_a_429_is_waited_out_by_every_request_then_given_up_at_the_deadline() -> None:
    fake = FakeTime()
    transport = seeded(2)
    transport.script["get"] = [status(429, retry_after=30.0), status(429)]
    async with client_on(transport, fake) as client:
        assert (await client.get_campaign("cd-0"))["name"] == "C0"
        assert fake.now == 30.0 + 60.0  # its Retry-After, then a whole window
        transport.script["update"] = [status(429, retry_after=600.0)] * 3
        with pytest.raises(RateLimitedError, match="gave up after waiting 600 s"):
            await client.update_campaign("cd-1", {"name": "C1"})
    assert transport.kinds() == ["get"] * 3 + ["update"] * 2


async def test_pages_are_walked_until_the_last() -> None:
    fake = FakeTime()
    transport = seeded(25)
    async with client_on(transport, fake, page_size=10) as client:
        items = await client.list_campaigns()
    assert [item["_id"] for item in items] == [f"cd-{i}" for i in range(25)]
    skips = [json.loads(request.body or b"")["skip"] for request in transport.sent]
    assert skips == [0, 10, 20]


async def test_a_lost_create_is_looked_up_by_name_before_it_is_sent_again() -> None:
    fake = FakeTime()
    transport = FakeTransport()

    def created_then_lost() -> Answer:
        transport.campaigns["cd-made"] = {"_id": "cd-made", "name": "Spring"}
        return Unreachable("the server closed the connection")

    transport.script["create"] = [created_then_lost]
    async with client_on(transport, fake) as client:
        assert await client.create_campaign({"name": "Spring"}) == "cd-made"
        transport.script["create"] = [status(503)]  # refused before it was made: sent again
        assert await client.create_campaign({"name": "Autumn"}) == "cd-new-Autumn"
    assert transport.kinds() == ["create", "list", "create", "list", "create"]
    assert [c["name"] for c in transport.campaigns.values()] == ["Spring", "Autumn"]


async def test_requests_in_flight_never_pass_the_parallelism() -> None:
    fake = FakeTime()
    transport = seeded(30)
    limiter = SlidingWindowLimiter(1000, clock=fake.clock, sleep=fake.sleep)
    async with client_on(transport, fake, parallelism=3, limiter=limiter) as client:
        got = await asyncio.gather(*(client.get_campaign(f"cd-{i}") for i in range(30)))
    assert len(got) == 30
    assert transport.max_in_flight == 3


async def test_a_write_waiting_for_its_turn_is_never_sent_once_stopped() -> None:
    fake = FakeTime()
    transport = seeded(4)
    transport.hold = asyncio.Event()
    stop = asyncio.Event()
    async with client_on(transport, fake, parallelism=1) as client:
        client.stop_new_writes_on(stop)
        first = asyncio.ensure_future(client.update_campaign("cd-0", {"name": "x"}))
        second = asyncio.ensure_future(client.update_campaign("cd-1", {"name": "y"}))
        while transport.in_flight < 1:
            await asyncio.sleep(0)
        stop.set()
        transport.hold.set()
        assert (await first)["name"] == "x"
        with pytest.raises(Exception, match="not sent \\(apply was stopped\\)"):
            await second
    assert transport.kinds() == ["update"]


# --- a write whose answer was lost: its outcome is unknown ---------------------------------

LOST = Unreachable("the server closed the connection")
NO_CONNECTION = Unreachable("cannot connect (Connection refused)", sent=False)


async def test_a_write_whose_every_answer_was_lost_has_an_unknown_outcome() -> None:
    transport = seeded(2)
    transport.script["update"] = [LOST] * 6
    transport.script["delete"] = [LOST] * 6
    transport.script["get"] = [LOST] * 6
    async with client_on(transport, FakeTime()) as client:
        with pytest.raises(TransportError, match="closed the connection \\(6 attempts\\)") as lost:
            await client.update_campaign("cd-0", {"name": "x"})
        assert lost.value.outcome_unknown
        with pytest.raises(TransportError) as deleted:
            await client.delete_campaign("cd-1")
        assert deleted.value.outcome_unknown
        with pytest.raises(TransportError) as read:  # a read changes nothing: no outcome
            await client.get_campaign("cd-0")
        assert not read.value.outcome_unknown


async def test_a_write_never_sent_or_answered_with_an_error_has_failed() -> None:
    transport = seeded(1)
    transport.script["update"] = [NO_CONNECTION] * 6 + [status(503)] * 6 + [status(400)]
    async with client_on(transport, FakeTime()) as client:
        with pytest.raises(TransportError, match="cannot connect") as unsent:
            await client.update_campaign("cd-0", {"name": "x"})
        with pytest.raises(ServerError) as failed:
            await client.update_campaign("cd-0", {"name": "x"})
        with pytest.raises(ApiError) as refused:
            await client.update_campaign("cd-0", {"name": "x"})
    assert not unsent.value.outcome_unknown
    assert not failed.value.outcome_unknown
    assert not refused.value.outcome_unknown


async def test_a_create_whose_answer_was_lost_and_could_not_be_looked_up_is_unknown() -> None:
    transport = FakeTransport()
    transport.script["create"] = [LOST]
    transport.script["list"] = [LOST] * 6
    async with client_on(transport, FakeTime()) as client:
        with pytest.raises(TransportError) as caught:
            await client.create_campaign({"name": "Spring"})
    assert caught.value.outcome_unknown
    assert str(caught.value).startswith("campaign 'Spring': could not reach")
    more = "; looking it up afterwards failed: listing voice campaigns: could not reach"
    assert more in str(caught.value)
    assert transport.kinds() == ["create"] + ["list"] * 6


async def test_a_create_lost_on_its_last_try_is_unknown_and_one_never_sent_failed() -> None:
    transport = FakeTransport()
    transport.script["create"] = [status(502)] * 6  # each one may have made it
    async with client_on(transport, FakeTime()) as client:
        with pytest.raises(ServerError) as lost:
            await client.create_campaign({"name": "Spring"})
        # looked up after each of the first five: absent, so sent again
        assert transport.kinds() == ["create", "list"] * 5 + ["create"]
        assert lost.value.outcome_unknown
        transport.script["create"] = [NO_CONNECTION]
        transport.script["list"] = [LOST] * 6
        with pytest.raises(TransportError, match="looking it up afterwards failed") as unsent:
            await client.create_campaign({"name": "Autumn"})
        assert not unsent.value.outcome_unknown  # the one try was never sent
