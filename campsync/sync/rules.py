"""Rules of deciding: a change the platform would refuse, blocked in the plan with the fix,
so that apply never sends it. Pure; `sync.planner.decide` applies them to each change it
makes, before the plan is put in order.

- `require_create_fields`: a create whose body leaves out a field that only a create needs
  and that no read ever returns (`enableMachineDetect` of an Agentless campaign: a pulled
  file has none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from campsync.sync.plan import Change
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


def require_create_fields(change: Change, environment: str | None) -> Change:
    """The change, or, for a create the platform would refuse for a field no read returns,
    that create blocked with the fix (`environment`: where the field may be set)."""
    if change.action == "create" and change.body is not None and lacks_machine_detect(change.body):
        return _blocked(change, machine_detect_reason(environment))
    return change


def _blocked(change: Change, reason: str) -> Change:
    # Without its creation diff: "null -> value" for every field would bury the reason.
    return replace(change, action="blocked", reason=reason, body=None, diff=())
