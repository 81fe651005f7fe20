"""A file compared with a campaign's list entry (diffing.listed_differs), the fields the list
gives compared as `compare` compares them, against the sample shapes and against the list
the emulator really answers; and a diff's path read back as keys (diffing.path_parts)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from campsync.emulator.runner import RunningEmulator
from campsync.sync.diffing import (
    LISTED_FIELDS,
    agreed_form,
    compare,
    listed_differs,
    path_parts,
    value_at,
)
from tests.fixtures_emulator import EmulatorApi, campaign_body, progressive_body, seed_ready
from tests.test_model import FLOWS, SAMPLE_REQUEST, platform_form_of

LIST_KEYS = (
    *("name", "description", "dncLists", "priority", "dialingMode", "status"),
    *("createdAt", "updatedAt", "schedule", "contactLists"),
)


def list_entry(data: dict[str, Any]) -> dict[str, Any]:
    """The list entry of a platform holding exactly `data` (the fields the docs list)."""
    live, item = platform_form_of(data)
    return {**{key: live[key] for key in LIST_KEYS if key in live}, **item}


def test_a_campaign_as_its_file_says_does_not_differ() -> None:
    for data in (SAMPLE_REQUEST, campaign_body(), progressive_body()):
        assert not listed_differs(data, list_entry(data), listed_type="voice")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Renamed"),
        ("description", "Another text"),
        ("contactLists", ["CL Only 2020 Dec 4", "Winback"]),
        ("dncLists", {"name": "Other DNC"}),
        ("priority", "1"),
        ("dialingMode", "Preview"),
        ("schedule", {"isSchedulingEnabled": True}),
        ("campaignType", "sms"),
    ],
)
def test_each_field_the_list_gives_is_compared(field: str, value: Any) -> None:
    file = {**SAMPLE_REQUEST, field: value}
    assert listed_differs(file, list_entry(SAMPLE_REQUEST), listed_type="voice")


def test_the_queue_is_the_lists_connection() -> None:
    body = progressive_body()
    entry = list_entry(body)
    assert not listed_differs(
        body, {**entry, "connection": {"name": body["queue_name"]}}, listed_type="voice"
    )
    assert listed_differs({**body, "queue_name": "Overflow"}, entry, listed_type="voice")


def test_what_the_list_does_not_give_is_not_compared() -> None:
    """dialingStrategy, maxSkips, the flow: a difference there needs the full body."""
    entry = list_entry(SAMPLE_REQUEST)
    file = copy.deepcopy(SAMPLE_REQUEST)
    file["dialingStrategy"]["maxRingTime"] = 45
    file["maxSkips"] = 7
    file["experienceFlowName"] = "Another Flow"
    assert not listed_differs(file, entry, listed_type="voice")
    assert not LISTED_FIELDS & {"dialingStrategy", "maxSkips", "experienceFlowName"}


def test_equal_under_the_comparison_rules_is_no_difference() -> None:
    """priority 5 vs "5", contact lists in another order, the DNC list's id, key order."""
    lists = ["CL Only 2020 Dec 4", "Q4 Renewals"]
    file = {**SAMPLE_REQUEST, "priority": 5, "contactLists": lists}
    entry = {**list_entry({**SAMPLE_REQUEST, "contactLists": lists[::-1]}), "priority": "5"}
    assert not listed_differs(file, entry, listed_type="voice")


def test_a_field_the_list_lacks_differs_when_the_file_sets_it() -> None:
    """When unsure, the campaign is read in full."""
    entry = list_entry(SAMPLE_REQUEST)
    del entry["description"]
    assert listed_differs(SAMPLE_REQUEST, entry, listed_type="voice")
    without = {key: value for key, value in SAMPLE_REQUEST.items() if key != "description"}
    assert not listed_differs(without, entry, listed_type="voice")


def test_the_list_says_no_more_than_compare() -> None:
    """Whatever differs in a listed field, the full comparison finds too."""
    for field, value in [("description", "x"), ("priority", "2"), ("name", "y")]:
        live, item = platform_form_of({**SAMPLE_REQUEST, field: value})
        full = compare(SAMPLE_REQUEST, live, item, experience_flows=FLOWS, listed_type="voice")
        assert [d.path for d in full.diffs] == [field]
        assert listed_differs(
            SAMPLE_REQUEST, list_entry({**SAMPLE_REQUEST, field: value}), listed_type="voice"
        )


async def test_the_emulators_list_agrees_with_the_files_it_was_made_from(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    bodies = [campaign_body("Agentless One"), progressive_body("Progressive One")]
    seed_ready(emulator, *bodies)
    status, answer = await api.list()
    assert status == 200
    items = {item["name"]: item for item in answer["data"]["results"]}
    for body in bodies:
        assert not listed_differs(body, items[body["name"]], listed_type="voice")


async def test_an_edit_on_the_platform_shows_in_the_list_or_not(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    """An edit of a listed field shows in the list entry; one of dialingStrategy does not
    (that is what `updatedAt` is watched for); a status change is no difference."""
    body = campaign_body()
    (cid,) = seed_ready(emulator, body)

    async def differs() -> bool:
        status, answer = await api.list()
        assert status == 200
        (item,) = answer["data"]["results"]
        return listed_differs(body, item, listed_type="voice")

    strategy = copy.deepcopy(body["dialingStrategy"])
    strategy["maxRingTime"] = 45
    status, _ = await api.update(cid, {**body, "dialingStrategy": strategy})
    assert status == 200
    assert not await differs()
    emulator.store.set_status(cid, "Paused")
    assert not await differs()
    status, _ = await api.update(cid, {**body, "description": "Edited in the web UI"})
    assert status == 200
    assert await differs()


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("priority", ("priority",)),
        ("dialingStrategy.maxRingTime", ("dialingStrategy", "maxRingTime")),
        (
            "dialingStrategy.callingHours.days[MO]",
            ("dialingStrategy", "callingHours", "days", "MO"),
        ),
        (
            "dialingStrategy.callingHours.days[MO#2].start",
            ("dialingStrategy", "callingHours", "days", "MO#2", "start"),
        ),
        (
            "dialingStrategy.callingHours.days[#3]",
            ("dialingStrategy", "callingHours", "days", "#3"),
        ),
        ("dncLists.name", ("dncLists", "name")),
    ],
)
def test_a_diff_path_read_back_as_keys(path: str, parts: tuple[str, ...]) -> None:
    assert path_parts(path) == parts


def test_a_diffs_before_is_the_recorded_forms_value_at_its_path() -> None:
    """What sync.origin relies on: the platform's value a diff shows is the value at its path
    of the platform's whole comparable form (diffing.agreed_form), whatever the file sets."""
    file = copy.deepcopy(SAMPLE_REQUEST)
    days = file["dialingStrategy"]["callingHours"]["days"]
    days[0]["start"] = "8:00 AM"
    days.append({"day": "MO", "start": "7:00 PM", "end": "8:00 PM"})
    days.pop(2)  # WE
    file["dialingStrategy"]["maxRingTime"] = 45
    file["dncLists"] = {"name": "Other"}
    file["schedule"] = {"isSchedulingEnabled": True}
    file["maxSkips"] = 4
    file["contactLists"] = ["Winback"]
    live, item = platform_form_of(SAMPLE_REQUEST)
    diffs = compare(file, live, item, experience_flows=FLOWS, listed_type="voice").diffs
    form = agreed_form(live, queue=None, campaign_type="voice")
    assert len(diffs) == 8, diffs
    for diff in diffs:
        assert value_at(form, path_parts(diff.path)) == diff.before, diff
