"""What `campsync validate` checks, offline and without credentials: campsync.yaml itself, then
the campaign files: as plain files without environments; merged with one environment's
overrides (`--env NAME` / CAMPSYNC_ENV); or under every environment campsync.yaml defines.
Returns data; the command prints it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from campsync.campaign.validation import Problem, ValidationResult, validate_paths
from campsync.campaign.yamlio import YamlLoadError, load_yaml_file
from campsync.configfile import CONFIG_NAME, ConfigFile, read_config
from campsync.environments import (
    Environment,
    check_environment,
    check_every_environment,
    every_environment,
)
from campsync.errors import ConfigInvalid
from campsync.settings import load_settings


@dataclass(frozen=True)
class Checked:
    """Every problem found (campsync.yaml's and the campaign files'), the environments the
    files were checked under (none: plain files), the files no environment includes, and
    whether the files went unchecked because campsync.yaml's environments are unusable."""

    result: ValidationResult
    config: str = CONFIG_NAME  # campsync.yaml as its problems name it
    environments: list[str] = field(default_factory=list)
    in_no_environment: list[str] = field(default_factory=list)
    files_unchecked: bool = False


def check_all(
    paths: Sequence[Path], *, config_path: Path | None = None, environment: str | None = None
) -> Checked:
    """campsync.yaml, then the campaign files under `paths` as the settings say. Raises
    ConfigError when campsync.yaml cannot be read at all or `environment` is not defined."""
    shown = (config_path or Path(CONFIG_NAME)).as_posix()
    try:
        config = read_config(config_path)
    except ConfigInvalid as invalid:
        problems = [p for p in invalid.located if isinstance(p, Problem)]
        if _defines_environments(config_path):
            # Which files, and merged with what, is unknown: checking them would mislead.
            return Checked(ValidationResult(problems=problems), shown, files_unchecked=True)
        plain = validate_paths(paths)
        return Checked(ValidationResult(plain.files, sorted({*plain.problems, *problems})), shown)
    if environment is not None or config.environments:
        if environment is not None:
            chosen = _environment(config, environment)
            return Checked(check_environment(paths, chosen).result, shown, [chosen.name])
        every = check_every_environment(paths, every_environment(config))
        return Checked(every.result, shown, every.environments, every.in_none)
    return Checked(validate_paths(paths), shown)


def _environment(config: ConfigFile, name: str) -> Environment:
    """The environment `name` as --env resolves it (ConfigError when it is not defined)."""
    chosen = Environment.from_settings(load_settings(config=config, environment=name, env={}))
    assert chosen is not None  # load_settings chose it or raised
    return chosen


def _defines_environments(config_path: Path | None) -> bool:
    """Whether campsync.yaml (which read_config found invalid, so it parsed) has environments."""
    try:
        document = load_yaml_file(config_path or Path(CONFIG_NAME))
    except (OSError, YamlLoadError):
        return True  # cannot tell: be careful
    data = document.data if document is not None else None
    return isinstance(data, dict) and "environments" in data
