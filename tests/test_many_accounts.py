"""Many accounts in one run (issue 23) against two emulators, each its own account with its
own credentials, stream, ids and rate limit: `plan` and `apply` with `--env` repeated or
`--env all` (one section per environment, the contract's JSON, the worst exit code, `--out`
refused, safety per environment, one prompt), `validate` of several environments, and each
environment's failure its own."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.fixtures_accounts import BOTH, NAMES, Accounts, converge
from tests.fixtures_environments import CALLER_IDS, secret_names
from tests.fixtures_workspace import TerminalInput
from tests.git_repos import git

# --- plan -----------------------------------------------------------------------------------


def test_plan_env_all_reads_both_accounts_into_the_contracts_json(accounts: Accounts) -> None:
    result = accounts.cli("plan", "--env", "all", "--json", "--detailed-exitcode")
    assert result.code == 2, result.err
    document = json.loads(result.out)
    assert list(document) == ["format_version", "environments"]
    assert document["format_version"] == 1
    assert list(document["environments"]) == ["staging", "production"]
    for environment in BOTH:
        plan = document["environments"][environment]
        assert plan["format_version"] == 1
        assert plan["summary"]["create"] == 3
        assert {change["name"] for change in plan["changes"]} == set(NAMES)
        assert accounts.requests(environment) > 0  # each account read with its own credentials


def test_one_environment_named_gives_exactly_todays_json(accounts: Accounts) -> None:
    alone = accounts.cli("plan", "--env", "staging", "--json")
    twice = accounts.cli("plan", "--env", "staging", "--env", "staging", "--json")
    assert alone.code == twice.code == 0
    assert "environments" not in json.loads(alone.out)
    assert json.loads(twice.out) == json.loads(alone.out)


def test_apply_env_all_converges_both_accounts_each_with_its_own_values(
    accounts: Accounts,
) -> None:
    applied = accounts.cli("apply", "--env", "all", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "=== environment staging ===" in applied.out
    assert "=== environment production ===" in applied.out
    for environment in BOTH:
        assert f'{environment}: applied: create "Spring Renewals"' in applied.out
        assert f"{environment}: Apply complete: 3 applied." in applied.out
        stored = accounts.stored(environment)
        assert set(stored) == set(NAMES)
        phone = stored["Autumn Push"]["dialingStrategy"]["callerId"]["phoneNumber"]
        assert phone == CALLER_IDS[environment]

    again = accounts.cli("plan", "--env", "staging", "--env", "production")
    assert again.code == 0, again.err
    assert again.out.count("No changes. The platform matches the files (3 campaigns).") == 2
    assert again.out.endswith(
        "\n2 environments:\n"
        "  staging     no changes (3 campaigns)\n"
        "  production  no changes (3 campaigns)\n"
    )
    assert accounts.cli("plan", "--env", "all", "--detailed-exitcode").code == 0


def test_apply_json_of_several_environments_holds_each_ones_results(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(secret_names("production")[1], "wrong-secret-0123456789abcdef01234")
    result = accounts.cli("apply", "--env", "all", "--auto-approve", "--json")
    assert result.code == 1
    document = json.loads(result.out)  # stdout holds only the JSON
    assert list(document) == ["format_version", "environments", "errors"]
    staging = document["environments"]["staging"]
    assert staging["summary"]["applied"] == 3 and staging["summary"]["failed"] == 0
    assert {entry["outcome"] for entry in staging["results"]} == {"applied"}
    assert list(document["errors"]) == ["production"]
    assert "staging: Apply complete: 3 applied." in result.err  # the rest on stderr
    assert accounts.cli("apply", "--env", "all", "--json").code == 1  # no question asked


def test_the_exit_code_is_the_worst_of_the_environments(accounts: Accounts) -> None:
    converge(accounts)
    accounts.config({"production": "      Winter Wins:\n        priority: 1\n"})
    changed = accounts.cli("plan", "--env", "all", "--detailed-exitcode")
    assert changed.code == 2  # staging 0, production 2
    assert "1 to update" in changed.out

    monkeypatched_secret = secret_names("staging")[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(monkeypatched_secret, "not-the-secret-of-staging-0123456789")
        failed = accounts.cli("plan", "--env", "all", "--detailed-exitcode", "--json")
    assert failed.code == 1  # 1 over 2
    document = json.loads(failed.out)
    assert list(document["environments"]) == ["production"]
    assert list(document["errors"]) == ["staging"]
    assert "campsync: error: staging: " in failed.err


def test_a_failing_account_is_its_own_sections_error_while_the_other_completes(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(secret_names("production")[1], "wrong-secret-0123456789abcdef01234")
    applied = accounts.cli("apply", "--env", "all", "--auto-approve")
    assert applied.code == 1
    production = applied.out.split("=== environment production ===\n\n", 1)[1]
    assert production.startswith("error: ")
    assert "staging: Apply complete: 3 applied." in applied.out
    assert set(accounts.stored("staging")) == set(NAMES)
    assert accounts.stored("production") == {}
    (line,) = [x for x in applied.err.splitlines() if x.startswith("campsync: error:")]
    assert line.startswith("campsync: error: production: ")
    assert "wrong-secret" not in applied.out + applied.err


def test_an_environment_without_its_credentials_is_its_error_alone(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(secret_names("staging")[1])
    result = accounts.cli("plan", "--env", "all")
    assert result.code == 1
    assert "=== environment staging ===\n\nerror: " in result.out
    assert "3 to create" in result.out.split("=== environment production ===", 1)[1]


def test_out_with_several_environments_is_refused_before_any_request(
    accounts: Accounts,
) -> None:
    result = accounts.cli("plan", "--env", "all", "--out", "plan.json")
    assert result.code == 1
    assert result.err == (
        "campsync: error: --out saves one environment's plan: with several environments, "
        "run 'campsync plan --env NAME --out FILE' for each\n"
    )
    assert result.out == ""
    assert not (accounts.root / "plan.json").exists()
    assert accounts.requests("staging") == accounts.requests("production") == 0


def test_unknown_names_and_all_without_environments_are_refused_at_once(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = accounts.cli("plan", "--env", "staging", "--env", "prodution")
    assert typo.code == 1
    assert typo.err == (
        "campsync: error: unknown environment 'prodution': campsync.yaml defines "
        "production, staging\n"
    )
    monkeypatch.setenv("CAMPSYNC_ENV", "all")  # one name: no environment is named so
    assert "unknown environment 'all'" in accounts.cli("plan").err
    (accounts.root / "campsync.yaml").write_text("{}\n")
    none = accounts.cli("plan", "--env", "all")
    assert none.err == "campsync: error: --env all: campsync.yaml defines no environments\n"
    assert accounts.requests("staging") == accounts.requests("production") == 0


def test_pull_takes_one_environment(accounts: Accounts) -> None:
    result = accounts.cli("pull", "--env", "all")
    assert result.code == 1
    assert result.err == (
        "campsync: error: pull writes the files of one environment: give one --env NAME\n"
    )
    assert accounts.requests("staging") == accounts.requests("production") == 0


def test_a_saved_plan_takes_at_most_one_environment(accounts: Accounts) -> None:
    assert accounts.cli("plan", "--env", "staging", "--out", "plan.json").code == 0
    result = accounts.cli("apply", "plan.json", "--env", "staging", "--env", "production")
    assert result.code == 1
    assert "a saved plan belongs to one environment" in result.err


# --- safety and the prompt ------------------------------------------------------------------


UNSAFE = "safety: {maxUpdatePercent: 30, minExisting: 1}\n"


def test_an_unsafe_environment_stops_every_environments_apply(accounts: Accounts) -> None:
    converge(accounts)
    # production: every campaign updated, past its thresholds (3 of 3 > 30 %, from 1
    # campaign on); staging: one of three, within the defaults (counted from 10 campaigns)
    accounts.config(
        {"production": "".join(f"      {name}:\n        priority: 1\n" for name in NAMES)}
    )
    text = (accounts.root / "campsync.yaml").read_text()
    text = text.replace("  production:\n", f"  production:\n    {UNSAFE}", 1)
    (accounts.root / "campsync.yaml").write_text(text)
    accounts.write("Spring Renewals", description="Edited for both accounts.")

    refused = accounts.cli("apply", "--env", "all", "--auto-approve")
    assert refused.code == 1
    assert "Nothing was applied in any environment: the plan of 'production' crosses a " in (
        refused.out
    )
    assert "campsync: error: production: apply refuses this plan: updates 3 of 3" in refused.err
    assert refused.out.count("campsync will make these changes") == 2  # both plans shown
    for environment in BOTH:
        writes = [r for r in accounts.by_name[environment].store.requests() if r["kind"] != "list"]
        assert [r["kind"] for r in writes if r["kind"] in ("update", "create")] == []

    forced = accounts.cli("apply", "--env", "all", "--auto-approve", "--force")
    assert forced.code == 0, forced.out + forced.err
    assert accounts.stored("production")["Winter Wins"]["priority"] == "1"
    spring = accounts.stored("staging")["Spring Renewals"]
    assert spring["description"] == "Edited for both accounts."


@pytest.mark.parametrize(("answer", "applied"), [("yes", True), ("no", False)])
def test_one_prompt_after_every_plan_is_shown(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch, answer: str, applied: bool
) -> None:
    prompts: list[tuple[str, str]] = []

    def fake_input(prompt: str) -> str:
        shown = accounts.capsys.readouterr().out  # what was on the screen when asked
        prompts.append((prompt, shown))
        return answer

    monkeypatch.setattr(sys, "stdin", TerminalInput())
    monkeypatch.setattr("builtins.input", fake_input)
    result = accounts.cli("apply", "--env", "all")
    ((prompt, shown),) = prompts
    assert prompt == "Apply these changes in 2 environments? Only 'yes' is accepted: "
    assert "=== environment staging ===" in shown and "=== environment production ===" in shown
    assert result.code == (0 if applied else 1)
    for environment in BOTH:
        assert len(accounts.stored(environment)) == (3 if applied else 0)
    if not applied:
        assert "Apply cancelled: nothing was changed." in result.out


def test_without_a_terminal_several_environments_need_auto_approve(accounts: Accounts) -> None:
    result = accounts.cli("apply", "--env", "all")
    assert result.code == 1
    assert "no terminal to confirm on: use --auto-approve" in result.err
    assert accounts.stored("staging") == accounts.stored("production") == {}


# --- validate -------------------------------------------------------------------------------


def test_validate_checks_the_environments_named(accounts: Accounts) -> None:
    accounts.config({"production": "      Winter Wins:\n        priority: 9\n"})
    staging = accounts.cli("validate", "--env", "staging")
    assert staging.code == 0, staging.out + staging.err
    both = accounts.cli("validate", "--env", "staging", "--env", "production")
    assert both.code == 1
    assert "priority: 9 is not one of 1, 2, 3, 4, 5 (environment 'production'" in both.out
    assert "(environments 'staging', 'production')" in both.err
    every = accounts.cli("validate", "--env", "all")
    assert every.code == 1 and every.out == both.out


def test_plan_since_reaches_every_environment(accounts: Accounts, tmp_path_factory: Any) -> None:
    """`plan --since REF --env all`: each environment compares in full only what changed since
    REF (the others on the list alone), as one environment's plan --since does."""
    converge(accounts)
    (accounts.root / ".gitignore").write_text(".campsync/\n")
    git(accounts.root, "init", "-q", "-b", "main")
    git(accounts.root, "add", ".")
    git(accounts.root, "commit", "-q", "-m", "base")
    git(accounts.root, "tag", "base")
    accounts.write(NAMES[0], priority="1")
    result = accounts.cli("plan", "--env", "all", "--since", "base", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    for environment in BOTH:
        plan = document["environments"][environment]
        assert plan["since"] == "base"
        assert [each["name"] for each in plan["compared_in_full"]] == [NAMES[0]]
        assert [change["name"] for change in plan["changes"]] == [NAMES[0]]
