"""Safety thresholds (campsync.yaml `safety:`), octoDNS's `Plan.raise_if_unsafe` for
campaigns. Pure: the plan's counts in, reasons out.

Counted: the campaigns updated, started or stopped against `maxUpdatePercent` (once each:
a restart's stop, update and start are one campaign), `delete` changes against
`maxDeletePercent`, both as a share of the campaigns in scope that exist on the platform
(`Plan.existing`), once there are at least `minExisting` of them. Creates change nothing
that exists (nor does the start of a campaign the plan creates); blocked changes are not
written. Besides the percentages, a plan that deletes campaigns while no campaign file is in
scope (an empty or mistyped folder, or patterns that leave no file) is unsafe at any size:
below `minExisting` it would delete them all.

Each crossed threshold is one short reason, worded as the contract's plan JSON shows it
(`updates 4 of 13 campaigns (31%) > maxUpdatePercent 30`); the same words are the plan's
`refusal` (every form of the plan), `plan`'s warnings on stderr and apply's error.
"""

from __future__ import annotations

from campsync.config.settings import Safety
from campsync.errors import UnsafePlan
from campsync.sync.plan import Plan, Refusal
from campsync.text import plural

CHANGING = frozenset({"stop", "update", "start"})
REFUSAL_FIX = (
    "nothing was applied; check the plan, then apply with --force "
    "or raise the threshold (safety: in campsync.yaml)"
)
EMPTY_FIX = (
    "nothing was applied; check PATH, --only and --exclude, then apply with --force if "
    "that is meant"
)


def files_in_scope(plan: Plan) -> int:
    """Campaign files the plan covers: each has a create, an update, a start or stop, a
    blocked change, or is unchanged (a delete has no file); a file with several changes (a
    restart) counts once."""
    return len({change.file for change in plan.changes if change.file is not None}) + plan.unchanged


def changed_campaigns(plan: Plan) -> int:
    """The campaigns on the platform the plan updates, starts or stops, each counted once."""
    return len({c.campaign for c in plan.changes if c.action in CHANGING and c.id is not None})


def check_safe(plan: Plan, safety: Safety) -> list[str]:
    """One reason per crossed threshold; empty when the plan is within them."""
    counts = {**plan.summary, "update": changed_campaigns(plan)}
    existing = plan.existing
    reasons: list[str] = []
    if existing > 0 and existing >= safety.min_existing:
        for key, verb, limit, setting in (
            ("update", "updates", safety.max_update_percent, "maxUpdatePercent"),
            ("delete", "deletes", safety.max_delete_percent, "maxDeletePercent"),
        ):
            count = counts[key]
            if count * 100 > limit * existing:
                share = count * 100 / existing
                reasons.append(
                    f"{verb} {count} of {plural(existing, 'campaign')} "
                    f"({_percent(share, limit)}%) > {setting} {_percent(limit)}"
                )
    deletes = counts["delete"]
    if deletes and not files_in_scope(plan):
        reasons.append(
            f"deletes {plural(deletes, 'campaign')} and no campaign file is in scope "
            "(an empty or mistyped folder, or --only/--exclude leaving out every file?)"
        )
    return reasons


def refusal_of(plan: Plan, safety: Safety) -> Refusal | None:
    """Why apply would refuse the plan without --force; None when it would not."""
    reasons = check_safe(plan, safety)
    return Refusal(tuple(reasons)) if reasons else None


def raise_if_unsafe(plan: Plan, safety: Safety) -> None:
    """UnsafePlan (one line: every crossed threshold and the fix) unless within them."""
    reasons = check_safe(plan, safety)
    if reasons:
        empty = not files_in_scope(plan) and plan.summary["delete"] > 0
        raise UnsafePlan(reasons, EMPTY_FIX if empty and len(reasons) == 1 else REFUSAL_FIX)


def refusal_warnings(refusal: Refusal | None) -> list[str]:
    """A refusal as `plan` tells it on stderr: one line per reason."""
    if refusal is None:
        return []
    return [f"apply will refuse this plan without {refusal.override}: {r}" for r in refusal.reasons]


def _percent(value: float, beside: float | None = None) -> str:
    """A percentage as short as it can be: exact for a threshold (`beside` None), and for a
    share of the plan still told apart from the threshold it exceeds (30.1%, not 30%)."""
    for digits in range(5):
        text = f"{value:.{digits}f}"
        if (float(text) == value) if beside is None else (float(text) != float(beside)):
            return text
    return f"{value:.5f}"
