"""The plan: what `apply` would do, as small value objects.

A `Change` is one action on one campaign: create, stop, update, start, delete, or blocked
(it differs, but the platform would refuse the edit, e.g. an Active campaign). It carries
what apply needs to do it (the request body, the campaign type, the `updatedAt` it was
planned against, the status a start or stop was planned against). A campaign may have
several (stop, update, start; create, start: sync.runstate). A `Plan` is a frozen value:
its changes in a stable order (create, stop, update, start, blocked, delete; then by name,
case-insensitively, then by file), which lists one campaign's changes in the order apply
takes them, sorted once when it is made (`Plan.of`); it counts them and serialises itself
to the contract's plan JSON. A step that adds to a plan makes a new one
(`dataclasses.replace`, `Plan.of`).

A plan that apply would refuse without `--force` (the safety thresholds, sync.safety) carries
its `Refusal`, so that every form of the plan (text, Markdown, JSON, a saved plan) says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

Action = Literal["create", "stop", "update", "start", "delete", "blocked"]
ACTIONS: tuple[str, ...] = get_args(Action)
# A rank per action, the first key of the plan's order. A campaign may have several changes
# (run state: stop, update, start; create, start), listed in the order apply runs them for
# that campaign: ranks that follow that order (stop < update < start, create < start) keep
# it, whatever else sorts between them.
ACTION_ORDER = {"create": 0, "stop": 1, "update": 2, "start": 3, "blocked": 4, "delete": 5}
RUN_ACTIONS = frozenset({"start", "stop"})  # the trigger call: they change the run state
FORMAT_VERSION = 1
FORCE = "--force"  # what makes apply go ahead despite a refusal


@dataclass(frozen=True)
class FieldDiff:
    """One changed field: `path` dotted from the top-level field, list items and
    calling-hours days in brackets; `before` the platform value, `after` the file
    value (None when absent)."""

    path: str
    before: Any
    after: Any
    origin: str | None = None  # where it came from (sync.origin), when told

    def to_json(self) -> dict[str, Any]:
        entry = {"path": self.path, "before": self.before, "after": self.after}
        if self.origin is not None:
            entry["origin"] = self.origin
        return entry


@dataclass(frozen=True)
class Change:
    """One action on one campaign that apply would take (or that is blocked).

    `body` is the request body apply will send (create and update); `updated_at`
    the platform's `updatedAt` as read when planning (update, blocked, delete), so
    that apply can refuse a plan gone stale; `status` the campaign's status as listed
    when planning (start, stop: their freshness; None for a campaign apply creates). A
    saved plan keeps them with each change (sync.planfile).
    """

    action: Action
    name: str
    id: str | None
    file: str | None
    diff: tuple[FieldDiff, ...] = ()
    reason: str | None = None
    campaign_type: str = "voice"
    body: dict[str, Any] | None = None
    updated_at: str | None = None
    status: str | None = None
    origin: str | None = None  # of an update's difference (sync.origin): files, platform, ...

    def __post_init__(self) -> None:
        if self.action not in ACTION_ORDER:
            raise ValueError(f"unknown plan action {self.action!r}")
        if self.action == "blocked" and not self.reason:
            raise ValueError("a blocked change needs a reason")
        if not isinstance(self.diff, tuple):
            object.__setattr__(self, "diff", tuple(self.diff))

    @property
    def campaign(self) -> str:
        """Which campaign the change is about, to tell one campaign's changes apart: its
        file (a campaign apply creates has no id yet), else its id (a delete has no file)."""
        return f"file:{self.file}" if self.file is not None else f"id:{self.id}"

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (ACTION_ORDER[self.action], self.name.casefold(), self.name, self.file or "")

    def to_json(self) -> dict[str, Any]:
        """This change as the contract's plan JSON shows it."""
        entry: dict[str, Any] = {
            "action": self.action,
            "id": self.id,
            "name": self.name,
            "file": self.file,
            "diff": [d.to_json() for d in self.diff],
        }
        if self.action == "blocked":
            entry["reason"] = self.reason
        if self.origin is not None:
            entry["origin"] = self.origin
        return entry


@dataclass(frozen=True)
class Refusal:
    """Why apply would refuse the plan unless given `override`: one short reason per crossed
    threshold, as the contract words them (`updates 4 of 13 campaigns (31%) >
    maxUpdatePercent 30`)."""

    reasons: tuple[str, ...]
    override: str = FORCE

    def __post_init__(self) -> None:
        if not isinstance(self.reasons, tuple):
            object.__setattr__(self, "reasons", tuple(self.reasons))
        if not self.reasons:
            raise ValueError("a refusal needs a reason")

    def to_json(self) -> dict[str, Any]:
        return {"reasons": list(self.reasons), "override": self.override}


# Why `plan --since` compares a campaign in full: its file changed, an entry of campsync.yaml
# that reaches it changed, its list entry differs from its file, or the platform changed it
# since the cache saw it (sync.since).
Reason = Literal["file", "config", "list", "platform"]
REASONS: tuple[str, ...] = get_args(Reason)


