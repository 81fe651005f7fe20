"""Tokens for the `auth` header: a fresh HS256 JWT per request, or a ready one.

Neither class shows a secret or a token in its repr; callers must not log tokens.
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable
from typing import Protocol

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from campsync.config.target import Credentials
from campsync.errors import ConfigError

TOKEN_LIFETIME = 600  # seconds; apps that enforce jti allow at most 3600


class TokenSource(Protocol):
    @property
    def static(self) -> bool:
        """True when the token is given (KORE_JWT) rather than signed here."""
        ...

    def token(self) -> str:
        """The token to send with the next request."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Long-lived values that must never appear in a message (for redaction)."""
        ...


class JwtSigner:
    """Signs one JWT per request: appId and sub = client id, iat, exp, a fresh jti."""

    __slots__ = ("_client_id", "_clock", "_lifetime", "_secret")

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        lifetime: int = TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 < lifetime <= 3600:
            raise ValueError("a JWT may live at most one hour")
        self._client_id = client_id
        self._secret = client_secret
        self._lifetime = lifetime
        self._clock = clock

    @property
    def static(self) -> bool:
        return False

    def token(self) -> str:
        issued = int(self._clock())
        claims = {
            "appId": self._client_id,
            "sub": self._client_id,
            "iat": issued,
            "exp": issued + self._lifetime,
            "jti": str(uuid.uuid4()),
        }
        with warnings.catch_warnings():
            # The platform issues the secret; a short one is not the user's to fix.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            return jwt.encode(claims, self._secret, algorithm="HS256")

    def secrets(self) -> tuple[str, ...]:
        return (self._secret,)

    def __repr__(self) -> str:
        return f"JwtSigner(client_id={self._client_id!r})"


class StaticToken:
    """A ready JWT (KORE_JWT), sent as it is."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        self._token = token

    @property
    def static(self) -> bool:
        return True

    def token(self) -> str:
        return self._token

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)

    def __repr__(self) -> str:
        return "StaticToken(<hidden>)"


def token_source(credentials: Credentials) -> TokenSource:
    """KORE_JWT when given, else sign with KORE_CLIENT_ID and KORE_CLIENT_SECRET."""
    if credentials.jwt:
        check_ready_token(credentials)
        return StaticToken(credentials.jwt)
    if credentials.client_id and credentials.client_secret:
        return JwtSigner(credentials.client_id, credentials.client_secret)
    raise ConfigError("no credentials: set KORE_CLIENT_ID and KORE_CLIENT_SECRET (or KORE_JWT)")


def check_ready_token(credentials: Credentials) -> None:
    """Refuse, before any request, a ready token that carries `jti`: the platform rejects
    the replay of such a token, so it would serve one request and then fail. Decoded
    without verifying (campsync has no key for it); a token that does not decode is left
    for the platform to judge. The message names the variables, never the token."""
    try:
        claims = jwt.decode(credentials.jwt or "", options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError):
        return
    if isinstance(claims, dict) and "jti" in claims:
        names = credentials.names
        raise ConfigError(
            f"{names.jwt} carries a jti claim, and the platform accepts such a token only once: "
            f"give a ready token without jti, or set {names.client_id} and {names.client_secret} "
            "(campsync then signs a fresh token per request)"
        )
