"""Several accounts (issue 23): two emulators on two ports in one test process, each its
own app (credentials), stream, account id, rate limit, state and counters. Nothing of one
is seen, counted or accepted by the other."""

from __future__ import annotations

import aiohttp

from tests.fixtures_emulator import (
    EmulatorApi,
    TwoEmulators,
    campaign_body,
    emulator_headers,
    emulator_token,
    platform_error,
    running_pair,
)


async def test_two_emulators_keep_their_own_campaigns_and_counts(
    two_emulators: TwoEmulators, session: aiohttp.ClientSession
) -> None:
    a, b = two_emulators.both
    assert a.port != b.port
    assert len({(r.config.client_id, r.config.stream_id, r.config.account_id) for r in (a, b)}) == 2
    assert a.config.rate_limit != b.config.rate_limit
    api_a, api_b = EmulatorApi(session, a), EmulatorApi(session, b)
    created = await api_a.create_id(campaign_body("Only in A"))
    for _ in range(3):
        assert (await api_b.list())[0] == 200
    code, answer = await api_b.get(created)
    assert code == 404 and platform_error(answer, 404) == [f"Campaign {created} not found"]
    assert a.store.stats()["by_kind"]["create"] == 1 and a.store.stats()["total"] == 1
    assert b.store.stats()["by_kind"]["create"] == 0 and b.store.stats()["total"] == 4
    code, listed = await api_a.list()
    assert code == 200 and [item["name"] for item in listed["data"]["results"]] == ["Only in A"]
    # the references are each account's own too
    b.store.add_references(queues=["Only B's queue"])
    code, queues = await api_a.queues(limit="50")
    assert code == 200 and "Only B's queue" not in [item["name"] for item in queues["results"]]


async def test_credentials_streams_and_accounts_are_refused_across(
    two_emulators: TwoEmulators, session: aiohttp.ClientSession
) -> None:
    a, b = two_emulators.both
    api_b = EmulatorApi(session, b)
    # A's token (signed with A's secret for A's app) on B
    code, answer = await api_b.list_with_token(emulator_token(a))
    assert code == 401
    assert platform_error(answer, 401) == ["error verifying the jwt: invalid signature"]
    # B's own token, with A's account or stream
    headers = emulator_headers(b, accountid=a.config.account_id)
    url = f"{api_b.base}/getAllCampaignDetails"
    code, answer = await api_b.call("POST", url, json={"type": "voice"}, headers=headers)
    assert code == 403
    assert platform_error(answer, 403) == [f"no access to account {a.config.account_id}"]
    code, answer = await api_b.call(
        "POST", url, json={"type": "voice"}, params={"accountId": a.config.account_id}
    )
    assert code == 403
    assert platform_error(answer, 403) == [f"no access to account {a.config.account_id}"]
    a_url = f"{b.url}/campaign/api/v2/public/{a.config.stream_id}/campaign/getAllCampaignDetails"
    code, answer = await api_b.call(
        "POST", a_url, json={"type": "voice"}, headers=emulator_headers(b, iid=a.config.stream_id)
    )
    assert code == 403
    assert platform_error(answer, 403) == [f"the app has no access to stream {a.config.stream_id}"]
    assert a.store.stats()["total"] == 0  # none of it reached A


async def test_each_account_has_its_own_rate_limit(session: aiohttp.ClientSession) -> None:
    with running_pair(a={"rate_limit": 2}, b={"rate_limit": 3}) as pair:
        api_a, api_b = EmulatorApi(session, pair.a), EmulatorApi(session, pair.b)
        assert [(await api_a.list())[0] for _ in range(3)] == [200, 200, 429]
        # A's budget is spent; B's is whole, and its own size
        assert [(await api_b.list())[0] for _ in range(4)] == [200, 200, 200, 429]
        assert pair.a.store.stats()["by_status"] == {"200": 2, "429": 1}
        assert pair.b.store.stats()["by_status"] == {"200": 3, "429": 1}
