"""KoreClient against a small fake platform served on 127.0.0.1 (pytest-aiohttp)."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from campsync.config.settings import Settings
from campsync.config.target import Credentials
from campsync.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    ConfigError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from campsync.kore import KoreClient, RetryPolicy, SlidingWindowLimiter, Timeouts
from campsync.kore import client as client_module

CLIENT_ID = "cs-test-app"
SECRET = "client-secret-" + "q" * 40
STREAM = "st-stream-1"
ACCOUNT = "acc-account-1"
BASE = f"/campaign/api/v2/public/{STREAM}"
FAST = RetryPolicy(base=0.001, cap=0.004, rate_limit_deadline=5.0)

ServerFactory = Callable[..., Awaitable[TestServer]]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    claims: dict[str, Any] | None
    at: float


@dataclass
class FakePlatform:
    """Enough of the campaign API to test the client, with scripted faults per call kind.

    A fault is taken from `faults[kind]` per request of that kind: an int status (JSON
    error body), ("html", status), ("429", retry_after or None), "drop" (connection
    closed before anything is applied), "apply-then-drop", "hang" (answer too late),
    ("huge", size).
    """

    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, list[Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    static_token: str | None = None
    id_key_for: Callable[[int], str] = lambda i: "_id"
    jtis: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(BASE + "/campaign/{id}", self.get_one)
        app.router.add_post(BASE + "/campaign/getAllCampaignDetails", self.list_all)
        app.router.add_post(BASE + "/campaign", self.create)
        app.router.add_put(BASE + "/campaign/{id}", self.update)
        app.router.add_delete(BASE + "/campaign/{id}", self.delete)
        return app

    def seed(self, count: int) -> None:
        for i in range(count):
            cid = f"cd-{i:04d}"
            self.campaigns[cid] = {"_id": cid, "name": f"Campaign {i}", "status": "Ready"}

    def of_kind(self, kind: str) -> list[Seen]:
        return [s for s in self.seen if _kind(s) == kind]

    async def _enter(self, request: web.Request, kind: str) -> tuple[Any, web.Response | None]:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        token = request.headers.get("auth", "")
        claims: dict[str, Any] | None = None
        refusal: web.Response | None = None
        if self.static_token is not None:
            if token != self.static_token:
                refusal = _error(401, f"error verifying the jwt {token}")
        else:
            try:
                claims = jwt.decode(token, SECRET, algorithms=["HS256"])
            except jwt.PyJWTError:
                refusal = _error(401, "error verifying the jwt")
            else:
                if claims.get("jti") in self.jtis:
                    refusal = _error(401, "error verifying the jwt: possibly a replay")
                self.jtis.add(str(claims.get("jti")))
        self.seen.append(
            Seen(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                body,
                claims,
                time.monotonic(),
            )
        )
        if refusal is not None:
            return body, refusal
        queue = self.faults.get(kind, [])
        fault = queue.pop(0) if queue else None
        if fault is None or fault == "apply-then-drop":
            if fault == "apply-then-drop":
                self.faults.setdefault(kind, []).insert(0, "drop-now")
            return body, None
        return body, await _fault_response(request, fault)

    async def _leave(self, request: web.Request, kind: str, answer: web.Response) -> web.Response:
        queue = self.faults.get(kind, [])
        if queue and queue[0] == "drop-now":
            queue.pop(0)
            return await _drop(request)
        return answer

    async def get_one(self, request: web.Request) -> web.Response:
        _, early = await self._enter(request, "get")
        if early is not None:
            return early
        campaign = self.campaigns.get(request.match_info["id"])
        if campaign is None:
            return _error(404, "campaign not found")
        return web.json_response({"status": "success", "data": campaign})

    async def list_all(self, request: web.Request) -> web.Response:
        body, early = await self._enter(request, "list")
        if early is not None:
            return early
        items = list(self.campaigns.values())
        skip, limit = int(body["skip"]), int(body["limit"])
        page = []
        for i, item in enumerate(items[skip : skip + limit], start=skip):
            key = self.id_key_for(i)
            page.append({key: item["_id"], **{k: v for k, v in item.items() if k != "_id"}})
        has_more = skip + limit < len(items)
        data = {"results": page, "skip": skip, "limit": limit, "hasMore": has_more}
        return web.json_response({"status": "success", "data": data})

    async def create(self, request: web.Request) -> web.Response:
        body, early = await self._enter(request, "create")
        if early is not None:
            return early
        cid = f"cd-{uuid.uuid4()}"
        self.campaigns[cid] = {"_id": cid, **body, "status": "Preparing"}
        answer = web.json_response(
            {"status": "success", "message": "creation in progress", "data": {"id": cid}}
        )
        return await self._leave(request, "create", answer)

    async def update(self, request: web.Request) -> web.Response:
        body, early = await self._enter(request, "update")
        if early is not None:
            return early
        cid = request.match_info["id"]
        if cid not in self.campaigns:
            return _error(404, "campaign not found")
        self.campaigns[cid] = {**self.campaigns[cid], **body}
        answer = web.json_response({"status": "success", "data": self.campaigns[cid]})
        return await self._leave(request, "update", answer)

    async def delete(self, request: web.Request) -> web.Response:
        _, early = await self._enter(request, "delete")
        if early is not None:
            return early
        gone = self.campaigns.pop(request.match_info["id"], None)
        if gone is None:
            return _error(404, "campaign not found")
        return web.json_response({"status": "success", "data": gone})


def _kind(seen: Seen) -> str:
    if seen.path.endswith("/getAllCampaignDetails"):
        return "list"
    if seen.method == "POST":
        return "create"
    return {"GET": "get", "PUT": "update", "DELETE": "delete"}[seen.method]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"errors": [{"msg": message, "code": status}]}
    return web.json_response(body, status=status, headers=headers)


async def _drop(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()
    return web.Response()


async def _fault_response(request: web.Request, fault: Any) -> web.Response:
    if isinstance(fault, int):
        return _error(fault, f"platform trouble {fault}")
    if fault == "drop":
        return await _drop(request)
    if fault == "hang":
        await asyncio.sleep(0.4)
        return web.json_response({"status": "success", "data": {}})
    tag, value = fault
    if tag == "html":
        return web.Response(
            status=value, text="<html><body>Bad gateway</body></html>", content_type="text/html"
        )
    if tag == "429":
        headers = {"Retry-After": value} if value is not None else None
        return _error(429, "You've exceeded the per-minute rate limit.", headers)
    if tag == "huge":
        data = {"status": "success", "data": {"_id": "x", "blob": "z" * value}}
        return web.json_response(data)
    raise AssertionError(f"unknown fault {fault!r}")


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
async def server(platform: FakePlatform, aiohttp_server: ServerFactory) -> TestServer:
    return await aiohttp_server(platform.app())


def settings_for(server: TestServer, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "host": str(server.make_url("")).rstrip("/"),
        "stream_id": STREAM,
        "account_id": ACCOUNT,
        "credentials": Credentials(client_id=CLIENT_ID, client_secret=SECRET),
    }
    values.update(changes)
    return Settings(**values)


def client_for(server: TestServer, **kwargs: Any) -> KoreClient:
    settings = kwargs.pop("settings", None) or settings_for(server)
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("parallelism", settings.parallelism)
    kwargs.setdefault("rate_limit", settings.rate_limit)
    return KoreClient(settings.target(), settings.credentials, **kwargs)


SAMPLE = {"name": "Spring Survey", "description": "d", "priority": "5", "campaignType": "voice"}


# ---------------------------------------------------------------- auth and headers


async def test_every_request_is_signed_and_addressed(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.seed(3)
    async with client_for(server) as client:
        await client.get_campaign("cd-0000")
        await client.list_campaigns()
        await client.update_campaign("cd-0001", {"name": "Campaign 1", "priority": "3"})
        new_id = await client.create_campaign(dict(SAMPLE))
        await client.delete_campaign(new_id)
    assert [_kind(s) for s in platform.seen] == ["get", "list", "update", "create", "delete"]
    now = time.time()
    jtis = set()
    for seen in platform.seen:
        assert seen.headers["accountid"] == ACCOUNT
        assert seen.headers["iid"] == STREAM
        assert seen.headers["Content-Type"] == "application/json"
        assert seen.query["accountId"] == ACCOUNT
        claims = seen.claims
        assert claims is not None
        assert claims["appId"] == CLIENT_ID
        assert claims["sub"] == CLIENT_ID
        assert 0 < claims["exp"] - claims["iat"] <= 3600
        assert abs(claims["iat"] - now) < 120
        jtis.add(claims["jti"])
        writes = _kind(seen) in ("update", "create", "delete")
        assert seen.query.get("campaignType") == ("voice" if writes else None)
    assert len(jtis) == len(platform.seen)
    assert platform.campaigns["cd-0001"]["priority"] == "3"
    assert new_id not in platform.campaigns
    assert client.stats.total == 5
    assert client.stats.by_kind == {
        **{"list": 1, "get": 1, "update": 1, "create": 1, "delete": 1},
        **{"trigger": 0, "status": 0},
    }


async def test_a_given_jwt_is_sent_as_is(platform: FakePlatform, server: TestServer) -> None:
    token = "eyJ.given.token"
    platform.static_token = token
    platform.seed(1)
    settings = settings_for(server, credentials=Credentials(jwt=token))
    async with client_for(server, settings=settings) as client:
        assert (await client.get_campaign("cd-0000"))["name"] == "Campaign 0"
    assert platform.seen[0].headers["auth"] == token


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_credentials_say_what_to_check(
    platform: FakePlatform, server: TestServer, status: int
) -> None:
    platform.faults["get"] = [status]
    async with client_for(server) as client:
        with pytest.raises(AuthError) as caught:
            await client.get_campaign("cd-9")
    message = str(caught.value)
    assert caught.value.status == status
    assert caught.value.campaign == "cd-9"
    assert f"platform trouble {status}" in message
    assert "KORE_CLIENT_ID" in message and "Campaign Management" in message
    assert "\n" not in message
    assert len(platform.seen) == 1  # refusals are not retried


async def test_a_token_echoed_by_the_platform_is_redacted(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.static_token = "the-right-token"
    given = "a-wrong-but-secret-token"
    settings = settings_for(server, credentials=Credentials(jwt=given))
    async with client_for(server, settings=settings) as client:
        with pytest.raises(AuthError) as caught:
            await client.get_campaign("cd-1")
    assert platform.seen[0].headers["auth"] == given
    assert given not in str(caught.value) and given not in repr(caught.value)
    assert "KORE_JWT" in str(caught.value)


async def test_secrets_appear_in_no_repr_or_message(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.faults["get"] = [401]
    platform.faults["update"] = ["drop"] * 6
    client = client_for(server)
    async with client:
        with pytest.raises(AuthError) as refused:
            await client.get_campaign("cd-1")
        with pytest.raises(TransportError) as dropped:
            await client.update_campaign("cd-1", {"name": "x"})
        texts = [repr(client), repr(client._target), str(client._credentials)]
        texts += [repr(client._token_source), repr(client._limiter), repr(client.stats)]
    token = platform.seen[0].headers["auth"]
    texts += [str(refused.value), repr(refused.value), str(dropped.value), repr(dropped.value)]
    for text in texts:
        assert SECRET not in text
        assert token not in text


async def test_settings_are_checked_before_any_request(server: TestServer) -> None:
    with pytest.raises(ConfigError, match="streamId"):
        async with client_for(server, settings=settings_for(server, stream_id=None)):
            pass
    with pytest.raises(ConfigError, match="credentials"):
        async with client_for(server, settings=settings_for(server, credentials=Credentials())):
            pass
    plain = settings_for(server, host="http://platform.example.com")
    with pytest.raises(ConfigError, match="loopback"):
        async with client_for(server, settings=plain):
            pass


# ---------------------------------------------------------------- pagination


async def test_list_walks_every_page_and_normalises_ids(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.seed(25)
    platform.id_key_for = lambda i: "id" if i % 2 else "_id"
    async with client_for(server, page_size=10) as client:
        items = await client.list_campaigns()
    assert [item["_id"] for item in items] == [f"cd-{i:04d}" for i in range(25)]
    assert all("id" not in item for item in items)
    bodies = [s.body for s in platform.of_kind("list")]
    assert [(b["skip"], b["limit"]) for b in bodies] == [(0, 10), (10, 10), (20, 10)]
    assert all(b["type"] == "voice" and b["sortBy"] == {"createdAt": "asc"} for b in bodies)
    assert client.stats.by_kind["list"] == 3


async def test_list_of_an_empty_account(platform: FakePlatform, server: TestServer) -> None:
    async with client_for(server) as client:
        assert await client.list_campaigns("sms") == []
    assert platform.seen[0].body["type"] == "sms"


async def _endless_list(request: web.Request) -> web.Response:
    body = await request.json()
    skip = body["skip"]
    results = [] if request.query.get("empty") else [{"_id": f"cd-{skip}", "name": "n"}]
    data = {"results": results, "hasMore": True}
    return web.json_response({"status": "success", "data": data})


async def test_list_refuses_a_server_that_never_ends(aiohttp_server: ServerFactory) -> None:
    app = web.Application()
    app.router.add_post(BASE + "/campaign/getAllCampaignDetails", _endless_list)
    server = await aiohttp_server(app)
    async with client_for(server, max_pages=4) as client:
        with pytest.raises(BadResponseError, match="4 pages"):
            await client.list_campaigns()
    assert client.stats.by_kind["list"] == 4


async def _empty_but_more(request: web.Request) -> web.Response:
    return web.json_response({"status": "success", "data": {"results": [], "hasMore": True}})


async def test_list_refuses_more_pages_without_results(aiohttp_server: ServerFactory) -> None:
    app = web.Application()
    app.router.add_post(BASE + "/campaign/getAllCampaignDetails", _empty_but_more)
    server = await aiohttp_server(app)
    async with client_for(server) as client:
        with pytest.raises(BadResponseError, match="empty page"):
            await client.list_campaigns()


async def _same_page_always(request: web.Request) -> web.Response:
    await request.read()  # `skip` ignored: the first page, again and again
    results = [{"_id": f"cd-{i}", "name": f"Campaign {i}"} for i in range(3)]
    data = {"results": results, "skip": 0, "limit": 3, "hasMore": True}
    return web.json_response({"status": "success", "data": data})


async def test_a_list_that_ignores_skip_stops_at_the_first_repeated_page(
    aiohttp_server: ServerFactory,
) -> None:
    app = web.Application()
    app.router.add_post(BASE + "/campaign/getAllCampaignDetails", _same_page_always)
    server = await aiohttp_server(app)
    unlimited = SlidingWindowLimiter(1_000_000)
    async with client_for(server, page_size=3, limiter=unlimited) as client:
        with pytest.raises(BadResponseError) as caught:
            await client.list_campaigns()
    message = str(caught.value)
    assert message.startswith("listing voice campaigns: page 2 (skip=3) brought no campaign")
    assert "repeats itself" in message and "\n" not in message
    assert client.stats.by_kind["list"] == 2  # not 10,000 pages


async def test_find_by_name_ignores_case(platform: FakePlatform, server: TestServer) -> None:
    platform.seed(3)
    async with client_for(server) as client:
        found = await client.find_campaign_by_name("CAMPAIGN 2")
        missing = await client.find_campaign_by_name("Campaign 22")
    assert found is not None and found["_id"] == "cd-0002"
    assert missing is None


# ---------------------------------------------------------------- rate limit


def _most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


async def test_no_window_ever_holds_more_than_the_limit(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.seed(30)
    platform.faults["get"] = [503, "drop", 503]  # retries count against the budget too
    limiter = SlidingWindowLimiter(4, window=0.25)
    settings = settings_for(server, parallelism=10)
    async with client_for(server, settings=settings, limiter=limiter) as client:
        ids = [f"cd-{i:04d}" for i in range(16)]
        got = await asyncio.gather(*(client.get_campaign(cid) for cid in ids))
    assert [g["_id"] for g in got] == ids
    arrivals = [s.at for s in platform.seen]
    assert len(arrivals) == 19
    assert client.stats.total == 19
    assert _most_in_any_window(arrivals, 0.25) <= 4
    assert _most_in_any_window(arrivals, 0.25) == 4  # the budget is used, not wasted


async def test_429_with_retry_after_is_waited_out(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.seed(1)
    platform.faults["get"] = [("429", "0.3"), ("429", "0.1")]
    async with client_for(server) as client:
        assert (await client.get_campaign("cd-0000"))["_id"] == "cd-0000"
    times = [s.at for s in platform.seen]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.29 and times[2] - times[1] >= 0.09


async def test_429_without_retry_after_waits_a_window_and_holds_everyone(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.seed(5)
    platform.faults["get"] = [("429", None)]
    limiter = SlidingWindowLimiter(60, window=0.3)
    settings = settings_for(server, parallelism=1)
    async with client_for(server, settings=settings, limiter=limiter) as client:
        got = await asyncio.gather(*(client.get_campaign(f"cd-{i:04d}") for i in range(5)))
    assert len(got) == 5
    times = [s.at for s in platform.seen]
    assert len(times) == 6
    assert all(t - times[0] >= 0.29 for t in times[1:])


async def test_429_gives_up_at_the_overall_deadline(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.faults["update"] = [("429", "0.05")] * 100
    retry = RetryPolicy(base=0.001, cap=0.004, rate_limit_deadline=0.2, min_rate_limit_wait=0.01)
    async with client_for(server, retry=retry) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.update_campaign("cd-1", {"name": "Spring"})
    assert caught.value.status == 429
    assert caught.value.campaign == "Spring"
    assert "per-minute rate limit" in str(caught.value)
    assert 3 <= len(platform.seen) < 100


@pytest.mark.parametrize("header", ["0", "-5", "0.0000001"])
async def test_a_429_asking_for_no_wait_still_waits_a_second(
    platform: FakePlatform, server: TestServer, header: str
) -> None:
    platform.faults["get"] = [("429", header)] * 10_000
    unlimited = SlidingWindowLimiter(1_000_000)
    # The first wait (at least 1 s) would pass the 0.5 s limit: given up after one request,
    # where a wait of 0 s re-sent the request as fast as the server answered, 0.5 s long.
    retry = RetryPolicy(base=0.001, cap=0.004, rate_limit_deadline=0.5)
    async with client_for(server, retry=retry, limiter=unlimited) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.get_campaign("cd-1")
    assert len(platform.seen) == 1
    assert "as waiting 1 s more would pass the" in str(caught.value)


async def test_a_429_asking_for_ages_gives_up_at_once_in_plain_words(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.faults["get"] = [("429", "1e308")]
    async with client_for(server) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.get_campaign("cd-1")
    message = str(caught.value)
    assert len(platform.seen) == 1
    assert "as waiting more than a day would pass the 5 s limit" in message
    assert len(message) < 200, message


# ---------------------------------------------------------------- retries


async def test_server_errors_are_retried(platform: FakePlatform, server: TestServer) -> None:
    platform.seed(1)
    platform.faults["get"] = [500, 502, 503, 504]
    async with client_for(server) as client:
        assert (await client.get_campaign("cd-0000"))["_id"] == "cd-0000"
    assert client.stats.by_kind["get"] == 5


async def test_server_errors_give_up_after_five_retries(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.seed(1)
    platform.faults["delete"] = [503] * 10
    async with client_for(server) as client:
        with pytest.raises(ServerError) as caught:
            await client.delete_campaign("cd-0000")
    assert len(platform.seen) == 6
    assert caught.value.status == 503
    assert str(caught.value) == (
        "campaign 'cd-0000': the platform failed: platform trouble 503 (HTTP 503)"
    )
    assert "cd-0000" in platform.campaigns


async def test_dropped_connections_are_retried(platform: FakePlatform, server: TestServer) -> None:
    platform.seed(2)
    platform.faults["update"] = ["drop", "apply-then-drop"]
    platform.faults["list"] = ["drop", 502]
    async with client_for(server) as client:
        data = await client.update_campaign("cd-0001", {"name": "Renamed"})
        items = await client.list_campaigns()
    assert data["name"] == "Renamed"
    assert len(items) == 2
    assert client.stats.by_kind == {
        **{"list": 3, "get": 0, "update": 3, "create": 0, "delete": 0},
        **{"trigger": 0, "status": 0},
    }


async def test_dropped_connections_give_up_naming_the_host(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.faults["list"] = ["drop"] * 10
    async with client_for(server) as client:
        with pytest.raises(TransportError) as caught:
            await client.list_campaigns()
    assert len(platform.seen) == 6
    message = str(caught.value)
    assert message.startswith("listing voice campaigns: could not reach 127.0.0.1:")
    assert "6 attempts" in message


async def test_an_update_whose_every_answer_is_lost_has_an_unknown_outcome(
    platform: FakePlatform, server: TestServer
) -> None:
    """Each attempt is applied, then its connection closed: the write gives up, and says that
    the platform may hold it all the same (it does)."""
    platform.seed(1)
    platform.faults["update"] = ["apply-then-drop"] * 6
    platform.faults["get"] = ["drop"] * 6
    async with client_for(server) as client:
        with pytest.raises(TransportError, match="6 attempts") as caught:
            await client.update_campaign("cd-0000", {"name": "Renamed"})
        with pytest.raises(TransportError) as read:
            await client.get_campaign("cd-0000")
    assert caught.value.outcome_unknown
    assert platform.campaigns["cd-0000"]["name"] == "Renamed"
    assert not read.value.outcome_unknown  # a read has no outcome to lose


async def test_timeouts_are_retried_then_reported(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.seed(1)
    platform.faults["get"] = ["hang", "hang", "hang"]
    timeouts = Timeouts(total=2.0, connect=1.0, read=0.1)
    retry = RetryPolicy(max_retries=2, base=0.001, cap=0.004)
    async with client_for(server, timeouts=timeouts) as client:
        platform.faults["get"] = ["hang"]
        assert (await client.get_campaign("cd-0000"))["_id"] == "cd-0000"
    async with client_for(server, timeouts=timeouts, retry=retry) as client:
        platform.faults["get"] = ["hang"] * 3
        with pytest.raises(TransportError, match="timed out") as caught:
            await client.get_campaign("cd-0000")
    assert caught.value.campaign == "cd-0000"
    assert client.stats.by_kind["get"] == 3


async def test_no_server_at_all(unused_tcp_port: int) -> None:
    settings = Settings(
        host=f"http://127.0.0.1:{unused_tcp_port}",
        stream_id=STREAM,
        account_id=ACCOUNT,
        credentials=Credentials(client_id=CLIENT_ID, client_secret=SECRET),
    )
    async with KoreClient(settings.target(), settings.credentials, retry=FAST) as client:
        with pytest.raises(TransportError, match="cannot connect") as caught:
            await client.get_campaign("cd-1")
    assert client.stats.total == 6
    assert SECRET not in str(caught.value)
    async with KoreClient(settings.target(), settings.credentials, retry=FAST) as client:
        with pytest.raises(TransportError, match="cannot connect") as unsent:
            await client.update_campaign("cd-1", {"name": "x"})
    assert not unsent.value.outcome_unknown  # never sent: it failed


# ---------------------------------------------------------------- create, never twice


async def test_a_lost_create_answer_is_found_by_name(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.seed(2)
    platform.faults["create"] = ["apply-then-drop"]
    async with client_for(server) as client:
        new_id = await client.create_campaign(dict(SAMPLE))
    named = [c for c in platform.campaigns.values() if c["name"] == SAMPLE["name"]]
    assert [c["_id"] for c in named] == [new_id]
    assert len(platform.of_kind("create")) == 1
    assert len(platform.of_kind("list")) == 1


@pytest.mark.parametrize("fault", ["drop", 503, 500])
async def test_a_create_that_did_not_happen_is_sent_again(
    platform: FakePlatform, server: TestServer, fault: Any
) -> None:
    platform.faults["create"] = [fault]
    async with client_for(server) as client:
        new_id = await client.create_campaign(dict(SAMPLE))
    assert [c["_id"] for c in platform.campaigns.values()] == [new_id]
    assert [_kind(s) for s in platform.seen] == ["create", "list", "create"]


async def test_a_create_that_keeps_failing_gives_up(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.faults["create"] = ["drop"] * 10
    async with client_for(server) as client:
        with pytest.raises(TransportError) as caught:
            await client.create_campaign(dict(SAMPLE))
    assert caught.value.campaign == SAMPLE["name"]
    assert len(platform.of_kind("create")) == 6
    assert len(platform.of_kind("list")) == 5
    assert platform.campaigns == {}
    # Its last answer lost, and never looked up after: whether it was made is unknown.
    assert caught.value.outcome_unknown


async def test_a_create_that_is_rate_limited_is_simply_sent_again(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.faults["create"] = [("429", "0")]
    async with client_for(server) as client:
        await client.create_campaign(dict(SAMPLE))
    assert [_kind(s) for s in platform.seen] == ["create", "create"]
    assert len(platform.campaigns) == 1


async def test_a_refused_create_is_not_sent_again(
    platform: FakePlatform, server: TestServer
) -> None:
    platform.faults["create"] = [400]
    async with client_for(server) as client:
        with pytest.raises(ApiError) as caught:
            await client.create_campaign(dict(SAMPLE))
    assert str(caught.value) == "campaign 'Spring Survey': platform trouble 400 (HTTP 400)"
    assert len(platform.seen) == 1


# ---------------------------------------------------------------- odd answers


async def test_not_found(platform: FakePlatform, server: TestServer) -> None:
    async with client_for(server) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.get_campaign("cd-missing")
    assert str(caught.value) == "campaign 'cd-missing': campaign not found (HTTP 404)"


async def test_html_answers_are_named_clearly(platform: FakePlatform, server: TestServer) -> None:
    platform.faults["get"] = [("html", 200)]
    platform.faults["update"] = [("html", 502)] * 6
    platform.faults["delete"] = [("html", 400)]
    async with client_for(server) as client:
        with pytest.raises(BadResponseError) as ok_html:
            await client.get_campaign("cd-1")
        with pytest.raises(ServerError) as gateway:
            await client.update_campaign("cd-2", {"name": "Spring"})
        with pytest.raises(BadResponseError) as refused:
            await client.delete_campaign("cd-3")
    assert str(ok_html.value) == (
        "campaign 'cd-1': the platform answered with a non-JSON body (text/html) (HTTP 200)"
    )
    assert str(gateway.value) == (
        "campaign 'Spring': the platform failed: bad gateway; non-JSON body, text/html (HTTP 502)"
    )
    assert "campaign 'cd-3'" in str(refused.value) and "text/html" in str(refused.value)
    assert "<html>" not in str(ok_html.value) + str(gateway.value) + str(refused.value)


async def test_oversized_answers_are_refused(platform: FakePlatform, server: TestServer) -> None:
    platform.faults["get"] = [("huge", 5000)]
    async with client_for(server, max_body_bytes=4096) as client:
        with pytest.raises(BadResponseError) as caught:
            await client.get_campaign("cd-1")
    assert str(caught.value) == (
        "campaign 'cd-1': the platform answered with a body larger than 4096 bytes (HTTP 200)"
    )


async def _streamed_forever(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)  # chunked: no Content-Length to refuse early
    try:
        for _ in range(1000):
            await response.write(b"[" * 1024)
    except (ConnectionResetError, ConnectionError):
        pass
    return response


async def test_an_endless_body_is_cut_off(aiohttp_server: ServerFactory) -> None:
    app = web.Application()
    app.router.add_get(BASE + "/campaign/{id}", _streamed_forever)
    server = await aiohttp_server(app)
    async with client_for(server, max_body_bytes=64 * 1024) as client:
        with pytest.raises(BadResponseError, match="larger than 65536 bytes"):
            await client.get_campaign("cd-1")


async def test_cancellation_is_not_swallowed(platform: FakePlatform, server: TestServer) -> None:
    platform.faults["get"] = ["hang"]
    async with client_for(server) as client:
        task = asyncio.ensure_future(client.get_campaign("cd-1"))
        while not platform.seen:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_tls_is_verified(
    platform: FakePlatform, aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = await aiohttp_server(platform.app(), ssl=context)
    settings = settings_for(server)
    assert settings.host.startswith("https://127.0.0.1:")
    async with client_for(server, settings=settings) as client:
        with pytest.raises(TransportError, match="TLS verification failed"):
            await client.list_campaigns()
    assert client.stats.total == 1  # a certificate problem is not retried
    assert platform.seen == []  # nothing reached the application


async def test_https_to_a_plain_http_server_suggests_http_on_loopback(
    platform: FakePlatform, server: TestServer
) -> None:
    plain = settings_for(server)
    assert plain.host.startswith("http://127.0.0.1:")
    tls = settings_for(server, host=plain.host.replace("http://", "https://"))
    async with client_for(server, settings=tls) as client:
        with pytest.raises(TransportError) as caught:
            await client.list_campaigns()
    message = str(caught.value)
    assert "TLS handshake failed (does the server speak TLS?)" in message
    assert "TLS verification failed" not in message
    assert message.endswith(f"; for a local server without TLS (the emulator), use {plain.host}")
    assert client.stats.total == 1  # not retried


async def _answers_after_a_while(request: web.Request) -> web.StreamResponse:
    await request.read()
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    body = json.dumps({"status": "success", "data": {"results": [], "hasMore": False}})
    for char in body:  # one byte now and then: no read ever times out
        await response.write(char.encode())
        await asyncio.sleep(0.01)
    await response.write_eof()
    return response


@pytest.fixture
def quick_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The slow-answer reports of the client, scaled down from seconds to tenths."""
    monkeypatch.setattr(client_module, "SLOW_ANSWER", 0.1)
    monkeypatch.setattr(client_module, "REPORT_EVERY", 0.05)


