"""An environment's campaign files (campsync.yaml `environments:`): the files its `campaigns:`
globs select, each merged with its overrides (campaign.overrides), validated as merged: the
schema, the single-file rules and the cross-file rules, plus the rules of the overrides
themselves (an entry must name a campaign of the environment). Every problem is located where
the value came from: in the campaign file, or in campsync.yaml, naming the environment and the
campaign. Pure apart from reading the files; no printing, no network.

One difference from a file checked alone: without an `id`, a merged Agentless campaign is not
required to hold `enableMachineDetect`. In an environment a campaign without an id is matched
by name and may well exist (ids are per account); the platform needs the field only to create
one, and never returns it, so the plan (not the file) says when a create lacks it
(campsync.sync.environment).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from jsonschema.exceptions import ValidationError

from campsync.campaign import rules
from campsync.campaign.globs import matches
from campsync.campaign.messages import closest, problems_from_schema_error
from campsync.campaign.overrides import (
    EVERY,
    Layer,
    Merged,
    PathItem,
    layers_for,
    merge,
    overrides_digest,
    own_key,
)
from campsync.campaign.schema import campaign_validator
from campsync.campaign.validation import (
    CampaignFile,
    Problem,
    ValidationResult,
    check_text,
    display_name,
    find_campaign_files,
    format_path,
    validate_paths,
)
from campsync.campaign.yamlio import Document, YamlLoadError, load_yaml_text, read_text
from campsync.configfile import ConfigFile
from campsync.settings import Settings, load_settings
from campsync.text import quoted

# Create-only fields a merged campaign without an id need not hold (see the module's doc).
CREATE_ONLY = ("enableMachineDetect",)


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


# -- one file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InConfig:
    """A problem in a value that came from campsync.yaml, and the campaign it was found in
    (the message is completed by `naming` once the campaigns sharing it are known)."""

    problem: Problem
    campaign: str


@dataclass(frozen=True)
class EnvFileCheck:
    """One file of an environment: its merged campaign (None when the file did not load as a
    mapping), its problems in the file and in campsync.yaml, the name the file itself gives
    (its own override entry is found by it) and where the file writes its name and id (None:
    it does not)."""

    campaign: CampaignFile | None
    problems: list[Problem]
    in_config: list[InConfig] = field(default_factory=list)
    name: str | None = None
    name_at: tuple[int, int] | None = None
    id_at: tuple[int, int] | None = None


class EnvironmentMemo(Protocol):
    """Remembers problem-free checks by file and by the digest of its text and the overrides
    (campsync.sync.environment.EnvironmentFileCache)."""

    def recall(self, file: str, digest: str) -> EnvFileCheck | None: ...

    def remember(self, file: str, digest: str, check: EnvFileCheck) -> None: ...


def merged_digest(text: str, environment: Environment) -> str:
    """What merged data depends on: the file's text and the environment's overrides. Also the
    campaign's digest, so that a plan never recalls a comparison made with other overrides."""
    raw = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(hashlib.sha256(raw).digest() + environment.digest.encode()).hexdigest()


def check_file(
    path: Path, shown: str, environment: Environment, memo: EnvironmentMemo | None = None
) -> EnvFileCheck:
    try:
        text = read_text(path)
    except YamlLoadError as exc:
        return EnvFileCheck(None, [Problem(shown, exc.line, exc.column, "", exc.reason)])
    digest = merged_digest(text, environment)
    if memo is not None:
        known = memo.recall(shown, digest)
        if known is not None:
            return known
    checked = check_text_in(text, shown, environment, digest)
    if memo is not None:
        memo.remember(shown, digest, checked)
    return checked


