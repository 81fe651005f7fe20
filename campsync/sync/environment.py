"""The sync's environment part (campsync.yaml `environments:`): a create the platform would
refuse for a field it never returns (`enableMachineDetect` of an Agentless campaign) is blocked
in the plan, with the fix (`require_create_fields`). (An environment's files are read by
campaign.reader, their memo is sync.cache.EnvironmentFileCache.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from campsync.sync.plan import Change, Plan
from campsync.text import quoted


def machine_detect_reason(environment: str | None) -> str:
    where = (
        f"in the file, or for environment {quoted(environment)} under its overrides "
        "(by the campaign's name)"
        if environment
        else "in the file"
    )
    return (
        "an Agentless campaign is created with enableMachineDetect (no, detect or disconnect), "
        f"which the platform never returns, so a pulled file has none: set it {where}"
    )


def lacks_machine_detect(data: Mapping[str, Any]) -> bool:
    """An Agentless campaign (file data or request body) without enableMachineDetect: the
    platform refuses to create it, and never returns the field (a pulled file has none)."""
    return data.get("dialingMode") == "Agentless" and "enableMachineDetect" not in data


def require_create_fields(plan: Plan, environment: str | None) -> Plan:
    """Block (in place) each create the platform would refuse because its file leaves out a
    field that only a create needs and that no read ever returns."""
    blocked = False
    changes: list[Change] = []
    for change in plan.changes:
        if (
            change.action == "create"
            and change.body is not None
            and lacks_machine_detect(change.body)
        ):
            change = _blocked(change, machine_detect_reason(environment))
            blocked = True
        changes.append(change)
    if blocked:
        plan.changes = sorted(changes, key=lambda change: change.sort_key)
    return plan


def _blocked(change: Change, reason: str) -> Change:
    # Without its creation diff: "null -> value" for every field would bury the reason.
    return replace(change, action="blocked", reason=reason, body=None, diff=())
