"""Platform campaign -> campaign-file data: the fields a file may hold (the schema's), in the
example files' key order; the queue from the list's `connection`, the flow name through
`experienceFlows`, the type the campaign is listed under."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from campsync.campaign.model import (
    CALLING_HOURS_ORDER,
    DAY_ORDER,
    DIALING_STRATEGY_ORDER,
    TOP_LEVEL_ORDER,
    priority_text,
)
from campsync.campaign.schema import load_schema
from campsync.sync.diffing import flow_id_of
from campsync.sync.inventory import Listed

QUEUE_MODES = frozenset({"Progressive", "Preview"})

# Key order of a written file: campsync's `id` first, then the request body's order.
FILE_ORDER: tuple[str, ...] = ("id", *TOP_LEVEL_ORDER)
NESTED_ORDER: dict[str, tuple[str, ...]] = {
    "dialingStrategy": DIALING_STRATEGY_ORDER,
    "callingHours": CALLING_HOURS_ORDER,
    "days": DAY_ORDER,
    "schedule": ("isSchedulingEnabled", "isRecurrenceEnabled"),
    "dncLists": ("name",),
    "callerId": ("phoneNumber",),
}


@dataclass(frozen=True)
class PulledCampaign:
    """One platform campaign as campaign-file data (plain builtins, in file order)."""

    id: str
    name: str
    data: dict[str, Any]
    unmapped_flow: str | None = None  # the cf- id when no experienceFlows name maps it


def campaign_data(
    live: Mapping[str, Any],
    listed: Listed,
    *,
    flow_names: Mapping[str, str],
    existing: Mapping[str, Any] | None = None,
) -> PulledCampaign:
    """The file data of one platform campaign.

    `live` is the get-one `data`, `listed` its list entry (which alone holds the queue, as
    `connection`, and the type the campaign was listed under); `flow_names` maps flow ids to
    names (campsync.yaml `experienceFlows`, inverted). `existing`, the data of a file being
    overwritten, asks to also write the optional fields that file already manages, so that a
    plan after the pull still shows no change for them.
    """
    existing = existing or {}
    data: dict[str, Any] = {"id": listed.id}
    name = live.get("name", listed.item.get("name", listed.name))
    data["name"] = name
    for key in ("description", "contactLists"):
        if key in live:
            data[key] = live[key]
    dnc = live.get("dncLists")
    if isinstance(dnc, Mapping):
        data["dncLists"] = {"name": dnc.get("name")}
    elif dnc is not None:
        data["dncLists"] = dnc  # not the documented shape: written as is, validate will say
    if "priority" in live:
        data["priority"] = priority_text(live["priority"])
    mode = live.get("dialingMode", listed.item.get("dialingMode"))
    if mode is not None:
        data["dialingMode"] = mode
    if "dialingStrategy" in live:
        data["dialingStrategy"] = live["dialingStrategy"]
    schedule = live.get("schedule", listed.item.get("schedule"))
    if isinstance(schedule, Mapping):
        data["schedule"] = _schedule(schedule, existing.get("schedule"))

    unmapped: str | None = None
    flow_id = flow_id_of(live)  # as plan reads it: an id, or an object with one
    if flow_id:
        flow_name = flow_names.get(flow_id)
        if flow_name is not None:
            data["experienceFlowName"] = flow_name
        else:
            unmapped = flow_id

    connection = listed.item.get("connection")
    if (
        isinstance(connection, str)
        and connection
        and (mode in QUEUE_MODES or "queue_name" in existing)
    ):
        data["queue_name"] = connection
    if "maxSkips" in live and (mode == "Preview" or "maxSkips" in existing):
        data["maxSkips"] = live["maxSkips"]
    data["campaignType"] = listed.campaign_type

    cleaned = _order(_known_only(data, _schema_fields()), FILE_ORDER)
    return PulledCampaign(id=listed.id, name=str(name), data=cleaned, unmapped_flow=unmapped)


def _schedule(schedule: Mapping[str, Any], existing: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if "isSchedulingEnabled" in schedule:
        result["isSchedulingEnabled"] = schedule["isSchedulingEnabled"]
    recurrence = schedule.get("isRecurrenceEnabled")
    file_sets_it = isinstance(existing, Mapping) and "isRecurrenceEnabled" in existing
    if recurrence is True or (recurrence is not None and file_sets_it):
        result["isRecurrenceEnabled"] = recurrence
    return result


@dataclass(frozen=True)
class _Fields:
    """The keys a file may hold at one level of the schema, and the levels below."""

    keys: frozenset[str]
    children: Mapping[str, _Fields]


@cache
def _schema_fields() -> _Fields:
    return _fields_of(load_schema())


def _fields_of(node: Mapping[str, Any]) -> _Fields:
    if node.get("type") == "array" and isinstance(node.get("items"), Mapping):
        return _fields_of(node["items"])
    props = node.get("properties")
    if not isinstance(props, Mapping):
        return _Fields(frozenset(), {})
    children = {
        key: _fields_of(sub)
        for key, sub in props.items()
        if isinstance(sub, Mapping) and sub.get("type") in ("object", "array")
    }
    return _Fields(frozenset(props), children)


def _known_only(value: Any, fields: _Fields) -> Any:
    """Drop every key the schema does not allow (server fields such as _id, lname, status,
    useSystemMappings, and whatever else the platform adds): a pulled file must validate."""
    if isinstance(value, Mapping):
        return {
            key: _known_only(item, fields.children[key]) if key in fields.children else item
            for key, item in value.items()
            if key in fields.keys
        }
    if isinstance(value, list):
        return [_known_only(item, fields) for item in value]
    return value


def _order(value: Any, order: Sequence[str]) -> Any:
    """A copy with mapping keys in file order (known keys first, others as they came)."""
    if isinstance(value, list):
        return [_order(item, order) for item in value]
    if not isinstance(value, Mapping):
        return value
    result: dict[str, Any] = {}
    for key in [*(k for k in order if k in value), *(k for k in value if k not in order)]:
        result[key] = _order(value[key], NESTED_ORDER.get(key, ()))
    return result
