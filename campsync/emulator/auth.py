"""The platform's JWT check: HS256 with the client secret, `appId` = client id, no replays.

The token is parsed and checked here, not with PyJWT's decode, which is no stricter
where it matters: it warns (a UserWarning) about secrets shorter than 32 bytes such as
the demo secret (the platform accepts whatever secret it issued), decodes base64url
leniently (junk characters and padding pass), and hands the segments to a JSON decoder
that a deeply nested segment crashes. Here a token is read strictly, in this order:
three base64url segments (RFC 7515: the url-safe alphabet, no padding, canonical), a
header that is a JSON object with alg HS256 and no `crit` (the emulator understands no
extension), the signature, and only then the claims.
Both JSON segments go through safejson (bounded depth, no NaN or Infinity, exact
integers), so nothing in a token can raise anything but a 401.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from campsync.emulator import safejson
from campsync.emulator.rules import Refusal

MAX_JTI_LIFETIME = 3600  # with a jti, exp may be at most one hour after iat
LEEWAY = 60  # seconds of clock skew tolerated on exp/nbf/iat
PREFIX = "error verifying the jwt: "


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64decode(text: str) -> bytes:
    """A base64url segment (RFC 7515 section 2), strictly: ValueError for any character
    outside the url-safe alphabet, for padding, and for a non-canonical encoding (unused
    bits set), so that one signature has exactly one spelling."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


def encode_hs256(payload: Mapping[str, Any], secret: str) -> str:
    """Sign a JWT as the platform expects (HS256). For tests and demos."""
    header = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64encode(json.dumps(dict(payload), separators=(",", ":")).encode())
    signing_input = f"{header}.{body}".encode("ascii")
    signature = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return f"{header}.{body}.{_b64encode(signature)}"


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    """A JSON-object segment of a token, or Refusal(401)."""
    try:
        value = safejson.loads(raw, f"the token's {what}")
    except safejson.JsonRefused:
        raise Refusal(401, PREFIX + "malformed token") from None
    if not isinstance(value, dict):
        raise Refusal(401, PREFIX + "malformed token")
    return value


def _check_crit(header: Mapping[str, Any]) -> None:
    """RFC 7515 section 4.1.11: a `crit` header lists extensions the recipient must
    understand, or reject the token. The platform documents none and the emulator
    understands none, so any `crit` is refused (a malformed one too: it must be a
    non-empty list of names)."""
    if "crit" not in header:
        return
    crit = header["crit"]
    if not isinstance(crit, list) or not crit or not all(isinstance(n, str) for n in crit):
        raise Refusal(401, PREFIX + "malformed token (crit must be a list of header names)")
    names = ", ".join(json.dumps(name)[:40] for name in crit[:5])
    raise Refusal(401, PREFIX + f"unsupported critical header extension(s): {names}")


class JwtVerifier:
    """Checks the `auth` header of one app. Remembers the jtis seen until they expire."""

    def __init__(
        self, client_id: str, client_secret: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._client_id = client_id
        self._secret = client_secret.encode("utf-8")
        self._clock = clock
        self._seen_jti: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"JwtVerifier(client_id={self._client_id!r})"

    def verify(self, token: str | None) -> dict[str, Any]:
        """The token's claims, or Refusal(401) in the platform's words."""
        if not token:
            raise Refusal(401, PREFIX + "the auth header is missing")
        claims = self._claims(token)
        if claims.get("appId") != self._client_id:
            raise Refusal(401, PREFIX + "appId does not match the app")
        now = self._clock()
        times = self._check_times(claims, now)
        if "jti" in claims:
            jti = claims["jti"]
            if not isinstance(jti, str) or not jti:  # RFC 7519: a case-sensitive string
                raise Refusal(401, PREFIX + "jti must be a string")
            self._check_jti(times, jti, now)
        return claims

    def _claims(self, token: str) -> dict[str, Any]:
        parts = token.split(".")
        if len(parts) != 3:
            raise Refusal(401, PREFIX + "malformed token")
        try:
            header_bytes, claims_bytes, signature = (_b64decode(part) for part in parts)
        except ValueError:
            raise Refusal(401, PREFIX + "malformed token") from None
        header = _json_object(header_bytes, "header")
        if header.get("alg") != "HS256":
            raise Refusal(401, PREFIX + "the algorithm must be HS256")
        _check_crit(header)
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")  # base64url: ASCII only
        expected = hmac.new(self._secret, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise Refusal(401, PREFIX + "invalid signature")
        return _json_object(claims_bytes, "claims")

    def _check_times(self, claims: Mapping[str, Any], now: float) -> dict[str, float]:
        """exp, iat and nbf (those present) as floats, checked against the clock."""
        times: dict[str, float] = {}
        for key in ("exp", "iat", "nbf"):
            if key not in claims:
                continue
            value = claims[key]
            # A NumericDate (RFC 7519) may have a fraction. safejson has already refused
            # NaN, Infinity and integers beyond 2^53, so float() is exact and cannot
            # overflow (a 400-digit exp used to raise OverflowError in exp - iat).
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Refusal(401, PREFIX + f"{key} must be a number")
            times[key] = float(value)
        if "exp" in times and now > times["exp"] + LEEWAY:
            raise Refusal(401, PREFIX + "jwt expired")
        if "nbf" in times and now < times["nbf"] - LEEWAY:
            raise Refusal(401, PREFIX + "jwt not active yet")
        if "iat" in times and now < times["iat"] - LEEWAY:
            raise Refusal(401, PREFIX + "jwt issued in the future")
        return times

    def _check_jti(self, times: Mapping[str, float], jti: str, now: float) -> None:
        exp, iat = times.get("exp"), times.get("iat")
        if exp is None or iat is None or exp - iat > MAX_JTI_LIFETIME:
            raise Refusal(401, PREFIX + "with jti, exp must be at most 1 hour after iat")
        self._forget_expired(now)
        if jti in self._seen_jti:
            raise Refusal(401, PREFIX + "possibly a replay")
        self._seen_jti[jti] = exp + LEEWAY

    def _forget_expired(self, now: float) -> None:
        if len(self._seen_jti) < 1024:
            return
        self._seen_jti = {jti: until for jti, until in self._seen_jti.items() if until >= now}
