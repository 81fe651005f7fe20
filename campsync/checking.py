"""What `campsync validate` checks, offline and without credentials: campsync.yaml itself, then
the campaign files (campaign.reader): as plain files without environments; merged with one
environment's overrides (`--env NAME` / CAMPSYNC_ENV); or under every environment campsync.yaml
defines. One walk of the paths serves them all. Returns data; the command prints it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from campsync.campaign.discovery import Found, find_campaign_files, not_followed
from campsync.campaign.environment import Environment
from campsync.campaign.reader import read_found
from campsync.campaign.validation import CampaignFile, Problem, ValidationResult
from campsync.campaign.yamlio import load_yaml_file
from campsync.config.environments import (
    environment_from_entry,
    environment_named,
    every_environment,
    flow_names,
)
from campsync.config.file import CONFIG_NAME, ConfigFile, check_config, read_config
from campsync.config.settings import chosen_environment
from campsync.errors import ConfigError, ConfigInvalid
from campsync.text import quoted


@dataclass(frozen=True)
class Checked:
    """Every problem found (campsync.yaml's and the campaign files'), the environments the
    files were checked under (none: plain files), the files no environment includes, the
    environments not checked because campsync.yaml has problems in them (and the files that
    may be theirs, checked only as YAML), and the folders not read (symbolic links)."""

    result: ValidationResult
    config: str = CONFIG_NAME  # campsync.yaml as its problems name it
    environments: list[str] = field(default_factory=list)
    in_no_environment: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    only_loaded: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """One line for each folder not read."""
        return [not_followed(folder) for folder in self.linked]


def check_all(
    paths: Sequence[Path],
    *,
    config_path: Path | None = None,
    environments: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Checked:
    """campsync.yaml, then the campaign files under `paths` as the settings say, every problem
    at once: under the one of `environments` (--env; none: CAMPSYNC_ENV of `env`, default
    os.environ), under each of several (--env repeated: the files any of them includes, each
    problem once as for every environment), else under every environment campsync.yaml
    defines. Raises UsageError when a path is missing or a folder holds no campaign file,
    UnreadablePath when a folder or file under `paths` cannot be read (both before
    campsync.yaml is read), ConfigError when campsync.yaml cannot be read at all or an
    environment is not defined."""
    several = list(environments) if len(environments) > 1 else None
    environment = None
    if several is None:
        chosen = environments[0] if environments else None
        environment = chosen_environment(chosen, os.environ if env is None else env)
    found = find_campaign_files(paths, require=True)
    checked = _check_all(found, config_path, environment, several)
    return replace(checked, linked=list(found.linked))


def _check_all(
    found: Found, config_path: Path | None, environment: str | None, several: list[str] | None
) -> Checked:
    shown = (config_path or Path(CONFIG_NAME)).as_posix()
    try:
        config = read_config(config_path)
    except ConfigInvalid as invalid:
        problems = [p for p in invalid.located if isinstance(p, Problem)]
        return _despite(found, config_path, several or environment, problems)
    flows = flow_names(config.data)  # the top level's, for files read without environment
    if several is not None:
        chosen_ones = [environment_named(config, name) for name in several]
        every = check_every_environment(_theirs(found, chosen_ones), chosen_ones, flows=flows)
        return Checked(every.result, shown, every.environments)
    if environment is not None or config.environments:
        if environment is not None:
            chosen = environment_named(config, environment)
            return Checked(read_found(found, chosen), shown, [chosen.name])
        every = check_every_environment(found, every_environment(config), flows=flows)
        return Checked(every.result, shown, every.environments, every.in_none)
    return Checked(read_found(found, flows=flows), shown)


def _theirs(found: Found, environments: Sequence[Environment]) -> Found:
    """The files of the walk that one of `environments` includes: the others belong to
    environments not chosen (checking them plainly would mislead)."""
    files = [f for f in found.files if any(e.includes(f.relative) for e in environments)]
    return replace(found, files=files)


def _despite(
    found: Found,
    config_path: Path | None,
    chosen: str | list[str] | None,
    problems: Sequence[Problem],
) -> Checked:
    """The files checked although campsync.yaml has `problems`: without environments, as
    plain files; with them, under each environment (the one chosen) whose own entry has no
    problem, since a mistake there (a misspelt `overrides`, say) would make its files' checks
    mislead. Files that only such an environment may include are checked only as YAML."""
    config = _as_read(config_path)
    shown = config.shown
    declared = config.data.get("environments")
    if declared is None or declared == {}:
        plain = read_found(found, flows=flow_names(config.data))
        return Checked(ValidationResult(plain.files, sorted({*plain.problems, *problems})), shown)
    entries = config.environments  # {} when `environments` is not a mapping
    given = [chosen] if isinstance(chosen, str) else chosen
    for name in given or ():
        if entries and name not in entries:
            raise ConfigError(
                f"unknown environment {quoted(name)}: {shown} defines {', '.join(sorted(entries))}"
            )
    names = given if given is not None else list(entries)
    usable = [name for name in names if _usable(config, name, entries.get(name))]
    unchecked = [name for name in names if name not in usable]
    if isinstance(chosen, str) and usable:  # as --env checks: that environment's files only
        environment = environment_from_entry(chosen, entries[chosen], config)
        read = read_found(found, environment)
        merged = ValidationResult(read.files, sorted({*read.problems, *problems}))
        return Checked(merged, shown, [chosen])
    environments = [environment_from_entry(name, entries[name], config) for name in usable]
    if isinstance(chosen, list):  # several chosen: their files only
        found = _theirs(found, environments)
    every = check_every_environment(
        found,
        environments,
        some_unchecked=bool(unchecked) or not entries,
        flows=flow_names(config.data),
    )
    result = every.result
    return Checked(
        ValidationResult(result.files, sorted({*result.problems, *problems})),
        shown,
        every.environments,
        every.in_none,
        unchecked,
        every.only_loaded,
    )


def _as_read(config_path: Path | None) -> ConfigFile:
    """campsync.yaml as read, for a file that read_config found invalid (so it parsed)."""
    path = config_path or Path(CONFIG_NAME)
    document = load_yaml_file(path)
    data = document.data if document is not None else None
    return ConfigFile(path.as_posix(), data if isinstance(data, dict) else {}, document)


def _usable(config: ConfigFile, name: str, entry: Any) -> bool:
    """Whether the environment's own entry of campsync.yaml has no problem."""
    if not isinstance(entry, dict):
        return False
    alone = ConfigFile(config.shown, {"environments": {name: entry}}, config.document)
    return not check_config(alone)


