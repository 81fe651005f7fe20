"""Which campaigns `plan --since REF` compares in full, and why. Pure.

A pull request's plan need not read every campaign: the ones it can change are those whose
files changed since REF, or whose entries of campsync.yaml did. The platform's side is
watched through what the list gives anyway: a campaign whose list entry differs from its
file, or whose `updatedAt` moved since the cache last saw it, is compared in full too. Every
other campaign is compared on what the list returns, and an empty cache is no reason to
read one. When unsure (campsync.yaml unreadable at REF, a setting whose reach is unclear),
everything is compared in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from campsync.campaign.overrides import EVERY
from campsync.campaign.validation import CampaignFile
from campsync.campaign.yamlio import YamlLoadError, load_yaml_text
from campsync.sync.diffing import listed_differs
from campsync.sync.inventory import Listed
from campsync.sync.plan import Reason

# Settings of campsync.yaml (top level or an environment's) that change nothing a comparison
# of a file with its campaign sees; any other change, outside `experienceFlows` and
# `overrides`, reaches every campaign.
NOT_COMPARED_SETTINGS = frozenset({"cacheDir", "prune", "keep", "safety", "credentials"})
_BY_ENTRY = frozenset({"experienceFlows", "overrides"})


@dataclass(frozen=True)
class ConfigTouch:
    """The campaigns a change of campsync.yaml reaches: every one, or those whose override
    entry changed (`names`, casefolded: an entry is found by the campaign's name, case
    aside), or whose flow's id did (`flows`, casefolded names)."""

    everything: bool = False
    names: frozenset[str] = frozenset()
    flows: frozenset[str] = frozenset()

    def reaches(self, names: Iterable[Any], flow: Any) -> bool:
        """Whether it reaches a campaign known by `names` (its file's own name, the merged
        one) whose file names the flow `flow`."""
        if self.everything:
            return True
        if isinstance(flow, str) and flow.casefold() in self.flows:
            return True
        return any(isinstance(name, str) and name.casefold() in self.names for name in names)


NOTHING = ConfigTouch()
EVERYTHING = ConfigTouch(everything=True)


def config_touch(
    then: Mapping[str, Any] | None, now: Mapping[str, Any] | None, environment: str | None
) -> ConfigTouch:
    """What a change of campsync.yaml from `then` (its data at REF; None: there was none, or
    it could not be read) to `now` reaches, for the campaigns of `environment` (None: the
    file's top level)."""
    if then == now:
        return NOTHING
    if then is None or now is None:
        return EVERYTHING
    old, new = _settings(then, environment), _settings(now, environment)
    if old is None or new is None or _rest(old) != _rest(new):
        return EVERYTHING
    flows = _changed_keys(_flows(old), _flows(new))
    overrides = _changed_keys(old[1].get("overrides", {}), new[1].get("overrides", {}))
    if flows is None or overrides is None or EVERY in overrides:
        return EVERYTHING
    return ConfigTouch(
        names=frozenset(key.casefold() for key in overrides),
        flows=frozenset(key.casefold() for key in flows),
    )


def config_then(exists: bool, text: str | None) -> Mapping[str, Any] | None:
    """campsync.yaml's data as REF had it, for config_touch: {} when there was none (as
    when there is none now), None when it cannot be told (`text` None: git could not give
    it plainly; not YAML; not a mapping)."""
    if not exists:
        return {}
    if text is None:
        return None
    try:
        document = load_yaml_text(text)
    except YamlLoadError:
        return None
    if document is None:
        return {}
    return document.data if isinstance(document.data, dict) else None


Settings = tuple[Mapping[str, Any], Mapping[str, Any]]  # (top level, environment's entry)


def _settings(data: Mapping[str, Any], environment: str | None) -> Settings | None:
    """The top level and the environment's entry ({} without one); None when the entry is
    not there (nothing can be said)."""
    top = {key: value for key, value in data.items() if key != "environments"}
    if environment is None:
        return (data, {})
    environments = data.get("environments")
    entry = environments.get(environment) if isinstance(environments, Mapping) else None
    return (top, entry) if isinstance(entry, Mapping) else None


def _rest(settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """What, beside flows and overrides, may reach every campaign."""
    skip = NOT_COMPARED_SETTINGS | _BY_ENTRY
    top, entry = settings
    return (
        {key: value for key, value in top.items() if key not in skip},
        {key: value for key, value in entry.items() if key not in skip},
    )


def _flows(settings: Settings) -> Any:
    """The experienceFlows mapping in effect: the environment's over the top level's."""
    top, entry = settings
    mine, theirs = top.get("experienceFlows", {}), entry.get("experienceFlows", {})
    if isinstance(mine, Mapping) and isinstance(theirs, Mapping):
        return {**mine, **theirs}
    return None


def _changed_keys(first: Any, second: Any) -> set[str] | None:
    """The keys whose values differ between two mappings (None: one is no mapping)."""
    if not isinstance(first, Mapping) or not isinstance(second, Mapping):
        return None
    keys = set(first) | set(second)
    if not all(isinstance(key, str) for key in keys):
        return None
    return {key for key in keys if first.get(key, _ABSENT) != second.get(key, _ABSENT)}


_ABSENT: Any = object()


@dataclass(frozen=True)
class ChangedSince:
    """What changed since a revision, as a plan chooses by it: the revision as given, which
    files changed (`file_changed`, by CampaignFile.file), what campsync.yaml's change reaches
    (`touch`), the updatedAt the cache last saw of each campaign (`seen_at`: None when it
    knows none), and each file's own name (`own_names`, before an environment's overrides)."""

    ref: str
    file_changed: Callable[[str], bool]
    touch: ConfigTouch = NOTHING
    seen_at: Callable[[str], str | None] = lambda campaign_id: None
    own_names: Mapping[str, str] = field(default_factory=dict)

    def choose(self, matched: Sequence[tuple[CampaignFile, Listed]]) -> dict[str, Reason]:
        """The matched campaigns to compare in full (by id), each with the first reason that
        holds: its file changed, campsync.yaml reaches it, its list entry differs from its
        file, or the cache saw it at another updatedAt."""
        chosen: dict[str, Reason] = {}
        for cf, entry in matched:
            reason = self._reason(cf, entry)
            if reason is not None:
                chosen[entry.id] = reason
        return chosen

    def _reason(self, cf: CampaignFile, entry: Listed) -> Reason | None:
        if self.file_changed(cf.file):
            return "file"
        names = (self.own_names.get(cf.file), cf.data.get("name"))
        if self.touch.reaches(names, cf.data.get("experienceFlowName")):
            return "config"
        if listed_differs(cf.data, entry.item, listed_type=entry.campaign_type):
            return "list"
        seen = self.seen_at(entry.id)
        if seen is not None and seen != entry.updated_at:
            return "platform"
        return None
