"""One campaign file with overrides merged over it (an environment's, see
campsync.config.environments), checked as merged: the schema and the single-file rules, each problem
placed where its value came from: in the file, or in the settings file the overrides live in
(then kept apart as `InConfig`, to be completed with the environment and the campaigns).

One difference from a file checked alone: without an `id`, a merged Agentless campaign is not
required to hold `enableMachineDetect`. Ids are per account, so a campaign without one is
matched by name and may well exist; the platform needs the field only to create one, and never
returns it, so the plan (not the file) says when a create lacks it (campsync.sync.rules).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from jsonschema.exceptions import ValidationError

from campsync.campaign import rules
from campsync.campaign.messages import schema_problems
from campsync.campaign.overrides import Layer, Merged, PathItem, merge
from campsync.campaign.schema import campaign_validator
from campsync.campaign.validation import (
    CampaignFile,
    Problem,
    check_text,
    format_path,
    passes_quickly,
)
from campsync.campaign.yamlio import Document, YamlLoadError, load_plain, load_yaml_text, read_text
from campsync.text import quoted

# Create-only fields a merged campaign without an id need not hold (see the module's doc).
CREATE_ONLY = ("enableMachineDetect",)


class Overrides(Protocol):
    """Where overrides come from (campsync.config.environments.Environment): their name (an
    environment's), a digest of them all, the entries for a campaign, and where a value of an
    entry is written."""

    @property
    def name(self) -> str: ...

    @property
    def digest(self) -> str: ...

    def layers(self, name: Any) -> list[Layer]: ...

    def position(
        self, key: str, path: Sequence[PathItem], *, at_key: bool = False
    ) -> tuple[str, int, int]: ...


@dataclass(frozen=True)
class InConfig:
    """A problem in a value that came from campsync.yaml, and the campaign it was found in
    (the message is completed by `naming` once the campaigns sharing it are known)."""

    problem: Problem
    campaign: str


@dataclass(frozen=True)
class MergedCheck:
    """One file with overrides: its merged campaign (None when the file did not load as a
    mapping), its problems in the file and in campsync.yaml, the name the file itself gives
    (its own override entry is found by it) and where the file writes its name and id (None:
    it does not)."""

    campaign: CampaignFile | None
    problems: list[Problem]
    in_config: list[InConfig] = field(default_factory=list)
    name: str | None = None
    name_at: tuple[int, int] | None = None
    id_at: tuple[int, int] | None = None


class MergedMemo(Protocol):
    """Remembers problem-free checks by file and by the digest of its text and the overrides
    (campsync.sync.environment.EnvironmentFileCache)."""

    def recall(self, file: str, digest: str) -> MergedCheck | None: ...

    def remember(self, file: str, digest: str, check: MergedCheck) -> None: ...


def merged_digest(text: str, overrides: Overrides) -> str:
    """What merged data depends on: the file's text and the overrides. Also the campaign's
    digest, so that a plan never recalls a comparison made with other overrides."""
    raw = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(hashlib.sha256(raw).digest() + overrides.digest.encode()).hexdigest()


def check_file(
    path: Path, shown: str, overrides: Overrides, memo: MergedMemo | None = None
) -> MergedCheck:
    """The file at `path` (shown as `shown`), merged and checked, or as `memo` recalls it."""
    try:
        text = read_text(path)
    except YamlLoadError as exc:
        return MergedCheck(None, [Problem(shown, exc.line, exc.column, "", exc.reason)])
    digest = merged_digest(text, overrides)
    if memo is not None:
        known = memo.recall(shown, digest)
        if known is not None:
            return known
    checked = check_merged(text, shown, overrides, digest)
    if memo is not None:
        memo.remember(shown, digest, checked)
    return checked


def check_merged(text: str, file: str, overrides: Overrides, digest: str) -> MergedCheck:
    """One file's text, with `overrides` merged over it, checked."""
    quick = _check_plain(text, file, overrides, digest)
    if quick is not None:
        return quick
    try:
        document = load_yaml_text(text)
    except YamlLoadError:
        document = None
    if document is None or not isinstance(document.data, dict):
        # Not a campaign at all: the same refusal as without overrides.
        return MergedCheck(None, check_text(text, file).problems)
    data: dict[str, Any] = document.data
    name = data.get("name") if isinstance(data.get("name"), str) else None
    merged = merge(data, overrides.layers(name))
    label = merged.data.get("name") if isinstance(merged.data.get("name"), str) else name
    placer = _Placer(file, document, merged, overrides, label or file)
    placer.check()
    return MergedCheck(
        CampaignFile(file, merged.data, digest),
        sorted(set(placer.problems)),
        sorted(set(placer.in_config), key=lambda found: found.problem),
        name,
        document.locate(["name"]) if name is not None else None,
        document.locate(["id"]) if isinstance(data.get("id"), str) else None,
    )


def _check_plain(text: str, file: str, overrides: Overrides, digest: str) -> MergedCheck | None:
    """check_merged of an ordinary file whose merged campaign jsonschema-rs and the window rule
    pass, as validation's quick path does it: from yamlio.load_plain's data and positions, with
    no node tree and no jsonschema. None for any other file (check_merged then reads it)."""
    plain = load_plain(text)
    if plain is None or type(plain.data) is not dict:
        return None
    data: dict[str, Any] = plain.data
    at = plain.positions
    name = data.get("name") if isinstance(data.get("name"), str) else None
    has_id = isinstance(data.get("id"), str)
    name_at = at.get("name") if name is not None else None
    id_at = at.get("id") if has_id else None
    if (name is not None and name_at is None) or (has_id and id_at is None):
        return None  # an empty name or id: no position of its own in `at`
    merged = merge(data, overrides.layers(name))
    if not passes_quickly(merged.data):
        return None
    return MergedCheck(CampaignFile(file, merged.data, digest), [], [], name, name_at, id_at)


@dataclass
class _Placer:
    """Checks merged data, each problem placed where its value came from."""

    file: str
    document: Document
    merged: Merged
    overrides: Overrides
    campaign: str
    problems: list[Problem] = field(default_factory=list)
    in_config: list[InConfig] = field(default_factory=list)

    def check(self) -> None:
        data = self.merged.data
        if passes_quickly(data):
            return  # jsonschema and the rules would find nothing: no need to ask them
        for located in schema_problems(campaign_validator(), data, skip=_create_only):
            self.place(located.target, located.path, located.message, at_key=located.at_key)
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
        """A problem at `path`, pointed at `target` where its value came from."""
        origin = self.merged.origin(target)
        shown = format_path(path)
        if origin is None:
            line, column = self.document.locate(list(target), key=at_key)
            self.problems.append(Problem(self.file, line, column, shown, message))
            return
        config, line, column = self.overrides.position(origin, target, at_key=at_key)
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
