"""What an apply did, change by change: each change of the plan with its outcome, the result
JSON of `apply --json` (contract, "The review shows what apply will do"). Pure: the plan and
the applier's result in, values out.

Outcomes:
- `applied`: the platform answered that it made the change;
- `failed`: the platform refused it or failed (after every retry), with the reason;
- `blocked`: the plan holds it as blocked (the platform would refuse it): never sent;
- `not sent`: never tried: apply was interrupted first, or an earlier step of the same
  campaign did not succeed;
- `unknown`: the write was sent, but its answer was lost (a write abandoned in flight by a
  second interrupt, or whose every answer was lost): plan again to see.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any, Literal, get_args

from campsync.sync.applier import ApplyResult
from campsync.sync.plan import FORMAT_VERSION, Change, Plan

Outcome = Literal["applied", "failed", "blocked", "not sent", "unknown"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
INTERRUPTED = "apply was interrupted before it was sent"
NOT_REACHED = "an earlier change of this campaign did not succeed"
NOT_STARTED = "apply wrote nothing"


@dataclass(frozen=True)
class ChangeResult:
    """One change of the plan and what became of it. `reason`: why it was not applied (none
    when it was); `created_id`: the id of the campaign the plan's create made (a create's,
    and the start's of that new campaign)."""

    change: Change
    outcome: Outcome
    reason: str | None = None
    created_id: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")
        if (self.outcome == "applied") != (self.reason is None):
            raise ValueError("a change not applied has a reason, and an applied one none")

    def to_json(self) -> dict[str, Any]:
        change = self.change
        entry: dict[str, Any] = {
            "action": change.action,
            "id": self.created_id or change.id,
            "name": change.name,
            "file": change.file,
            "outcome": self.outcome,
        }
        if self.reason is not None:
            entry["reason"] = self.reason
        return entry


@dataclass(frozen=True)
class ApplyResults:
    """Every change of the plan in the plan's order (which is the order apply takes one
    campaign's changes in), each with its outcome; and the warnings of the writes (applied,
    but the next plan would not agree: a wrong experienceFlows entry)."""

    results: tuple[ChangeResult, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        """How many changes had each outcome (every outcome named, zeros included)."""
        counts = collections.Counter(result.outcome for result in self.results)
        return {outcome: counts[outcome] for outcome in OUTCOMES}

    @property
    def ok(self) -> bool:
        """Every change applied, and nothing to warn of (apply exits 0)."""
        return not self.warnings and all(r.outcome == "applied" for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """The result JSON: `format_version`, `results`, `summary`, and `warnings`."""
        return {
            "format_version": FORMAT_VERSION,
            "results": [result.to_json() for result in self.results],
            "summary": self.summary,
            "warnings": list(self.warnings),
        }


def results_of(plan: Plan, result: ApplyResult | None) -> ApplyResults:
    """The outcome of each change of `plan`, from what the applier reported (`result`; None
    when nothing was written: every change blocked, or none at all)."""
    if result is None:
        return ApplyResults(tuple(_unsent(change, NOT_STARTED) for change in plan.changes))
    applied = {id(change) for change in result.applied}
    failed = {id(change): reason for change, reason in result.failed}
    unknown = {id(change) for change in result.unknown}
    held_back = {id(change): why for change, why in result.after_failure}
    created = result.created_ids
    found: list[ChangeResult] = []
    for change in plan.changes:
        key = id(change)
        # A create's new id, which the start of that new campaign was sent with too.
        made = created.get(change.file or change.name) if change.id is None else None
        if key in applied:
            found.append(ChangeResult(change, "applied", created_id=made))
        elif key in failed:
            outcome: Outcome = "unknown" if key in unknown else "failed"
            found.append(ChangeResult(change, outcome, failed[key], made))
        elif key in held_back:
            found.append(ChangeResult(change, "not sent", held_back[key], made))
        else:
            why = INTERRUPTED if result.interrupted else NOT_REACHED
            found.append(_unsent(change, why, made))
    return ApplyResults(tuple(found), tuple(result.unsettled))


def _unsent(change: Change, why: str, created_id: str | None = None) -> ChangeResult:
    """A change apply did not send: blocked in the plan, or not sent for `why` (a new
    campaign's start: with the id its create gave)."""
    if change.action == "blocked":
        return ChangeResult(change, "blocked", change.reason or "blocked")
    return ChangeResult(change, "not sent", why, created_id)
