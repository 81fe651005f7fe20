"""The emulator's campaign calls over real loopback HTTP: shapes, statuses, names, pages."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from campsync.emulator.catalog import default_catalog
from campsync.emulator.runner import RunningEmulator, start_in_thread
from tests.fixtures_emulator import (
    REFERENCE_SAMPLE_BODY,
    EmulatorApi,
    campaign_body,
    emulator_headers,
    emulator_test_config,
    progressive_body,
    seed_ready,
)

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def wait_ready(api: EmulatorApi, campaign_id: str) -> dict[str, object]:
    for _ in range(200):
        status, answer = await api.get(campaign_id)
        assert status == 200
        if answer["data"]["status"] == "Ready":
            return dict(answer["data"])
        await asyncio.sleep(0.02)
    raise AssertionError("the campaign never became Ready")


async def test_reference_sample_put_succeeds_as_its_curl_sends_it(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Existing campaign"))
    stream, account = emulator.config.stream_id, emulator.config.account_id
    url = (
        f"{emulator.url}/campaign/api/v2/public/{stream}/campaign/{campaign_id}"
        f"?accountId={account}&campaignType=sms"
    )
    headers = emulator_headers(emulator)
    async with api.session.put(url, data=REFERENCE_SAMPLE_BODY.encode(), headers=headers) as r:
        assert r.status == 200, await r.text()
        answer = await r.json()
    sample = json.loads(REFERENCE_SAMPLE_BODY)
    assert answer["status"] == "success"
    assert answer["message"] == f"Campaign {sample['name']} details updated successfully"
    assert answer["id"] == campaign_id
    data = answer["data"]
    assert list(data) == [
        "_id", "name", "lname", "description", "dncLists", "priority", "dialingMode",
        "dialingStrategy", "status", "maxSkips", "isFiltersEnabled", "createdAt", "updatedAt",
        "schedule", "experienceFlow", "contactLists",
    ]  # fmt: skip
    catalog = default_catalog()
    assert data["_id"] == campaign_id
    assert data["name"] == sample["name"]
    assert data["lname"] == sample["name"].lower()
    assert data["description"] == sample["description"]
    assert data["dncLists"] == {"id": catalog.dnc_lists["DNC CL Dec 4"], "name": "DNC CL Dec 4"}
    assert data["priority"] == "5"
    assert data["dialingStrategy"] == {**sample["dialingStrategy"], "useSystemMappings": False}
    assert data["status"] == "Ready"
    assert data["maxSkips"] == 1
    assert data["isFiltersEnabled"] is False
    assert data["schedule"] == {"isSchedulingEnabled": False, "isRecurrenceEnabled": False}
    assert data["experienceFlow"] == catalog.experience_flows["Voice Survey Entry Flow"]
    assert data["experienceFlow"].startswith("cf-")
    assert data["contactLists"] == ["CL Only 2020 Dec 4"]
    assert TIMESTAMP.fullmatch(data["createdAt"]) and TIMESTAMP.fullmatch(data["updatedAt"])
    assert data["updatedAt"] > data["createdAt"]
    # what get-one answers afterwards is what the update answered
    status, again = await api.get(campaign_id)
    assert status == 200 and again["data"] == data


async def test_create_answers_preparing_then_becomes_ready(api: EmulatorApi) -> None:
    status, answer = await api.create(campaign_body("Fresh one"))
    assert status == 200
    assert answer["status"] == "success"
    assert answer["message"] == "Campaign Fresh one creation in progress"
    assert answer["data"]["status"] == "Preparing"
    campaign_id = answer["data"]["id"]
    assert re.fullmatch(r"cd-[0-9a-f-]{36}", campaign_id)
    assert "_id" not in answer["data"]
    status, got = await api.get(campaign_id)
    assert got["data"]["status"] == "Preparing"
    # not editable while Preparing
    status, refused = await api.update(campaign_id, campaign_body("Fresh one"))
    assert status == 400 and refused["errors"][0]["code"] == 400
    data = await wait_ready(api, campaign_id)
    assert data["name"] == "Fresh one"
    status, _ = await api.update(campaign_id, campaign_body("Fresh one", priority=4))
    assert status == 200


async def test_get_one_hides_queue_and_request_only_fields(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, progressive_body("Queue one", maxSkips=3))
    status, answer = await api.get(campaign_id)
    assert status == 200 and answer["status"] == "success"
    data = answer["data"]
    for hidden in ("queue_name", "connection", "campaignType", "enableMachineDetect",
                   "experienceFlowName", "experienceFlow", "readyAt"):  # fmt: skip
        assert hidden not in data
    assert data["maxSkips"] == 3
    raw = {c["_id"]: c for c in emulator.store.raw_campaigns()}[campaign_id]
    assert raw["queue_name"] == "Collections Queue" and raw["campaignType"] == "voice"


async def test_list_items_carry_connection_and_no_dialing_strategy(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    seed_ready(emulator, progressive_body("With queue"), campaign_body("Agentless one"))
    status, answer = await api.list(sortBy={"name": "asc"})
    assert status == 200
    results = answer["data"]["results"]
    assert [item["name"] for item in results] == ["Agentless one", "With queue"]
    agentless, queued = results
    assert queued["connection"] == "Collections Queue"
    assert "connection" not in agentless
    for item in results:
        assert "dialingStrategy" not in item
        assert set(item) >= {"_id", "name", "description", "dncLists", "priority",
                             "dialingMode", "status", "createdAt", "updatedAt", "schedule",
                             "contactLists"}  # fmt: skip


async def test_pagination_walks_every_campaign_once(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    seed_ready(emulator, *(campaign_body(f"Campaign {n:02d}") for n in range(23)))
    seen: list[str] = []
    skip = 0
    while True:
        status, answer = await api.list(skip=skip, limit=10, sortBy={"name": "asc"})
        assert status == 200
        data = answer["data"]
        assert data["totalResults"] == 23 and data["totalPages"] == 3
        assert data["skip"] == skip and data["limit"] == 10
        seen += [item["name"] for item in data["results"]]
        if not data["hasMore"]:
            break
        skip += 10
    assert seen == [f"Campaign {n:02d}" for n in range(23)]
    # page counts from 1 when skip is absent; the default limit is 10
    status, answer = await api.list(page=3, sortBy={"name": "asc"})
    assert [item["name"] for item in answer["data"]["results"]] == seen[20:]
    assert answer["data"]["hasMore"] is False and answer["data"]["limit"] == 10
    # a huge limit is just one page
    status, answer = await api.list(limit=10**9)
    assert len(answer["data"]["results"]) == 23 and answer["data"]["totalPages"] == 1


async def test_list_sorts_filters_and_separates_types(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    seed_ready(emulator, campaign_body("B", priority="1"), campaign_body("a", priority="5"))
    emulator.store.seed([{**campaign_body("Texts"), "campaignType": "sms", "status": "Paused"}])
    status, answer = await api.list(sortBy={"name": "desc"})
    assert [item["name"] for item in answer["data"]["results"]] == ["B", "a"]
    status, answer = await api.list(sortBy={"createdAt": "asc"})
    assert [item["name"] for item in answer["data"]["results"]] == ["B", "a"]
    status, answer = await api.list(filters={"priority": [5]})
    assert [item["name"] for item in answer["data"]["results"]] == ["a"]
    status, answer = await api.list(type="sms")
    assert [item["name"] for item in answer["data"]["results"]] == ["Texts"]
    status, answer = await api.list(type="sms", filters={"status": ["Ready"]})
    assert status == 200
    assert answer["data"]["results"] == [] and answer["data"]["totalPages"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 0},
        {"skip": -1},
        {"page": 0},
        {"sortBy": {"priority": "asc"}},
        {"sortBy": {"name": "up"}},
        {"filters": {"status": "Ready"}},
        {"type": "email"},
    ],
)
async def test_list_refuses_bad_queries(api: EmulatorApi, body: dict[str, object]) -> None:
    status, answer = await api.list(**body)
    assert status == 400
    assert answer["errors"][0]["code"] == 400


async def test_list_requires_type(api: EmulatorApi) -> None:
    status, answer = await api.call("POST", f"{api.base}/getAllCampaignDetails", json={})
    assert status == 400 and "type" in answer["errors"][0]["msg"]


async def test_duplicate_names_are_refused_case_insensitively(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    first, second = seed_ready(emulator, campaign_body("Spring Sale"), campaign_body("Other"))
    status, answer = await api.create(campaign_body("SPRING sale"))
    assert status == 400
    assert answer == {
        "errors": [{"msg": "A campaign with the name SPRING sale already exists", "code": 400}]
    }
    # renaming another campaign onto the name is refused too; keeping one's own name is fine
    status, _ = await api.update(second, campaign_body("spring SALE"))
    assert status == 400
    status, _ = await api.update(first, campaign_body("Spring SALE"))
    assert status == 200
    assert emulator.store.campaign_count() == 2


async def test_active_campaign_refuses_edits_and_start_stop(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Runner"))
    status, answer = await api.trigger(campaign_id, "play")
    assert status == 200 and answer["status"] == "Active"
    status, answer = await api.update(campaign_id, campaign_body("Runner", priority="2"))
    assert status == 400
    assert answer == {"errors": [{"msg": "Active campaigns can't be edited", "code": 400}]}
    status, _ = await api.trigger(campaign_id, "play")
    assert status == 400
    status, answer = await api.trigger(campaign_id, "stop")
    assert status == 200 and answer["status"] == "Stopped"
    status, _ = await api.trigger(campaign_id, "stop")
    assert status == 400
    status, answer = await api.update(campaign_id, campaign_body("Runner", priority="2"))
    assert status == 200 and answer["data"]["priority"] == "2"
    assert answer["data"]["status"] == "Stopped"
    status, _ = await api.trigger(campaign_id, "pause")
    assert status == 400


async def test_admin_status_route_makes_a_campaign_active(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Seeded"))
    url = f"{emulator.url}/_emulator/campaigns/{campaign_id}/status"
    async with api.session.post(url, json={"status": "Active"}) as response:
        assert response.status == 200
    status, answer = await api.update(campaign_id, campaign_body("Seeded"))
    assert status == 400 and "Active" in answer["errors"][0]["msg"]
    async with api.session.post(url, json={"status": "Sleeping"}) as response:
        assert response.status == 400


async def test_updated_at_strictly_increases_across_writes(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    ids = seed_ready(emulator, *(campaign_body(f"T{n}") for n in range(5)))
    stamps: list[str] = []
    for round_ in range(3):
        for n, campaign_id in enumerate(ids):
            status, answer = await api.update(
                campaign_id, campaign_body(f"T{n}", priority=round_ + 1)
            )
            assert status == 200
            stamps.append(answer["data"]["updatedAt"])
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


async def test_delete_answers_the_campaign_and_forgets_it(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Doomed"))
    status, answer = await api.delete(campaign_id)
    assert status == 200
    assert answer["data"]["_id"] == campaign_id and answer["data"]["name"] == "Doomed"
    status, answer = await api.get(campaign_id)
    assert status == 404 and answer["errors"][0]["code"] == 404
    status, _ = await api.delete(campaign_id)
    assert status == 404


async def test_an_active_campaign_is_not_deleted(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Running"))
    emulator.store.set_status(campaign_id, "Active")
    status, answer = await api.delete(campaign_id)
    assert status == 400
    assert answer["errors"][0]["msg"].startswith("Active campaigns can't be deleted")
    status, _ = await api.get(campaign_id)
    assert status == 200  # still there


async def test_update_switching_modes_follows_the_body(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Switcher"))
    status, answer = await api.update(campaign_id, progressive_body("Switcher"))
    assert status == 200
    assert "experienceFlow" not in answer["data"]
    status, listed = await api.list()
    assert listed["data"]["results"][0]["connection"] == "Collections Queue"
    # back to Agentless: an update may leave enableMachineDetect out (the sample does)
    body = campaign_body("Switcher")
    del body["enableMachineDetect"]
    status, answer = await api.update(campaign_id, body)
    assert status == 200
    status, listed = await api.list()
    assert "connection" not in listed["data"]["results"][0]


async def test_create_requires_campaign_type_query(api: EmulatorApi) -> None:
    status, answer = await api.create(campaign_body(), campaign_type="email")
    assert status == 400 and "campaignType" in answer["errors"][0]["msg"]


async def test_unknown_route_and_campaign_answer_platform_shaped_404(api: EmulatorApi) -> None:
    status, answer = await api.get("cd-does-not-exist")
    assert status == 404
    assert answer == {"errors": [{"msg": "Campaign cd-does-not-exist not found", "code": 404}]}
    status, answer = await api.call("GET", f"{api.running.url}/no/such/route")
    assert status == 404 and answer["errors"][0]["code"] == 404


def test_start_in_thread_serves_on_a_free_port_and_stops() -> None:
    with start_in_thread(emulator_test_config()) as running:
        assert running.url.startswith("http://127.0.0.1:")
        assert running.store.campaign_count() == 0
    running.stop()  # twice is fine
