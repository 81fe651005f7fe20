"""An environment's campaign files (campsync.yaml `environments:`): the files its `campaigns:`
globs select, each merged with its overrides and checked as merged (campaign.merged), then the
cross-file rules over the merged campaigns and the rules of the overrides themselves (an entry
names a campaign of the environment; "*" sets no name or id). A problem in a value from
campsync.yaml is located there, naming the environment and the campaign(s). Pure apart from
reading the files; no printing, no network.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from campsync.campaign.globs import matches
from campsync.campaign.merged import InConfig, MergedCheck, MergedMemo, check_file, naming
from campsync.campaign.messages import closest
from campsync.campaign.overrides import (
    EVERY,
    Layer,
    PathItem,
    layers_for,
    overrides_digest,
    own_key,
)
from campsync.campaign.validation import (
    Problem,
    ValidationResult,
    also_used,
    display_name,
    find_campaign_files,
)
from campsync.config.file import ConfigFile
from campsync.config.settings import Settings, load_settings
from campsync.text import quoted


@dataclass(frozen=True)
class Environment:
    """One environment of campsync.yaml, as far as its campaign files are concerned."""

    name: str
    globs: tuple[str, ...] = ()  # empty: every file
    overrides: Mapping[str, Any] = field(default_factory=dict)
    config: ConfigFile = field(default_factory=lambda: ConfigFile("campsync.yaml"))

    @classmethod
    def from_settings(cls, settings: Settings) -> Environment | None:
        """The chosen environment (None when there is none: plain files)."""
        if settings.environment is None:
            return None
        return cls(
            settings.environment,
            tuple(settings.campaign_globs),
            dict(settings.overrides),
            settings.config,
        )

    @classmethod
    def from_entry(cls, name: str, entry: Mapping[str, Any], config: ConfigFile) -> Environment:
        """The environment as its own entry of campsync.yaml describes its files, when the rest
        of the file is not usable (validate still checks the files under it)."""
        return cls(
            name, tuple(entry.get("campaigns") or ()), dict(entry.get("overrides") or {}), config
        )

    @cached_property
    def digest(self) -> str:
        return overrides_digest({"environment": self.name, "overrides": self.overrides})

    def includes(self, candidate: Candidate) -> bool:
        if not self.globs:
            return True
        return any(matches(relative, self.globs) for relative in candidate.relative)

    def layers(self, name: Any) -> list[Layer]:
        return layers_for(name, self.overrides)

    def where(self, key: str, *path: PathItem) -> tuple[PathItem, ...]:
        """The place in campsync.yaml of `path` inside the override entry `key`."""
        return ("environments", self.name, "overrides", key, *path)

    def position(
        self, key: str, path: Sequence[PathItem], *, at_key: bool = False
    ) -> tuple[str, int, int]:
        """Where in campsync.yaml the value at `path` of the override entry `key` is."""
        line, column = self.config.locate(self.where(key, *path), key=at_key)
        return self.config.shown, line, column


def every_environment(config: ConfigFile) -> list[Environment]:
    """Every environment campsync.yaml defines, each resolved as `--env NAME` would resolve
    it from the file alone (no variables: validate needs none)."""
    found: list[Environment] = []
    for name in config.environments:
        environment = Environment.from_settings(
            load_settings(config=config, environment=name, env={})
        )
        if environment is not None:
            found.append(environment)
    return found


# -- which files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A campaign file under the given paths, and the relative paths its globs may match."""

    path: Path
    shown: str
    relative: tuple[str, ...]


def candidates(paths: Sequence[Path]) -> list[Candidate]:
    """Every campaign file under `paths` (each once). A file under a given folder is matched by
    its path relative to that folder; a file given by itself by any tail of its path (so that
    `campaigns/common/a.yaml` is in `common/**`)."""
    found: dict[str, Candidate] = {}
    for given in paths:
        for path in find_campaign_files([given]):
            key = os.path.normcase(os.path.abspath(path))
            if key in found:
                continue
            if given.is_dir():
                relative: tuple[str, ...] = (path.relative_to(given).as_posix(),)
            else:
                parts = path.as_posix().split("/")
                relative = tuple("/".join(parts[start:]) for start in range(len(parts)))
            found[key] = Candidate(path, display_name(path), relative)
    return sorted(found.values(), key=lambda c: c.shown)


# -- the environment --------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentFiles:
    """An environment's files as checked: `result.files` are the merged campaigns (sorted by
    file), `result.problems` every problem; `outside` the campaign files under the paths
    that are not this environment's (its `campaigns:` globs leave them out)."""

    environment: Environment
    result: ValidationResult
    included: list[Candidate]
    outside: list[Candidate]


