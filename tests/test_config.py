"""campsync.yaml: its JSON Schema, located problems, environments and their layering."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from campsync.config.file import config_schema, read_config
from campsync.config.settings import load_settings
from campsync.errors import ConfigError, ConfigInvalid
from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace

REPO = Path(__file__).resolve().parent.parent

CONTRACT_EXAMPLE = """\
host: https://platform.kore.ai
experienceFlows:
  Voice Survey Entry Flow: cf-00000000-0000-4000-8000-000000000001
prune: false
keep: ["Legacy *"]
safety: {maxUpdatePercent: 50, minExisting: 5}
environments:
  staging:
    streamId: st-staging
    accountId: acc-staging
    credentials:
      clientId: KORE_STAGING_CLIENT_ID
      clientSecret: KORE_STAGING_CLIENT_SECRET
      jwt: KORE_STAGING_JWT
    experienceFlows: {Payment Reminder Flow: cf-00000000-0000-4000-8000-000000000002}
    campaigns: ["common/**", "staging/**"]
    overrides:
      "*":
        dialingStrategy: {callerId: {phoneNumber: "+14845550100"}}
      Q4 Subscription Renewals:
        id: cd-1234
        priority: 1
  production:
    streamId: st-production
    accountId: acc-production
    keep: ["VIP *"]
    safety: {maxDeletePercent: 10}
    prune: true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campsync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_schema_is_a_valid_2020_12_schema_and_ships_with_the_package() -> None:
    schema = config_schema()
    Draft202012Validator.check_schema(schema)
    assert schema == json.loads((REPO / "schemas" / "campsync.schema.json").read_text())
    # hover help: every property of every level has a description
    for name, rule in schema["$defs"].items():
        assert rule.get("description"), name


def test_overrides_accept_every_field_of_a_campaign_file() -> None:
    # `id` and `state` (campsync's own) included: an environment gives its ids, and may keep
    # its campaigns stopped.
    names = config_schema()["$defs"]["overrides"]["additionalProperties"]["propertyNames"]
    campaign = json.loads((REPO / "schemas" / "campaign.schema.json").read_text())
    assert names["enum"] == list(campaign["properties"])
    assert {"id", "state"} <= set(names["enum"])


def test_the_contract_example_is_valid(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, CONTRACT_EXAMPLE))
    assert sorted(config.environments) == ["production", "staging"]


