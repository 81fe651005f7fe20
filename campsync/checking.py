"""What `campsync validate` checks, offline and without credentials: campsync.yaml itself, then
the campaign files: as plain files without environments; merged with one environment's
overrides (`--env NAME` / CAMPSYNC_ENV); or under every environment campsync.yaml defines.
Returns data; the command prints it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from campsync.campaign.validation import (
    CampaignFile,
    Problem,
    ValidationResult,
    linked_folders,
    validate_paths,
)
from campsync.campaign.yamlio import YamlLoadError, load_yaml_file
from campsync.config.environments import (
    Environment,
    candidates,
    check_environment,
    every_environment,
)
from campsync.config.file import CONFIG_NAME, ConfigFile, read_config
from campsync.config.settings import load_settings
from campsync.errors import ConfigInvalid
from campsync.text import quoted


@dataclass(frozen=True)
class Checked:
    """Every problem found (campsync.yaml's and the campaign files'), the environments the
    files were checked under (none: plain files), the files no environment includes, and
    whether the files went unchecked because campsync.yaml's environments are unusable, and
    the folders not read (symbolic links)."""

    result: ValidationResult
    config: str = CONFIG_NAME  # campsync.yaml as its problems name it
    environments: list[str] = field(default_factory=list)
    in_no_environment: list[str] = field(default_factory=list)
    files_unchecked: bool = False
    linked: list[str] = field(default_factory=list)


def check_all(
    paths: Sequence[Path], *, config_path: Path | None = None, environment: str | None = None
) -> Checked:
    """campsync.yaml, then the campaign files under `paths` as the settings say. Raises
    ConfigError when campsync.yaml cannot be read at all or `environment` is not defined;
    UnreadablePath when a folder or file under `paths` cannot be read."""
    checked = _check_all(paths, config_path, environment)
    return replace(checked, linked=linked_folders(paths))


def _check_all(paths: Sequence[Path], config_path: Path | None, environment: str | None) -> Checked:
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


@dataclass(frozen=True)
class EveryEnvironment:
    """validate without --env: every environment's problems, once each, and the campaign
    files no environment includes (checked as plain files)."""

    result: ValidationResult
    environments: list[str]
    in_none: list[str]  # display names


def check_every_environment(
    paths: Sequence[Path], environments: Sequence[Environment]
) -> EveryEnvironment:
    """Each environment's check; a problem located in a campaign file that every environment
    including the file has is reported once as it is, one that only some have names them.
    Files that no environment includes are checked as plain files (no overrides)."""
    checked = [check_environment(paths, environment) for environment in environments]
    members: dict[str, set[str]] = {}  # file -> environments that include it
    for env_files in checked:
        for candidate in env_files.included:
            members.setdefault(candidate.shown, set()).add(env_files.environment.name)
    having: dict[Problem, set[str]] = {}
    config_problems: list[Problem] = []
    files: dict[str, CampaignFile] = {}
    for env_files in checked:
        name = env_files.environment.name
        for campaign in env_files.result.files:
            files.setdefault(campaign.file, campaign)
        for problem in env_files.result.problems:
            if problem.file in members:
                having.setdefault(problem, set()).add(name)
            else:
                config_problems.append(problem)
    problems = set(config_problems)
    for problem, names in having.items():
        if names >= members.get(problem.file, set()):
            problems.add(problem)
            continue
        listed = ", ".join(quoted(n) for n in sorted(names))
        word = "environment" if len(names) == 1 else "environments"
        message = f"{problem.message} ({word} {listed})"
        problems.add(Problem(problem.file, problem.line, problem.column, problem.path, message))
    in_none = [
        c
        for c in candidates(paths)
        if c.shown not in members  # in no environment: checked as a plain file
    ]
    if in_none:
        plain = validate_paths([c.path for c in in_none])
        problems.update(plain.problems)
        for campaign in plain.files:
            files.setdefault(campaign.file, campaign)
    result = ValidationResult(
        files=sorted(files.values(), key=lambda c: c.file), problems=sorted(problems)
    )
    return EveryEnvironment(result, [e.name for e in environments], [c.shown for c in in_none])