def check_environment(
    paths: Sequence[Path], environment: Environment, memo: MergedMemo | None = None
) -> EnvironmentFiles:
    """Validate the campaign files of `environment` under `paths`, merged with its overrides:
    each file, the cross-file rules, and the override entries."""
    found = candidates(paths)
    included = [c for c in found if environment.includes(c)]
    outside = [c for c in found if not environment.includes(c)]
    checks = [check_file(c.path, c.shown, environment, memo) for c in included]
    problems = [p for check in checks for p in check.problems]
    problems.extend(_override_entries(environment, checks))
    in_config = [found for check in checks for found in check.in_config]
    in_files, in_entries = _duplicates(environment, checks)
    problems.extend(in_files)
    in_config.extend(in_entries)
    problems.extend(_named(environment.name, in_config))
    files = sorted((c.campaign for c in checks if c.campaign is not None), key=lambda c: c.file)
    result = ValidationResult(files=files, problems=sorted(set(problems)))
    return EnvironmentFiles(environment, result, included, outside)


def _named(environment: str, found: Iterable[InConfig]) -> list[Problem]:
    """The problems in campsync.yaml, each naming the environment and its campaigns: a "*"
    value at fault in many campaigns is reported once."""
    campaigns: dict[Problem, list[str]] = {}
    for item in found:
        campaigns.setdefault(item.problem, []).append(item.campaign)
    return [
        Problem(p.file, p.line, p.column, p.path, f"{p.message} {naming(environment, names)}")
        for p, names in campaigns.items()
    ]


def _override_entries(environment: Environment, checks: Sequence[MergedCheck]) -> list[Problem]:
    """Each override entry names one campaign of the environment's files (case-insensitively);
    "*" sets no name or id (each campaign has its own)."""
    config = environment.config
    problems: list[Problem] = []
    names = {check.name.casefold(): check.name for check in checks if check.name is not None}
    # A file whose name is unknown (it did not load) might be the one an entry names.
    all_named = all(check.name is not None for check in checks)
    seen: dict[str, str] = {}
    for key, entry in environment.overrides.items():
        where = environment.where(key)
        if key == EVERY:
            for name in ("id", "name"):
                if isinstance(entry, Mapping) and name in entry:
                    problems.append(
                        config.problem(
                            environment.where(key, name),
                            f"'*' applies to every campaign of environment "
                            f"{quoted(environment.name)}: give each campaign's {name} under "
                            "its own name",
                            key=True,
                        )
                    )
            continue
        folded = key.casefold()
        if folded in seen:
            problems.append(
                config.problem(
                    where,
                    f"names the same campaign as {quoted(seen[folded])} (names match ignoring "
                    "case): put its overrides in one entry",
                    key=True,
                )
            )
            continue
        seen[folded] = key
        if folded in names or not all_named:
            continue
        guess = closest(key, sorted(names.values()), cutoff=0.6, longest=100)
        hint = f" (did you mean {quoted(guess)}?)" if guess else ""
        problems.append(
            config.problem(
                where,
                f"no campaign file of environment {quoted(environment.name)} is named "
                f"{quoted(key)}{hint}",
                key=True,
            )
        )
    return problems


def _duplicates(
    environment: Environment, checks: Sequence[MergedCheck]
) -> tuple[list[Problem], list[InConfig]]:
    """Names (ignoring case) and ids unique among the environment's merged campaigns. Each is
    reported where the value came from: the file, or the campaign's override entry."""
    in_files: list[Problem] = []
    in_config: list[InConfig] = []
    every = environment.overrides.get(EVERY)
    for field_name in ("name", "id"):
        if isinstance(every, Mapping) and field_name in every:
            continue  # reported at the "*" entry itself
        groups: dict[str, list[tuple[tuple[str, int, int], str, str | None]]] = {}
        for check in checks:
            campaign = check.campaign
            value = campaign.data.get(field_name) if campaign is not None else None
            if campaign is None or not isinstance(value, str):
                continue
            key = own_key(check.name, environment.overrides)
            entry = environment.overrides.get(key) if key is not None else None
            label: str | None = None
            if key is not None and isinstance(entry, Mapping) and field_name in entry:
                at = environment.position(key, (field_name,))
                label = str(campaign.data.get("name", campaign.file))
            else:
                where = check.name_at if field_name == "name" else check.id_at
                if where is None:
                    continue
                at = (campaign.file, *where)
            normal = value.casefold() if field_name == "name" else value
            groups.setdefault(normal, []).append((at, value, label))
        for members in groups.values():
            if len(members) < 2:
                continue
            members.sort(key=lambda member: member[0])
            for at, value, label in members:
                others = [place for place, _, _ in members if place != at]
                text = also_used(field_name, value, others)
                problem = Problem(at[0], at[1], at[2], field_name, text)
                if label is None:
                    in_files.append(problem)
                else:
                    in_config.append(InConfig(problem, label))
    return in_files, in_config
