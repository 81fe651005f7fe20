"""What campaigns name, on the emulator (issue 21, contract "Version 0.3 > References"):
the contact lists call (getAllListDetails), the queues call, names that must exist, and
the ways to add lists and queues (admin routes, seed file, state file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from campsync.emulator.catalog import default_catalog
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.errors import ConfigError
from tests.fixtures_emulator import (
    EmulatorApi,
    campaign_body,
    emulator_headers,
    emulator_test_config,
    platform_error,
    progressive_body,
    seed_ready,
)

LIST_KEYS = [
    "_id", "name", "description", "status", "source", "listType", "isGlobalDNC", "isDefault",
    "totalRecordCount", "campaignInUse",
]  # fmt: skip


async def admin_post(
    session: aiohttp.ClientSession, running: RunningEmulator, route: str, body: Any
) -> tuple[int, Any]:
    async with session.post(f"{running.url}/_emulator/{route}", json=body) as response:
        return response.status, await response.json()


# ---- getAllListDetails -----------------------------------------------------------------------


async def test_contact_lists_are_the_reference_samples_and_more_with_their_use(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    first, second = seed_ready(
        emulator,
        campaign_body("Uses two", contactLists=["CL Only 2020 Dec 4", "Q4 Renewals"]),
        progressive_body("Uses one", dncLists={"name": "DNC CL Dec 4"}),
    )
    code, answer = await api.contact_lists()
    assert code == 200
    assert answer["status"] == "success" and isinstance(answer["message"], str)
    items = {item["name"]: item for item in answer["data"]}  # all at once: no paging
    assert set(items) == {
        "CL Only 2020 Dec 4", "Q4 Renewals", "Past Due Accounts", "Webinar Signups",
        "DNC CL Dec 4", "Global DNC",
    }  # fmt: skip
    sample = items["CL Only 2020 Dec 4"]
    assert list(sample) == LIST_KEYS
    assert sample["_id"] == default_catalog().contact_lists["CL Only 2020 Dec 4"]
    assert sample["_id"].startswith("cl-")
    assert (sample["status"], sample["source"], sample["listType"]) == (
        "Ready", "passiveApi", "call"
    )  # fmt: skip
    assert sample["isGlobalDNC"] is False and items["DNC CL Dec 4"]["isGlobalDNC"] is True
    assert sample["campaignInUse"] == [{"id": first, "name": "Uses two"}]
    assert items["Q4 Renewals"]["campaignInUse"] == [
        {"id": first, "name": "Uses two"},
        {"id": second, "name": "Uses one"},  # progressive_body calls Q4 Renewals too
    ]
    assert items["DNC CL Dec 4"]["campaignInUse"] == [{"id": second, "name": "Uses one"}]
    assert items["Global DNC"]["campaignInUse"] == [{"id": first, "name": "Uses two"}]
    assert items["Webinar Signups"]["campaignInUse"] == []


@pytest.mark.parametrize(
    ("params", "body", "message"),
    [
        ({}, None, "type must be one of: call"),
        ({"type": "sms"}, None, "type must be one of: call"),
        ({"type": "call"}, "[]", "the request body must be a JSON object"),
    ],
)
async def test_contact_lists_call_refusals(
    api: EmulatorApi, params: dict[str, str], body: str | None, message: str
) -> None:
    url = f"{api.base}/contactList/getAllListDetails"
    code, answer = await api.call("POST", url, params=params, data=body)
    assert code == 400
    assert platform_error(answer, 400) == [message]


async def test_contact_lists_call_is_a_post_and_needs_auth(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    url = f"{api.base}/contactList/getAllListDetails"
    code, answer = await api.call("GET", url, params={"type": "call"})
    assert code == 405
    bad = emulator_headers(emulator, token="not-a-jwt")
    code, answer = await api.call("POST", url, params={"type": "call"}, headers=bad)
    assert code == 401
    platform_error(answer, 401)


# ---- queues --------------------------------------------------------------------------------


async def test_queues_are_paged_by_page_and_limit(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    names = [f"Queue {n:02d}" for n in range(12)]
    code, added = await admin_post(session, emulator, "queues", names)
    assert code == 200 and len(added["queues"]) == 12
    code, answer = await api.queues()
    assert code == 200
    assert list(answer) == ["results", "page", "limit", "hasMore", "totalPages", "totalResults"]
    assert (answer["page"], answer["limit"], answer["hasMore"]) == (1, 10, True)
    assert (answer["totalPages"], answer["totalResults"]) == (2, 15)
    seen: list[str] = []
    page = 1
    while True:
        code, answer = await api.queues(page=str(page), limit="4")
        assert code == 200 and answer["page"] == page and answer["limit"] == 4
        seen += [item["name"] for item in answer["results"]]
        assert all(list(item) == ["_id", "name"] for item in answer["results"])
        if not answer["hasMore"]:
            break
        page += 1
    assert page == 4 and answer["totalPages"] == 4
    assert seen == ["Collections Queue", "Sales Queue", "Support Queue", *names]
    assert answer["results"][-1]["_id"] == added["queues"][-1]
    default = default_catalog().queues["Collections Queue"]
    code, first = await api.queues(limit="1")
    assert code == 200 and first["results"] == [{"_id": default, "name": "Collections Queue"}]
    code, past = await api.queues(page="9")
    assert code == 200 and past["results"] == [] and past["hasMore"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"limit": "0"},
        {"page": "²"},
        {"limit": "-1"},
        {"page": "1.5"},
        {"page": "9" * 17},
        {"page": str(2**53 - 1), "limit": str(2**53 - 1)},
    ],
)
async def test_queue_paging_values_are_whole_numbers(
    api: EmulatorApi, params: dict[str, str]
) -> None:
    code, answer = await api.queues(**params)
    assert code == 400
    platform_error(answer, 400)


async def test_queues_take_the_account_query_parameter_only_as_an_option(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    # Its documented URL carries no accountId (the campaign calls' do); sent, it must match.
    code, _ = await api.queues(accountId=emulator.config.account_id)
    assert code == 200
    code, answer = await api.queues(accountId="another-account")
    assert code == 403
    assert platform_error(answer, 403) == ["no access to account another-account"]
    code, answer = await api.queues(accountId="")
    assert code == 400


async def test_queues_forbidden_answers_403_until_switched_off(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    code, faults = await admin_post(session, emulator, "faults", {"queues_forbidden": True})
    assert code == 200 and faults["queues_forbidden"] is True
    code, answer = await api.queues()
    assert code == 403
    (message,) = platform_error(answer, 403)
    assert "Configuration" in message
    code, _ = await api.contact_lists()  # the campaign scope still works
    assert code == 200
    code, answer = await admin_post(session, emulator, "faults", {"queues_forbidden": "yes"})
    assert code == 400
    await admin_post(session, emulator, "faults", {"queues_forbidden": False})
    code, _ = await api.queues()
    assert code == 200
    assert emulator.store.stats()["by_kind"]["queues"] == 2


async def test_queues_forbidden_from_the_start(session: aiohttp.ClientSession) -> None:
    with start_in_thread(emulator_test_config(queues_forbidden=True)) as running:
        code, answer = await EmulatorApi(session, running).queues()
        assert code == 403
        platform_error(answer, 403)


async def test_one_rate_budget_for_campaigns_lists_and_queues(
    session: aiohttp.ClientSession,
) -> None:
    with start_in_thread(emulator_test_config(rate_limit=3)) as running:
        api = EmulatorApi(session, running)
        assert (await api.list())[0] == 200
        assert (await api.contact_lists())[0] == 200
        assert (await api.queues())[0] == 200
        for call in (api.list(), api.contact_lists(), api.queues()):
            code, answer = await call
            assert code == 429
            platform_error(answer, 429)


# ---- names that must exist -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contactLists": ["q4 renewals"]},
         "contact list(s) not found: q4 renewals (names match exactly: the account has "
         "Q4 Renewals)"),
        ({"contactLists": ["Ghost List"]}, "contact list(s) not found: Ghost List"),
        ({"dncLists": {"name": "Ghost DNC"}}, "DNC list not found: Ghost DNC"),
        ({"dncLists": {"name": "global dnc"}},
         "DNC list not found: global dnc (names match exactly: the account has Global DNC)"),
        ({"queue_name": "sales queue"},
         "queue not found: sales queue (names match exactly: the account has Sales Queue)"),
        ({"queue_name": "Nowhere"}, "queue not found: Nowhere"),
    ],
)  # fmt: skip
async def test_create_and_update_refuse_names_the_account_lacks(
    emulator: RunningEmulator, api: EmulatorApi, changes: dict[str, Any], message: str
) -> None:
    code, answer = await api.create(progressive_body("Misspelt", **changes))
    assert code == 400
    assert platform_error(answer, 400) == [message]
    (campaign_id,) = seed_ready(emulator, progressive_body("Kept"))
    code, answer = await api.update(campaign_id, progressive_body("Kept", **changes))
    assert code == 400
    assert platform_error(answer, 400) == [message]
    assert emulator.store.campaign_count() == 1


async def test_lists_and_queues_added_by_the_admin_routes_can_be_named(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    body = progressive_body(
        "Uses new ones",
        contactLists=["Spring Leads"],
        dncLists={"name": "Spring DNC"},
        queue_name="Spring Queue",
    )
    code, _ = await api.create(body)
    assert code == 400
    code, added = await admin_post(
        session,
        emulator,
        "contactLists",
        {"contactLists": [
            {"name": "Spring Leads", "description": "new", "totalRecordCount": 120},
            {"name": "Spring DNC", "isGlobalDNC": True, "_id": "cl-spring-dnc"},
        ]},
    )  # fmt: skip
    assert code == 200
    assert added["contactLists"][0].startswith("cl-")
    assert added["contactLists"][1] == "cl-spring-dnc"
    code, added = await admin_post(session, emulator, "queues", ["Spring Queue"])
    assert code == 200 and added["queues"][0].startswith("qu-")
    code, created = await api.create(body)
    assert code == 200, created
    code, lists = await api.contact_lists()
    assert code == 200
    leads = next(item for item in lists["data"] if item["name"] == "Spring Leads")
    assert leads["totalRecordCount"] == 120 and leads["description"] == "new"
    assert leads["campaignInUse"] == [{"id": created["data"]["id"], "name": "Uses new ones"}]
    async with session.get(f"{emulator.url}/_emulator/catalog") as response:
        catalog = await response.json()
    assert catalog["dncLists"]["Spring DNC"] == "cl-spring-dnc"
    assert catalog["queues"]["Spring Queue"] == added["queues"][0]


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        ("contactLists", ["q4 RENEWALS"], 'a contact list named "q4 RENEWALS" already exists'),
        ("contactLists", ["Twin", "twin"], 'a contact list named "twin" already exists'),
        ("contactLists", ["Global dnc"], 'a contact list named "Global dnc" already exists'),
        ("contactLists", [{"name": "X", "status": "Done"}], "status must be one of"),
        ("contactLists", [{"name": "X", "source": "ftp"}], "source must be one of"),
        ("contactLists", [{"name": "X", "isGlobalDNC": "yes"}], "isGlobalDNC must be true"),
        ("contactLists", [{"name": "X", "listType": "sms"}], "listType must be call"),
        ("contactLists", [{"name": "X", "campaignInUse": []}], "unknown field(s): campaignInUse"),
        ("contactLists", [{"name": "X" * 49}], "a name has at most 48 characters"),
        ("contactLists", [{"name": "X", "totalRecordCount": -1}], "totalRecordCount must be"),
        ("contactLists", [{"description": "no name"}], "each contact list needs a name"),
        ("contactLists", {"lists": []}, "expected a list of contactLists"),
        ("queues", ["SALES QUEUE"], 'a queue named "SALES QUEUE" already exists'),
        ("queues", [{"name": "Q", "_id": default_catalog().queues["Sales Queue"]}],
         "already in use"),
        ("queues", [7], "each queue must be a name or an object"),
    ],
)  # fmt: skip
async def test_admin_routes_refuse_bad_or_duplicate_lists_and_queues(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    route: str,
    body: Any,
    message: str,
) -> None:
    before = emulator.store.catalog
    code, answer = await admin_post(session, emulator, route, body)
    assert code == 400
    (text,) = platform_error(answer, 400)
    assert message in text
    assert emulator.store.catalog == before  # all or nothing


# ---- the seed file and the state file --------------------------------------------------------


async def test_seed_file_may_hold_lists_and_queues_next_to_campaigns(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    seed = tmp_path / "seed.json"
    campaign = progressive_body("Regional", contactLists=["EMEA Leads"], queue_name="EMEA Queue")
    seed.write_text(
        json.dumps(
            {
                "contactLists": ["EMEA Leads", {"name": "EMEA DNC", "isGlobalDNC": True}],
                "queues": [{"name": "EMEA Queue", "id": "qu-emea"}],
                "campaigns": [{**campaign, "dncLists": {"name": "EMEA DNC"}}],
            }
        )
    )
    with start_in_thread(emulator_test_config(seed_file=seed)) as running:
        api = EmulatorApi(session, running)
        code, answer = await api.list()
        assert [item["connection"] for item in answer["data"]["results"]] == ["EMEA Queue"]
        code, queues = await api.queues(limit="10")
        assert code == 200 and {"_id": "qu-emea", "name": "EMEA Queue"} in queues["results"]
        code, lists = await api.contact_lists()
        assert code == 200
        names = {item["name"]: item for item in lists["data"]}
        assert names["EMEA DNC"]["isGlobalDNC"] is True
        assert len(names["EMEA Leads"]["campaignInUse"]) == 1


async def test_state_file_keeps_lists_and_queues(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    state = tmp_path / "state.json"
    with start_in_thread(emulator_test_config(state_file=state)) as running:
        running.store.add_references(lists=["Kept List"], queues=["Kept Queue"])
        seed_ready(running, progressive_body("Kept", contactLists=["Kept List"]))
    with start_in_thread(emulator_test_config(state_file=state)) as running:
        api = EmulatorApi(session, running)
        code, lists = await api.contact_lists()
        kept = next(item for item in lists["data"] if item["name"] == "Kept List")
        assert [use["name"] for use in kept["campaignInUse"]] == ["Kept"]
        code, queues = await api.queues()
        assert code == 200 and "Kept Queue" in [item["name"] for item in queues["results"]]
        code, _ = await api.create(progressive_body("New", queue_name="Kept Queue"))
        assert code == 200


def test_a_state_file_of_campaigns_only_starts_with_the_default_lists(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"format": 1, "campaigns": []}))  # as campsync 0.2 wrote it
    with start_in_thread(emulator_test_config(state_file=state)) as running:
        assert running.store.catalog == default_catalog()
    state.write_text(json.dumps({"format": 1, "campaigns": [], "queues": [{"id": "qu-1"}]}))
    with pytest.raises(ConfigError, match="not a campsync emulator state file"):
        start_in_thread(emulator_test_config(state_file=state))


@pytest.mark.parametrize(
    "changes",
    [{"contactLists": ["Q4 Renewals", "Global DNC"]}, {"dncLists": {"name": "Q4 Renewals"}}],
)
async def test_any_contact_list_may_be_named_either_way(
    emulator: RunningEmulator, api: EmulatorApi, changes: dict[str, Any]
) -> None:
    """The docs don't say a DNC list must be flagged isGlobalDNC (nor that a called list must
    not be): as campsync's reference check, the emulator looks both up among all lists."""
    code, answer = await api.create(progressive_body("Either Way", **changes))
    assert code == 200, answer