@dataclass(frozen=True)
class InFull:
    """A campaign that `plan --since` compared in full, and why (sync.since.Reason: `file`,
    `config`, `list` or `platform`)."""

    name: str
    file: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "reason": self.reason}


@dataclass(frozen=True)
class Since:
    """How `plan --since REF` narrowed a plan: the revision as given, the campaigns it
    compared in full (in name order), and how many it compared on what the list returns."""

    ref: str
    in_full: tuple[InFull, ...] = ()
    on_list: int = 0


def _in_full_order(each: InFull) -> tuple[str, str, str]:
    return (*_name_order(each.name), each.file or "")


def _ordered(changes: Iterable[Change]) -> tuple[Change, ...]:
    """Changes in the plan's order (Change.sort_key)."""
    return tuple(sorted(changes, key=lambda change: change.sort_key))


def _name_order(name: str) -> tuple[str, str]:
    return (name.casefold(), name)


def _in_order(keys: Iterable[tuple[Any, ...]]) -> bool:
    return all(a <= b for a, b in itertools.pairwise(keys))


@dataclass(frozen=True)
class Plan:
    """Changes in a stable order, the count of campaigns that need nothing, the
    names of platform campaigns no file describes (never touched, in name order), and
    warnings. `existing`: the campaigns in scope on the platform when planned (what the
    safety thresholds measure against; not in the plan JSON). `refusal`: why apply would
    refuse it without --force (None: it would not). `since`: what `plan --since` compared in
    full (None: a full plan).

    Made by `Plan.of`, which puts the changes and names in order; the constructor takes
    them in that order already (ValueError otherwise), so that `replace` keeps it."""

    changes: tuple[Change, ...] = ()
    unchanged: int = 0
    unmanaged: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    existing: int = 0
    refusal: Refusal | None = None
    # What the account's names were checked against (sync.references: kind -> "checked" or
    # why not); None when nothing was (no create or update). Saved, not in the plan JSON.
    references: Mapping[str, str] | None = field(default=None, hash=False)
    since: Since | None = None  # plan --since: what was compared in full

    @classmethod
    def of(
        cls,
        changes: Iterable[Change] = (),
        *,
        unchanged: int = 0,
        unmanaged: Iterable[str] = (),
        warnings: Iterable[str] = (),
        existing: int = 0,
        refusal: Refusal | None = None,
        references: Mapping[str, str] | None = None,
        since: Since | None = None,
    ) -> Plan:
        """The plan of these changes and names, each put in the plan's order."""
        if since is not None:
            ordered = sorted(since.in_full, key=_in_full_order)
            since = Since(since.ref, tuple(ordered), since.on_list)
        return cls(
            _ordered(changes),
            unchanged,
            tuple(sorted(unmanaged, key=_name_order)),
            tuple(warnings),
            existing,
            refusal,
            references,
            since,
        )

    def revised(self, changes: Iterable[Change], **fields: Any) -> Plan:
        """This plan with other changes (put in the plan's order) and the `fields` given; every
        other field kept (a step after deciding: the references' check)."""
        return replace(self, changes=_ordered(changes), **fields)

    def __post_init__(self) -> None:
        for name in ("changes", "unmanaged", "warnings"):
            if not isinstance(getattr(self, name), tuple):
                raise TypeError(f"Plan.{name}: a tuple expected (Plan.of takes any iterable)")
        keys = (change.sort_key for change in self.changes)
        names = (_name_order(name) for name in self.unmanaged)
        if not (_in_order(keys) and _in_order(names)):
            raise ValueError("a plan's changes and unmanaged names come in order (see Plan.of)")

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            counts[change.action] += 1
        return {**counts, "unchanged": self.unchanged, "unmanaged": len(self.unmanaged)}

    @property
    def restarts(self) -> frozenset[str]:
        """The campaigns (Change.campaign) the plan stops, updates and starts again: an
        Active campaign edited with --restart."""
        steps: dict[str, set[str]] = {}
        for change in self.changes:
            steps.setdefault(change.campaign, set()).add(change.action)
        return frozenset(
            key for key, found in steps.items() if {"stop", "update", "start"} <= found
        )

    @property
    def has_changes(self) -> bool:
        """Any entry at all, blocked included (`plan --detailed-exitcode` exits 2)."""
        return bool(self.changes)

    def to_json(self) -> dict[str, Any]:
        """The contract's plan JSON (`--json`), plus `summary.unmanaged` and the
        top-level `warnings` list; `refusal` only when apply would refuse the plan; for
        `plan --since`, `since` (the revision), `compared_in_full` (each campaign compared in
        full: name, file, reason) and `compared_on_list` (how many were compared on what the
        list returns)."""
        document: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "changes": [change.to_json() for change in self.changes],
            "summary": self.summary,
        }
        if self.refusal is not None:
            document["refusal"] = self.refusal.to_json()
        document["warnings"] = list(self.warnings)
        if self.since is not None:
            document["since"] = self.since.ref
            document["compared_in_full"] = [each.to_json() for each in self.since.in_full]
            document["compared_on_list"] = self.since.on_list
        return document