@dataclass(frozen=True)
class EveryEnvironment:
    """validate without --env: every environment's problems, once each, and the campaign
    files no environment includes (checked as plain files, or only as YAML when some
    environment could not be checked: they may be its files)."""

    result: ValidationResult
    environments: list[str]
    in_none: list[str]  # display names
    only_loaded: list[str] = field(default_factory=list)


def check_every_environment(
    found: Found,
    environments: Sequence[Environment],
    *,
    some_unchecked: bool = False,
    flows: Collection[str] = (),
) -> EveryEnvironment:
    """Each environment's check; a problem located in a campaign file that every environment
    including the file has is reported once as it is, one that only some have names them.
    Files that no environment includes are checked as plain files (no overrides; their flow
    names against `flows`, the top level's); when some environments could not be checked
    (`some_unchecked`), only as YAML (whether they load): they may be those environments'
    files."""
    checked = [(environment.name, read_found(found, environment)) for environment in environments]
    members: dict[str, set[str]] = {}  # file -> environments that include it
    for name, env_files in checked:
        for file in env_files.read:
            members.setdefault(file.shown, set()).add(name)
    having: dict[Problem, set[str]] = {}
    config_problems: list[Problem] = []
    files: dict[str, CampaignFile] = {}
    for name, env_files in checked:
        for campaign in env_files.files:
            files.setdefault(campaign.file, campaign)
        for problem in env_files.problems:
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
    rest = sorted((f for f in found.files if f.shown not in members), key=lambda f: f.shown)
    if rest:  # in no environment
        plain = read_found(Found(rest), flows=flows)
        unloadable = set(plain.unloadable)
        problems.update(p for p in plain.problems if not some_unchecked or p.file in unloadable)
        if not some_unchecked:
            for campaign in plain.files:
                files.setdefault(campaign.file, campaign)
    result = ValidationResult(
        files=sorted(files.values(), key=lambda c: c.file), problems=sorted(problems)
    )
    shown = [c.shown for c in rest]
    if some_unchecked:
        return EveryEnvironment(result, [e.name for e in environments], [], shown)
    return EveryEnvironment(result, [e.name for e in environments], shown)
