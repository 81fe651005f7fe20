"""The emulator's JWT check reads tokens strictly (issue 15): NaN and Infinity are not
JSON, base64url has one spelling, jti is a string. Each of these tokens used to verify."""

from __future__ import annotations

import time
from typing import Any

import pytest

from campsync.emulator.auth import encode_hs256
from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import EmulatorApi, emulator_token, platform_error, raw_token

# ---- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "times",
    [
        {"exp": float("nan")},
        {"exp": float("inf")},
        {"iat": float("nan")},
        {"iat": float("-inf")},
        {"nbf": float("nan")},
    ],
)
async def test_nan_and_infinity_times_are_a_401(
    emulator: RunningEmulator, api: EmulatorApi, times: dict[str, float]
) -> None:
    # json.dumps writes NaN and Infinity (not JSON); the old verifier read them, and every
    # comparison with NaN is false, so the token never expired.
    token = emulator_token(emulator, **times)
    status, answer = await api.list_with_token(token)
    assert status == 401
    assert platform_error(answer, 401) == ["error verifying the jwt: malformed token"]


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _with_unused_bit(last: str) -> str:
    """The last character of a 32-byte base64url value with one of its two unused bits
    set: lenient decoders read the same bytes from it."""
    return ALPHABET[ALPHABET.index(last) | 1]


def _respelled(token: str, signature: str) -> str:
    header, claims, _ = token.split(".")
    return f"{header}.{claims}.{signature}"


@pytest.mark.parametrize(
    "change",
    [
        lambda sig: sig + "=",  # padding
        lambda sig: sig + "==",
        # characters outside the alphabet, four so that the length still decodes
        lambda sig: sig[:10] + "!!!!" + sig[10:],
        lambda sig: sig[:10] + "$%*~" + sig[10:],
        lambda sig: sig[:10] + "+/" + sig[10:],  # the other base64 alphabet
        lambda sig: sig[:-1] + _with_unused_bit(sig[-1]),  # a second spelling, same bytes
    ],
)
async def test_a_signature_spelled_other_than_strict_base64url_is_a_401(
    emulator: RunningEmulator, api: EmulatorApi, change: Any
) -> None:
    claims = {"appId": emulator.config.client_id, "iat": int(time.time())}
    token = encode_hs256(claims, emulator.config.client_secret)
    signature = token.split(".")[2]
    assert len(signature) == 43  # 32 bytes: the last character carries 2 unused bits
    status, answer = await api.list_with_token(token)
    assert status == 200, answer  # as signed, it verifies
    status, answer = await api.list_with_token(_respelled(token, change(signature)))
    assert status == 401
    assert platform_error(answer, 401) == ["error verifying the jwt: malformed token"]


async def test_a_padded_header_or_claims_segment_is_a_401(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    claims = {"appId": emulator.config.client_id, "iat": int(time.time()), "x": "ab"}
    header, body, signature = encode_hs256(claims, emulator.config.client_secret).split(".")
    assert len(body) % 4 != 0
    _, answer = await api.list_with_token(f"{header}.{body}=.{signature}")
    assert platform_error(answer, 401) == ["error verifying the jwt: malformed token"]


async def test_a_jti_that_is_not_a_string_is_a_401(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    for jti in (None, 7, {"id": 1}):
        claims = {"appId": emulator.config.client_id, "iat": int(time.time()), "jti": jti}
        token = encode_hs256(
            {**claims, "exp": int(time.time()) + 60}, emulator.config.client_secret
        )
        _, answer = await api.list_with_token(token)
        assert platform_error(answer, 401) == ["error verifying the jwt: jti must be a string"]


@pytest.mark.parametrize(
    ("crit", "message"),
    [
        ('["exp-ext"]', 'unsupported critical header extension(s): "exp-ext"'),
        ('["b64"]', 'unsupported critical header extension(s): "b64"'),
        ("[]", "malformed token (crit must be a list of header names)"),
        ('"exp-ext"', "malformed token (crit must be a list of header names)"),
    ],
)
async def test_a_header_with_crit_is_a_401(
    emulator: RunningEmulator, api: EmulatorApi, crit: str, message: str
) -> None:
    # RFC 7515 section 4.1.11: a recipient that does not understand every extension `crit`
    # lists must reject the token. The emulator (like the documented platform) knows none.
    now = int(time.time())
    claims = f'{{"appId": "{emulator.config.client_id}", "iat": {now}, "exp": {now + 60}}}'
    secret = emulator.config.client_secret
    plain = raw_token('{"alg": "HS256", "typ": "JWT"}', claims, secret)
    status, answer = await api.list_with_token(plain)
    assert status == 200, answer  # the same token without crit verifies
    header = f'{{"alg": "HS256", "typ": "JWT", "crit": {crit}, "exp-ext": 1, "b64": true}}'
    status, answer = await api.list_with_token(raw_token(header, claims, secret))
    assert status == 401
    assert platform_error(answer, 401) == [f"error verifying the jwt: {message}"]
