"""Inputs that used to crash the emulator (a 500, some in aiohttp's plain-text shape):
each is now refused with a 4xx in the platform's JSON error shape (issue 15)."""

from __future__ import annotations

import io
import time
from typing import Any

import aiohttp
import pytest

from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import (
    EmulatorApi,
    campaign_body,
    platform_error,
    raw_token,
    seed_ready,
)

NESTED = "[" * 1000 + "]" * 1000


async def emulator_stats(session: aiohttp.ClientSession, running: RunningEmulator) -> Any:
    async with session.get(f"{running.url}/_emulator/stats") as response:
        return await response.json()


# ---- request bodies --------------------------------------------------------------------


@pytest.mark.parametrize("call", ["list", "create", "update"])
async def test_a_body_nested_1000_deep_is_a_400(
    emulator: RunningEmulator, api: EmulatorApi, call: str
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Target"))
    url, method, params = {
        "list": (f"{api.base}/getAllCampaignDetails", "POST", {}),
        "create": (api.base, "POST", {"campaignType": "voice"}),
        "update": (f"{api.base}/{campaign_id}", "PUT", {"campaignType": "voice"}),
    }[call]
    for body in (NESTED, '{"name": ' + NESTED + "}"):
        status, answer = await api.call(method, url, data=body, params=params)
        assert status == 400, answer
        assert platform_error(answer, 400) == [
            "the request body is nested more than 32 levels deep"
        ]


async def test_a_body_nested_32_deep_is_still_read(api: EmulatorApi) -> None:
    body = '{"type": "voice", "filters": {"x": ' + "[" * 30 + "]" * 30 + "}}"
    status, answer = await api.call("POST", f"{api.base}/getAllCampaignDetails", data=body)
    assert status == 200, answer


@pytest.mark.parametrize(
    "body",
    [
        {"limit": "²"},  # str.isdigit() says yes, int() says no
        {"page": "²"},
        {"skip": "¹²"},
        {"limit": "9" * 4300},
        {"page": "9" * 4300},
        {"limit": "10"},  # digits in a string: the docs' paging values are numbers
    ],
)
async def test_paging_values_that_are_not_numbers_are_a_400(
    api: EmulatorApi, body: dict[str, Any]
) -> None:
    status, answer = await api.list(**body)
    assert status == 400, answer
    ((key, _),) = body.items()
    minimum = 0 if key == "skip" else 1
    assert platform_error(answer, 400) == [f"{key} must be a whole number of {minimum} or more"]


@pytest.mark.parametrize(
    "body",
    [
        '{"type": "voice", "limit": ' + "9" * 4300 + "}",
        '{"type": "voice", "page": ' + "9" * 4301 + "}",
        '{"type": "voice", "page": 1e400}',
        '{"type": "voice", "limit": 9007199254740992}',
    ],
)
async def test_numbers_a_double_cannot_hold_are_a_400(api: EmulatorApi, body: str) -> None:
    status, answer = await api.call("POST", f"{api.base}/getAllCampaignDetails", data=body)
    assert status == 400, answer
    (message,) = platform_error(answer, 400)
    assert message.startswith("the request body: ")


async def test_an_answer_too_large_to_encode_is_refused_before_it_is_made(
    api: EmulatorApi,
) -> None:
    # skip = (page - 1) * limit had 4,301 digits: more than Python writes as text.
    big = 2**53 - 1
    status, answer = await api.list(page=big, limit=big)
    assert status == 400, answer
    assert platform_error(answer, 400) == ["page and limit point past the largest skip (2^53 - 1)"]
    status, answer = await api.list(skip=big, limit=big)  # the largest: an empty page
    assert status == 200 and answer["data"]["skip"] == big and answer["data"]["results"] == []


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"type": "voice", "limit": NaN}'])
async def test_bodies_that_are_not_json_are_a_400(api: EmulatorApi, body: bytes) -> None:
    status, answer = await api.call("POST", f"{api.base}/getAllCampaignDetails", data=body)
    assert status == 400, answer
    platform_error(answer, 400)


# ---- tokens ----------------------------------------------------------------------------


