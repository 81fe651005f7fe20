"""Environments end to end against two emulators (two accounts, each with its own credentials,
stream and ids): campaigns made in staging are pulled into a fresh folder, planned against
production and created there; each account keeps its own caller id; saved plans and caches
belong to one environment."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from campsync.campaign.yamlio import load_yaml_file
from campsync.cli import main
from tests.fixtures_emulator import campaign_body
from tests.fixtures_environments import (
    CALLER_IDS,
    TwoAccounts,
    environments_config,
    secrets_of,
)

REPO = Path(__file__).resolve().parent.parent
AGENTLESS = ("Past Due Payment Reminders", "Product Feedback Voice Campaign")


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return Result(code, out, err)


def plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    result = cli(capsys, "plan", "--json", *args)
    assert result.code == 0, result.err
    document: dict[str, Any] = json.loads(result.out)
    return document


def stored(accounts: TwoAccounts, environment: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in accounts.by_name[environment].store.raw_campaigns()}


@pytest.fixture
def both_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A desk with both environments' credentials, each under its own variable names."""
    for environment in ("staging", "production"):
        for name, value in secrets_of(environment).items():
            monkeypatch.setenv(name, value)


def test_promote_from_staging_to_production(
    two_accounts: TwoAccounts,
    both_credentials: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A team builds the example campaigns in staging (Agentless, Progressive, Preview).
    team = tmp_path / "team"
    shutil.copytree(REPO / "campaigns", team / "campaigns")
    (team / "campsync.yaml").write_text(environments_config(two_accounts.by_name))
    monkeypatch.chdir(team)
    assert cli(capsys, "plan").code == 1  # environments defined: one must be chosen
    applied = cli(capsys, "apply", "--env", "staging", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    two_accounts.wait_ready()
    assert len(stored(two_accounts, "staging")) == 4
    assert stored(two_accounts, "production") == {}

    # Pulled from staging into a fresh folder: no account ids, no staging caller id.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copytree(REPO / "schemas", fresh / "schemas")
    (fresh / "campsync.yaml").write_text(environments_config(two_accounts.by_name))
    monkeypatch.chdir(fresh)
    pulled = cli(capsys, "pull", "--env", "staging")
    assert pulled.code == 0, pulled.err
    files = sorted((fresh / "campaigns").glob("*.yaml"))
    assert len(files) == 4
    for path in files:
        text = path.read_text()
        assert "cd-" not in text and "\nid:" not in text
        assert CALLER_IDS["staging"] not in text  # the "*" override supplies it
    assert "2 pulled Agentless campaign(s) have no enableMachineDetect" in pulled.err
    assert cli(capsys, "validate").code == 0

    # Pulled files plan clean against the environment they came from.
    assert cli(capsys, "plan", "--env", "staging", "--detailed-exitcode").code == 0

    # Against production: the platform never returns enableMachineDetect, so the pulled
    # Agentless campaigns cannot be created until it is set; the others can.
    blocked = plan_json(capsys, "--env", "production")
    assert blocked["summary"] | {"unmanaged": 0} == {
        "create": 2,
        "stop": 0,
        "update": 0,
        "start": 0,
        "delete": 0,
        "blocked": 2,
        "unchanged": 0,
        "unmanaged": 0,
    }
    reasons = {c["name"]: c.get("reason", "") for c in blocked["changes"]}
    for name in AGENTLESS:
        assert "enableMachineDetect" in reasons[name]
        assert "environment 'production'" in reasons[name]

    # Set it for production in campsync.yaml, by campaign name (one also gets a priority).
    overrides = (
        f"      {AGENTLESS[0]}:\n"
        "        enableMachineDetect: detect\n"
        f"      {AGENTLESS[1].lower()}:\n"
        '        enableMachineDetect: "no"\n'
        "        priority: 1\n"
    )
    config = environments_config(two_accounts.by_name, {"production": overrides})
    (fresh / "campsync.yaml").write_text(config)
    assert cli(capsys, "validate").code == 0
    saved = cli(capsys, "plan", "--env", "production", "--out", "production.json")
    assert saved.code == 0, saved.err
    assert "Plan: 4 to create" in saved.out

    # The saved plan names its environment: refused for another, applied without --env.
    refused = cli(capsys, "apply", "--env", "staging", "production.json")
    assert refused.code == 1
    assert "the plan was made for environment 'production', not for 'staging'" in refused.err
    monkeypatch.setenv("CAMPSYNC_ENV", "staging")
    assert cli(capsys, "apply", "production.json").code == 1
    monkeypatch.delenv("CAMPSYNC_ENV")
    applied = cli(capsys, "apply", "production.json")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 4 applied." in applied.out
    two_accounts.wait_ready()

    # Each account holds its own caller id; production got its overrides.
    in_staging, in_production = stored(two_accounts, "staging"), stored(two_accounts, "production")
    assert sorted(in_production) == sorted(in_staging)
    for name, record in in_production.items():
        there = in_staging[name]
        assert record["dialingStrategy"]["callerId"]["phoneNumber"] == CALLER_IDS["production"]
        assert there["dialingStrategy"]["callerId"]["phoneNumber"] == CALLER_IDS["staging"]
        assert record["_id"] != there["_id"]
    assert in_production[AGENTLESS[0]]["enableMachineDetect"] == "detect"
    assert in_production[AGENTLESS[1]]["enableMachineDetect"] == "no"
    assert in_production[AGENTLESS[1]]["priority"] == "1"
    assert in_staging[AGENTLESS[1]]["priority"] == "5"

    # Both environments are now in step with the one folder.
    for environment in ("production", "staging"):
        result = cli(capsys, "plan", "--env", environment, "--detailed-exitcode")
        assert result.code == 0, (environment, result.out)


def test_changed_overrides_are_planned_although_the_files_did_not_change(
    two_accounts: TwoAccounts,
    both_credentials: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The local cache remembers pairs found equal by file text: merged data depends on the
    # overrides too, and a changed override must never be taken for "still equal".
    folder = tmp_path / "campaigns"
    folder.mkdir()
    body = campaign_body("Spring Renewals")
    del body["dialingStrategy"]["callerId"]
    (folder / "spring.yaml").write_text(json.dumps(body))
    config = tmp_path / "campsync.yaml"
    config.write_text(environments_config(two_accounts.by_name))
    assert cli(capsys, "apply", "--env", "production", "--auto-approve").code == 0
    two_accounts.wait_ready()
    assert cli(capsys, "plan", "--env", "production", "--detailed-exitcode").code == 0

    config.write_text(config.read_text().replace(CALLER_IDS["production"], "+14845550111"))
    plan = plan_json(capsys, "--env", "production")

    [change] = plan["changes"]
    assert change["action"] == "update"
    assert change["diff"] == [
        {
            "path": "dialingStrategy.callerId.phoneNumber",
            "before": CALLER_IDS["production"],
            "after": "+14845550111",
        }
    ]
    assert stored(two_accounts, "staging") == {}  # the other account was never touched


def desk_of(
    environment: str, accounts: TwoAccounts, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A campaigns folder with one new campaign, campsync.yaml with both environments, and
    the credentials of `environment` alone."""
    (root / "campaigns").mkdir()
    (root / "campaigns" / "new.yaml").write_text(json.dumps(campaign_body("Brand New")))
    (root / "campsync.yaml").write_text(environments_config(accounts.by_name))
    for name, value in secrets_of(environment).items():
        monkeypatch.setenv(name, value)


def test_each_environment_uses_only_its_own_credentials(
    two_accounts: TwoAccounts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    desk_of("staging", two_accounts, tmp_path, monkeypatch)

    assert cli(capsys, "plan", "--env", "staging").code == 0
    missing = cli(capsys, "plan", "--env", "production")
    assert missing.code == 1
    assert missing.err == (
        "campsync: error: no credentials: set KORE_PRODUCTION_CLIENT_ID and "
        "KORE_PRODUCTION_CLIENT_SECRET (or KORE_JWT)\n"
    )
    # The cache holds each target apart.
    for name, value in secrets_of("production").items():
        monkeypatch.setenv(name, value)
    assert cli(capsys, "plan", "--env", "production").code == 0
    cache = sorted(p.name for p in (tmp_path / ".campsync" / "cache").glob("*.json"))
    assert len([name for name in cache if name.startswith("files-env-")]) == 2


def test_a_wrong_secret_names_the_environments_own_variables(
    two_accounts: TwoAccounts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    desk_of("production", two_accounts, tmp_path, monkeypatch)
    # Production's id with a secret of another app: the platform refuses the token.
    monkeypatch.setenv(
        "KORE_PRODUCTION_CLIENT_SECRET", secrets_of("staging")["KORE_STAGING_CLIENT_SECRET"]
    )
    refused = cli(capsys, "plan", "--env", "production")
    assert refused.code == 1
    assert "refused the credentials" in refused.err
    assert "check KORE_PRODUCTION_CLIENT_ID and KORE_PRODUCTION_CLIENT_SECRET (or KORE_JWT)" in (
        refused.err
    )
    assert "KORE_CLIENT_ID" not in refused.err


def test_pull_leaves_out_what_the_overrides_supply_and_plans_clean(
    two_accounts: TwoAccounts,
    both_credentials: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A staging campaign whose priority the staging overrides set, and one with its own.
    bodies = [campaign_body("Spring Renewals", priority="1"), campaign_body("Autumn Renewals")]
    for body in bodies:
        body["dialingStrategy"]["callerId"]["phoneNumber"] = CALLER_IDS["staging"]
    two_accounts.staging.store.seed([{**body, "status": "Ready"} for body in bodies])
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "spring.yaml").write_text(
        json.dumps({**campaign_body("Spring Renewals"), "priority": 4})
    )
    extra = {"staging": "      spring renewals:\n        priority: 1\n"}
    (tmp_path / "campsync.yaml").write_text(environments_config(two_accounts.by_name, extra))

    assert cli(capsys, "plan", "--env", "staging", "--detailed-exitcode").code == 0
    pulled = cli(capsys, "pull", "--env", "staging", "--overwrite")
    assert pulled.code == 0, pulled.err

    spring = load_yaml_file(folder / "spring.yaml")
    autumn = load_yaml_file(folder / "autumn-renewals.yaml")
    assert spring is not None and autumn is not None
    assert spring.data["priority"] == 4  # the override's 1 is not written over the file's
    assert "id" not in spring.data and "id" not in autumn.data
    assert autumn.data["priority"] == "3"
    assert "callerId" not in autumn.data["dialingStrategy"]
    assert cli(capsys, "plan", "--env", "staging", "--detailed-exitcode").code == 0
