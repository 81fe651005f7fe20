"""Comparing two accounts (`campsync compare ENV_A ENV_B`): the same campaign files under two
environments, each matched in its own account as `plan` matches them, and the fields whose
platform values differ beyond what the environments make different on purpose. Pure: it
takes what was read (plain values) and returns the differences; no I/O, nothing printed.

- A file is compared on the fields it sets (fields a file leaves out are no difference),
  without any field either environment's overrides set or remove (`overridden`), never
  server fields or per-account ids (a flow by the name each account's mapping gives its id),
  with the comparable form of `plan` (sync.diffing.compare_live).
- A file whose campaign exists in one account only is a difference (`only_in_a`,
  `only_in_b`: the other account would get it created by `apply`, or the environment names
  an id that account lacks).
- Not differences, but told (`not_compared`): a file that only one environment's
  `campaigns:` globs include (so by design), and one whose campaign is in neither account;
  and the campaigns no file describes (`unmanaged`, per account).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from campsync.campaign.overrides import PathKey
from campsync.sync.diffing import Live, compare_live
from campsync.sync.inventory import Listed
from campsync.sync.plan import FieldDiff
from campsync.text import quoted

FORMAT_VERSION = 1
Kind = Literal["different", "only_in_a", "only_in_b"]
KIND_ORDER: dict[str, int] = {"different": 0, "only_in_a": 1, "only_in_b": 2}


@dataclass(frozen=True)
class Found:
    """The campaign a file matched in one account: its list entry and its full body."""

    entry: Listed
    body: Mapping[str, Any]


@dataclass(frozen=True)
class FileView:
    """One campaign file as one environment sees it: its data merged with the environment's
    overrides, the paths those overrides set or remove (campaign.overrides.overridden), and
    the campaign it matched in the environment's account (None: none)."""

    file: str
    data: Mapping[str, Any]
    overridden: Collection[PathKey] = frozenset()
    found: Found | None = None


@dataclass(frozen=True)
class AccountView:
    """What was read of one environment's account: its files (as it sees them), the names of
    its campaigns that no file describes, and its experienceFlows mapping."""

    environment: str
    files: Sequence[FileView]
    unmanaged: Sequence[str] = ()
    experience_flows: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignDifference:
    """One campaign file whose accounts differ: in fields (`diff`, A's value as `before`, B's
    as `after`, None for absent) or in presence (`reason` says what the other account
    lacks)."""

    kind: Kind
    name: str
    file: str
    id_a: str | None
    id_b: str | None
    diff: tuple[FieldDiff, ...] = ()
    reason: str | None = None

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (KIND_ORDER[self.kind], self.name.casefold(), self.name, self.file)

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "file": self.file,
            "ids": {"a": self.id_a, "b": self.id_b},
            "diff": [{"path": d.path, "a": d.before, "b": d.after} for d in self.diff],
        }
        if self.reason is not None:
            entry["reason"] = self.reason
        return entry


@dataclass(frozen=True)
class NotCompared:
    """A file compare did not compare, and why (not a difference)."""

    name: str
    file: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "reason": self.reason}


@dataclass(frozen=True)
class AccountComparison:
    """Two accounts compared: the campaigns that differ (kind, then name, then file), how
    many are the same, what was not compared, each account's unmanaged campaigns, and the
    warnings of comparing."""

    a: str
    b: str
    campaigns: tuple[CampaignDifference, ...] = ()
    same: int = 0
    not_compared: tuple[NotCompared, ...] = ()
    unmanaged_a: tuple[str, ...] = ()
    unmanaged_b: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def has_differences(self) -> bool:
        """Any campaign that differs (exit 2, as `plan --detailed-exitcode`)."""
        return bool(self.campaigns)

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(KIND_ORDER, 0)
        for campaign in self.campaigns:
            counts[campaign.kind] += 1
        return {**counts, "same": self.same, "not_compared": len(self.not_compared)}

    def to_json(self) -> dict[str, Any]:
        """The compare JSON (`--json`, format_version 1; README "Compare two accounts")."""
        return {
            "format_version": FORMAT_VERSION,
            "environments": {"a": self.a, "b": self.b},
            "campaigns": [campaign.to_json() for campaign in self.campaigns],
            "summary": self.summary,
            "not_compared": [item.to_json() for item in self.not_compared],
            "unmanaged": {"a": list(self.unmanaged_a), "b": list(self.unmanaged_b)},
            "warnings": list(self.warnings),
        }


