"""Each validation rule of the reference page, as the emulator answers it over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import EmulatorApi, campaign_body, progressive_body, seed_ready

DELETE = object()


def changed(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`body` with the dotted `path` set to `value` (or removed, for DELETE)."""
    *parents, last = path.split(".")
    node: Any = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


AGENTLESS_REFUSALS = [
    ("name", DELETE, "name is required"),
    ("name", "", "name is required"),
    ("name", "x" * 49, "name must be a maximum of 48 characters"),
    ("description", DELETE, "description is required"),
    ("description", "d" * 257, "description must be a maximum of 256 characters"),
    ("contactLists", DELETE, "at least one contact list"),
    ("contactLists", [], "at least one contact list"),
    ("contactLists", ["Q4 Renewals", "Nobody's List"], "contact list(s) not found: Nobody's List"),
    ("contactLists", [7], "contactLists must be a list of contact list names"),
    ("dncLists", DELETE, "dncLists.name is required"),
    ("dncLists", {}, "dncLists.name is required"),
    ("dncLists", {"name": "Secret DNC"}, "DNC list not found: Secret DNC"),
    ("priority", DELETE, "priority must be one of"),
    ("priority", "6", "priority must be one of"),
    ("priority", 0, "priority must be one of"),
    ("priority", "high", "priority must be one of"),
    ("priority", True, "priority must be one of"),
    ("dialingMode", "Predictive", "dialingMode must be one of"),
    ("dialingStrategy", DELETE, "dialingStrategy is required"),
    ("dialingStrategy.callerId", DELETE, "callerId.phoneNumber is required"),
    ("dialingStrategy.callerId.phoneNumber", "call me", "must be a phone number"),
    ("dialingStrategy.callingHours", DELETE, "callingHours is required"),
    ("dialingStrategy.callingHours.frequency", "MONTHLY", "frequency must be one of"),
    ("dialingStrategy.callingHours.frequency", DELETE, "frequency must be one of"),
    ("dialingStrategy.callingHours.timezone", DELETE, "timezone is required"),
    ("dialingStrategy.callingHours.timezone", "Mars/Olympus", "unknown timezone Mars/Olympus"),
    ("dialingStrategy.callingHours.days", [], "at least one calling time block"),
    ("dialingStrategy.callingHours.days", DELETE, "at least one calling time block"),
    ("dialingStrategy.callingHours.days.0.day", "XX", "days[0].day must be one of"),
    ("dialingStrategy.callingHours.days.0.start", "9 AM", "days[0].start must be a time"),
    ("dialingStrategy.callingHours.days.0.end", "18:00", "days[0].end must be a time"),
    ("dialingStrategy.callingHours.days.0.end", "13:00 PM", "days[0].end must be a time"),
    ("dialingStrategy.callingHours.days.0", "MO", "days[0] must be an object"),
    ("dialingStrategy.dialingOrder", "RANDOM", "dialingOrder must be one of: FIFO, LIFO"),
    ("dialingStrategy.dialingOrder", DELETE, "dialingOrder must be one of: FIFO, LIFO"),
    ("dialingStrategy.maxAttemptsPerRecord", 0, "maxAttemptsPerRecord must be a number betw"),
    ("dialingStrategy.maxAttemptsPerRecord", 101, "maxAttemptsPerRecord must be a number betw"),
    ("dialingStrategy.maxAttemptsPerRecord", "3", "maxAttemptsPerRecord must be a number"),
    ("dialingStrategy.maxAttemptsPerRecord", DELETE, "maxAttemptsPerRecord must be a number"),
    ("dialingStrategy.defaultRetryPeriod", 0, "defaultRetryPeriod must be a number between 1"),
    ("dialingStrategy.defaultRetryPeriod", 1441, "defaultRetryPeriod must be a number betw"),
    ("dialingStrategy.defaultRetryPeriod", 2.5, "defaultRetryPeriod must be a number"),
    ("dialingStrategy.maxRingTime", 4, "maxRingTime must be a number between 5 and 120"),
    ("dialingStrategy.maxRingTime", 121, "maxRingTime must be a number between 5 and 120"),
    ("dialingStrategy.maxRingTime", DELETE, "maxRingTime must be a number between 5 and 120"),
    ("campaignType", DELETE, "campaignType must be one of: voice, sms"),
    ("campaignType", "email", "campaignType must be one of: voice, sms"),
    ("experienceFlowName", DELETE, "experienceFlowName is required for an Agentless campaign"),
    ("experienceFlowName", "Lost Flow", "experience flow not found: Lost Flow"),
    ("enableMachineDetect", DELETE, "enableMachineDetect is required for an Agentless campaign"),
    ("enableMachineDetect", "maybe", "enableMachineDetect must be one of: no, detect, disconnect"),
    ("queue_name", "Nowhere Queue", "queue not found: Nowhere Queue"),
    ("maxSkips", -1, "maxSkips must be a number of 0 or more"),
    ("schedule", "daily", "schedule must be an object"),
    ("schedule", None, "schedule must be an object"),
    ("experienceFlowName", None, "experience flow not found: null"),
    ("queue_name", None, "queue not found: null"),
    ("campaignType", "sms", "body's campaignType (sms) does not match the campaignType query"),
    ("schedule.isSchedulingEnabled", "no", "schedule.isSchedulingEnabled must be true or false"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "message"), AGENTLESS_REFUSALS)
