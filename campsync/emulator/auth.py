"""The platform's JWT check: HS256 with the client secret, `appId` = client id, no replays.

The signature is checked here with hmac rather than through PyJWT's decode, which warns
(a UserWarning) about secrets shorter than 32 bytes, such as the demo secret; the
platform accepts whatever secret it issued. PyJWT still parses the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from campsync.emulator.rules import Refusal

MAX_JTI_LIFETIME = 3600  # with a jti, exp may be at most one hour after iat
LEEWAY = 60  # seconds of clock skew tolerated on exp/nbf/iat
PREFIX = "error verifying the jwt: "


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_hs256(payload: Mapping[str, Any], secret: str) -> str:
    """Sign a JWT as the platform expects (HS256). For tests and demos."""
    header = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64encode(json.dumps(dict(payload), separators=(",", ":")).encode())
    signing_input = f"{header}.{body}".encode("ascii")
    signature = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return f"{header}.{body}.{_b64encode(signature)}"


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
        self._check_times(claims, now)
        jti = claims.get("jti")
        if jti is not None:
            self._check_jti(claims, str(jti), now)
        return claims

    def _claims(self, token: str) -> dict[str, Any]:
        parts = token.split(".")
        if len(parts) != 3:
            raise Refusal(401, PREFIX + "malformed token")
        try:
            header = json.loads(_b64decode(parts[0]))
            claims = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except (ValueError, binascii.Error):
            raise Refusal(401, PREFIX + "malformed token") from None
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            raise Refusal(401, PREFIX + "the algorithm must be HS256")
        if not isinstance(claims, dict):
            raise Refusal(401, PREFIX + "malformed token")
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
        expected = hmac.new(self._secret, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise Refusal(401, PREFIX + "invalid signature")
        return claims

    def _check_times(self, claims: Mapping[str, Any], now: float) -> None:
        for key in ("exp", "iat", "nbf"):
            value = claims.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise Refusal(401, PREFIX + f"{key} must be a number")
        if "exp" in claims and now > claims["exp"] + LEEWAY:
            raise Refusal(401, PREFIX + "jwt expired")
        if "nbf" in claims and now < claims["nbf"] - LEEWAY:
            raise Refusal(401, PREFIX + "jwt not active yet")
        if "iat" in claims and now < claims["iat"] - LEEWAY:
            raise Refusal(401, PREFIX + "jwt issued in the future")

    def _check_jti(self, claims: Mapping[str, Any], jti: str, now: float) -> None:
        exp, iat = claims.get("exp"), claims.get("iat")
        if exp is None or iat is None or exp - iat > MAX_JTI_LIFETIME:
            raise Refusal(401, PREFIX + "with jti, exp must be at most 1 hour after iat")
        self._forget_expired(now)
        if jti in self._seen_jti:
            raise Refusal(401, PREFIX + "possibly a replay")
        self._seen_jti[jti] = float(exp) + LEEWAY

    def _forget_expired(self, now: float) -> None:
        if len(self._seen_jti) < 1024:
            return
        self._seen_jti = {jti: until for jti, until in self._seen_jti.items() if until >= now}
