"""`campsync compare ENV_A ENV_B` against two emulators (two accounts, their own credentials
and rate limits), both converged by `apply --env all` first: override differences are no
difference, a platform edit in one account is found, exit codes 0 / 2 / 1, the JSON shape,
reads only, through the cache."""

from __future__ import annotations

import json
from typing import Any

from tests.fixtures_accounts import Accounts, converge, platform_edit
from tests.fixtures_emulator import campaign_body
from tests.fixtures_environments import CALLER_IDS

PRODUCTION_PRIORITY = {"production": "      Winter Wins:\n        priority: 1\n"}
WRITES = ("update", "create", "delete")


def writes(accounts: Accounts) -> list[str]:
    return [
        request["kind"]
        for running in accounts.by_name.values()
        for request in running.store.requests()
        if request["kind"] in WRITES
    ]


def test_accounts_differing_only_by_their_overrides_are_the_same(accounts: Accounts) -> None:
    accounts.config(PRODUCTION_PRIORITY)
    converge(accounts)
    winter = {e: accounts.stored(e)["Winter Wins"] for e in ("staging", "production")}
    assert winter["staging"]["priority"] != winter["production"]["priority"]

    result = accounts.cli("compare", "staging", "production")
    assert result.code == 0, result.err
    assert result.out == (
        "No differences: staging and production hold the same values for 3 campaigns, "
        "beyond what their overrides set.\n"
    )
    assert writes(accounts) == []


def test_a_platform_edit_in_one_account_is_found(accounts: Accounts) -> None:
    accounts.config(PRODUCTION_PRIORITY)
    converge(accounts)
    campaign_id = accounts.stored("production")["Autumn Push"]["_id"]
    edited = campaign_body("Autumn Push")
    edited["dialingStrategy"]["callerId"]["phoneNumber"] = CALLER_IDS["production"]
    edited["dialingStrategy"]["maxRingTime"] = 45
    platform_edit(accounts.by_name["production"], campaign_id, edited)

    text = accounts.cli("compare", "staging", "production")
    assert text.code == 2, text.err
    staging_id = accounts.stored("staging")["Autumn Push"]["_id"]
    assert text.out.startswith(
        "campsync compare: staging and production differ:\n\n"
        f'~ "Autumn Push" campaigns/autumn-push.yaml ({staging_id} / {campaign_id})\n'
        "    dialingStrategy.maxRingTime: staging 30, production 45\n"
        "\n"
        "Compare: 1 different, 2 the same.\n"
    )

    document = json.loads(accounts.cli("compare", "staging", "production", "--json").out)
    assert document == {
        "format_version": 1,
        "environments": {"a": "staging", "b": "production"},
        "campaigns": [
            {
                "kind": "different",
                "name": "Autumn Push",
                "file": "campaigns/autumn-push.yaml",
                "ids": {"a": staging_id, "b": campaign_id},
                "diff": [{"path": "dialingStrategy.maxRingTime", "a": 30, "b": 45}],
            }
        ],
        "summary": {"different": 1, "only_in_a": 0, "only_in_b": 0, "same": 2, "not_compared": 0},
        "not_compared": [],
        "unmanaged": {"a": [], "b": []},
        "warnings": [],
    }
    markdown = accounts.cli("compare", "production", "staging", "--format", "markdown")
    assert markdown.code == 2
    assert "| dialingStrategy.maxRingTime | 45 | 30 |" in markdown.out  # A is production now


def test_a_campaign_one_account_lacks_is_a_difference(accounts: Accounts) -> None:
    converge(accounts)
    accounts.by_name["staging"].store.delete_campaign(
        accounts.stored("staging")["Winter Wins"]["_id"]
    )
    result = accounts.cli("compare", "staging", "production", "--json")
    assert result.code == 2
    (campaign,) = json.loads(result.out)["campaigns"]
    assert campaign["kind"] == "only_in_b"
    assert campaign["reason"] == "no campaign named 'Winter Wins' in 'staging'"


def gets(accounts: Accounts) -> dict[str, int]:
    counts = {name: int(r.store.stats()["by_kind"]["get"]) for name, r in accounts.by_name.items()}
    accounts.reset()
    return counts


def test_compare_reads_bodies_through_the_cache(accounts: Accounts) -> None:
    converge(accounts)
    assert accounts.cli("compare", "staging", "production").code == 0
    assert gets(accounts) == {"staging": 3, "production": 3}  # created: never read yet
    assert accounts.cli("compare", "staging", "production").code == 0
    assert gets(accounts) == {"staging": 0, "production": 0}
    assert accounts.cli("plan", "--env", "all", "--detailed-exitcode").code == 0
    assert gets(accounts) == {"staging": 0, "production": 0}  # a plan after it too
    campaign_id = accounts.stored("staging")["Spring Renewals"]["_id"]
    edited = campaign_body("Spring Renewals", description="Edited on the platform.")
    edited["dialingStrategy"]["callerId"]["phoneNumber"] = CALLER_IDS["staging"]
    platform_edit(accounts.by_name["staging"], campaign_id, edited)
    accounts.reset()
    assert accounts.cli("compare", "staging", "production").code == 2
    assert gets(accounts) == {"staging": 1, "production": 0}  # only the campaign edited


def test_compare_refuses_what_is_not_two_environments(accounts: Accounts) -> None:
    same = accounts.cli("compare", "staging", "staging")
    assert (same.code, same.err) == (
        1,
        "campsync: error: compare needs two environments, not 'staging' twice\n",
    )
    every = accounts.cli("compare", "all", "staging")
    assert every.code == 1 and "not 'all'" in every.err
    typo = accounts.cli("compare", "staging", "prod")
    assert typo.code == 1
    assert "unknown environment 'prod': campsync.yaml defines production, staging" in typo.err
    for running in accounts.by_name.values():
        assert running.store.stats()["total"] == 0


def test_a_failing_account_is_an_error_naming_it(accounts: Accounts, monkeypatch: Any) -> None:
    converge(accounts)
    monkeypatch.setenv("KORE_PRODUCTION_CLIENT_SECRET", "wrong-secret-0123456789abcdef012345")
    result = accounts.cli("compare", "staging", "production")
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("campsync: error: production: ")
