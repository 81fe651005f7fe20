"""campsync.yaml: read it safely, check it against its JSON Schema
(`schemas/campsync.schema.json`, shipped in the package) and the rules the schema cannot
say, and locate every problem at `file:line:column`. No merging with the environment or the
flags here (campsync.config.settings does that); no printing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

from jsonschema.protocols import Validator

from campsync.campaign.messages import problems_from_schema_error
from campsync.campaign.schema import reference_validator
from campsync.campaign.validation import Problem, format_path
from campsync.campaign.yamlio import Document, YamlLoadError, load_yaml_text, read_text
from campsync.errors import ConfigError, ConfigInvalid
from campsync.text import quoted

CONFIG_NAME = "campsync.yaml"
SCHEMA_RESOURCE = "schemas/campsync.schema.json"
MAX_CONFIG_BYTES = 1_000_000
CREDENTIAL_NAME = (
    "must be the name of an environment variable (letters, digits, _) that holds the value, "
    "never the value itself (not shown)"
)

Where = Sequence[str | int]


@cache
def config_schema() -> dict[str, Any]:
    text = resources.files("campsync").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


@cache
def _validator() -> Validator:
    """The prepared (module-cached) reference validator for campsync.yaml."""
    return reference_validator(config_schema())


@dataclass(frozen=True)
class ConfigFile:
    """campsync.yaml as read: `data` (plain builtins; {} when there is no file) and where each
    value was written, so that any later step can point at it."""

    shown: str  # the path as given (messages start with it)
    data: dict[str, Any] = field(default_factory=dict)
    document: Document | None = field(default=None, compare=False, repr=False)

    @property
    def exists(self) -> bool:
        return self.document is not None

    def locate(self, where: Where, *, key: bool = False) -> tuple[int, int]:
        if self.document is None:
            return 1, 1
        return self.document.locate(list(where), key=key)

    def problem(self, where: Where, message: str, *, key: bool = False) -> Problem:
        line, column = self.locate(where, key=key)
        return Problem(self.shown, line, column, format_path(where), message)

    @property
    def environments(self) -> dict[str, dict[str, Any]]:
        found = self.data.get("environments")
        return found if isinstance(found, dict) else {}


def read_config(path: Path | None) -> ConfigFile:
    """Read campsync.yaml (or an explicit --config file) and check it. A missing default file
    is an empty configuration. Raises ConfigError (unreadable) or ConfigInvalid (every problem,
    located)."""
    explicit = path is not None
    path = path if path is not None else Path(CONFIG_NAME)
    shown = path.as_posix()
    if not path.exists():
        if explicit:
            raise ConfigError(f"{shown}: config file not found")
        return ConfigFile(shown)
    try:
        # As a campaign file is read: a regular file only (a FIFO would hang the run), within
        # the size limit, strict UTF-8; every refusal located.
        document = load_yaml_text(read_text(path, max_bytes=MAX_CONFIG_BYTES))
    except YamlLoadError as exc:
        raise ConfigError(f"{shown}:{exc.line}:{exc.column}: {exc.reason}") from None
    if document is None:
        return ConfigFile(shown)
    config = ConfigFile(shown, document.data if isinstance(document.data, dict) else {}, document)
    if not isinstance(document.data, dict):
        raise ConfigInvalid([config.problem([], "expected a mapping of settings (key: value)")])
    problems = check_config(config)
    if problems:
        raise ConfigInvalid(problems)
    return config


def check_config(config: ConfigFile) -> list[Problem]:
    """The schema, then what it cannot say: a flow id under two names."""
    problems: list[Problem] = []
    validator = _validator()
    for error in validator.iter_errors(config.data):
        if "credentials" in error.schema_path and error.validator == "pattern":
            # Most likely a secret pasted where its variable's name belongs: never echo it.
            problems.append(config.problem(list(error.absolute_path), CREDENTIAL_NAME))
            continue
        for located in problems_from_schema_error(error, config.data, validator.schema):
            line, column = config.locate(located.target, key=located.at_key)
            problems.append(
                Problem(config.shown, line, column, format_path(located.path), located.message)
            )
    problems.extend(_flow_ids_once(config, ()))
    for name, environment in config.environments.items():
        if isinstance(environment, dict):
            problems.extend(_flow_ids_once(config, ("environments", name)))
    return sorted(set(problems))


def _flow_ids_once(config: ConfigFile, base: tuple[str, ...]) -> list[Problem]:
    """Each flow id under one name only: two names for one id make one of them compare
    wrongly (and a plan that never converges)."""
    holder: Any = config.data
    for step in base:
        holder = holder.get(step) if isinstance(holder, dict) else None
    flows = holder.get("experienceFlows") if isinstance(holder, dict) else None
    if not isinstance(flows, dict):
        return []
    names_of: dict[str, list[str]] = {}
    for name, flow_id in flows.items():
        if isinstance(flow_id, str):
            names_of.setdefault(flow_id, []).append(name)
    problems: list[Problem] = []
    for flow_id, names in names_of.items():
        if len(names) < 2:
            continue
        for name in names:
            others = ", ".join(quoted(other) for other in names if other != name)
            problems.append(
                config.problem(
                    (*base, "experienceFlows", name),
                    f"flow id {quoted(flow_id)} is also mapped from {others}: "
                    "each id belongs to one flow name",
                )
            )
    return problems
