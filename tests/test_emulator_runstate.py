"""A campaign's run state on the emulator (issue 20, contract "Version 0.3 > Run state"):
the trigger call's transitions and answers, the status call, the admin status route, and
the request log a test counts writes from."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest

from campsync.emulator.rules import STATUSES
from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import EmulatorApi, campaign_body, platform_error, seed_ready

INSTANCE = re.compile(r"cid-[0-9a-f-]{36}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
# The contract's table: play Ready, Stopped or Paused -> Active; stop Active or Paused ->
# Stopped; anything else is refused.
ALLOWED = {
    "play": {"Ready": "Active", "Stopped": "Active", "Paused": "Active"},
    "stop": {"Active": "Stopped", "Paused": "Stopped"},
}


def in_status(running: RunningEmulator, name: str, status: str) -> str:
    (campaign_id,) = seed_ready(running, campaign_body(name))
    running.store.set_status(campaign_id, status)
    return campaign_id


def stored_status(running: RunningEmulator, campaign_id: str) -> str:
    return str(running.store.get_campaign(campaign_id)["status"])


# ---- the trigger call ----------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ["play", "stop"])
async def test_trigger_follows_the_contracts_transitions_exactly(
    emulator: RunningEmulator, api: EmulatorApi, status: str, action: str
) -> None:
    campaign_id = in_status(emulator, "Runner", status)
    before = emulator.store.get_campaign(campaign_id)["updatedAt"]
    code, answer = await api.trigger(campaign_id, action)
    after = emulator.store.get_campaign(campaign_id)
    if status in ALLOWED[action]:
        assert code == 200, answer
        assert after["status"] == ALLOWED[action][status]
        assert answer["status"] == after["status"]
        assert answer["updatedAt"] == after["updatedAt"] > before  # a trigger moves updatedAt
    else:
        assert code == 400
        verb = "started" if action == "play" else "stopped"
        expected = (
            f"The campaign is still Preparing and can't be {verb} yet"
            if status == "Preparing"
            else f"A campaign in status {status} can't be {verb}"
        )
        assert platform_error(answer, 400) == [expected]
        assert after["status"] == status and after["updatedAt"] == before


async def test_play_and_stop_answer_the_documented_shapes(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Shapes"))
    code, played = await api.trigger(campaign_id, "play")
    assert code == 200
    # {status: "Active", message, totalCallsCompleted, updatedAt, campaignInstanceId: "cid-…"}
    assert list(played) == [
        "status", "message", "totalCallsCompleted", "updatedAt", "campaignInstanceId"
    ]  # fmt: skip
    assert played["status"] == "Active"
    assert played["message"] == "Campaign Shapes started successfully"
    assert played["totalCallsCompleted"] == 0  # the emulator dials nobody
    assert TIMESTAMP.fullmatch(played["updatedAt"])
    assert INSTANCE.fullmatch(played["campaignInstanceId"])
    code, stopped = await api.trigger(campaign_id, "stop")
    assert code == 200
    # {status: "Stopped", message, updatedAt, campaignInstanceId}: the run that was stopped
    assert list(stopped) == ["status", "message", "updatedAt", "campaignInstanceId"]
    assert stopped["status"] == "Stopped"
    assert stopped["message"] == "Campaign Shapes stopped successfully"
    assert stopped["campaignInstanceId"] == played["campaignInstanceId"]
    assert stopped["updatedAt"] > played["updatedAt"]
    code, replayed = await api.trigger(campaign_id, "play")  # a new run
    assert code == 200 and replayed["campaignInstanceId"] != played["campaignInstanceId"]
    code, got = await api.get(campaign_id)
    assert code == 200 and got["data"]["updatedAt"] == replayed["updatedAt"]
    assert "campaignInstanceId" not in got["data"]  # not a field of the campaign


async def test_play_resumes_a_paused_run(emulator: RunningEmulator, api: EmulatorApi) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Pausing"))
    _, played = await api.trigger(campaign_id, "play")
    emulator.store.set_status(campaign_id, "Paused")
    code, resumed = await api.trigger(campaign_id, "play")
    assert code == 200 and resumed["campaignInstanceId"] == played["campaignInstanceId"]


async def test_trigger_takes_only_the_campaigns_own_type(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (sms_id,) = emulator.store.seed([{**campaign_body("Texts"), "campaignType": "sms"}])
    code, answer = await api.trigger(sms_id, "play", campaign_type="voice")
    assert code == 400
    assert "is a sms campaign, not voice" in platform_error(answer, 400)[0]
    code, answer = await api.trigger(sms_id, "play", campaign_type="sms")
    assert code == 200 and answer["status"] == "Active"


@pytest.mark.parametrize(
    ("body", "params"),
    [
        (None, {"trigger": "play"}),  # no body: the docs send {}
        ("[]", {"trigger": "play"}),
        ('"{}"', {"trigger": "play"}),
        ("{}", {"trigger": "pause"}),  # no pause call is documented
        ("{}", {"trigger": ""}),
        ("{}", {}),
    ],
)
async def test_trigger_refuses_what_the_docs_do_not_send(
    emulator: RunningEmulator, api: EmulatorApi, body: str | None, params: dict[str, str]
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Strict"))
    code, answer = await api.call(
        "POST",
        f"{api.trigger_base}/{campaign_id}",
        data=body,
        params={"campaignType": "voice", **params},
    )
    assert code == 400
    platform_error(answer, 400)
    assert stored_status(emulator, campaign_id) == "Ready"


async def test_a_new_campaign_is_neither_started_nor_stopped_nor_updated_while_preparing(
    api: EmulatorApi,
) -> None:
    campaign_id = await api.create_id(campaign_body("Brand new"))
    for action, verb in (("play", "started"), ("stop", "stopped")):
        code, answer = await api.trigger(campaign_id, action)
        assert code == 400
        assert platform_error(answer, 400) == [
            f"The campaign is still Preparing and can't be {verb} yet"
        ]
    code, answer = await api.update(campaign_id, campaign_body("Brand new", priority="1"))
    assert platform_error(answer, 400) == [
        "The campaign is still Preparing and can't be edited yet"
    ]


# ---- the status call -----------------------------------------------------------------------


async def test_status_call_answers_id_status_and_name(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    campaign_id = in_status(emulator, "Watched", "Scheduled")
    code, answer = await api.status(campaign_id)
    assert code == 200
    assert answer == {
        "status": "success",
        "data": {"id": campaign_id, "status": "Scheduled", "name": "Watched"},
    }


async def test_status_call_sees_preparing_turn_ready(api: EmulatorApi) -> None:
    campaign_id = await api.create_id(campaign_body("Polled"))
    code, answer = await api.status(campaign_id)
    assert code == 200 and answer["data"]["status"] == "Preparing"
    seen = {"Preparing"}
    for _ in range(250):  # Ready after 0.2 s in the tests
        await asyncio.sleep(0.02)
        code, answer = await api.status(campaign_id)
        seen.add(answer["data"]["status"])
        if answer["data"]["status"] == "Ready":
            break
    assert seen == {"Preparing", "Ready"}


@pytest.mark.parametrize(
    ("view", "body", "message"),
    [
        ("contacts", "{}", "view=contacts is not emulated"),
        ("", "{}", "view must be one of: status, contacts"),
        ("STATUS", "{}", "view must be one of: status, contacts"),
        ("status", None, "the request body must be a JSON object"),
        ("status", "[1]", "the request body must be a JSON object"),
    ],
)
async def test_status_call_refusals(
    emulator: RunningEmulator, api: EmulatorApi, view: str, body: str | None, message: str
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Asked"))
    code, answer = await api.call(
        "POST", f"{api.base}/{campaign_id}/status", data=body, params={"view": view}
    )
    assert code == 400
    (text,) = platform_error(answer, 400)
    assert text.startswith(message)


async def test_status_of_an_unknown_campaign_is_a_404(api: EmulatorApi) -> None:
    code, answer = await api.status("cd-nowhere")
    assert code == 404
    assert platform_error(answer, 404) == ["Campaign cd-nowhere not found"]


# ---- the admin status route ----------------------------------------------------------------


async def test_admin_status_route_takes_every_documented_status_and_nothing_else(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Set by hand"))
    url = f"{emulator.url}/_emulator/campaigns/{campaign_id}/status"
    for status in (
        "Active", "Completed", "Ready", "Paused", "Preparing", "Stopped", "Scheduled",
        "Rescheduled",
    ):  # fmt: skip
        async with session.post(url, json={"status": status}) as response:
            assert response.status == 200
            assert (await response.json())["status"] == status
        code, answer = await api.status(campaign_id)
        assert code == 200 and answer["data"]["status"] == status
    before = stored_status(emulator, campaign_id)
    bad: list[Any] = [{"status": "active"}, {"status": "Running"}, {"status": None}, {}, []]
    for body in bad:
        async with session.post(url, json=body) as response:
            assert response.status == 400
            (message,) = platform_error(await response.json(), 400)
            assert message.startswith("status must be one of: Active, Completed, Ready")
    assert stored_status(emulator, campaign_id) == before


async def test_preparing_set_by_hand_stays_preparing(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    # To test a --wait that runs out: no timer turns it Ready.
    campaign_id = in_status(emulator, "Stuck", "Preparing")
    emulator.store.ready_after = 0
    code, answer = await api.status(campaign_id)
    assert code == 200 and answer["data"]["status"] == "Preparing"


# ---- counting and ordering writes from the log ---------------------------------------------


async def test_the_log_tells_starts_stops_and_status_reads_apart_in_order(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Logged"))
    emulator.store.set_status(campaign_id, "Active")
    await api.trigger(campaign_id, "stop")
    await api.update(campaign_id, campaign_body("Logged", priority="1"))
    await api.trigger(campaign_id, "play")
    await api.status(campaign_id)
    async with session.get(f"{emulator.url}/_emulator/requests") as response:
        log = (await response.json())["requests"]
    steps = [
        (entry["kind"], entry["query"].get("trigger"), entry["campaignId"], entry["status"])
        for entry in log
    ]
    assert steps == [
        ("trigger", "stop", campaign_id, 200),
        ("update", None, campaign_id, 200),
        ("trigger", "play", campaign_id, 200),
        ("status", None, campaign_id, 200),
    ]
    assert log[3]["query"]["view"] == "status"
    by_kind = emulator.store.stats()["by_kind"]
    assert (by_kind["trigger"], by_kind["update"], by_kind["status"]) == (2, 1, 1)
