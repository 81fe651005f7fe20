"""Hostile answers from the server, end to end: `campsync plan` (via `campsync.cli.main`)
against a small platform served by pytest-aiohttp that lists campaigns properly but answers
the full read of one of them with HTML, non-JSON, a huge body, wrong types, missing fields,
or keeps failing. Every time: exit 1, one line on stderr naming the campaign, no traceback,
nothing on stdout (no partial plan) and no plan file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from campsync.cli import main
from tests.fixtures_emulator import campaign_body
from tests.test_faults import fast_retries

CLIENT_ID = "cs-hostile"
SECRET = "hostile-server-secret-0123456789abcdef"
STREAM = "st-hostile"
ACCOUNT = "acc-hostile"
BASE = f"/campaign/api/v2/public/{STREAM}/campaign"
CAMPAIGN_ID = "cd-hostile-1"
NAME = "Spring Renewals"
MiB = 1024 * 1024

ServerFactory = Callable[..., Awaitable[TestServer]]
Answer = Callable[[web.Request], web.StreamResponse]


def listed() -> dict[str, Any]:
    return {
        "_id": CAMPAIGN_ID,
        "name": NAME,
        "status": "Ready",
        "updatedAt": "2025-01-01T00:00:00.000Z",
        "connection": [],
    }


def ok(data: Any) -> web.Response:
    return web.json_response({"status": "success", "data": data})


def full_body(**changes: Any) -> dict[str, Any]:
    return {**campaign_body(NAME), "_id": CAMPAIGN_ID, "status": "Ready", **changes}


class HostilePlatform:
    """Lists one campaign; answers its get-one with `answer`; counts the get-ones."""

    def __init__(self, answer: Answer, list_answer: Answer | None = None) -> None:
        self.answer = answer
        self.list_answer = list_answer
        self.gets = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(BASE + "/getAllCampaignDetails", self.list_all)
        app.router.add_get(BASE + "/{id}", self.get_one)
        return app

    async def list_all(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        if self.list_answer is not None:
            return self.list_answer(request)
        return ok({"results": [listed()], "hasMore": False, "totalResults": 1})

    async def get_one(self, request: web.Request) -> web.StreamResponse:
        self.gets += 1
        return self.answer(request)


def html(status: int) -> Answer:
    page = "<html><body><h1>Oops</h1><p>Traceback (most recent call last):</p></body></html>"
    return lambda _: web.Response(status=status, text=page, content_type="text/html")


def drop(request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.abort()
    return web.Response(status=500)


GET_ANSWERS: dict[str, tuple[Answer, str]] = {
    "html-200": (html(200), "non-JSON body (text/html)"),
    "html-404": (html(404), "text/html"),
    "plain-text": (
        lambda _: web.Response(text="all good!", content_type="text/plain"),
        "non-JSON body (text/plain)",
    ),
    "truncated-json": (
        lambda _: web.Response(
            text='{"status": "success", "data": {', content_type="application/json"
        ),
        "non-JSON body",
    ),
    "empty-body": (lambda _: web.Response(body=b"", content_type="application/json"), "empty body"),
    "json-null": (lambda _: web.json_response(None), "not an object"),
    "json-list": (lambda _: web.json_response([1, 2]), "not an object"),
    "huge-body": (
        lambda _: web.Response(body=b" " * (20 * MiB + 1), content_type="application/json"),
        "larger than 20 MiB",
    ),
    "no-data": (lambda _: web.json_response({"status": "success"}), "no campaign object"),
    "data-is-a-list": (lambda _: ok([full_body()]), "no campaign object"),
    "data-is-a-string": (lambda _: ok("cd-hostile-1"), "no campaign object"),
    "error-envelope-200": (
        lambda _: web.json_response({"status": "error", "errors": [{"msg": "db down"}]}),
        "db down",
    ),
    "5xx-forever": (
        lambda _: web.json_response({"errors": [{"msg": "busy"}]}, status=503),
        "busy",
    ),
    "dropped-forever": (drop, "the server closed the connection"),
}

# Answers that are JSON objects of the right overall shape but miss fields or carry wrong
# types: refused naming the field (a plan built on them would be a guess), except null for a
# field, which is read as "not set" and shown as a difference.
ODD_BODIES: dict[str, tuple[dict[str, Any], str | None]] = {
    "empty-campaign": ({}, "no campaign name"),
    "name-is-a-number": (full_body(name=5), "no campaign name"),
    "strategy-is-a-string": (full_body(dialingStrategy="fast"), "dialingStrategy that is not an"),
    "days-is-a-mapping": (
        full_body(
            dialingStrategy={
                **campaign_body()["dialingStrategy"],
                "callingHours": {"days": {"MO": 1}},
            }
        ),
        "dialingStrategy.callingHours.days that is not a list",
    ),
    "days-items-are-lists": (
        full_body(
            dialingStrategy={**campaign_body()["dialingStrategy"], "callingHours": {"days": [[1]]}}
        ),
        "days item that is not an object",
    ),
    "contact-lists-is-a-number": (full_body(contactLists=7), "contactLists that is not a list"),
    "dnc-is-a-list": (full_body(dncLists=[{"name": "x"}]), "dncLists that is not an object"),
    "priority-is-an-object": (full_body(priority={"value": 5}), "priority that is not a string"),
    "priority-is-a-boolean": (full_body(priority=True), "priority that is not a string"),
    "flow-is-a-list": (full_body(experienceFlow=["cf-1"]), "experienceFlow that is not a"),
    "deeply-nested": (
        full_body(description=json.loads("[" * 500 + "]" * 500)),
        "nested deeper than 64 levels",
    ),
    "schedule-is-null": (full_body(schedule=None), None),
    "strategy-is-null": (full_body(dialingStrategy=None), None),
}


def deep_json(levels: int) -> web.Response:
    return web.Response(
        text='{"status": "success", "data": ' + "[" * levels + "]" * levels + "}",
        content_type="application/json",
    )


@pytest.fixture
def workdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    monkeypatch.chdir(tmp_path)
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    body = campaign_body(NAME, description="Changed.")
    (campaigns / "spring.yaml").write_text(json.dumps(body), encoding="utf-8")
    monkeypatch.setenv("KORE_STREAM_ID", STREAM)
    monkeypatch.setenv("KORE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("KORE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("KORE_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("CAMPSYNC_RATE_LIMIT", "100000")
    monkeypatch.setenv("CAMPSYNC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("KORE_JWT", raising=False)
    monkeypatch.delenv("CAMPSYNC_DEBUG", raising=False)
    fast_retries(monkeypatch)
    return tmp_path


async def run_plan(
    platform: HostilePlatform,
    aiohttp_server: ServerFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    server = await aiohttp_server(platform.app())
    monkeypatch.setenv("KORE_HOST", f"http://127.0.0.1:{server.port}")
    capsys.readouterr()
    # main() runs its own event loop: in a thread, while this loop serves the platform.
    code = await asyncio.to_thread(main, ["plan", "--out", "plan.json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, out: str, err: str, workdir: Path, *expected: str) -> None:
    assert code == 1, out + err
    assert out == ""  # no partial plan presented
    assert err.count("\n") == 1 and err.startswith("campsync: error: "), err
    assert "Traceback" not in err and "internal error" not in err, err
    assert NAME in err or CAMPAIGN_ID in err, err
    for text in expected:
        assert text in err, err
    assert not (workdir / "plan.json").exists()


@pytest.mark.parametrize("case", sorted(GET_ANSWERS))
async def test_a_bad_full_read_is_one_line_naming_the_campaign(
    case: str,
    workdir: Path,
    aiohttp_server: ServerFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer, expected = GET_ANSWERS[case]
    platform = HostilePlatform(answer)
    code, out, err = await run_plan(platform, aiohttp_server, monkeypatch, capsys)
    assert_one_line_error(code, out, err, workdir, expected)
    assert len(err) < 600
    if case.endswith("-forever"):
        assert platform.gets == 6  # the first try and 5 retries, then a clear end
    else:
        assert platform.gets == 1  # a malformed answer is not retried


@pytest.mark.parametrize("case", sorted(ODD_BODIES))
async def test_wrong_types_and_missing_fields_are_refused_naming_the_field(
    case: str,
    workdir: Path,
    aiohttp_server: ServerFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body, expected = ODD_BODIES[case]
    platform = HostilePlatform(lambda _: ok(body))
    code, out, err = await run_plan(platform, aiohttp_server, monkeypatch, capsys)
    if expected is None:  # a complete plan: the missing value is a difference to apply
        assert code == 0, out + err
        assert "Spring Renewals" in out and (workdir / "plan.json").exists()
    else:
        assert_one_line_error(code, out, err, workdir, expected)


@pytest.mark.parametrize("levels", [100, 100_000])
async def test_json_nested_too_deeply_is_one_line(
    levels: int,
    workdir: Path,
    aiohttp_server: ServerFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    platform = HostilePlatform(lambda _: deep_json(levels))
    code, out, err = await run_plan(platform, aiohttp_server, monkeypatch, capsys)
    assert_one_line_error(code, out, err, workdir, "nested deeper than 64 levels")


LIST_ANSWERS: dict[str, tuple[Answer, str]] = {
    "html": (html(200), "listing voice campaigns: "),
    "results-not-a-list": (lambda _: ok({"results": {"a": 1}}), "listing voice campaigns: "),
    "item-without-id": (
        lambda _: ok({"results": [{"name": NAME}], "hasMore": False}),
        "without an id",
    ),
    "item-not-an-object": (lambda _: ok({"results": ["cd-1"], "hasMore": False}), "not an object"),
    # ids that would leave their place in a request path (`PUT .../campaign/..`)
    "id-dot-dot": (
        lambda _: ok({"results": [{**listed(), "_id": ".."}], "hasMore": False}),
        "campaign id that is not one (cd-...): '..'",
    ),
    "id-with-slash": (
        lambda _: ok({"results": [{**listed(), "_id": "cd-1/../../x"}], "hasMore": False}),
        "campaign id that is not one (cd-...)",
    ),
    # `skip` ignored: the same page with hasMore for ever (10,000 pages before the fix)
    "ignores-skip": (
        lambda _: ok({"results": [listed()], "hasMore": True}),
        "page 2 (skip=1) brought no campaign that earlier pages had not",
    ),
}


@pytest.mark.parametrize("case", sorted(LIST_ANSWERS))
async def test_a_bad_list_is_one_line(
    case: str,
    workdir: Path,
    aiohttp_server: ServerFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer, expected = LIST_ANSWERS[case]
    platform = HostilePlatform(lambda _: ok(full_body()), list_answer=answer)
    code, out, err = await run_plan(platform, aiohttp_server, monkeypatch, capsys)
    assert code == 1 and out == "", out + err
    assert err.count("\n") == 1 and err.startswith("campsync: error: "), err
    assert expected in err and "internal error" not in err, err
    assert platform.gets == 0
    assert not (workdir / "plan.json").exists()
