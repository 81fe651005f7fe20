"""The sans-I/O half of the client: requests built and answers parsed without a network."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from campsync.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from campsync.kore import protocol
from campsync.kore.protocol import Endpoints, Request, Response

API = Endpoints("https://platform.example.com/", "st-1", "acc 1")
GET = API.get("cd-1")
LIST = API.list_page("voice", limit=50, skip=100)


def answer(status: int, body: Any, content_type: str = "application/json") -> Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(status=status, content_type=content_type, body=raw)


def test_urls_and_queries() -> None:
    base = "https://platform.example.com/campaign/api/v2/public/st-1"
    assert GET.url == f"{base}/campaign/cd-1?accountId=acc+1"
    assert (GET.method, GET.kind, GET.body) == ("GET", "get", None)
    assert LIST.method == "POST"
    assert LIST.url == f"{base}/campaign/getAllCampaignDetails?accountId=acc+1"
    assert json.loads(LIST.body or b"") == {
        "type": "voice",
        "limit": 50,
        "skip": 100,
        "sortBy": {"createdAt": "asc"},
    }
    put = API.update("cd-1", {"name": "N"}, "voice", "N")
    assert put.url == f"{base}/campaign/cd-1?accountId=acc+1&campaignType=voice"
    assert (put.method, put.campaign) == ("PUT", "N")
    post = API.create({"name": "New"}, "sms")
    assert post.url == f"{base}/campaign?accountId=acc+1&campaignType=sms"
    assert (post.method, post.campaign, post.retry_safe) == ("POST", "New", False)
    delete = API.delete("cd-1", "voice")
    assert delete.url == f"{base}/campaign/cd-1?accountId=acc+1&campaignType=voice"
    assert all(r.retry_safe for r in (GET, LIST, put, delete))


def test_ids_cannot_escape_their_path_segment() -> None:
    request = API.get("../x?accountId=evil#y")
    assert "/campaign/..%2Fx%3FaccountId%3Devil%23y?accountId=acc+1" in request.url


def test_headers() -> None:
    headers = protocol.request_headers("tok", account_id="acc", stream_id="st")
    assert headers["auth"] == "tok"
    assert headers["accountid"] == "acc"
    assert headers["iid"] == "st"
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("7", 7.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None), ("nan", None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert protocol.parse_retry_after(header) == expected


def test_retry_after_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = protocol.parse_retry_after(later)
    assert seconds is not None and 20 < seconds <= 30
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert protocol.parse_retry_after(earlier) == 0.0


def test_success_gives_the_envelope_and_its_data() -> None:
    envelope = protocol.parse_envelope(
        GET, answer(200, {"status": "success", "data": {"_id": "x"}})
    )
    assert protocol.campaign_data(GET, envelope, required=True) == {"_id": "x"}
    assert protocol.campaign_data(GET, {"status": "success"}, required=False) == {}
    with pytest.raises(BadResponseError, match="no campaign object"):
        protocol.campaign_data(GET, {"data": ["x"]}, required=True)
    with pytest.raises(BadResponseError, match="no campaign object"):
        protocol.campaign_data(GET, {"data": "x"}, required=False)


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (400, {"errors": [{"msg": "a", "code": 400}, {"msg": "b"}]}, ApiError, "a; b"),
        (409, {"status": "error", "message": "name taken"}, ApiError, "name taken"),
        (404, {"errors": [{"msg": "not here"}]}, NotFoundError, "not here"),
        (404, b"", NotFoundError, "not found"),
        (429, {"errors": [{"msg": "slow down"}]}, RateLimitedError, "rate limited: slow down"),
        (500, {"message": "boom"}, ServerError, "the platform failed: boom"),
        (503, b"", ServerError, "the platform failed: service unavailable"),
        (200, {"status": "error", "message": "nope"}, ApiError, "nope"),
        (200, {"errors": [{"msg": "half"}], "data": {}}, ApiError, "half"),
        (418, {"errors": "weird"}, ApiError, "i'm a teapot"),
    ],
)
def test_error_shapes(status: int, body: Any, kind: type[ApiError], message: str) -> None:
    with pytest.raises(kind) as caught:
        protocol.parse_envelope(GET, answer(status, body))
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert caught.value.campaign == "cd-1"
    assert caught.value.platform_message == message
    assert str(caught.value) == f"campaign 'cd-1': {message} (HTTP {status})"


def test_auth_errors_say_what_to_check() -> None:
    body = {"errors": [{"msg": "error verifying the jwt", "code": 401}]}
    with pytest.raises(AuthError) as caught:
        protocol.parse_envelope(LIST, answer(401, body))
    assert str(caught.value) == (
        "listing voice campaigns: the platform refused the credentials (error verifying the "
        "jwt): check KORE_CLIENT_ID and KORE_CLIENT_SECRET (or KORE_JWT) and that the app "
        "has the Campaign Management API scope (HTTP 401)"
    )
    with pytest.raises(AuthError) as forbidden:
        protocol.parse_envelope(GET, answer(403, b"<h1>no</h1>", "text/html"), static_jwt=True)
    assert "refused access (forbidden; non-JSON body, text/html)" in str(forbidden.value)
    assert "KORE_JWT is valid and not expired" in str(forbidden.value)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<html>oops</html>", "text/html; charset=utf-8", "a non-JSON body (text/html)"),
        (b"\xff\xfe", "application/json", "a non-JSON body (application/json)"),
        (b"", "", "an empty body"),
        (b"[1, 2]", "application/json", "JSON that is not an object"),
    ],
)
def test_unusable_success_bodies(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(BadResponseError) as caught:
        protocol.parse_envelope(GET, Response(200, protocol.media_type(content_type), body))
    assert str(caught.value) == f"campaign 'cd-1': the platform answered with {message} (HTTP 200)"


def test_messages_are_one_short_line_without_secrets() -> None:
    long = "line one\nline two\t" + "x" * 1000 + " sekrit-token"
    with pytest.raises(ApiError) as caught:
        protocol.parse_envelope(GET, answer(400, {"message": long}), redact=["sekrit-token"])
    text = str(caught.value)
    assert "\n" not in text and "\t" not in text
    assert "line one line two" in text
    assert len(caught.value.platform_message) <= 300
    with pytest.raises(ApiError) as echoed:
        protocol.parse_envelope(
            GET, answer(400, {"message": "bad sekrit-token"}), redact=["sekrit-token"]
        )
    assert str(echoed.value) == "campaign 'cd-1': bad [redacted] (HTTP 400)"


def test_a_token_in_a_platform_message_is_redacted_even_when_not_ours() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb21lb25lIn0.c2lnbmF0dXJlLWJ5dGVz"
    with pytest.raises(ApiError) as echoed:
        protocol.parse_envelope(GET, answer(400, {"message": f"bad token {token}"}))
    assert str(echoed.value) == "campaign 'cd-1': bad token [redacted] (HTTP 400)"


def test_list_pages() -> None:
    data = {
        "results": [{"_id": "cd-a", "name": "A"}, {"id": "cd-b", "name": "B"}],
        "hasMore": True,
    }
    page = protocol.list_page(LIST, {"data": data}, 0)
    assert page.results == [{"_id": "cd-a", "name": "A"}, {"_id": "cd-b", "name": "B"}]
    assert page.has_more is True
    by_total = protocol.list_page(
        LIST, {"data": {"results": [{"_id": "cd-a"}], "totalResults": 5}}, 3
    )
    assert by_total.has_more is True
    assert (
        protocol.list_page(LIST, {"data": {"results": [], "totalResults": 5}}, 5).has_more is False
    )
    assert protocol.list_page(LIST, {"data": {"results": []}}, 0).has_more is False


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        ({"data": []}, "no `data` object"),
        ({"data": {"results": {}}}, "no `data.results` list"),
        ({"data": {"results": ["x"]}}, "not an object"),
        ({"data": {"results": [{"name": "no id"}]}}, "without an id"),
        ({"data": {"results": [{"_id": 7}]}}, "without an id"),
    ],
)
def test_malformed_list_pages(envelope: dict[str, Any], message: str) -> None:
    with pytest.raises(BadResponseError, match=message) as caught:
        protocol.list_page(LIST, envelope, 0)
    assert str(caught.value).startswith("listing voice campaigns: ")


def test_created_id() -> None:
    create = API.create({"name": "N"}, "voice")
    assert protocol.created_id(create, {"data": {"id": "cd-1", "status": "Preparing"}}) == "cd-1"
    assert protocol.created_id(create, {"data": {"_id": "cd-2"}}) == "cd-2"
    assert protocol.created_id(create, {"id": "cd-3", "data": {}}) == "cd-3"
    with pytest.raises(BadResponseError, match=r"campaign 'N': .* no campaign id"):
        protocol.created_id(create, {"data": {"status": "Preparing"}})


@pytest.mark.parametrize(
    "ident",
    [".", "..", "cd-1/../x", "cd-1?a=b", "cd-%2e", "x-1", "cd-", "cd-" + "a" * 129, "cd-\n"],
)
def test_platform_ids_must_look_like_ids(ident: str) -> None:
    listed = {"data": {"results": [{"_id": ident, "name": "A"}], "hasMore": False}}
    with pytest.raises(BadResponseError) as caught:
        protocol.list_page(LIST, listed, 0)
    message = str(caught.value)
    assert message.startswith("listing voice campaigns: the platform's list answer holds a ")
    assert "campaign id that is not one (cd-...)" in message
    assert "\n" not in message and len(message) < 200
    create = API.create({"name": "N"}, "voice")
    with pytest.raises(BadResponseError, match=r"campaign 'N': .* not one \(cd-\.\.\.\)"):
        protocol.created_id(create, {"data": {"id": ident}})
    assert not protocol.is_campaign_id(ident)


def test_platform_ids_of_the_documented_shape_pass() -> None:
    for ident in ("cd-ed19e3c7-3682-5e72-a839-af9e0711abcd", "cd-0000", "cd-A1"):
        assert protocol.is_campaign_id(ident)
        listed = {"data": {"results": [{"id": ident}], "hasMore": False}}
        assert protocol.list_page(LIST, listed, 0).results == [{"_id": ident}]


def test_names_match_case_insensitively() -> None:
    assert protocol.same_name({"name": "Spring Survey"}, "spring SURVEY")
    assert protocol.same_name({"lname": "straße"}, "STRASSE")
    assert not protocol.same_name({"name": "Spring"}, "Spring Survey")
    assert not protocol.same_name({"name": None}, "x")


def test_a_request_without_campaign_says_what_was_done() -> None:
    request = Request("list", "POST", "https://h/x", action="listing sms campaigns")
    with pytest.raises(ServerError) as caught:
        protocol.parse_envelope(request, answer(502, b"<html/>", "text/html"))
    assert str(caught.value) == (
        "listing sms campaigns: the platform failed: bad gateway; non-JSON body, text/html "
        "(HTTP 502)"
    )
    assert protocol.oversized(request, 200, 20 * 1024 * 1024).platform_message.endswith("20 MiB")


# ---------------------------------------------------------------- what campaigns name


def test_the_reference_reads_are_the_documented_urls() -> None:
    lists = API.contact_lists()
    assert (lists.kind, lists.method, lists.body) == ("contactLists", "POST", b"{}")
    assert lists.url == (
        "https://platform.example.com/campaign/api/v2/public/st-1/campaign/contactList/"
        "getAllListDetails?accountId=acc+1&type=call"
    )
    queues = API.queues_page(page=3, limit=100)
    assert (queues.kind, queues.method, queues.body) == ("queues", "GET", None)
    assert queues.url == (
        "https://platform.example.com/agentassist/api/v1/public/st-1/queues?page=3&limit=100"
    )
    assert lists.retry_safe and queues.retry_safe  # reads: a lost answer is asked again
    odd = Endpoints("https://platform.example.com", "st-1/../x?y", "acc")
    assert "/public/st-1%2F..%2Fx%3Fy/queues?" in odd.queues_page(page=1, limit=1).url


def test_a_refused_queues_call_names_the_scope_it_needs() -> None:
    body = {"errors": [{"msg": "Forbidden", "code": 403}]}
    with pytest.raises(AuthError) as caught:
        protocol.parse_envelope(API.queues_page(page=1, limit=100), answer(403, body))
    assert str(caught.value) == (
        "reading the queues: the platform refused access (Forbidden): check KORE_CLIENT_ID "
        "and KORE_CLIENT_SECRET (or KORE_JWT) and that the app has the Configuration API "
        "scope (HTTP 403)"
    )


def test_reference_pages_say_whether_more_follow() -> None:
    request = API.queues_page(page=2, limit=10)
    item = {"_id": "qu-1", "name": "Sales Queue"}

    def more(envelope: dict[str, Any]) -> bool:
        return protocol.queue_page(request, envelope, page=2, limit=10).has_more

    assert more({"results": [item], "hasMore": True, "totalPages": 2})  # hasMore first
    assert not more({"results": [item], "hasMore": False, "totalPages": 9})
    assert more({"results": [item], "totalPages": 3})
    assert not more({"results": [item], "totalPages": 2})
    assert not more({"results": [item], "totalPages": True, "totalResults": 11})  # 10 + 1
    assert more({"results": [item], "totalResults": 12})
    page = protocol.queue_page(request, {"results": [item], "hasMore": False}, page=2, limit=10)
    assert page.results == [protocol.Reference("qu-1", "Sales Queue")]


def test_reference_answers_are_bounded() -> None:
    request = API.contact_lists()
    many = [{"_id": f"cl-{n}", "name": f"L{n}"} for n in range(protocol.MAX_REFERENCES + 1)]
    with pytest.raises(BadResponseError, match="more than 100,000 contact lists"):
        protocol.contact_lists(request, {"data": many})
    odd = [{"_id": "cl-1", "name": "line\nbreak\u202e" + "x" * protocol.MAX_REFERENCE_NAME}]
    with pytest.raises(BadResponseError) as caught:
        protocol.contact_lists(request, {"data": odd})
    assert "\n" not in str(caught.value) and "\u202e" not in str(caught.value)
    assert len(str(caught.value)) < 200