def compare_accounts(a: AccountView, b: AccountView) -> AccountComparison:
    """The campaign files of both environments, each compared across the two accounts."""
    views_b = {view.file: view for view in b.files}
    files_a = {view.file for view in a.files}
    campaigns: list[CampaignDifference] = []
    not_compared: list[NotCompared] = []
    warnings: list[str] = []
    same = 0
    for view in a.files:
        other = views_b.get(view.file)
        if other is None:
            not_compared.append(_one_environment(view, a.environment))
            continue
        if view.found is None or other.found is None:
            missing = _missing(view, other, a.environment, b.environment)
            if missing is None:
                reason = "no campaign in either account (apply would create it in both)"
                not_compared.append(NotCompared(_name(view, other), view.file, reason))
            else:
                campaigns.append(missing)
            continue
        desired = without(view.data, {*view.overridden, *other.overridden})
        comparison = compare_live(
            desired,
            _live(view.found, a.experience_flows),
            _live(other.found, b.experience_flows),
        )
        warnings.extend(comparison.warnings)
        if not comparison.diffs:
            same += 1
            continue
        campaigns.append(
            CampaignDifference(
                "different",
                _name(view, other),
                view.file,
                view.found.entry.id,
                other.found.entry.id,
                comparison.diffs,
            )
        )
    not_compared.extend(
        _one_environment(view, b.environment) for view in b.files if view.file not in files_a
    )
    return AccountComparison(
        a.environment,
        b.environment,
        tuple(sorted(campaigns, key=lambda campaign: campaign.sort_key)),
        same,
        tuple(sorted(not_compared, key=lambda item: item.file)),
        tuple(sorted(a.unmanaged, key=_name_order)),
        tuple(sorted(b.unmanaged, key=_name_order)),
        tuple(dict.fromkeys(warnings)),
    )


def without(data: Mapping[str, Any], paths: Collection[PathKey]) -> dict[str, Any]:
    """A copy of `data` without the values at `paths` (a mapping emptied by that goes too):
    what a file manages in both environments alike."""
    result: dict[str, Any] = copy.deepcopy(dict(data))
    for path in sorted(paths, key=len, reverse=True):
        _remove(result, path)
    return result


def _remove(data: dict[str, Any], path: PathKey) -> None:
    head, *rest = path
    if not isinstance(head, str) or head not in data:
        return
    if not rest:
        del data[head]
        return
    inner = data[head]
    if isinstance(inner, dict):
        _remove(inner, tuple(rest))
        if not inner:
            del data[head]


def _live(found: Found, flows: Mapping[str, str]) -> Live:
    entry = found.entry
    return Live(found.body, entry.item, entry.campaign_type, flows)


def _missing(view: FileView, other: FileView, env_a: str, env_b: str) -> CampaignDifference | None:
    """The difference of a file whose campaign one account lacks (None: both lack it)."""
    name = _name(view, other)
    if view.found is not None:
        return CampaignDifference(
            "only_in_a", name, view.file, view.found.entry.id, None, (), _lacks(other, env_b)
        )
    if other.found is not None:
        return CampaignDifference(
            "only_in_b", name, view.file, None, other.found.entry.id, (), _lacks(view, env_a)
        )
    return None


def _lacks(view: FileView, environment: str) -> str:
    """Why the environment's account has no campaign for this file."""
    campaign_id = view.data.get("id")
    if isinstance(campaign_id, str) and campaign_id:
        return f"no campaign with id {campaign_id} in {quoted(environment)}"
    return f"no campaign named {quoted(str(view.data.get('name', '')))} in {quoted(environment)}"


def _one_environment(view: FileView, environment: str) -> NotCompared:
    reason = f"only environment {quoted(environment)} has this file (its campaigns: globs)"
    return NotCompared(str(view.data.get("name", "")), view.file, reason)


def _name(view: FileView, other: FileView) -> str:
    """The campaign's name as environment A has it (B's when A's account lacks it)."""
    chosen = view if view.found is not None or other.found is None else other
    return str(chosen.data.get("name", ""))


def _name_order(name: str) -> tuple[str, str]:
    return (name.casefold(), name)