async def test_create_refuses_each_rule(
    emulator: RunningEmulator, api: EmulatorApi, path: str, value: Any, message: str
) -> None:
    body = changed(campaign_body(), path, value)
    status, answer = await api.create(body)
    assert status == 400, answer
    assert all(error["code"] == 400 for error in answer["errors"])
    messages = [error["msg"] for error in answer["errors"]]
    assert any(message in text for text in messages), messages
    assert emulator.store.campaign_count() == 0


@pytest.mark.parametrize(
    ("changes", "drop", "message"),
    [
        ({}, "queue_name", "queue_name is required for a Progressive campaign"),
        ({"dialingMode": "Preview"}, None, "maxSkips is required for a Preview campaign"),
        (
            {"dialingMode": "Preview", "maxSkips": 2},
            "queue_name",
            "queue_name is required for a Preview campaign",
        ),
    ],
)
async def test_create_refuses_missing_mode_fields(
    api: EmulatorApi, changes: dict[str, Any], drop: str | None, message: str
) -> None:
    body = progressive_body(**changes)
    if drop:
        del body[drop]
    status, answer = await api.create(body)
    assert status == 400
    assert message in [error["msg"] for error in answer["errors"]]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("name", "x" * 48),
        ("description", "d" * 256),
        ("priority", 1),
        ("priority", "5"),
        ("dialingStrategy.maxAttemptsPerRecord", 1),
        ("dialingStrategy.maxAttemptsPerRecord", 100),
        ("dialingStrategy.defaultRetryPeriod", 1440),
        ("dialingStrategy.maxRingTime", 5),
        ("dialingStrategy.maxRingTime", 120),
        ("dialingStrategy.callingHours.frequency", "CUSTOM"),
        ("dialingStrategy.callingHours.days.0", {"day": "SU", "start": "12:30 PM", "end": "1:59 PM"}),  # noqa: E501
        ("dialingStrategy.dialingOrder", "LIFO"),
        ("enableMachineDetect", "disconnect"),
        ("schedule", DELETE),
    ],
)  # fmt: skip
async def test_create_accepts_the_edges(api: EmulatorApi, path: str, value: Any) -> None:
    status, answer = await api.create(changed(campaign_body(), path, value))
    assert status == 200, answer


async def test_preview_with_queue_and_max_skips_is_accepted(api: EmulatorApi) -> None:
    body = progressive_body("Preview one", dialingMode="Preview", maxSkips=0)
    status, answer = await api.create(body)
    assert status == 200, answer


async def test_all_problems_are_reported_at_once(api: EmulatorApi) -> None:
    body = campaign_body("n" * 60, priority="9")
    body["dialingStrategy"]["maxRingTime"] = 500
    status, answer = await api.create(body)
    assert status == 400
    assert len(answer["errors"]) == 3


async def test_update_applies_the_same_rules(emulator: RunningEmulator, api: EmulatorApi) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Kept"))
    bad = changed(campaign_body("Kept"), "dialingStrategy.maxRingTime", 121)
    status, answer = await api.update(campaign_id, bad)
    assert status == 400 and "maxRingTime" in answer["errors"][0]["msg"]
    bad = campaign_body("Kept", contactLists=["Ghost List"])
    status, answer = await api.update(campaign_id, bad)
    assert answer["errors"][0]["msg"] == "contact list(s) not found: Ghost List"
    stored = emulator.store.get_campaign(campaign_id)
    assert stored["contactLists"] == ["Q4 Renewals"]
    assert stored["dialingStrategy"]["maxRingTime"] == 30


async def test_body_must_be_a_json_object(api: EmulatorApi) -> None:
    status, answer = await api.call(
        "POST", api.base, data=b"{not json", params={"campaignType": "voice"}
    )
    assert status == 400 and answer["errors"][0]["msg"] == "the request body is not valid JSON"
    status, answer = await api.create([campaign_body()])
    assert status == 400 and answer["errors"][0]["msg"] == "the request body must be a JSON object"
