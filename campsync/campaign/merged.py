"""One campaign file with an environment's overrides merged over it (campaign.environment),
checked as merged: the schema and the single-file rules, each problem placed where its value
came from: in the file, or in campsync.yaml, where the overrides live (then kept apart as
`InConfig`, to be completed with the environment and the campaigns by campaign.crossfile).

One difference from a file checked alone: without an `id`, a merged Agentless campaign is not
required to hold `enableMachineDetect`. Ids are per account, so a campaign without one is
matched by name and may well exist; the platform needs the field only to create one, and never
returns it, so the plan (not the file) says when a create lacks it (campsync.sync.rules).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema.exceptions import ValidationError

from campsync.campaign import rules
from campsync.campaign.environment import Environment
from campsync.campaign.messages import schema_problems
from campsync.campaign.overrides import Merged, PathItem, merge
from campsync.campaign.schema import campaign_validator
from campsync.campaign.validation import (
    CampaignFile,
    FileCheck,
    InConfig,
    Problem,
    check_text,
    format_path,
    own_name,
    passes_quickly,
)
from campsync.campaign.yamlio import Document, YamlLoadError, load_plain, load_yaml_text

# Create-only fields a merged campaign without an id need not hold (see the module's doc).
CREATE_ONLY = ("enableMachineDetect",)


def merged_digest(text_digest: bytes, environment: Environment) -> str:
    """What merged data depends on: the file's text (its SHA-256) and the overrides. Also the
    campaign's digest, so that a plan never recalls a comparison made with other overrides."""
    return hashlib.sha256(text_digest + environment.digest.encode()).hexdigest()


def check_merged(
    text: str, file: str, environment: Environment, digest: str, *, quick: bool = True
) -> FileCheck:
    """One file's text, with the environment's overrides merged over it, checked. `quick` as
    validation.check_text's."""
    if quick:
        checked = _check_plain(text, file, environment, digest)
        if checked is not None:
            return checked
    try:
        document = load_yaml_text(text)
    except YamlLoadError:
        document = None
    if document is None or not isinstance(document.data, dict):
        # Not a campaign at all: the same refusal as without overrides.
        return FileCheck(None, check_text(text, file).problems, None, None)
    data: dict[str, Any] = document.data
    name = own_name(data)
    merged = merge(data, environment.layers(name))
    label = merged.data.get("name") if isinstance(merged.data.get("name"), str) else name
    placer = _Placer(file, document, merged, environment, label or file)
    placer.check(quick)
    return FileCheck(
        CampaignFile(file, merged.data, digest),
        sorted(set(placer.problems)),
        document.locate(["name"]) if name is not None else None,
        document.locate(["id"]) if isinstance(data.get("id"), str) else None,
        name,
        tuple(sorted(set(placer.in_config), key=lambda found: found.problem)),
    )


def _check_plain(text: str, file: str, environment: Environment, digest: str) -> FileCheck | None:
    """check_merged of an ordinary file whose merged campaign jsonschema-rs and the window rule
    pass, as validation's quick path does it: from yamlio.load_plain's data and positions, with
    no node tree and no jsonschema. None for any other file (check_merged then reads it)."""
    plain = load_plain(text)
    if plain is None or type(plain.data) is not dict:
        return None
    data: dict[str, Any] = plain.data
    at = plain.positions
    name = own_name(data)
    has_id = isinstance(data.get("id"), str)
    name_at = at.get("name") if name is not None else None
    id_at = at.get("id") if has_id else None
    if (name is not None and name_at is None) or (has_id and id_at is None):
        return None  # an empty name or id: no position of its own in `at`
    merged = merge(data, environment.layers(name))
    if not passes_quickly(merged.data):
        return None
    return FileCheck(CampaignFile(file, merged.data, digest), [], name_at, id_at, name)


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

    def check(self, quick: bool) -> None:
        data = self.merged.data
        if quick and passes_quickly(data):
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