async def test_a_token_header_nested_1000_deep_is_a_401_in_json(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    token = raw_token(NESTED, '{"appId": "x"}', None)
    status, answer = await api.list_with_token(token)
    assert status == 401
    assert platform_error(answer, 401) == ["error verifying the jwt: malformed token"]
    assert (await emulator_stats(session, emulator))["by_status"] == {"401": 1}


async def test_a_token_claims_segment_nested_1000_deep_is_a_401(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    header = '{"alg": "HS256", "typ": "JWT"}'
    secret = emulator.config.client_secret
    for claims, message in [
        (NESTED, "malformed token"),  # signed with the right secret
        ('{"appId": ' + NESTED + "}", "malformed token"),
    ]:
        status, answer = await api.list_with_token(raw_token(header, claims, secret))
        assert status == 401
        assert platform_error(answer, 401) == [f"error verifying the jwt: {message}"]
    # unsigned, the claims are never read at all
    status, answer = await api.list_with_token(raw_token(header, NESTED, None))
    assert platform_error(answer, 401) == ["error verifying the jwt: invalid signature"]


async def test_a_400_digit_exp_with_a_fractional_iat_is_a_401(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    now = time.time()
    claims = (
        f'{{"appId": "{emulator.config.client_id}", "jti": "j-400", '
        f'"iat": {now + 0.5}, "exp": {"4" * 400}}}'
    )
    token = raw_token('{"alg": "HS256"}', claims, emulator.config.client_secret)
    status, answer = await api.list_with_token(token)
    assert status == 401
    assert platform_error(answer, 401) == ["error verifying the jwt: malformed token"]
    # a huge exp that a double does hold is just more than an hour after iat
    claims = f'{{"appId": "{emulator.config.client_id}", "jti": "j-1e300", "iat": {now + 0.5}, "exp": 1e300}}'  # noqa: E501
    token = raw_token('{"alg": "HS256"}', claims, emulator.config.client_secret)
    status, answer = await api.list_with_token(token)
    assert platform_error(answer, 401) == [
        "error verifying the jwt: with jti, exp must be at most 1 hour after iat"
    ]
    # and a fractional iat as such is a valid NumericDate
    claims = f'{{"appId": "{emulator.config.client_id}", "jti": "j-ok", "iat": {now + 0.5}, "exp": {now + 300.25}}}'  # noqa: E501
    token = raw_token('{"alg": "HS256"}', claims, emulator.config.client_secret)
    status, answer = await api.list_with_token(token)
    assert status == 200, answer


# ---- admin routes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "campaign",
    [
        {"name": "Odd", "experienceFlowName": []},
        {"name": "Odd", "queue_name": {"a": 1}},
        {"name": "Odd", "contactLists": [["nested"]]},
        {"name": "Odd", "dncLists": {"name": []}},
        {"name": "Odd", "id": {"not": "a string"}},
    ],
)
async def test_admin_seed_refuses_unhashable_names_with_a_400(
    emulator: RunningEmulator, session: aiohttp.ClientSession, campaign: dict[str, Any]
) -> None:
    async with session.post(f"{emulator.url}/_emulator/campaigns", json=[campaign]) as response:
        assert response.status == 400
        platform_error(await response.json(), 400)
    assert emulator.store.campaign_count() == 0


async def test_admin_request_log_limit_reads_ascii_digits_only(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    await api.list()
    await api.list()
    for limit, expected in [("²", 2), ("1", 1), ("9" * 5000, 2)]:
        url = f"{emulator.url}/_emulator/requests"
        async with session.get(url, params={"limit": limit}) as response:
            assert response.status == 200
            assert len((await response.json())["requests"]) == expected


async def test_a_body_over_1_mib_is_a_413_in_the_platform_shape(api: EmulatorApi) -> None:
    # (in a file object: aiohttp's client warns about sending large raw bytes)
    body = io.BytesIO(b"[" + b"1," * (600 * 1024) + b"1]")
    status, answer = await api.call("POST", f"{api.base}/getAllCampaignDetails", data=body)
    assert status == 413
    assert platform_error(answer, 413) == ["Maximum request body size 1048576 exceeded."]
