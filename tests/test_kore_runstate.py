"""The client's run-state calls (issue 20): the trigger call (start, stop) and the status
call. Requests and answers without a network (protocol), the policy around a lost answer
over a fake transport on a fake clock, and both against the emulator, whose request log
shows what was sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from campsync.config.target import Credentials, Target
from campsync.emulator.rules import STATUSES
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.errors import ApiError, BadResponseError, ServerError, TransportError, WriteNotSent
from campsync.kore import KoreClient, RetryPolicy, Unreachable, protocol
from campsync.kore.protocol import Endpoints, Request, Response, Triggered
from tests.fixtures_emulator import campaign_body, emulator_test_config, seed_ready
from tests.test_emulator_runstate import in_status
from tests.test_kore_policy import Answer, FakeTransport, client_on, status
from tests.test_kore_ratelimit import FakeTime

API = Endpoints("https://platform.example.com/", "st-1", "acc 1")
BASE = "https://platform.example.com/campaign/api/v2/public/st-1"
PLAY = API.trigger("cd-1", "play", "voice", "Spring")
STATUS = API.status("cd-1")
STAMP = "2025-04-01T10:00:00.000Z"


def answer(code: int, body: Any) -> Response:
    return Response(code, "application/json", json.dumps(body).encode())


def parsed(request: Request, response: Response) -> dict[str, Any]:
    return protocol.parse_envelope(request, response)


# ---------------------------------------------------------------- requests and answers


def test_the_trigger_call_is_the_documented_one() -> None:
    # No /campaign/api prefix, body {}, the campaign's own type, then the trigger.
    assert PLAY.url == (
        "https://platform.example.com/api/v2/public/st-1/campaign/trigger/cd-1"
        "?accountId=acc+1&campaignType=voice&trigger=play"
    )
    assert (PLAY.method, PLAY.kind, PLAY.body, PLAY.campaign) == (
        "POST",
        "trigger",
        b"{}",
        "Spring",
    )
    stop = API.trigger("cd-1", "stop", "sms")
    assert stop.url.endswith("/campaign/trigger/cd-1?accountId=acc+1&campaignType=sms&trigger=stop")
    assert stop.campaign == "cd-1"  # named by its id when no name is given
    assert not PLAY.retry_safe and not stop.retry_safe  # a play twice is refused: look first
    assert PLAY.writes and stop.writes  # a lost answer leaves its outcome unknown


def test_a_trigger_is_a_write_and_the_status_call_a_read() -> None:
    assert "trigger" in protocol.WRITE_KINDS and "status" not in protocol.WRITE_KINDS
    assert {"trigger", "status"} <= set(protocol.KINDS)  # counted from 0 (RequestStats)


def test_the_status_call_is_the_documented_one() -> None:
    assert STATUS.url == f"{BASE}/campaign/cd-1/status?accountId=acc+1&view=status"
    assert (STATUS.method, STATUS.kind, STATUS.body) == ("POST", "status", b"{}")
    assert STATUS.retry_safe and not STATUS.writes  # a read


@pytest.mark.parametrize("ident", ["../x", "cd-1/../../y", "cd-1?trigger=stop", "x", "", "cd-"])
def test_only_campaign_ids_enter_a_run_state_url(ident: str) -> None:
    with pytest.raises(ValueError, match="not a campaign id"):
        API.trigger(ident, "play", "voice")
    with pytest.raises(ValueError, match="not a campaign id"):
        API.status(ident)


def test_only_play_and_stop_are_triggers() -> None:
    with pytest.raises(ValueError, match="trigger must be one of"):
        API.trigger("cd-1", "pause", "voice")  # type: ignore[arg-type]


def test_play_and_stop_answers_are_read_without_a_data_wrapper() -> None:
    play = {
        "status": "Active",
        "message": "Campaign started successfully",
        "totalCallsCompleted": 0,
        "updatedAt": STAMP,
        "campaignInstanceId": "cid-1",
    }
    assert protocol.triggered(PLAY, parsed(PLAY, answer(200, play))) == Triggered("Active", STAMP)
    stop = {"status": "Stopped", "message": "m", "updatedAt": STAMP, "campaignInstanceId": "c"}
    assert protocol.triggered(PLAY, stop) == Triggered("Stopped", STAMP)
    # Without updatedAt the status is still known.
    assert protocol.triggered(PLAY, {"status": "Active"}) == Triggered("Active", None)
    # A platform that wraps it after all is read too.
    wrapped = {"status": "success", "data": {"status": "Active", "updatedAt": STAMP}}
    assert protocol.triggered(PLAY, wrapped) == Triggered("Active", STAMP)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "ok"}, "the platform's trigger answer has no campaign status"),
        ({"status": "success", "message": "ok"}, "trigger answer has no campaign status"),
        ({"status": 3}, "trigger answer has no campaign status"),
        ({"status": "  "}, "trigger answer has no campaign status"),
        ({"status": "A" * 41}, "trigger answer has no status but 'AAAA"),
        ({"status": "Act\nive"}, "trigger answer has no status but 'Act\\\\nive'"),
    ],
)
def test_a_trigger_answer_without_a_status_is_no_answer(body: Any, message: str) -> None:
    with pytest.raises(BadResponseError, match=message) as caught:
        protocol.triggered(PLAY, body)
    assert "\n" not in str(caught.value)


def test_a_refused_trigger_is_the_platforms_reason() -> None:
    refusal = {"errors": [{"msg": "A campaign in status Completed can't be started", "code": 400}]}
    with pytest.raises(ApiError) as caught:
        parsed(PLAY, answer(400, refusal))
    assert str(caught.value) == (
        "campaign 'Spring': A campaign in status Completed can't be started (HTTP 400)"
    )


def test_the_status_answer_gives_the_status_of_the_campaign_asked_about() -> None:
    body = {"status": "success", "data": {"id": "cd-1", "status": "Preparing", "name": "Spring"}}
    assert (
        protocol.campaign_status(STATUS, parsed(STATUS, answer(200, body)), "cd-1") == "Preparing"
    )
    assert protocol.campaign_status(STATUS, {"data": {"status": "Ready"}}, "cd-1") == "Ready"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "success"}, "the platform's status answer has no `data` object"),
        ({"data": ["Ready"]}, "status answer has no `data` object"),
        ({"data": {"id": "cd-1"}}, "status answer has no campaign status"),
        ({"data": {"id": "cd-2", "status": "Ready"}}, "is about another campaign \\(cd-2\\)"),
        ({"data": {"id": "../cd-1", "status": "Ready"}}, "carries a campaign id that is not one"),
        ({"data": {"id": 7, "status": "Ready"}}, "carries a campaign id that is not one"),
    ],
)
def test_a_status_answer_that_is_not_the_documented_shape(body: Any, message: str) -> None:
    with pytest.raises(BadResponseError, match=message):
        protocol.campaign_status(STATUS, body, "cd-1")


# ---------------------------------------------------------------- the policy (fake transport)

# Backoff without jitter, so that the sleeps asked for are the policy's ceilings.
POLICY = RetryPolicy(jitter=lambda: 1.0, rate_limit_deadline=900.0)
TRIGGER_URL = "/campaign/trigger/"


class Platform:
    """A campaign's status behind a FakeTransport: the status call reads it, and the
    trigger answers (scripted per test) may change it."""

    def __init__(self, current: str = "Ready") -> None:
        self.status = current
        self.transport = FakeTransport()
        self.transport.script["status"] = [self.status_answer for _ in range(20)]

    def status_answer(self) -> Answer:
        return answer(200, {"status": "success", "data": {"id": "cd-1", "status": self.status}})

    def played(self) -> Answer:
        self.status = "Active"
        return answer(200, {"status": "Active", "message": "m", "updatedAt": STAMP})

    def played_then_lost(self) -> Answer:
        self.status = "Active"
        return Unreachable("the server closed the connection")

    def kinds(self) -> list[str]:
        return self.transport.kinds()


async def test_a_lost_play_that_started_the_campaign_is_not_sent_again() -> None:
    fake = FakeTime()
    platform = Platform("Ready")
    platform.transport.script["trigger"] = [platform.played_then_lost]
    async with client_on(platform.transport, fake) as client:
        done = await client.trigger("cd-1", "play", name="Spring")
    assert done == Triggered("Active")  # from the status call, which has no updatedAt
    assert platform.kinds() == ["trigger", "status"]
    assert fake.now == 0.5  # one backoff before looking


@pytest.mark.parametrize("lost", [status(503), Unreachable("timed out")])
async def test_a_play_that_did_not_happen_is_sent_again_after_looking(lost: Answer) -> None:
    fake = FakeTime()
    platform = Platform("Paused")
    platform.transport.script["trigger"] = [lost, platform.played]
    async with client_on(platform.transport, fake) as client:
        done = await client.trigger("cd-1", "play")
    assert done == Triggered("Active", STAMP)
    assert platform.kinds() == ["trigger", "status", "trigger"]


async def test_a_lost_stop_that_stopped_the_campaign_is_not_sent_again() -> None:
    fake = FakeTime()
    platform = Platform("Active")

    def stopped_then_failed() -> Answer:
        platform.status = "Stopped"
        return status(502)

    platform.transport.script["trigger"] = [stopped_then_failed]
    async with client_on(platform.transport, fake) as client:
        assert await client.trigger("cd-1", "stop", "voice") == Triggered("Stopped")
    assert platform.kinds() == ["trigger", "status"]


async def test_a_refused_trigger_is_never_sent_again() -> None:
    fake = FakeTime()
    platform = Platform("Completed")
    refusal = {"errors": [{"msg": "A campaign in status Completed can't be started"}]}
    platform.transport.script["trigger"] = [answer(400, refusal)]
    async with client_on(platform.transport, fake) as client:
        with pytest.raises(ApiError, match="Completed can't be started \\(HTTP 400\\)"):
            await client.trigger("cd-1", "play", name="Spring")
    assert platform.kinds() == ["trigger"]
    assert fake.now == 0


@pytest.mark.parametrize(
    ("action", "said"), [("play", "Stopped"), ("play", "Exploded"), ("stop", "Active")]
)
async def test_a_trigger_answered_with_another_status_did_not_take_effect(
    action: protocol.Trigger, said: str
) -> None:
    """A 200 whose status is not the one the trigger leads to (a play answered `Stopped`):
    the platform says the campaign did not move, so the start or stop failed (never applied),
    and it is not sent again."""
    fake = FakeTime()
    platform = Platform("Ready" if action == "play" else "Active")
    platform.transport.script["trigger"] = [answer(200, {"status": said, "message": "ok"})]
    async with client_on(platform.transport, fake) as client:
        with pytest.raises(BadResponseError, match=f"status '{said}'") as caught:
            await client.trigger("cd-1", action, name="Spring")
    assert not caught.value.outcome_unknown
    assert "Spring" in str(caught.value)
    assert platform.kinds() == ["trigger"]


async def test_a_rate_limited_trigger_waits_and_is_sent_again_without_looking() -> None:
    fake = FakeTime()
    platform = Platform("Ready")
    platform.transport.script["trigger"] = [status(429, retry_after=20.0), platform.played]
    async with client_on(platform.transport, fake) as client:
        assert (await client.trigger("cd-1", "play")).status == "Active"
    assert platform.kinds() == ["trigger", "trigger"]  # a 429 was not processed
    assert fake.now == 20.0


async def test_a_trigger_that_keeps_failing_gives_up_looking_each_time() -> None:
    fake = FakeTime()
    platform = Platform("Ready")
    platform.transport.script["trigger"] = [status(503)] * 6
    async with client_on(platform.transport, fake) as client:
        with pytest.raises(ServerError, match="trouble 503") as caught:
            await client.trigger("cd-1", "play")
    assert platform.kinds() == ["trigger", *["status", "trigger"] * 5]
    assert platform.status == "Ready"
    assert caught.value.outcome_unknown  # a 5xx answer to a write sent: it may have been made


async def test_a_lost_trigger_whose_status_cannot_be_read_says_its_outcome_is_unknown() -> None:
    fake = FakeTime()
    platform = Platform("Ready")
    platform.transport.script["trigger"] = [Unreachable("the server closed the connection")]
    platform.transport.script["status"] = [Unreachable("connection refused")] * 6
    async with client_on(platform.transport, fake) as client:
        with pytest.raises(TransportError) as caught:
            await client.trigger("cd-1", "play", name="Spring")
    message = str(caught.value)
    assert message.startswith("campaign 'Spring': could not reach platform.example.com: the server")
    assert "whether it took effect is unknown (its status could not be read: " in message
    assert "connection refused (6 attempts))" in message
    assert "\n" not in message
    assert platform.kinds() == ["trigger", *["status"] * 6]
    assert caught.value.outcome_unknown  # apply --json: unknown, not failed


async def test_a_trigger_never_sent_whose_status_cannot_be_read_simply_failed() -> None:
    fake = FakeTime()
    platform = Platform("Ready")
    refused = Unreachable("cannot connect (Connection refused)", sent=False)
    platform.transport.script["trigger"] = [refused]
    platform.transport.script["status"] = [refused] * 6
    async with client_on(platform.transport, fake) as client:
        with pytest.raises(TransportError) as caught:
            await client.trigger("cd-1", "play", name="Spring")
    assert not caught.value.outcome_unknown  # no connection was made: nothing was sent
    assert "its status could not be read afterwards: " in str(caught.value)
    assert "whether it took effect" not in str(caught.value)


async def test_a_trigger_waiting_for_its_turn_is_never_sent_once_apply_stops() -> None:
    fake = FakeTime()
    platform = Platform("Ready")
    platform.transport.hold = asyncio.Event()
    platform.transport.script["trigger"] = [platform.played]
    stop = asyncio.Event()
    async with client_on(platform.transport, fake, parallelism=1) as client:
        client.stop_new_writes_on(stop)
        first = asyncio.ensure_future(client.trigger("cd-1", "play"))
        second = asyncio.ensure_future(client.trigger("cd-1", "stop"))
        while platform.transport.in_flight < 1:
            await asyncio.sleep(0)
        stop.set()
        platform.transport.hold.set()
        assert (await first).status == "Active"
        with pytest.raises(WriteNotSent, match="trigger of campaign 'cd-1': not sent"):
            await second
    assert platform.kinds() == ["trigger"]


async def test_run_state_calls_are_counted_by_kind() -> None:
    fake = FakeTime()
    platform = Platform("Ready")
    platform.transport.script["trigger"] = [platform.played]
    async with client_on(platform.transport, fake) as client:
        await client.campaign_status("cd-1")
        await client.trigger("cd-1", "play")
    assert client.stats.by_kind["status"] == 1
    assert client.stats.by_kind["trigger"] == 1
    assert client.stats.total == 2


# ---------------------------------------------------------------- against the emulator

FAST = RetryPolicy(base=0.001, cap=0.004, rate_limit_deadline=5.0)


def emulator_client(running: RunningEmulator) -> KoreClient:
    config = running.config
    target = Target(running.url, config.stream_id, config.account_id)
    credentials = Credentials(client_id=config.client_id, client_secret=config.client_secret)
    return KoreClient(target, credentials, retry=FAST)


def run_state_requests(running: RunningEmulator) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (entry["kind"], entry["path"], entry["query"])
        for entry in running.store.requests()
        if entry["kind"] in ("trigger", "status")
    ]


async def test_start_and_stop_on_the_emulator(emulator: RunningEmulator) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Spring"))
    async with emulator_client(emulator) as client:
        started = await client.trigger(campaign_id, "play", "voice", name="Spring")
        assert started.status == "Active"
        assert await client.campaign_status(campaign_id) == "Active"
        stopped = await client.trigger(campaign_id, "stop", "voice", name="Spring")
    stored = emulator.store.get_campaign(campaign_id)
    assert (stopped.status, stored["status"]) == ("Stopped", "Stopped")
    assert stopped.updated_at == stored["updatedAt"]
    assert started.updated_at is not None and stopped.updated_at is not None
    assert started.updated_at < stopped.updated_at  # each trigger moves updatedAt
    stream, account = emulator.config.stream_id, emulator.config.account_id
    trigger_path = f"/api/v2/public/{stream}/campaign/trigger/{campaign_id}"
    query = {"accountId": account, "campaignType": "voice"}
    assert run_state_requests(emulator) == [
        ("trigger", trigger_path, {**query, "trigger": "play"}),
        (
            "status",
            f"/campaign/api/v2/public/{stream}/campaign/{campaign_id}/status",
            {"accountId": account, "view": "status"},
        ),
        ("trigger", trigger_path, {**query, "trigger": "stop"}),
    ]
    assert client.stats.by_kind["trigger"] == emulator.store.stats()["by_kind"]["trigger"] == 2


async def test_the_trigger_sends_the_campaigns_own_type(emulator: RunningEmulator) -> None:
    (sms_id,) = emulator.store.seed([{"name": "Texts", "campaignType": "sms", "status": "Stopped"}])
    async with emulator_client(emulator) as client:
        with pytest.raises(ApiError, match="HTTP 400"):  # the emulator checks the type
            await client.trigger(sms_id, "play", "voice")
        assert (await client.trigger(sms_id, "play", "sms")).status == "Active"


@pytest.mark.parametrize("current", STATUSES)
async def test_the_status_call_reads_each_status(emulator: RunningEmulator, current: str) -> None:
    campaign_id = in_status(emulator, "Reader", current)
    async with emulator_client(emulator) as client:
        assert await client.campaign_status(campaign_id, name="Reader") == current


async def test_a_new_campaign_is_preparing_then_ready(emulator: RunningEmulator) -> None:
    async with emulator_client(emulator) as client:
        campaign_id = await client.create_campaign(campaign_body("Fresh"))
        assert await client.campaign_status(campaign_id) == "Preparing"
        with pytest.raises(ApiError, match="still Preparing and can't be started yet"):
            await client.trigger(campaign_id, "play")
        for _ in range(200):  # ready_after is 0.2 s in the tests
            if await client.campaign_status(campaign_id) == "Ready":
                break
            await asyncio.sleep(0.02)
        assert (await client.trigger(campaign_id, "play")).status == "Active"


@pytest.mark.parametrize(
    ("current", "action", "reason"),
    [
        ("Completed", "play", "A campaign in status Completed can't be started"),
        ("Scheduled", "play", "A campaign in status Scheduled can't be started"),
        ("Active", "play", "A campaign in status Active can't be started"),
        ("Ready", "stop", "A campaign in status Ready can't be stopped"),
    ],
)
async def test_a_refusal_is_one_request_and_the_platforms_reason(
    emulator: RunningEmulator, current: str, action: protocol.Trigger, reason: str
) -> None:
    campaign_id = in_status(emulator, "Refused", current)
    async with emulator_client(emulator) as client:
        with pytest.raises(ApiError) as caught:
            await client.trigger(campaign_id, action, name="Refused")
    assert str(caught.value) == f"campaign 'Refused': {reason} (HTTP 400)"
    assert [kind for kind, _, _ in run_state_requests(emulator)] == ["trigger"]
    assert emulator.store.get_campaign(campaign_id)["status"] == current


@pytest.fixture
def losing_emulator() -> Iterator[RunningEmulator]:
    """An emulator that applies every write and then drops the connection (its answer lost)."""
    with start_in_thread(emulator_test_config(lost_write_rate=1.0)) as running:
        yield running


@pytest.mark.parametrize(
    ("before", "action", "after"), [("Ready", "play", "Active"), ("Active", "stop", "Stopped")]
)
async def test_a_lost_answer_on_the_emulator_is_read_not_resent(
    losing_emulator: RunningEmulator, before: str, action: protocol.Trigger, after: str
) -> None:
    campaign_id = in_status(losing_emulator, "Lost", before)
    async with emulator_client(losing_emulator) as client:
        done = await client.trigger(campaign_id, action, name="Lost")
    assert done == Triggered(after)
    assert losing_emulator.store.get_campaign(campaign_id)["status"] == after
    # Sent once, then looked at: a second play would have been refused as already Active.
    assert [kind for kind, _, _ in run_state_requests(losing_emulator)] == ["trigger", "status"]
    assert losing_emulator.store.stats()["by_kind"]["trigger"] == 1