def test_every_problem_is_located_and_listed(tmp_path: Path) -> None:
    text = (
        "streamId: 5\n"
        "experienceFlows:\n"
        "  Survey: not-a-flow-id\n"
        "environments:\n"
        "  staging:\n"
        "    acountId: x\n"
        "    credentials: {clientSecret: my-actual-secret-value!}\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigInvalid) as info:
        read_config(path)
    shown = path.as_posix()
    assert info.value.listed == (
        f"{shown}:1:11: streamId: must be a string, not 5",
        f"{shown}:3:11: experienceFlows.Survey: must be an experience flow id, cf-..."
        " (got 'not-a-flow-id')",
        f"{shown}:6:5: environments.staging.acountId: unknown field 'acountId'"
        " (did you mean 'accountId'?)",
        f"{shown}:7:33: environments.staging.credentials.clientSecret: must be the name of an"
        " environment variable (letters, digits, _) that holds the value, never the value itself"
        " (not shown)",
    )
    assert "my-actual-secret-value" not in str(info.value)
    assert str(info.value).startswith(f"{shown}:1:11: ") and "(and 3 more)" in str(info.value)


def test_a_flow_id_under_two_names_is_refused_at_both(tmp_path: Path) -> None:
    text = (
        "experienceFlows:\n"
        "  Survey: cf-aaaa\n"
        "  Payments: cf-aaaa\n"
        "  Other: cf-bbbb\n"
        "environments:\n"
        "  prod:\n"
        "    experienceFlows: {A: cf-1, B: cf-1}\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigInvalid) as info:
        read_config(path)
    lines = info.value.listed
    assert len(lines) == 4
    assert lines[0].startswith(f"{path.as_posix()}:2:11: experienceFlows.Survey: flow id 'cf-aaaa'")
    assert "also mapped from 'Payments'" in lines[0]
    assert lines[1].startswith(f"{path.as_posix()}:3:13: experienceFlows.Payments: ")
    assert lines[2].startswith(f"{path.as_posix()}:7:26: environments.prod.experienceFlows.A: ")


def test_an_environment_layers_over_the_top_level(tmp_path: Path) -> None:
    path = write(tmp_path, CONTRACT_EXAMPLE)
    env = {"KORE_STAGING_CLIENT_ID": "cs-staging", "KORE_CLIENT_ID": "cs-default"}
    staging = load_settings(config_path=path, env=env, environment="staging")
    assert staging.environment == "staging"
    assert (staging.stream_id, staging.account_id) == ("st-staging", "acc-staging")
    assert dict(staging.experience_flows) == {
        "Voice Survey Entry Flow": "cf-00000000-0000-4000-8000-000000000001",
        "Payment Reminder Flow": "cf-00000000-0000-4000-8000-000000000002",
    }
    assert staging.credentials.client_id == "cs-staging"  # its own variable, no fallback
    assert staging.campaign_globs == ("common/**", "staging/**")
    assert staging.overrides["Q4 Subscription Renewals"] == {"id": "cd-1234", "priority": 1}
    assert (staging.safety.max_update_percent, staging.safety.min_existing) == (50, 5)
    assert staging.safety.max_delete_percent == 30 and staging.prune is False

    production = load_settings(
        config_path=path, env={"CAMPSYNC_ENV": "production", "KORE_CLIENT_ID": "cs-default"}
    )
    assert production.environment == "production" and production.stream_id == "st-production"
    assert production.credentials.client_id == "cs-default"  # the default variable names
    assert production.keep == ("Legacy *", "VIP *") and production.prune is True
    assert production.safety.max_delete_percent == 10
    assert production.safety.max_update_percent == 50


def test_flags_and_kore_variables_still_win_over_an_environment(tmp_path: Path) -> None:
    path = write(tmp_path, CONTRACT_EXAMPLE)
    settings = load_settings(
        config_path=path,
        env={"KORE_ACCOUNT_ID": "acc-env"},
        environment="staging",
        stream_id="st-flag",
    )
    assert (settings.stream_id, settings.account_id) == ("st-flag", "acc-env")


def test_choosing_an_environment(tmp_path: Path) -> None:
    path = write(tmp_path, CONTRACT_EXAMPLE)
    with pytest.raises(
        ConfigError, match=r"unknown environment 'prod': .* defines production, staging"
    ):
        load_settings(config_path=path, env={}, environment="prod")
    unchosen = load_settings(config_path=path, env={})
    assert unchosen.environment is None and unchosen.environments == ("staging", "production")
    with pytest.raises(ConfigError, match=r"defines environments \(production, staging\): choose"):
        unchosen.require_remote()
    plain = write(tmp_path, "streamId: st-1\n")
    with pytest.raises(ConfigError, match=r"'staging' .* is not defined: .* has no environments"):
        load_settings(config_path=plain, env={}, environment="staging")


def test_missing_credentials_name_the_environments_variables(tmp_path: Path) -> None:
    path = write(tmp_path, CONTRACT_EXAMPLE)
    settings = load_settings(config_path=path, env={}, environment="staging")
    with pytest.raises(
        ConfigError,
        match="set KORE_STAGING_CLIENT_ID and KORE_STAGING_CLIENT_SECRET \\(or KORE_STAGING_JWT\\)",
    ):
        settings.require_remote()


def test_commands_that_talk_to_the_platform_need_an_environment(ws: Workspace) -> None:
    ws.config("environments:\n  staging: {}\n  production: {}\n")
    ws.write("new.yaml", campaign_body("Brand New"))
    for command in (("plan",), ("apply", "--auto-approve"), ("pull",)):
        result = ws.cli(*command)
        assert result.code == 1, command
        assert result.err.strip().endswith(
            "campsync.yaml defines environments (production, staging): "
            "choose one with --env NAME or CAMPSYNC_ENV"
        ), result.err
    assert ws.cli("plan", "--env", "staging").code == 0
    unknown = ws.cli("plan", "--env", "prod")
    assert unknown.code == 1 and "unknown environment 'prod'" in unknown.err
    # only the plan with --env staging read the platform: the list, and the contact lists
    # that its create names (sync.references)
    assert ws.store.stats()["by_kind"] == {
        **dict.fromkeys(ws.store.stats()["by_kind"], 0),
        "list": 1,
        "contactLists": 1,
    }


def test_several_config_problems_are_all_listed_on_stderr(ws: Workspace) -> None:
    ws.config("streamId: 5\nhots: x\n")
    result = ws.cli("plan")
    assert result.code == 1 and result.out == ""
    lines = result.err.splitlines()
    assert lines == [
        "campsync.yaml:1:11: streamId: must be a string, not 5",
        "campsync.yaml:2:1: hots: unknown field 'hots' (did you mean 'host'?)",
        "campsync: error: campsync.yaml:1:11: streamId: must be a string, not 5 (and 1 more)",
    ]


def test_patterns_are_ecma_262_a_final_newline_is_no_flow_id(tmp_path: Path) -> None:
    # Python's `$` would match before the final newline of a `|` block; JSON Schema's does not.
    path = write(tmp_path, "experienceFlows:\n  Survey: |\n    cf-1234\n")
    with pytest.raises(ConfigInvalid, match=r"experienceFlows.Survey: must be an experience flow"):
        read_config(path)


def test_a_secret_pasted_under_credentials_is_told_apart_from_an_environment_named_so(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "environments:\n  credentials:\n    streamId: xx-123\n")
    with pytest.raises(ConfigInvalid) as info:
        read_config(path)
    assert str(info.value) == (
        f"{path.as_posix()}:3:15: environments.credentials.streamId: must be the app's stream "
        "id, st-... (got 'xx-123')"
    )


def test_no_environment_may_be_named_all_which_names_every_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "environments:\n  staging: {}\n  all: {}\n")
    with pytest.raises(ConfigInvalid) as info:
        read_config(path)
    assert str(info.value).startswith(
        f"{path.as_posix()}:2:3: environments: an environment name is letters, digits, '.', "
        "'_' or '-', and not 'all' (--env all names every environment) (got 'all')"
    )
    read_config(write(tmp_path, "environments:\n  All: {}\n  allx: {}\n"))  # names alike: fine


def test_a_campsync_yaml_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "campsync.yaml"
    os.mkfifo(path)  # reading a FIFO would wait for a writer forever
    with pytest.raises(ConfigError, match=r"campsync.yaml:1:1: not a regular file$"):
        read_config(path)
    big = (
        write(tmp_path / "big", "# " + "x" * 1_000_000 + "\n")
        if (tmp_path / "big").mkdir() is None
        else None
    )
    assert big is not None
    with pytest.raises(ConfigError, match=r"larger than the limit of"):
        read_config(big)
