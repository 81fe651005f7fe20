"""Where the emulator was more lenient than the documented platform (issue 15): each of
these requests used to be accepted, and is now refused in the platform's error shape.
(The token cases are in test_emulator_tokens.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from campsync.emulator.runner import RunningEmulator
from campsync.emulator.seeding import load_seed_file
from campsync.errors import ConfigError
from tests.fixtures_emulator import (
    EmulatorApi,
    campaign_body,
    emulator_headers,
    platform_error,
    progressive_body,
    seed_ready,
)

# ---- body fields: null is not a value ----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "make", "message"),
    [
        ("maxSkips", progressive_body, "maxSkips must be a number of 0 or more"),
        ("enableMachineDetect", campaign_body, "enableMachineDetect must be one of"),
    ],
)
async def test_null_for_an_optional_field_is_a_400_on_create_and_update(
    emulator: RunningEmulator, api: EmulatorApi, field: str, make: Any, message: str
) -> None:
    status, answer = await api.create(make("Created with null", **{field: None}))
    assert status == 400
    assert any(message in text for text in platform_error(answer, 400))
    (campaign_id,) = seed_ready(emulator, make("Kept"))
    before = {c["_id"]: c for c in emulator.store.raw_campaigns()}[campaign_id]
    status, answer = await api.update(campaign_id, make("Kept", **{field: None}))
    assert status == 400
    assert any(message in text for text in platform_error(answer, 400))
    after = {c["_id"]: c for c in emulator.store.raw_campaigns()}[campaign_id]
    assert after == before
    status, got = await api.get(campaign_id)
    assert got["data"]["maxSkips"] == 1  # the default, an integer, as documented


# ---- 405 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/{base}/cd-1", {"GET", "PUT", "DELETE"}),
        ("HEAD", "/{base}/cd-1", {"GET", "PUT", "DELETE"}),
        ("GET", "/{trigger}/cd-1", {"POST"}),
        ("DELETE", "/{base}", {"POST"}),
    ],
)
async def test_405_carries_allow_and_a_json_body(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    allowed: set[str],
) -> None:
    stream = emulator.config.stream_id
    path = path.format(
        base=f"campaign/api/v2/public/{stream}/campaign",
        trigger=f"api/v2/public/{stream}/campaign/trigger",
    )
    headers = emulator_headers(emulator)
    async with session.request(method, emulator.url + path, headers=headers) as response:
        assert response.status == 405
        assert set(response.headers["Allow"].split(",")) == allowed
        if method != "HEAD":
            assert response.content_type == "application/json"
            assert platform_error(await response.json(), 405) == ["Method Not Allowed"]


# ---- the accountId query parameter -------------------------------------------------------


@pytest.mark.parametrize("account", [None, ""])
async def test_a_missing_account_id_query_parameter_is_a_400(
    emulator: RunningEmulator, api: EmulatorApi, account: str | None
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Somewhere"))
    query = {} if account is None else {"accountId": account}
    calls = [
        ("POST", f"{api.base}/getAllCampaignDetails", {"type": "voice"}, {}),
        ("GET", f"{api.base}/{campaign_id}", None, {}),
        ("PUT", f"{api.base}/{campaign_id}", campaign_body("Somewhere"), {"campaignType": "voice"}),
        ("POST", api.base, campaign_body("New"), {"campaignType": "voice"}),
        (
            "POST",
            f"{api.trigger_base}/{campaign_id}",
            {},
            {"campaignType": "voice", "trigger": "play"},
        ),
        ("DELETE", f"{api.base}/{campaign_id}", None, {"campaignType": "voice"}),
    ]
    for method, url, body, params in calls:
        async with api.session.request(
            method, url, json=body, params={**query, **params}, headers=emulator_headers(emulator)
        ) as response:
            assert response.status == 400, (method, url)
            assert platform_error(await response.json(), 400) == [
                "the accountId query parameter is required"
            ]
    assert emulator.store.get_campaign(campaign_id)["status"] == "Ready"
    assert emulator.store.campaign_count() == 1


# ---- campaignType: query, body and the campaign's own type --------------------------------


async def test_delete_trigger_and_get_refuse_another_type_in_the_query(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (voice_id,) = seed_ready(emulator, campaign_body("A voice one"))
    expected = (
        f"campaign {voice_id} is a voice campaign, not sms (the campaignType query parameter)"
    )
    status, answer = await api.delete(voice_id, campaign_type="sms")
    assert status == 400 and platform_error(answer, 400) == [expected]
    status, answer = await api.call(
        "POST",
        f"{api.trigger_base}/{voice_id}",
        json={},
        params={"campaignType": "sms", "trigger": "play"},
    )
    assert status == 400 and platform_error(answer, 400) == [expected]
    status, answer = await api.call("GET", f"{api.base}/{voice_id}", params={"campaignType": "sms"})
    assert status == 400 and platform_error(answer, 400) == [expected]
    assert emulator.store.get_campaign(voice_id)["status"] == "Ready"
    # with the campaign's own type (or none, on get) they work
    status, _ = await api.call("GET", f"{api.base}/{voice_id}", params={"campaignType": "voice"})
    assert status == 200
    status, _ = await api.delete(voice_id)
    assert status == 200
    # an SMS campaign is deleted as sms, not as voice
    (sms_id,) = emulator.store.seed([{**campaign_body("Texts"), "campaignType": "sms"}])
    status, answer = await api.delete(sms_id, campaign_type="voice")
    assert status == 400 and "is a sms campaign, not voice" in platform_error(answer, 400)[0]
    status, _ = await api.delete(sms_id, campaign_type="sms")
    assert status == 200


async def test_list_refuses_a_query_type_other_than_the_bodys(api: EmulatorApi) -> None:
    url = f"{api.base}/getAllCampaignDetails"
    status, answer = await api.call(
        "POST", url, json={"type": "voice"}, params={"campaignType": "sms"}
    )
    assert status == 400
    platform_error(answer, 400)


async def test_create_with_sms_query_and_a_voice_body_is_a_400(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    status, answer = await api.create(campaign_body("Not SMS"), campaign_type="sms")
    assert status == 400
    assert platform_error(answer, 400) == [
        "the body's campaignType (voice) does not match the campaignType query parameter (sms)"
    ]
    assert emulator.store.campaign_count() == 0


async def test_sms_creates_and_updates_are_not_emulated(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    sms_body = {
        "name": "Texts", "description": "d", "contactLists": ["Q4 Renewals"], "priority": "5",
        "campaignType": "sms", "format": "simple", "message": {"message": "SGk="},
        "dialingStrategy": {"callerId": {"phoneNumber": "+14155550100"}},
    }  # fmt: skip
    status, answer = await api.create(sms_body, campaign_type="sms")
    assert status == 400
    (message,) = platform_error(answer, 400)
    assert message.startswith("SMS campaigns are not emulated")
    (sms_id,) = emulator.store.seed([{**campaign_body("Seeded texts"), "campaignType": "sms"}])
    status, answer = await api.update(sms_id, sms_body, campaign_type="sms")
    assert status == 400 and platform_error(answer, 400) == [message]
    assert emulator.store.campaign_count() == 1


async def test_update_keeps_the_campaigns_type(emulator: RunningEmulator, api: EmulatorApi) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Voice forever"))
    body = campaign_body("Voice forever", campaignType="sms")
    status, answer = await api.update(campaign_id, body)
    assert status == 400
    assert platform_error(answer, 400) == [
        f"campaignType can't change: campaign {campaign_id} is a voice campaign, the body says sms"
    ]


async def test_update_query_type_follows_the_reference_sample(
    emulator: RunningEmulator, api: EmulatorApi, caplog: pytest.LogCaptureFixture
) -> None:
    # The reference page updates a voice campaign with campaignType=sms in the query: the
    # documented platform accepts it, so the emulator does too, and says so in its log.
    (campaign_id,) = seed_ready(emulator, campaign_body("Sample"))
    status, answer = await api.update(campaign_id, campaign_body("Sample"), campaign_type="sms")
    assert status == 200, answer
    assert "accepted, as the reference page's sample does it" in caplog.text


# ---- the seed file ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [".nan", ".inf", str(2**60)])
def test_seed_file_numbers_that_json_answers_cannot_carry_are_refused(
    tmp_path: Path, value: str
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(f"- name: A\n  maxSkips: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"seed\.yaml: the seed file holds"):
        load_seed_file(seed)