async def serving(
    aiohttp_server: ServerFactory, method: str, path: str, handler: Any
) -> TestServer:
    app = web.Application()
    app.router.add_route(method, BASE + path, handler)
    server: TestServer = await aiohttp_server(app)
    return server


@pytest.mark.usefixtures("quick_watch")
async def test_a_slow_answer_is_told_while_it_is_awaited(aiohttp_server: ServerFactory) -> None:
    server = await serving(
        aiohttp_server, "POST", "/campaign/getAllCampaignDetails", _answers_after_a_while
    )
    heard: list[tuple[float, str]] = []
    async with client_for(server) as client:
        client.report_waits_to(lambda seconds, why: heard.append((seconds, why)))
        assert await client.list_campaigns() == []
        await asyncio.sleep(0.2)  # the watcher's next look: nothing waits any more
    answers = [seconds for seconds, why in heard if why == "answer"]
    assert answers and all(later >= 0.1 for later in answers[:-1])
    assert answers[-1] == 0.0


async def _never_answers(request: web.Request) -> web.Response:
    await asyncio.sleep(3600)
    raise AssertionError("unreachable")


@pytest.mark.usefixtures("quick_watch")
async def test_a_server_that_never_answers_is_told_then_given_up(
    aiohttp_server: ServerFactory,
) -> None:
    server = await serving(aiohttp_server, "GET", "/campaign/{id}", _never_answers)
    heard: list[str] = []
    timeouts = Timeouts(total=0.4, connect=0.4, read=0.4)
    retry = RetryPolicy(max_retries=1, base=0.001, cap=0.004)
    async with client_for(server, timeouts=timeouts, retry=retry) as client:
        client.report_waits_to(lambda seconds, why: heard.append(why))
        with pytest.raises(TransportError, match="timed out"):
            await client.get_campaign("cd-1")
    assert "answer" in heard
    assert client.stats.total == 2
