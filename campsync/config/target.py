"""Where campsync talks to and as whom: the platform `Target` (host, stream, account), built
once with the one normalisation every user of it shares (the client, and in time the cache
key and saved plans), and the `Credentials` (environment variables only, never in a file).

No secret ever appears in a repr or a message of this module.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

from campsync.errors import ConfigError
from campsync.text import quoted


@dataclass(frozen=True)
class Target:
    """One platform target: `host` as check_host leaves it (http(s), no trailing slash,
    http:// only on loopback), the app's stream id and the account id, each one word of
    printable characters (check_id)."""

    host: str
    stream_id: str
    account_id: str

    @classmethod
    def of(cls, host: str, stream_id: str, account_id: str) -> Target:
        """The target, normalised and checked (ConfigError, one line, otherwise)."""
        return cls(
            check_host(host),
            check_id(stream_id, "the stream id") or "",
            check_id(account_id, "the account id") or "",
        )

    @property
    def hostname(self) -> str:
        """The host's name alone (what messages name: no scheme, port or path)."""
        return urlsplit(self.host).hostname or self.host


@dataclass(frozen=True)
class CredentialNames:
    """The environment variables credentials are read from (an environment may name its own:
    campsync.yaml never holds the values)."""

    client_id: str = "KORE_CLIENT_ID"
    client_secret: str = "KORE_CLIENT_SECRET"
    jwt: str = "KORE_JWT"

    @classmethod
    def from_config(cls, value: Any) -> CredentialNames:
        given = value if isinstance(value, Mapping) else {}
        default = cls()
        return cls(
            client_id=given.get("clientId") or default.client_id,
            client_secret=given.get("clientSecret") or default.client_secret,
            jwt=given.get("jwt") or default.jwt,
        )


@dataclass(frozen=True)
class Credentials:
    """Either a client id and secret (campsync signs its own JWTs) or a ready JWT."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    jwt: str | None = field(default=None, repr=False)
    names: CredentialNames = field(default_factory=CredentialNames, repr=False)

    def __repr__(self) -> str:
        kind = "jwt" if self.jwt else ("client-secret" if self.client_secret else "none")
        return f"Credentials(client_id={self.client_id!r}, kind={kind})"

    __str__ = __repr__

    def require(self) -> None:
        """Refuse (one line naming the variable, never its value) credentials that are
        missing or that no request could carry: a value os.environ could not decode as
        UTF-8, an id or a token with a line break or another character a header cannot
        hold."""
        names = self.names
        _check_secret(names.client_secret, self.client_secret, "")
        _check_secret(names.client_id, self.client_id, "an id")
        _check_secret(names.jwt, self.jwt, "a token")
        if self.jwt:
            return
        if self.client_id and self.client_secret:
            return
        raise ConfigError(
            f"no credentials: set {names.client_id} and {names.client_secret} (or {names.jwt})"
        )


def _check_secret(name: str, value: str | None, kind: str) -> None:
    """`value` (of the environment variable `name`) must be UTF-8 text, and, for an id or a
    token (`kind`), one word of printable characters. The value is never shown."""
    if not value:
        return
    if not _is_utf8(value):
        raise ConfigError(
            f"{name} is not valid UTF-8 text (its value is not shown): set it again, "
            "as the app's credentials give it"
        )
    if kind and not _one_word(value):
        raise ConfigError(
            f"{name} holds a line break, a space or another character that {kind} cannot hold "
            "(its value is not shown): set it again, as the app's credentials give it"
        )


def _is_utf8(value: str) -> bool:
    """False for a value os.environ decoded with surrogateescape (bytes that are not UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _one_word(value: str) -> bool:
    return value.isprintable() and not any(char.isspace() for char in value)


def check_id(value: str | None, where: str) -> str | None:
    """A stream or account id (sent in headers and the query) is one word of printable
    characters; `where` names the setting it came from, for the one-line refusal."""
    if value is None or (_is_utf8(value) and _one_word(value)):
        return value
    raise ConfigError(
        f"{where} holds a line break, a space or another character that no id holds "
        f"({quoted(value, 40)}): check how it is set"
    )


def check_host(host: str) -> str:
    """Return the host URL without a trailing slash; http:// only for loopback."""
    parts = urlsplit(host)
    shown = _masked(host)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"host {shown} is not an http(s) URL, e.g. https://platform.kore.ai")
    # Parsers disagree on user info, backslashes and blanks (which host is meant?): refuse them.
    odd = any(ch in "\\@" or ch.isspace() or not ch.isprintable() for ch in host)
    if odd or parts.query or parts.fragment or not _valid_port(parts):
        user_info = " (user info such as user:password@ is not accepted)" if "@" in host else ""
        raise ConfigError(
            f"host {shown} is not a plain http(s) URL{user_info}, e.g. https://platform.kore.ai"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"host {shown}: http:// is accepted only for a loopback host; use https://"
        )
    return host.rstrip("/")


def _masked(host: str) -> str:
    """The host as a message may show it: quoted, and with everything before its last `@`
    (user info, perhaps a password; more when the `@` is elsewhere, which is harmless) after
    the scheme replaced by `***`."""
    at = host.rfind("@")
    if at >= 0:
        start = host.find("//")
        start = start + 2 if 0 <= start < at else 0
        host = host[:start] + "***" + host[at:]
    return quoted(host, 100)


def _valid_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 (raises ValueError when out of range)
    except ValueError:
        return False
    return True


def is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
