"""The emulator's admin edit (POST /_emulator/campaigns/{id}): a campaign changed as someone
in the web UI changes it, for tests of drift and of where a difference came from."""

from __future__ import annotations

from typing import Any

from campsync.emulator.catalog import default_catalog
from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import (
    EmulatorApi,
    campaign_body,
    platform_error,
    progressive_body,
    seed_ready,
)


async def edit(api: EmulatorApi, campaign_id: str, fields: Any) -> tuple[int, Any]:
    url = f"{api.running.url}/_emulator/campaigns/{campaign_id}"
    async with api.session.post(url, json=fields) as response:
        return response.status, await response.json(content_type=None)


async def test_an_edit_changes_the_fields_given_and_moves_updated_at(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    body = campaign_body()
    (cid,) = seed_ready(emulator, body)
    _, before = await api.get(cid)
    strategy = {**body["dialingStrategy"], "maxRingTime": 45}
    status, answer = await edit(
        api,
        cid,
        {
            "description": "Edited in the web UI",
            "dialingStrategy": strategy,
            "experienceFlowName": "Voice Survey Entry Flow",
        },
    )
    assert status == 200
    _, after = await api.get(cid)
    assert after["data"] == answer
    assert answer["description"] == "Edited in the web UI"
    assert answer["dialingStrategy"]["maxRingTime"] == 45
    assert answer["experienceFlow"] == default_catalog().experience_flows["Voice Survey Entry Flow"]
    assert answer["updatedAt"] > before["data"]["updatedAt"]
    unchanged = ("name", "contactLists", "dncLists", "priority", "schedule", "maxSkips")
    assert {k: answer[k] for k in unchanged} == {k: before["data"][k] for k in unchanged}
    stats = emulator.store.stats()
    assert stats["by_kind"].get("update", 0) == 0  # no platform call
    assert stats["by_kind"]["get"] == 2


async def test_an_edit_keeps_the_queue_and_any_status(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (cid,) = seed_ready(emulator, progressive_body())
    emulator.store.set_status(cid, "Active")
    status, answer = await edit(api, cid, {"priority": 1})
    assert status == 200 and answer["priority"] == "1" and answer["status"] == "Active"
    _, listed = await api.list()
    (item,) = listed["data"]["results"]
    assert item["connection"] == "Collections Queue" and item["priority"] == "1"


async def test_an_edit_that_is_not_one_is_refused(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    ids = seed_ready(emulator, campaign_body("One"), campaign_body("Two"))
    refused = [
        ({}, "an edit is an object"),
        (["name"], "an edit is an object"),
        ({"status": "Ready"}, "not editable: status"),
        ({"campaignType": "sms", "_id": "x"}, "not editable: _id, campaignType"),
        ({"contactLists": ["No Such List"]}, "not found: contact list No Such List"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": "two"}, "already exists"),
    ]
    for fields, message in refused:
        status, answer = await edit(api, ids[0], fields)
        assert status == 400, fields
        (said,) = platform_error(answer, 400)
        assert message in said, (fields, said)
    status, answer = await edit(api, "cd-unknown", {"priority": 1})
    assert status == 404
    platform_error(answer, 404)
    _, one = await api.get(ids[0])
    assert one["data"]["name"] == "One"
