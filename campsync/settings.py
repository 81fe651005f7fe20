"""Settings: campsync.yaml, environment and flags merged, flag > environment > file.

Secrets come only from the environment and never appear in a repr or message.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import SplitResult, urlsplit

from campsync.campaign.yamlio import YamlLoadError, load_yaml_text
from campsync.errors import ConfigError

DEFAULT_HOST = "https://platform.kore.ai"
DEFAULT_RATE_LIMIT = 60
DEFAULT_PARALLELISM = 10
DEFAULT_CACHE_DIR = ".campsync/cache"
CONFIG_NAME = "campsync.yaml"
CONFIG_KEYS = {"host", "streamId", "accountId", "experienceFlows", "cacheDir"}
MAX_CONFIG_BYTES = 1_000_000


@dataclass(frozen=True)
class Credentials:
    """Either a client id and secret (campsync signs its own JWTs) or a ready JWT."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    jwt: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        kind = "jwt" if self.jwt else ("client-secret" if self.client_secret else "none")
        return f"Credentials(client_id={self.client_id!r}, kind={kind})"

    __str__ = __repr__

    def require(self) -> None:
        if self.jwt:
            return
        if self.client_id and self.client_secret:
            return
        raise ConfigError("no credentials: set KORE_CLIENT_ID and KORE_CLIENT_SECRET (or KORE_JWT)")


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    stream_id: str | None = None
    account_id: str | None = None
    experience_flows: Mapping[str, str] = field(default_factory=dict)
    rate_limit: int = DEFAULT_RATE_LIMIT
    parallelism: int = DEFAULT_PARALLELISM
    cache_dir: Path = Path(DEFAULT_CACHE_DIR)
    credentials: Credentials = field(default_factory=Credentials)

    def require_remote(self) -> None:
        """Check everything a command that talks to the platform needs."""
        missing = [
            name
            for name, value in (
                ("streamId (KORE_STREAM_ID)", self.stream_id),
                ("accountId (KORE_ACCOUNT_ID)", self.account_id),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"missing setting: {', '.join(missing)}")
        self.credentials.require()


def check_host(host: str) -> str:
    """Return the host URL without a trailing slash; http:// only for loopback."""
    parts = urlsplit(host)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"host {host!r} is not an http(s) URL, e.g. https://platform.kore.ai")
    # Parsers disagree on user info, backslashes and blanks (which host is meant?): refuse them.
    odd = any(ch in "\\@" or ch.isspace() or not ch.isprintable() for ch in host)
    if odd or parts.query or parts.fragment or not _valid_port(parts):
        raise ConfigError(
            f"host {host!r} is not a plain http(s) URL, e.g. https://platform.kore.ai"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"host {host!r}: http:// is accepted only for a loopback host; use https://"
        )
    return host.rstrip("/")


def _valid_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 (raises ValueError when out of range)
    except ValueError:
        return False
    return True


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def read_config_file(path: Path | None) -> dict[str, Any]:
    """Read campsync.yaml (or an explicit --config file). A missing default file is fine.
    Problems are one line with `file:line:column`, like a campaign file's."""
    explicit = path is not None
    path = path if path is not None else Path(CONFIG_NAME)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found")
        return {}
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: config file is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        document = load_yaml_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except YamlLoadError as exc:
        raise ConfigError(f"{path}:{exc.line}:{exc.column}: {exc.reason}") from None
    if document is None:
        return {}

    def fail(where: list[str], message: str, *, key: bool = False) -> NoReturn:
        line, column = document.locate(where, key=key)
        raise ConfigError(f"{path}:{line}:{column}: {message}")

    data = document.data
    if not isinstance(data, dict):
        fail([], "expected a mapping of settings")
    for name in data:
        if name not in CONFIG_KEYS:
            known = ", ".join(sorted(CONFIG_KEYS))
            fail([name], f"unknown setting {name!r} (known: {known})", key=True)
    for key in ("host", "streamId", "accountId", "cacheDir"):
        if key in data and not isinstance(data[key], str):
            fail([key], f"{key} must be a string")
    flows = data.get("experienceFlows", {}) or {}
    if not isinstance(flows, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in flows.items()
    ):
        fail(["experienceFlows"], "experienceFlows must map flow names to ids (cf-...)")
    data["experienceFlows"] = flows
    return data


def _positive_int(name: str, raw: str | int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def load_settings(
    *,
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    host: str | None = None,
    stream_id: str | None = None,
    account_id: str | None = None,
    parallelism: int | None = None,
    cache_dir: Path | None = None,
) -> Settings:
    """Merge settings: keyword arguments (flags) > environment > config file > defaults."""
    env = os.environ if env is None else env
    conf = read_config_file(config_path)

    def pick(flag: Any, env_key: str | None, conf_key: str | None) -> Any:
        if flag is not None:
            return flag
        if env_key and env.get(env_key):
            return env[env_key]
        if conf_key:
            return conf.get(conf_key)
        return None

    chosen_host = pick(host, "KORE_HOST", "host") or DEFAULT_HOST
    rate = env.get("CAMPSYNC_RATE_LIMIT")
    cache = pick(cache_dir, "CAMPSYNC_CACHE_DIR", "cacheDir") or DEFAULT_CACHE_DIR
    return Settings(
        host=check_host(str(chosen_host)),
        stream_id=pick(stream_id, "KORE_STREAM_ID", "streamId"),
        account_id=pick(account_id, "KORE_ACCOUNT_ID", "accountId"),
        experience_flows=dict(conf.get("experienceFlows", {})),
        rate_limit=_positive_int("CAMPSYNC_RATE_LIMIT", rate) if rate else DEFAULT_RATE_LIMIT,
        parallelism=(
            _positive_int("--parallelism", parallelism)
            if parallelism is not None
            else DEFAULT_PARALLELISM
        ),
        cache_dir=Path(cache).expanduser(),  # `~/.cache/campsync` means the home folder
        credentials=Credentials(
            client_id=env.get("KORE_CLIENT_ID") or None,
            client_secret=env.get("KORE_CLIENT_SECRET") or None,
            jwt=env.get("KORE_JWT") or None,
        ),
    )
