"""Request bodies (campsync.campaign.model), and the reference samples the core's tests share.

SAMPLE_REQUEST is the body of the reference page's sample request (what a campaign
file holds); SAMPLE_RESPONSE_DATA is the `data` of its sample response (what the
platform answers). `platform_form_of` turns a file's data into the answer a platform
holding exactly that campaign would give, in the platform's own shapes.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from campsync.campaign.model import TOP_LEVEL_ORDER, priority_text, request_body

FLOW_ID = "cf-ecfa3927-eabc-52c4-8373-8a0b75dxxxxx"
FLOWS = {"Voice Survey Entry Flow": FLOW_ID}

SAMPLE_REQUEST: dict[str, Any] = {
    "name": "Product Feedback Voice Campaign-3.5",
    "description": (
        "This voice campaign collects quick feedback on recent purchases. It asks brief"
        " questions on satisfaction, usage, and suggestions to help improve future products"
        " and customer experience.qqq2"
    ),
    "contactLists": ["CL Only 2020 Dec 4"],
    "dncLists": {"name": "DNC CL Dec 4"},
    "priority": "5",
    "dialingMode": "Agentless",
    "dialingStrategy": {
        "callerId": {"phoneNumber": "+148465xxxxx"},
        "callingHours": {
            "frequency": "WEEKLY",
            "timezone": "Asia/Kolkata",
            "days": [
                {"day": day, "start": "9:00 AM", "end": "6:00 PM"}
                for day in ("MO", "TU", "WE", "TH", "FR")
            ],
        },
        "dialingOrder": "FIFO",
        "maxAttemptsPerRecord": 3,
        "defaultRetryPeriod": 10,
        "maxRingTime": 30,
    },
    "schedule": {"isSchedulingEnabled": False},
    "experienceFlowName": "Voice Survey Entry Flow",
    "campaignType": "voice",
}

SAMPLE_RESPONSE_DATA: dict[str, Any] = {
    "_id": "cd-10c85a3-57a3-4d2d-aad4-b09344axxxxx",
    "name": "Product Feedback Voice Campaign-3.5",
    "lname": "product feedback voice campaign-3.5",
    "description": (
        "3This voice campaign collects quick feedback on recent purchases. It asks brief"
        " questions on satisfaction, usage, and suggestions to help improve future products"
        " and customer experience.qqq2"
    ),
    "dncLists": {"id": "cl-68b802a-2b99-4245-8eea-6d322a8xxxxx", "name": "DNC CL Dec 4"},
    "priority": "5",
    "dialingMode": "Agentless",
    "dialingStrategy": {
        "callerId": {"phoneNumber": "+148465xxxxx"},
        "callingHours": {
            "frequency": "WEEKLY",
            "days": [
                {"start": "9:00 AM", "end": "6:00 PM", "day": day}
                for day in ("MO", "TU", "WE", "TH", "FR")
            ],
            "timezone": "Asia/Kolkata",
        },
        "dialingOrder": "FIFO",
        "maxAttemptsPerRecord": 3,
        "defaultRetryPeriod": 10,
        "maxRingTime": 30,
        "useSystemMappings": False,
    },
    "status": "Ready",
    "maxSkips": 1,
    "isFiltersEnabled": False,
    "createdAt": "2025-12-04T09:51:32.985Z",
    "updatedAt": "2025-12-04T11:19:47.030Z",
    "schedule": {"isSchedulingEnabled": False, "isRecurrenceEnabled": False},
    "experienceFlow": FLOW_ID,
    "contactLists": ["CL Only 2020 Dec 4"],
}

SAMPLE_LIST_ITEM: dict[str, Any] = {
    "_id": SAMPLE_RESPONSE_DATA["_id"],
    "name": SAMPLE_RESPONSE_DATA["name"],
    "description": SAMPLE_RESPONSE_DATA["description"],
    "dncLists": SAMPLE_RESPONSE_DATA["dncLists"],
    "priority": "5",
    "dialingMode": "Agentless",
    "status": "Ready",
    "createdAt": SAMPLE_RESPONSE_DATA["createdAt"],
    "updatedAt": SAMPLE_RESPONSE_DATA["updatedAt"],
    "schedule": SAMPLE_RESPONSE_DATA["schedule"],
    "contactLists": SAMPLE_RESPONSE_DATA["contactLists"],
}


def sample_live() -> dict[str, Any]:
    """The sample response's data, with the description the sample request sent
    (the reference page's own pair differs in it)."""
    live = copy.deepcopy(SAMPLE_RESPONSE_DATA)
    live["description"] = SAMPLE_REQUEST["description"]
    return live


def platform_form_of(
    data: dict[str, Any], flows: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(get-one data, list item) of a platform holding exactly the campaign `data`
    describes, in the platform's shapes: server fields added, priority a string,
    dncLists with an id, days reversed with their keys reordered, the flow as an
    id, the queue only in the list item, no campaignType/enableMachineDetect."""
    flows = FLOWS if flows is None else flows
    live: dict[str, Any] = {"_id": "cd-0001", "lname": str(data.get("name", "")).lower()}
    list_item: dict[str, Any] = {"_id": "cd-0001", "status": "Ready"}
    for key, value in reversed(list(data.items())):
        value = copy.deepcopy(value)
        if key in ("id", "campaignType", "enableMachineDetect"):
            continue
        if key == "queue_name":
            list_item["connection"] = value
        elif key == "experienceFlowName":
            live["experienceFlow"] = flows.get(value, "cf-unknown")
        elif key == "priority":
            live[key] = priority_text(value)
        elif key == "dncLists" and isinstance(value, dict):
            live[key] = {"id": "cl-1", **value}
        elif key == "dialingStrategy" and isinstance(value, dict):
            value["useSystemMappings"] = False
            hours = value.get("callingHours")
            if isinstance(hours, dict) and isinstance(hours.get("days"), list):
                hours["days"] = [
                    dict(reversed(list(day.items()))) if isinstance(day, dict) else day
                    for day in reversed(hours["days"])
                ]
            live[key] = dict(reversed(list(value.items())))
        elif key == "schedule" and isinstance(value, dict):
            live[key] = {"isRecurrenceEnabled": False, **value}
        else:
            live[key] = value
    live.setdefault("maxSkips", 1)
    live.setdefault("schedule", {"isSchedulingEnabled": False, "isRecurrenceEnabled": False})
    live.update(
        status="Ready",
        isFiltersEnabled=False,
        createdAt="2025-12-04T09:51:32.985Z",
        updatedAt="2025-12-04T11:19:47.030Z",
    )
    return live, list_item


# ---------------------------------------------------------------------------


def test_request_body_of_the_sample_is_the_sample_request() -> None:
    body = request_body(SAMPLE_REQUEST)
    assert body == SAMPLE_REQUEST
    assert json.dumps(body) == json.dumps(SAMPLE_REQUEST)  # same key order too


def test_request_body_drops_id_and_sends_priority_as_a_string() -> None:
    data = {**SAMPLE_REQUEST, "id": "cd-123", "priority": 3}
    body = request_body(data)
    assert "id" not in body
    assert body["priority"] == "3"
    assert data["priority"] == 3 and data["id"] == "cd-123"  # input untouched


@pytest.mark.parametrize("state", ["running", "stopped"])
def test_request_body_never_sends_the_run_state(state: str) -> None:
    data = {"id": "cd-123", "state": state, **SAMPLE_REQUEST}
    assert request_body(data) == SAMPLE_REQUEST
    assert data["state"] == state  # input untouched


def test_request_body_puts_keys_in_the_reference_order() -> None:
    shuffled = dict(reversed(list(SAMPLE_REQUEST.items())))
    shuffled["queue_name"] = "Support Queue"
    shuffled["maxSkips"] = 2
    shuffled["enableMachineDetect"] = "detect"
    shuffled["dialingStrategy"] = dict(reversed(list(SAMPLE_REQUEST["dialingStrategy"].items())))
    body = request_body(shuffled)
    assert list(body) == [key for key in TOP_LEVEL_ORDER if key in body]
    assert list(body)[-1] == "campaignType"
    assert list(body["dialingStrategy"]) == list(SAMPLE_REQUEST["dialingStrategy"])
    day = body["dialingStrategy"]["callingHours"]["days"][0]
    assert list(day) == ["day", "start", "end"]


def test_request_body_adds_nothing() -> None:
    data = {"name": "Minimal", "dialingMode": "Preview"}
    assert request_body(data) == data


def test_request_body_is_a_deep_copy() -> None:
    body = request_body(SAMPLE_REQUEST)
    body["dialingStrategy"]["callingHours"]["days"].clear()
    body["contactLists"].append("other")
    assert len(SAMPLE_REQUEST["dialingStrategy"]["callingHours"]["days"]) == 5
    assert SAMPLE_REQUEST["contactLists"] == ["CL Only 2020 Dec 4"]


def test_priority_text() -> None:
    assert priority_text(5) == "5"
    assert priority_text(5.0) == "5"
    assert priority_text("5") == "5"
    assert priority_text(" 4 ") == "4"
    assert priority_text(True) is True  # not a priority: left for the comparison to report
    assert priority_text(None) is None


def test_request_body_tolerates_odd_shapes() -> None:
    data = {"dialingStrategy": {"callingHours": {"days": ["MO", None]}}, "priority": [1]}
    body = request_body(data)
    assert body == data


def test_integer_valued_numbers_are_sent_as_integers() -> None:
    """Issue 10, item 5: 45.0 and 4.5e1 are integers to JSON Schema and valid in a file;
    the platform receives 45. Booleans and real fractions are left as they are."""
    data = copy.deepcopy(SAMPLE_REQUEST)
    strategy = data["dialingStrategy"]
    strategy.update(maxRingTime=4.5e1, defaultRetryPeriod=10.0, maxAttemptsPerRecord=3.0)
    data.update(priority=5.0, maxSkips=2.0, schedule={"isSchedulingEnabled": True})
    body = request_body(data)
    sent = body["dialingStrategy"]
    assert (sent["maxRingTime"], sent["defaultRetryPeriod"], sent["maxAttemptsPerRecord"]) == (
        45, 10, 3,
    )  # fmt: skip
    assert all(type(sent[k]) is int for k in ("maxRingTime", "defaultRetryPeriod"))
    assert type(body["maxSkips"]) is int and body["priority"] == "5"
    assert body["schedule"] == {"isSchedulingEnabled": True}
    assert ".0" not in json.dumps(body["dialingStrategy"])
    assert request_body({"maxSkips": 2.5})["maxSkips"] == 2.5
    assert strategy["maxRingTime"] == 45.0 and type(strategy["maxRingTime"]) is float  # untouched
