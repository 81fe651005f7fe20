"""Settings: campsync.yaml, environment and flags merged, flag > environment > file.

Secrets come only from the environment and never appear in a repr or message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campsync.config.file import CONFIG_NAME, ConfigFile, read_config
from campsync.config.target import CredentialNames, Credentials, Target, check_host, check_id
from campsync.errors import ConfigError, PlanFileError
from campsync.text import quoted

DEFAULT_HOST = "https://platform.kore.ai"
DEFAULT_RATE_LIMIT = 60
DEFAULT_PARALLELISM = 10
DEFAULT_WAIT = 300  # seconds apply waits for a new campaign to be Ready before starting it
DEFAULT_CACHE_DIR = ".campsync/cache"
# The variables that choose an environment or win over campsync.yaml's values (the default
# credential names among them): what a run that means the file alone clears (the bench's
# accounts, the tests' desk of environments). CAMPSYNC_RATE_LIMIT is no value of the file.
VARIABLES = (
    "KORE_HOST",
    "KORE_STREAM_ID",
    "KORE_ACCOUNT_ID",
    "KORE_CLIENT_ID",
    "KORE_CLIENT_SECRET",
    "KORE_JWT",
    "CAMPSYNC_ENV",
    "CAMPSYNC_CACHE_DIR",
)


@dataclass(frozen=True)
class Safety:
    """The safety thresholds (campsync.yaml `safety:`; octoDNS's defaults)."""

    max_update_percent: float = 30
    max_delete_percent: float = 30
    min_existing: int = 10

    @classmethod
    def from_config(cls, value: Any) -> Safety:
        given = value if isinstance(value, Mapping) else {}
        default = cls()
        return cls(
            max_update_percent=given.get("maxUpdatePercent", default.max_update_percent),
            max_delete_percent=given.get("maxDeletePercent", default.max_delete_percent),
            min_existing=given.get("minExisting", default.min_existing),
        )


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
    environment: str | None = None  # the chosen one (--env, CAMPSYNC_ENV)
    environments: tuple[str, ...] = ()  # every one campsync.yaml defines
    safety: Safety = field(default_factory=Safety)
    prune: bool = False
    keep: tuple[str, ...] = ()  # campaign-name patterns pruning never deletes
    campaign_globs: tuple[str, ...] = ()  # the environment's files; empty: every file
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # campsync.yaml as read, to point at a value that came from it (not a setting itself)
    config: ConfigFile = field(
        default_factory=lambda: ConfigFile(CONFIG_NAME), compare=False, repr=False
    )

    def require_environment(self) -> None:
        """With environments defined, a command that talks to the platform needs one."""
        if self.environments and self.environment is None:
            names = ", ".join(sorted(self.environments))
            raise ConfigError(
                f"{self.config.shown} defines environments ({names}): "
                "choose one with --env NAME or CAMPSYNC_ENV"
            )

    def target(self) -> Target:
        """The platform target of a command that talks to the platform, once everything it
        needs is set (require_remote)."""
        self.require_remote()
        return Target.of(self.host, self.stream_id or "", self.account_id or "")

    def require_remote(self) -> None:
        """Check everything a command that talks to the platform needs."""
        self.require_environment()
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


def chosen_environment(
    flag: str | None, env: Mapping[str, str], *, saved: str | None = None
) -> str | None:
    """The environment of a run, resolved here only: `flag` (--env), else CAMPSYNC_ENV of
    `env`, else, applying a saved plan, the one it was made for (`saved`); None when none
    is. Another one than the saved plan's is refused at once (before campsync.yaml, or the
    secret that checks the plan's signature, is read)."""
    chosen = flag or env.get("CAMPSYNC_ENV") or None
    if saved is not None and chosen not in (None, saved):
        raise PlanFileError.other_environment(saved, chosen)
    return chosen or saved


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
    environment: str | None = None,
    config: ConfigFile | None = None,
    saved_environment: str | None = None,
) -> Settings:
    """Merge settings: keyword arguments (flags) > environment variables > the chosen
    environment of campsync.yaml > its top level > defaults. `environment` (--env) or
    CAMPSYNC_ENV chooses the environment, else the one a saved plan to apply was made for
    (`saved_environment`: see chosen_environment); `config`, when given, is campsync.yaml
    already read."""
    env = os.environ if env is None else env
    name = chosen_environment(environment, env, saved=saved_environment)
    conf = config if config is not None else read_config(config_path)
    layered = _layered(conf, name)

    def pick(flag: Any, env_key: str | None, conf_key: str | None) -> Any:
        if flag is not None:
            return flag
        if env_key and env.get(env_key):
            return env[env_key]
        if conf_key:
            return layered.get(conf_key)
        return None

    def pick_id(flag: str | None, flag_name: str, env_key: str, conf_key: str) -> str | None:
        """An id setting, checked, and refused naming where it came from."""
        if flag is not None:
            return check_id(flag, flag_name)
        if env.get(env_key):
            return check_id(env[env_key], env_key)
        return check_id(layered.get(conf_key), f"{conf_key} in {conf.shown}")

    chosen_host = pick(host, "KORE_HOST", "host") or DEFAULT_HOST
    rate = env.get("CAMPSYNC_RATE_LIMIT")
    cache = pick(cache_dir, "CAMPSYNC_CACHE_DIR", "cacheDir") or DEFAULT_CACHE_DIR
    names = CredentialNames.from_config(layered.get("credentials"))
    return Settings(
        host=check_host(str(chosen_host)),
        stream_id=pick_id(stream_id, "--stream-id", "KORE_STREAM_ID", "streamId"),
        account_id=pick_id(account_id, "--account-id", "KORE_ACCOUNT_ID", "accountId"),
        experience_flows=dict(layered.get("experienceFlows") or {}),
        rate_limit=_positive_int("CAMPSYNC_RATE_LIMIT", rate) if rate else DEFAULT_RATE_LIMIT,
        parallelism=(
            _positive_int("--parallelism", parallelism)
            if parallelism is not None
            else DEFAULT_PARALLELISM
        ),
        cache_dir=Path(cache).expanduser(),  # `~/.cache/campsync` means the home folder
        credentials=Credentials(
            client_id=env.get(names.client_id) or None,
            client_secret=env.get(names.client_secret) or None,
            jwt=env.get(names.jwt) or None,
            names=names,
        ),
        environment=name,
        environments=tuple(conf.environments),
        safety=Safety.from_config(layered.get("safety")),
        prune=bool(layered.get("prune", False)),
        keep=tuple(layered.get("keep") or ()),
        campaign_globs=tuple(layered.get("campaigns") or ()),
        overrides=dict(layered.get("overrides") or {}),
        config=conf,
    )


def _layered(conf: ConfigFile, name: str | None) -> dict[str, Any]:
    """The top-level settings with the chosen environment's over them: mappings
    (experienceFlows, safety) merge key by key, `keep` patterns add up, anything else
    replaces."""
    environments = conf.environments
    if name is None:
        return dict(conf.data)
    if not environments:
        raise ConfigError(
            f"environment {quoted(name)} (--env or CAMPSYNC_ENV) is not defined: "
            f"{conf.shown} has no environments"
        )
    chosen = environments.get(name)
    if chosen is None:
        raise ConfigError(
            f"unknown environment {quoted(name)}: {conf.shown} defines "
            f"{', '.join(sorted(environments))}"
        )
    merged = {key: value for key, value in conf.data.items() if key != "environments"}
    for key, value in chosen.items():
        if key in ("experienceFlows", "safety") and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        elif key == "keep":
            merged[key] = [*merged.get(key, []), *value]
        else:
            merged[key] = value
    return merged
