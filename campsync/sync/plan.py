"""The plan: what `apply` would do, as small value objects.

A `Change` is one campaign to create, update, delete, or that is blocked (it
differs, but the platform would refuse the edit, e.g. an Active campaign). The
`Plan` keeps its changes in a stable order (create, update, blocked, delete; then
by name, case-insensitively, then by file), counts them and serialises itself to
the contract's plan JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Action = Literal["create", "update", "delete", "blocked"]
ACTIONS: tuple[str, ...] = get_args(Action)
ACTION_ORDER = {"create": 0, "update": 1, "blocked": 2, "delete": 3}
FORMAT_VERSION = 1


@dataclass(frozen=True)
class FieldDiff:
    """One changed field: `path` dotted from the top-level field, list items and
    calling-hours days in brackets; `before` the platform value, `after` the file
    value (None when absent)."""

    path: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Change:
    """One campaign that apply would touch (or that is blocked).

    `body` is the request body apply will send (create and update); `updated_at`
    the platform's `updatedAt` as read when planning (update, blocked, delete), so
    that apply can refuse a plan gone stale.
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

    def __post_init__(self) -> None:
        if self.action not in ACTION_ORDER:
            raise ValueError(f"unknown plan action {self.action!r}")
        if self.action == "blocked" and not self.reason:
            raise ValueError("a blocked change needs a reason")
        if not isinstance(self.diff, tuple):
            object.__setattr__(self, "diff", tuple(self.diff))

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
        return entry


@dataclass
class Plan:
    """Changes in a stable order, the count of campaigns that need nothing, the
    names of platform campaigns no file describes (never touched), and warnings.
    `existing`: the campaigns in scope on the platform when planned (what the safety
    thresholds measure against; not in the plan JSON)."""

    changes: list[Change]
    unchanged: int = 0
    unmanaged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    existing: int = 0

    def __post_init__(self) -> None:
        self.changes = sorted(self.changes, key=lambda change: change.sort_key)
        self.unmanaged = sorted(self.unmanaged, key=lambda name: (name.casefold(), name))

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            counts[change.action] += 1
        return {**counts, "unchanged": self.unchanged, "unmanaged": len(self.unmanaged)}

    @property
    def has_changes(self) -> bool:
        """Any entry at all, blocked included (`plan --detailed-exitcode` exits 2)."""
        return bool(self.changes)

    def to_json(self) -> dict[str, Any]:
        """The contract's plan JSON (`--json`), plus `summary.unmanaged` and the
        top-level `warnings` list."""
        return {
            "format_version": FORMAT_VERSION,
            "changes": [change.to_json() for change in self.changes],
            "summary": self.summary,
            "warnings": list(self.warnings),
        }
