"""A stored campaign: made from a request body, and shown as each call answers it.

The store keeps a campaign as one record (the body's fields, names resolved to ids, and
the emulator's own: `campaignType`, `readyAt`, `campaignInstanceId`); `get_view` and
`list_view` pick what get-one and the list answer, in the reference sample's order.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from campsync.emulator.catalog import Catalog
from campsync.emulator.rules import as_integer, normalize_priority

GET_KEYS = (
    "_id",
    "name",
    "lname",
    "description",
    "dncLists",
    "priority",
    "dialingMode",
    "dialingStrategy",
    "status",
    "maxSkips",
    "isFiltersEnabled",
    "createdAt",
    "updatedAt",
    "schedule",
    "experienceFlow",
    "contactLists",
)
LIST_KEYS = (
    "_id",
    "name",
    "description",
    "dncLists",
    "priority",
    "dialingMode",
    "status",
    "createdAt",
    "updatedAt",
    "schedule",
    "connection",
    "contactLists",
)


def format_timestamp(ms: int) -> str:
    """ISO 8601 with milliseconds and Z, as the platform writes createdAt/updatedAt."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_timestamp(text: Any) -> int:
    """Milliseconds since the epoch of a timestamp the emulator wrote; 0 if unreadable."""
    if not isinstance(text, str):
        return 0
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0
    return int(moment.timestamp() * 1000)


def apply_body(record: dict[str, Any], body: Mapping[str, Any], catalog: Catalog) -> None:
    """Copy a request body's fields into a stored campaign, resolving names to ids."""
    if "name" in body:
        record["name"] = body["name"]
        record["lname"] = str(body["name"]).lower()
    if "description" in body:
        record["description"] = body["description"]
    if "contactLists" in body:
        record["contactLists"] = list(body["contactLists"])
    dnc = body.get("dncLists")
    if isinstance(dnc, Mapping) and "name" in dnc:
        record["dncLists"] = {"id": catalog.list_names[dnc["name"]], "name": dnc["name"]}
    if "priority" in body:
        record["priority"] = normalize_priority(body["priority"]) or str(body["priority"])
    if "dialingMode" in body:
        record["dialingMode"] = body["dialingMode"]
    if isinstance(body.get("dialingStrategy"), Mapping):
        record["dialingStrategy"] = _strategy(body["dialingStrategy"])
    if "maxSkips" in body:
        skips = as_integer(body["maxSkips"])
        record["maxSkips"] = skips if skips is not None else body["maxSkips"]
    schedule = body.get("schedule")
    if isinstance(schedule, Mapping) or "schedule" not in record:
        old = record.get("schedule") or {}
        new = schedule if isinstance(schedule, Mapping) else {}
        record["schedule"] = {
            key: bool(new.get(key, old.get(key, False)))
            for key in ("isSchedulingEnabled", "isRecurrenceEnabled")
        }
    # The mode-specific fields follow the body: a field a mode does not use goes away.
    flow = body.get("experienceFlowName")
    record["experienceFlowName"] = flow
    record["experienceFlow"] = catalog.experience_flows[flow] if flow else None
    record["queue_name"] = body.get("queue_name")
    if "enableMachineDetect" in body or record.get("dialingMode") != "Agentless":
        record["enableMachineDetect"] = body.get("enableMachineDetect")
    else:  # an update may leave it out (see rules): it keeps its value
        record.setdefault("enableMachineDetect", None)
    for key in ("experienceFlowName", "experienceFlow", "queue_name", "enableMachineDetect"):
        if record[key] is None:
            del record[key]


def get_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """What get-one, update and delete answer: the reference sample's fields, in its order."""
    return _pick(record, GET_KEYS)


def list_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """A list item: no dialingStrategy, the queue name as `connection`."""
    if record.get("queue_name"):
        record = {**record, "connection": record["queue_name"]}
    return _pick(record, LIST_KEYS)


def _pick(record: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: copy.deepcopy(record[key]) for key in keys if key in record}


def _strategy(value: Mapping[str, Any]) -> dict[str, Any]:
    caller = value.get("callerId")
    hours = value.get("callingHours")
    strategy: dict[str, Any] = {}
    if isinstance(caller, Mapping):
        strategy["callerId"] = {"phoneNumber": caller.get("phoneNumber")}
    if isinstance(hours, Mapping):
        raw_days = hours.get("days")
        days: list[Any] = raw_days if isinstance(raw_days, list) else []
        strategy["callingHours"] = {
            "frequency": hours.get("frequency"),
            "days": [
                {"start": d.get("start"), "end": d.get("end"), "day": d.get("day")}
                for d in days
                if isinstance(d, Mapping)
            ],
            "timezone": hours.get("timezone"),
        }
    for key in ("dialingOrder", "maxAttemptsPerRecord", "defaultRetryPeriod", "maxRingTime"):
        if key in value:
            number = as_integer(value[key])
            strategy[key] = value[key] if number is None or key == "dialingOrder" else number
    strategy["useSystemMappings"] = False
    return strategy


def passes(record: Mapping[str, Any], filters: Mapping[str, frozenset[str]]) -> bool:
    return all(str(record.get(key)) in wanted for key, wanted in filters.items())


def sort_value(record: Mapping[str, Any], key: str) -> str:
    if key == "name":
        return str(record.get("lname", ""))
    return str(record.get(key, ""))


def names_list(record: Mapping[str, Any], name: str) -> bool:
    """Whether a campaign names the contact list `name` (among its contactLists, or as its
    DNC list): getAllListDetails' campaignInUse."""
    lists = record.get("contactLists")
    dnc = record.get("dncLists")
    return (isinstance(lists, list) and name in lists) or (
        isinstance(dnc, Mapping) and dnc.get("name") == name
    )
