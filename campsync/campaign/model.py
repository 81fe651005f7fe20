"""A campaign file's data as the platform's request body.

The request body is what `apply` sends (create and update alike). It is the file's
data minus what is campsync's own (`id`, `state`), with `priority` sent as a string, numbers
written with a fraction of zero (`45.0`, `4.5e1`; integers to JSON Schema) sent as
integers, and the keys in the order of the reference page's sample request, so that a saved plan and
any logged body read like the documentation.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

# Keys of campsync's own: never sent to the platform, never compared with it. `id` is how a
# file finds its campaign, `state` whether it should run (sync/runstate.py).
CAMPSYNC_ONLY_FIELDS = frozenset({"id", "state"})

# Top-level order of the reference sample request; the fields it does not show
# (queue_name, maxSkips, enableMachineDetect) go where the body-parameter table
# lists them, before campaignType.
TOP_LEVEL_ORDER: tuple[str, ...] = (
    "name",
    "description",
    "contactLists",
    "dncLists",
    "priority",
    "dialingMode",
    "dialingStrategy",
    "schedule",
    "experienceFlowName",
    "enableMachineDetect",
    "queue_name",
    "maxSkips",
    "campaignType",
)
DIALING_STRATEGY_ORDER: tuple[str, ...] = (
    "callerId",
    "callingHours",
    "dialingOrder",
    "maxAttemptsPerRecord",
    "defaultRetryPeriod",
    "maxRingTime",
)
CALLING_HOURS_ORDER: tuple[str, ...] = ("frequency", "timezone", "days")
DAY_ORDER: tuple[str, ...] = ("day", "start", "end")


def request_body(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the platform request body for a campaign file's `data`.

    Nothing is added: a field the file leaves out is left out of the body too.
    The result shares nothing with `data` (values are deep-copied).
    """
    body: dict[str, Any] = whole_numbers(_ordered(data, TOP_LEVEL_ORDER, skip=CAMPSYNC_ONLY_FIELDS))
    if "priority" in body:
        body["priority"] = priority_text(body["priority"])
    strategy = body.get("dialingStrategy")
    if isinstance(strategy, Mapping):
        strategy = _ordered(strategy, DIALING_STRATEGY_ORDER)
        hours = strategy.get("callingHours")
        if isinstance(hours, Mapping):
            hours = _ordered(hours, CALLING_HOURS_ORDER)
            days = hours.get("days")
            if isinstance(days, list):
                hours["days"] = [
                    _ordered(day, DAY_ORDER) if isinstance(day, Mapping) else day for day in days
                ]
            strategy["callingHours"] = hours
        body["dialingStrategy"] = strategy
    return body


def whole_numbers(value: Any) -> Any:
    """`value` with every integer-valued float (45.0) as an int, at any depth. Every
    number of a campaign is an integer, and JSON Schema counts 45.0 as one: the platform
    must receive 45. Booleans stay booleans."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    return value


def priority_text(value: Any) -> Any:
    """`priority` as the platform holds it: 5, 5.0 and "5" all become "5".

    A value that is not a number or a string (the schema refuses those) is
    returned unchanged, so that a comparison still reports it.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    return value


def _ordered(
    source: Mapping[str, Any], order: Sequence[str], *, skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A deep copy of `source` with the keys of `order` first, in that order, then
    any other key in its original order."""
    result: dict[str, Any] = {}
    for key in order:
        if key in source and key not in skip:
            result[key] = copy.deepcopy(source[key])
    for key, value in source.items():
        if key not in result and key not in skip:
            result[key] = copy.deepcopy(value)
    return result
