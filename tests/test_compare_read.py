"""Reading two accounts for `compare` (campsync.sync.account) against two emulators with their
own credentials: each environment's files matched in its own account, bodies read, then
compared (campsync.sync.compare). Both accounts converged by `apply --env` first."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from campsync.campaign.reader import read_campaign_files
from campsync.cli import main
from campsync.config.environments import environment_of
from campsync.config.settings import load_settings
from campsync.kore.client import KoreClient
from campsync.sync.account import overridden_paths, read_account
from campsync.sync.compare import AccountComparison, AccountView, compare_accounts
from campsync.sync.plan import FieldDiff
from campsync.sync.planner import MatchError
from tests.fixtures_accounts import platform_edit
from tests.fixtures_emulator import campaign_body
from tests.fixtures_environments import (
    CALLER_IDS,
    TwoAccounts,
    environments_config,
    secrets_of,
)

PRIORITY = "      Spring Renewals:\n        priority: 1\n"


def setup(two_accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """campsync.yaml (production gives Spring Renewals its own priority), a file per name
    (no caller id: each environment's "*" sets it), both accounts applied."""
    for environment in ("staging", "production"):
        for key, value in secrets_of(environment).items():
            monkeypatch.setenv(key, value)
    config = environments_config(two_accounts.by_name, {"production": PRIORITY})
    Path("campsync.yaml").write_text(config)
    folder = Path("campaigns")
    folder.mkdir()
    for name in names:
        body = campaign_body(name)
        del body["dialingStrategy"]["callerId"]
        (folder / f"{name.lower().replace(' ', '-')}.yaml").write_text(json.dumps(body))
    for environment in ("staging", "production"):
        assert main(["apply", "--auto-approve", "--env", environment]) == 0
    two_accounts.wait_ready()


async def account(environment: str) -> AccountView:
    settings = load_settings(environment=environment)
    chosen = environment_of(settings)
    files = read_campaign_files([Path("campaigns")], chosen)
    assert files.problems == []
    async with KoreClient(settings.target(), settings.credentials) as client:
        return await read_account(
            client,
            environment,
            files.files,
            overrides=overridden_paths(chosen, files.own_names),
            experience_flows=settings.experience_flows,
        )


async def compared() -> AccountComparison:
    return compare_accounts(await account("staging"), await account("production"))


def only_id(two_accounts: TwoAccounts, environment: str, name: str) -> str:
    store = two_accounts.by_name[environment].store
    (campaign_id,) = [c["_id"] for c in store.raw_campaigns() if c["name"] == name]
    return str(campaign_id)


def test_converged_accounts_are_the_same_despite_their_overrides(
    two_accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(two_accounts, monkeypatch, "Spring Renewals", "Autumn Push")
    staging_id = only_id(two_accounts, "staging", "Spring Renewals")
    production = two_accounts.production.store.get_campaign(
        only_id(two_accounts, "production", "Spring Renewals")
    )
    # the accounts hold different caller ids and priorities, as their overrides say
    assert production["dialingStrategy"]["callerId"]["phoneNumber"] == CALLER_IDS["production"]
    assert production["priority"] == "1"
    assert two_accounts.staging.store.get_campaign(staging_id)["priority"] == "3"

    result = asyncio.run(compared())
    assert result.campaigns == ()
    assert result.same == 2
    assert result.warnings == ()


def test_a_platform_edit_in_one_account_is_found_with_both_values(
    two_accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(two_accounts, monkeypatch, "Spring Renewals", "Autumn Push")
    campaign_id = only_id(two_accounts, "production", "Autumn Push")
    edited = campaign_body("Autumn Push")
    edited["dialingStrategy"]["callerId"]["phoneNumber"] = CALLER_IDS["production"]
    edited["dialingStrategy"]["maxRingTime"] = 45
    platform_edit(two_accounts.production, campaign_id, edited)

    result = asyncio.run(compared())
    (campaign,) = result.campaigns
    assert (campaign.kind, campaign.name) == ("different", "Autumn Push")
    assert campaign.id_b == campaign_id
    assert campaign.id_a == only_id(two_accounts, "staging", "Autumn Push")
    assert campaign.diff == (FieldDiff("dialingStrategy.maxRingTime", 30, 45),)
    assert result.same == 1


def test_a_campaign_deleted_in_one_account_is_only_in_the_other(
    two_accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(two_accounts, monkeypatch, "Spring Renewals", "Autumn Push")
    two_accounts.staging.store.delete_campaign(only_id(two_accounts, "staging", "Autumn Push"))
    two_accounts.staging.store.seed([{**campaign_body("Hand Made"), "status": "Ready"}])

    result = asyncio.run(compared())
    (campaign,) = result.campaigns
    assert campaign.kind == "only_in_b"
    assert campaign.reason == "no campaign named 'Autumn Push' in 'staging'"
    assert result.unmanaged_a == ("Hand Made",)
    assert result.unmanaged_b == ()


def test_two_campaigns_of_one_name_are_refused_as_plan_refuses_them(
    two_accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(two_accounts, monkeypatch, "Spring Renewals")
    two_accounts.production.store.seed([{**campaign_body("Spring Renewals"), "status": "Ready"}])
    with pytest.raises(MatchError, match="2 platform campaigns are named 'Spring Renewals'"):
        asyncio.run(account("production"))
