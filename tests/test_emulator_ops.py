"""The emulator's operating options: rate limit, faults, state file, seed file, admin routes."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest

from campsync.emulator.app import RATE_LIMIT_MESSAGE
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.errors import CampsyncError, ConfigError
from tests.fixtures_emulator import (
    EmulatorApi,
    campaign_body,
    emulator_headers,
    emulator_test_config,
    progressive_body,
    seed_ready,
)

DISCONNECTED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


# ---- rate limit ----------------------------------------------------------------------


async def test_rate_limit_answers_429_in_the_platform_words(
    session: aiohttp.ClientSession,
) -> None:
    with start_in_thread(emulator_test_config(rate_limit=3)) as running:
        api = EmulatorApi(session, running)
        for _ in range(3):
            status, _ = await api.list()
            assert status == 200
        url = f"{api.base}/getAllCampaignDetails"
        async with session.post(
            url, json={"type": "voice"}, headers=emulator_headers(running)
        ) as response:
            assert response.status == 429
            assert "Retry-After" not in response.headers
            assert await response.json() == {"errors": [{"msg": RATE_LIMIT_MESSAGE, "code": 429}]}
        # admin routes are exempt and not counted
        async with session.get(f"{running.url}/_emulator/stats") as response:
            stats = await response.json()
        assert stats["total"] == 4 and stats["by_status"] == {"200": 3, "429": 1}
        # the limit is per account: another account is not limited (it is refused: 403)
        status, _ = await api.call(
            "POST", url, json={"type": "voice"},
            headers=emulator_headers(running, accountid="another-account"),
        )  # fmt: skip
        assert status == 403


async def test_rate_limit_counts_auth_failures_and_slides(session: aiohttp.ClientSession) -> None:
    config = emulator_test_config(rate_limit=2, rate_window=0.3, retry_after_header=True)
    with start_in_thread(config) as running:
        api = EmulatorApi(session, running)
        bad = emulator_headers(running, token="not-a-jwt")
        for _ in range(2):
            status, _ = await api.call("POST", f"{api.base}/getAllCampaignDetails", headers=bad)
            assert status == 401
        async with session.post(
            f"{api.base}/getAllCampaignDetails", json={"type": "voice"},
            headers=emulator_headers(running),
        ) as response:  # fmt: skip
            assert response.status == 429
            assert int(response.headers["Retry-After"]) >= 1
        await asyncio.sleep(0.35)
        status, _ = await api.list()
        assert status == 200


# ---- faults --------------------------------------------------------------------------


async def test_fail_rate_answers_5xx_json_or_html_and_does_nothing(
    session: aiohttp.ClientSession,
) -> None:
    with start_in_thread(emulator_test_config(fail_rate=1.0)) as running:
        api = EmulatorApi(session, running)
        kinds: set[str] = set()
        statuses: set[int] = set()
        for n in range(20):
            status, answer = await api.create(campaign_body(f"C{n}"))
            statuses.add(status)
            if isinstance(answer, dict):
                assert answer["errors"][0]["code"] == status
                kinds.add("json")
            else:
                assert "<html>" in answer
                kinds.add("html")
        assert statuses <= {500, 502, 503} and len(statuses) > 1
        assert kinds == {"json", "html"}
        assert running.store.campaign_count() == 0


async def test_same_random_seed_gives_the_same_faults(session: aiohttp.ClientSession) -> None:
    sequences = []
    for _ in range(2):
        with start_in_thread(emulator_test_config(fail_rate=0.5, random_seed=7)) as running:
            api = EmulatorApi(session, running)
            sequences.append([(await api.list())[0] for _ in range(12)])
    assert sequences[0] == sequences[1]
    assert {200} < set(sequences[0])


async def test_drop_rate_closes_the_connection_unanswered(session: aiohttp.ClientSession) -> None:
    with start_in_thread(emulator_test_config(drop_rate=1.0)) as running:
        api = EmulatorApi(session, running)
        with pytest.raises(DISCONNECTED):
            await api.create(campaign_body())
        assert running.store.campaign_count() == 0
        assert running.store.stats()["by_status"].get("dropped", 0) >= 1


async def test_lost_write_applies_the_write_but_never_answers(
    session: aiohttp.ClientSession,
) -> None:
    with start_in_thread(emulator_test_config(lost_write_rate=1.0)) as running:
        api = EmulatorApi(session, running)
        with pytest.raises(DISCONNECTED):
            await api.create(campaign_body("Lost answer"))
        (stored,) = running.store.raw_campaigns()
        assert stored["name"] == "Lost answer"
        # reads are answered
        status, answer = await api.list()
        assert status == 200 and answer["data"]["totalResults"] == 1
        status, _ = await api.get(stored["_id"])
        assert status == 200


async def test_faults_route_sets_and_checks_faults(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    url = f"{emulator.url}/_emulator/faults"
    async with session.post(url, json={"fail_rate": 1}) as response:
        assert response.status == 200
        assert (await response.json())["fail_rate"] == 1
    status, _ = await api.list()
    assert status >= 500
    for bad in ({"fail_rate": 2}, {"latency_ms": -1}, {"explode": 1}, ["x"]):
        async with session.post(url, json=bad) as response:
            assert response.status == 400
    async with session.post(url, json={"fail_rate": 0, "latency_ms": 400}) as response:
        assert response.status == 200
    with pytest.raises(asyncio.TimeoutError):
        async with session.post(
            f"{api.base}/getAllCampaignDetails", json={"type": "voice"},
            headers=emulator_headers(emulator), timeout=aiohttp.ClientTimeout(total=0.05),
        ):  # fmt: skip
            pass
    async with session.post(url, json={"latency_ms": 0}) as response:
        assert response.status == 200
    status, _ = await api.list()
    assert status == 200


# ---- admin routes --------------------------------------------------------------------


async def test_stats_requests_and_reset(
    emulator: RunningEmulator, api: EmulatorApi, session: aiohttp.ClientSession
) -> None:
    (campaign_id,) = seed_ready(emulator, campaign_body("Counted"))
    await api.list()
    await api.get(campaign_id)
    await api.get("cd-missing")
    await api.update(campaign_id, campaign_body("Counted", priority=1))
    await api.trigger(campaign_id, "play")
    await api.call("GET", f"{emulator.url}/nowhere")
    async with session.get(f"{emulator.url}/_emulator/stats") as response:
        stats = await response.json()
    assert stats == emulator.store.stats()
    assert stats["total"] == 6
    assert stats["by_kind"] == {"list": 1, "get": 2, "update": 1, "create": 0, "delete": 0,
                                "trigger": 1, "status": 0, "contactLists": 0, "queues": 0,
                                "other": 1}  # fmt: skip
    assert stats["by_status"] == {"200": 4, "404": 2}
    async with session.get(f"{emulator.url}/_emulator/requests?limit=2") as response:
        log = (await response.json())["requests"]
    assert [(e["method"], e["kind"], e["status"]) for e in log] == [
        ("POST", "trigger", 200),
        ("GET", "other", 404),
    ]
    assert all(isinstance(e["time"], float) for e in log)
    async with session.post(f"{emulator.url}/_emulator/stats/reset") as response:
        assert (await response.json())["total"] == 0
    assert emulator.store.requests() == []


async def test_admin_seed_campaigns_and_catalog(
    emulator: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    seeds = [
        {**campaign_body("Seeded Active"), "id": "cd-fixed-0001", "status": "Active"},
        progressive_body("Seeded Ready"),
    ]
    async with session.post(f"{emulator.url}/_emulator/campaigns", json=seeds) as response:
        assert response.status == 200
        ids = (await response.json())["ids"]
    assert ids[0] == "cd-fixed-0001" and ids[1].startswith("cd-")
    async with session.get(f"{emulator.url}/_emulator/campaigns") as response:
        raw = {c["name"]: c for c in (await response.json())["campaigns"]}
    assert raw["Seeded Active"]["status"] == "Active"
    assert raw["Seeded Ready"]["status"] == "Ready"
    assert raw["Seeded Ready"]["queue_name"] == "Collections Queue"
    assert raw["Seeded Active"]["campaignType"] == "voice"
    # names must resolve, ids must be new; nothing is half-seeded
    for bad in ([{**campaign_body("X"), "experienceFlowName": "Nope"}],
                [{**campaign_body("Y"), "id": "cd-fixed-0001"}],
                [{"description": "no name"}]):  # fmt: skip
        async with session.post(f"{emulator.url}/_emulator/campaigns", json=bad) as response:
            assert response.status == 400
            assert (await response.json())["errors"][0]["code"] == 400
    assert emulator.store.campaign_count() == 2
    async with session.get(f"{emulator.url}/_emulator/catalog") as response:
        catalog = await response.json()
    assert "CL Only 2020 Dec 4" in catalog["contactLists"]
    assert "DNC CL Dec 4" in catalog["dncLists"]
    assert catalog["experienceFlows"]["Voice Survey Entry Flow"].startswith("cf-")
    assert {"Collections Queue", "Sales Queue", "Support Queue"} <= set(catalog["queues"])


# ---- state and seed files ------------------------------------------------------------


async def test_state_file_keeps_campaigns_across_restart(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    state = tmp_path / "state" / "emulator.json"
    config = emulator_test_config(state_file=state, ready_after=0)
    with start_in_thread(config) as running:
        api = EmulatorApi(session, running)
        campaign_id = await api.create_id(campaign_body("Durable"))
        status, answer = await api.update(campaign_id, campaign_body("Durable", priority="1"))
        assert status == 200
        before = answer["data"]
        status, _ = await api.trigger(campaign_id, "play")
        assert status == 200
    text = state.read_text()
    assert config.client_secret not in text and "jti" not in text
    assert [p.name for p in state.parent.iterdir()] == ["emulator.json"]  # no temp files left
    with start_in_thread(emulator_test_config(state_file=state)) as running:
        api = EmulatorApi(session, running)
        status, answer = await api.get(campaign_id)
        assert status == 200
        after = answer["data"]
        assert after["status"] == "Active" and after["priority"] == "1"
        assert after["createdAt"] == before["createdAt"]
        assert after["updatedAt"] > before["updatedAt"]
        status, _ = await api.trigger(campaign_id, "stop")
        assert status == 200
        status, answer = await api.update(campaign_id, campaign_body("Durable", priority="2"))
        assert answer["data"]["updatedAt"] > after["updatedAt"]
        status, _ = await api.create(campaign_body("durable"))
        assert status == 400  # the name is still taken after the restart


def test_unreadable_state_file_is_a_one_line_error(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        start_in_thread(emulator_test_config(state_file=state))
    state.write_text('{"campaigns": 3}')
    with pytest.raises(ConfigError, match="not a campsync emulator state file"):
        start_in_thread(emulator_test_config(state_file=state))


def test_a_state_file_that_is_a_link_is_refused_at_start(tmp_path: Path) -> None:
    """Refused before serving (one line), not at every write once campaigns change."""
    real = tmp_path / "elsewhere.json"
    real.write_text("")
    state = tmp_path / "state.json"
    state.symlink_to(real)
    with pytest.raises(ConfigError, match=r"cannot keep the state there .*symbolic link"):
        start_in_thread(emulator_test_config(state_file=state))
    assert real.read_text() == ""


async def test_seed_file_is_loaded_when_the_state_is_empty(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "- id: cd-seed-1\n"
        "  status: Active\n"
        "  name: From seed\n"
        "  description: seeded\n"
        "  contactLists: [Q4 Renewals]\n"
        "  dncLists: {name: Global DNC}\n"
        "  priority: 2\n"
        "  dialingMode: Progressive\n"
        "  queue_name: Sales Queue\n"
        "  campaignType: voice\n"
        "  dialingStrategy: " + json.dumps(campaign_body()["dialingStrategy"]) + "\n"
        "- " + json.dumps(campaign_body("From JSON line")) + "\n"
    )
    state = tmp_path / "state.json"
    state.write_text("")
    config = emulator_test_config(seed_file=seed, state_file=state)
    with start_in_thread(config) as running:
        api = EmulatorApi(session, running)
        status, answer = await api.get("cd-seed-1")
        assert status == 200
        assert answer["data"]["status"] == "Active" and answer["data"]["priority"] == "2"
        status, answer = await api.list(sortBy={"name": "asc"})
        assert [i["name"] for i in answer["data"]["results"]] == ["From JSON line", "From seed"]
        assert answer["data"]["results"][1]["connection"] == "Sales Queue"
        await api.delete(answer["data"]["results"][0]["_id"])
    # with a state file holding campaigns, the seed is not loaded again
    with start_in_thread(config) as running:
        assert [c["name"] for c in running.store.raw_campaigns()] == ["From seed"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- name: X\n  contactLists: [Nobody]\n", r"contact list\(s\) not found: Nobody"),
        ("name: X\n", "must hold a list of campaigns"),
        ("- [unclosed\n", "not valid YAML or JSON"),
        ("- name: X\n  status: Sleeping\n", "status must be one of"),
    ],
)
def test_bad_seed_files_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(content)
    with pytest.raises(ConfigError, match=message) as caught:
        start_in_thread(emulator_test_config(seed_file=seed))
    assert "\n" not in str(caught.value)


def test_missing_seed_file_and_busy_port_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the seed file"):
        start_in_thread(emulator_test_config(seed_file=tmp_path / "absent.yaml"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CampsyncError, match="already in use"):
            start_in_thread(emulator_test_config(), port=port)