def check_text_in(text: str, file: str, environment: Environment, digest: str) -> EnvFileCheck:
    """One file's text, merged with `environment`'s overrides and checked."""
    try:
        document = load_yaml_text(text)
    except YamlLoadError:
        document = None
    if document is None or not isinstance(document.data, dict):
        # Not a campaign at all: the same refusal as without environments.
        return EnvFileCheck(None, check_text(text, file).problems)
    data: dict[str, Any] = document.data
    name = data.get("name") if isinstance(data.get("name"), str) else None
    merged = merge(data, environment.layers(name))
    label = merged.data.get("name") if isinstance(merged.data.get("name"), str) else name
    placer = _Placer(file, document, merged, environment, label or file)
    placer.check()
    return EnvFileCheck(
        CampaignFile(file, merged.data, digest),
        sorted(set(placer.problems)),
        sorted(set(placer.in_config), key=lambda found: found.problem),
        name,
        document.locate(["name"]) if name is not None else None,
        document.locate(["id"]) if isinstance(data.get("id"), str) else None,
    )


@dataclass
class _Placer:
    """Checks merged data, each problem placed where its value came from."""

    file: str
    document: Document
    merged: Merged
    environment: Environment
    campaign: str
    problems: list[Problem] = field(default_factory=list)
    in_config: list[InConfig] = field(default_factory=list)

    def check(self) -> None:
        data = self.merged.data
        errors = list(campaign_validator().iter_errors(data))
        # A value of the wrong type fails its other keywords too; report only the type.
        type_paths = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
        for error in errors:
            if error.validator != "type" and tuple(error.absolute_path) in type_paths:
                continue
            if _create_only(error):
                continue
            for located in problems_from_schema_error(error, data):
                target = located.where if located.where is not None else located.path
                self.place(target, located.path, located.message, at_key=located.at_key)
        for finding in rules.check_campaign(data):
            self.place(finding.path, finding.path, finding.message)

    def place(
        self,
        target: Sequence[PathItem],
        path: Sequence[PathItem],
        message: str,
        *,
        at_key: bool = False,
    ) -> None:
        origin = self.merged.origin(target)
        shown = format_path(path)
        if origin is None:
            line, column = self.document.locate(list(target), key=at_key)
            self.problems.append(Problem(self.file, line, column, shown, message))
            return
        config, line, column = self.environment.position(origin, target, at_key=at_key)
        problem = Problem(config, line, column, shown, message)
        self.in_config.append(InConfig(problem, self.campaign))


def _create_only(error: ValidationError) -> bool:
    """The schema's rule that a campaign without an id (one to create) holds the create-only
    fields: an environment's campaign without an id may exist already (see the module's doc)."""
    value = error.validator_value
    return (
        error.validator == "required"
        and isinstance(value, list)
        and bool(value)
        and all(name in CREATE_ONLY for name in value)
    )


def naming(environment: str, campaigns: Sequence[str]) -> str:
    """`(environment 'staging', campaign 'Q4 Renewals')`: which environment and campaign a
    problem in campsync.yaml belongs to (several campaigns when a "*" value is at fault)."""
    names = sorted(set(campaigns), key=lambda n: (n.casefold(), n))
    shown = [quoted(name) for name in names[:3]]
    if len(names) == 1:
        which = f"campaign {shown[0]}"
    elif len(names) <= 3:
        which = f"campaigns {', '.join(shown[:-1])} and {shown[-1]}"
    else:
        which = f"campaigns {', '.join(shown)} and {len(names) - 3} more"
    return f"(environment {quoted(environment)}, {which})"


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
    paths: Sequence[Path], environment: Environment, memo: EnvironmentMemo | None = None
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


def _override_entries(environment: Environment, checks: Sequence[EnvFileCheck]) -> list[Problem]:
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
    environment: Environment, checks: Sequence[EnvFileCheck]
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
                others = ", ".join(
                    f"{f}:{ln}:{col}" for (f, ln, col), _, _ in members if (f, ln, col) != at
                )
                if field_name == "name":
                    text = (
                        f"campaign name {quoted(value)} is also used in {others} "
                        "(names must be unique, ignoring case)"
                    )
                else:
                    text = f"campaign id {quoted(value)} is also used in {others}"
                problem = Problem(at[0], at[1], at[2], field_name, text)
                if label is None:
                    in_files.append(problem)
                else:
                    in_config.append(InConfig(problem, label))
    return in_files, in_config


# -- every environment (validate without --env) ------------------------------------------------


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
