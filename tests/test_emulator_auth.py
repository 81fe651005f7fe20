"""The emulator's auth: JWT HS256 with the client secret, appId, jti replays, headers."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import jwt
import pytest

from campsync.emulator.auth import encode_hs256
from campsync.emulator.config import (
    DEMO_ACCOUNT_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_STREAM_ID,
    EmulatorConfig,
)
from campsync.emulator.runner import RunningEmulator, start_in_thread
from tests.fixtures_emulator import EmulatorApi, emulator_headers, emulator_token


async def list_with(api: EmulatorApi, headers: dict[str, str], **params: str) -> tuple[int, object]:
    url = f"{api.base}/getAllCampaignDetails"
    return await api.call("POST", url, json={"type": "voice"}, headers=headers, params=params)


def only_error(answer: object, code: int) -> str:
    assert isinstance(answer, dict) and list(answer) == ["errors"]
    (error,) = answer["errors"]
    assert error["code"] == code
    return str(error["msg"])


async def test_a_pyjwt_token_with_the_client_secret_is_accepted(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"appId": emulator.config.client_id, "sub": "me", "iat": now, "exp": now + 300},
        emulator.config.client_secret,
        algorithm="HS256",
    )
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 200, answer


async def test_bad_signature_is_refused(emulator: RunningEmulator, api: EmulatorApi) -> None:
    now = int(time.time())
    claims = {"appId": emulator.config.client_id, "iat": now, "exp": now + 300}
    token = encode_hs256(claims, "not-the-secret-of-this-app-at-all")
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 401
    assert only_error(answer, 401) == "error verifying the jwt: invalid signature"


async def test_wrong_app_id_is_refused(emulator: RunningEmulator, api: EmulatorApi) -> None:
    token = emulator_token(emulator, appId="another-app")
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 401 and "appId" in only_error(answer, 401)
    token = emulator_token(emulator, appid=emulator.config.client_id, appId=None)
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 401


async def test_replayed_jti_is_refused(emulator: RunningEmulator, api: EmulatorApi) -> None:
    token = emulator_token(emulator, jti="once-only")
    status, _ = await list_with(api, emulator_headers(emulator, token))
    assert status == 200
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 401
    assert only_error(answer, 401) == "error verifying the jwt: possibly a replay"
    # a fresh token with the same jti is a replay as well
    status, _ = await list_with(
        api, emulator_headers(emulator, emulator_token(emulator, "once-only"))
    )
    assert status == 401


async def test_missing_auth_header_is_refused(emulator: RunningEmulator, api: EmulatorApi) -> None:
    headers = emulator_headers(emulator)
    del headers["auth"]
    status, answer = await list_with(api, headers)
    assert status == 401 and "auth header" in only_error(answer, 401)


async def test_jti_with_exp_more_than_an_hour_after_iat_is_refused(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    token = emulator_token(emulator, lifetime=3601)
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 401 and "1 hour" in only_error(answer, 401)
    # exactly an hour is fine, and without a jti the hour does not apply
    status, _ = await list_with(
        api, emulator_headers(emulator, emulator_token(emulator, lifetime=3600))
    )
    assert status == 200
    now = int(time.time())
    claims = {"appId": emulator.config.client_id, "iat": now, "exp": now + 7200}
    token = encode_hs256(claims, emulator.config.client_secret)
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 200, answer
    # a jti without iat/exp cannot be bounded: refused
    token = encode_hs256(
        {"appId": emulator.config.client_id, "jti": "x1"}, emulator.config.client_secret
    )
    status, _ = await list_with(api, emulator_headers(emulator, token))
    assert status == 401


@pytest.mark.parametrize(
    "token_claims",
    [
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000},
        {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 3700},
        {"exp": "tomorrow"},
    ],
)
async def test_expired_or_odd_times_are_refused(
    emulator: RunningEmulator, api: EmulatorApi, token_claims: dict[str, Any]
) -> None:
    token = emulator_token(emulator, **token_claims)
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 401, answer


@pytest.mark.parametrize("token", ["abc", "a.b.c", "e30.e30.", "x.y"])
async def test_malformed_tokens_are_refused(
    emulator: RunningEmulator, api: EmulatorApi, token: str
) -> None:
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 401
    only_error(answer, 401)


async def test_alg_none_is_refused(emulator: RunningEmulator, api: EmulatorApi) -> None:
    token = jwt.encode({"appId": emulator.config.client_id}, key=None, algorithm="none")
    status, answer = await list_with(api, emulator_headers(emulator, token))
    assert status == 401 and "HS256" in only_error(answer, 401)


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        ("accountid", None, 401),
        ("iid", None, 401),
        ("accountid", "someone-elses-account", 403),
        ("iid", "st-00000000-0000-4000-8000-00000000dead", 403),
    ],
)
async def test_account_and_app_headers_are_checked(
    emulator: RunningEmulator, api: EmulatorApi, header: str, value: str | None, code: int
) -> None:
    headers = emulator_headers(emulator)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    status, answer = await list_with(api, headers)
    assert status == code
    only_error(answer, code)


async def test_account_query_and_unknown_stream_are_refused(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    status, answer = await list_with(api, emulator_headers(emulator), accountId="other")
    assert status == 403
    other = "st-99999999-0000-4000-8000-000000000000"
    url = f"{emulator.url}/campaign/api/v2/public/{other}/campaign/getAllCampaignDetails"
    headers = emulator_headers(emulator, iid=other)
    status, answer = await api.call("POST", url, json={"type": "voice"}, headers=headers)
    assert status == 403 and other in only_error(answer, 403)


def test_demo_defaults_apply_when_the_environment_is_unset() -> None:
    config = EmulatorConfig.from_env({})
    assert (config.client_id, config.client_secret, config.stream_id, config.account_id) == (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_STREAM_ID,
        DEMO_ACCOUNT_ID,
    )
    assert DEMO_CLIENT_SECRET not in repr(config)
    env = {"KORE_CLIENT_ID": "id", "KORE_CLIENT_SECRET": "s", "KORE_STREAM_ID": "st-x",
           "KORE_ACCOUNT_ID": "acc"}  # fmt: skip
    config = EmulatorConfig.from_env(env)
    assert (config.client_id, config.client_secret, config.stream_id, config.account_id) == (
        "id", "s", "st-x", "acc",
    )  # fmt: skip


async def test_the_demo_secret_is_accepted() -> None:
    with start_in_thread(EmulatorConfig.from_env({}, rate_limit=0)) as running:
        async with aiohttp.ClientSession() as session:
            api = EmulatorApi(session, running)
            status, answer = await api.list()
            assert status == 200, answer
            assert answer["data"]["totalResults"] == 0
