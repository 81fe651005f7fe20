"""`campsync validate` with environments in campsync.yaml (offline): the merged campaign is
what is checked; a problem in a value from campsync.yaml is located there, naming the
environment and the campaign; override entries name campaigns of their environment; globs
choose an environment's files; without --env every environment is checked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures_emulator import campaign_body, progressive_body
from tests.fixtures_environments import Project

CONFIG = """\
environments:
  staging:
    overrides:
      "*":
        dialingStrategy: {callerId: {phoneNumber: "+14845550100"}}
      Spring Renewals:
        priority: 1
  production:
    overrides:
      "*":
        dialingStrategy: {callerId: {phoneNumber: "+14845550199"}}
"""


def without_caller_id(body: dict[str, Any]) -> dict[str, Any]:
    del body["dialingStrategy"]["callerId"]
    return body


def test_the_merged_campaign_is_what_is_validated(project: Project) -> None:
    # Neither file is valid alone (no callerId): every environment's "*" supplies one.
    project.config(CONFIG)
    project.campaign("spring.yaml", without_caller_id(campaign_body("Spring Renewals")))
    project.campaign("collect.yaml", without_caller_id(progressive_body("Collections Push")))

    code, out, err = project.validate()

    assert (code, out) == (0, "")
    assert err == "2 files valid (environments 'staging', 'production')\n"
    # Without environments the same files are invalid.
    project.config("{}\n")
    code, out, _ = project.validate()
    assert code == 1 and "dialingStrategy.callerId: required field is missing" in out


def test_a_value_from_campsync_yaml_is_reported_there_naming_environment_and_campaign(
    project: Project,
) -> None:
    project.config(CONFIG.replace("priority: 1", "priority: 9"))
    project.campaign("spring.yaml", campaign_body("Spring Renewals"))

    code, out, _ = project.validate("--env", "staging")

    assert code == 1
    assert out == (
        "campsync.yaml:7:19: priority: 9 is not one of 1, 2, 3, 4, 5 "
        "(environment 'staging', campaign 'Spring Renewals')\n"
    )


def test_an_override_may_set_the_run_state_and_a_bad_one_is_reported_there(
    project: Project,
) -> None:
    # A staging account that keeps every campaign stopped, whatever the files say.
    staging = CONFIG.replace(
        "      Spring Renewals:\n        priority: 1\n",
        "      Spring Renewals:\n        priority: 1\n        state: stopped\n",
    )
    project.config(staging)
    project.campaign("spring.yaml", campaign_body("Spring Renewals", state="running"))
    assert project.validate("--env", "staging")[:2] == (0, "")

    project.config(staging.replace("state: stopped", "state: paused"))
    code, out, _ = project.validate("--env", "staging")
    assert code == 1
    assert out == (
        "campsync.yaml:8:16: state: 'paused' is not one of 'running', 'stopped' "
        "(environment 'staging', campaign 'Spring Renewals')\n"
    )


def test_a_bad_value_for_every_campaign_is_reported_once_naming_them(project: Project) -> None:
    project.config(CONFIG.replace('"+14845550199"', '"555-0199"'))
    project.campaign("spring.yaml", campaign_body("Spring Renewals", priority=1))
    for index in range(4):
        project.campaign(f"c{index}.yaml", campaign_body(f"Campaign {index}"))

    code, out, err = project.validate("--format", "json")

    assert code == 1
    [problem] = json.loads(out)
    assert problem["file"] == "campsync.yaml"
    assert (problem["line"], problem["column"]) == (11, 51)
    assert problem["path"] == "dialingStrategy.callerId.phoneNumber"
    assert problem["message"].endswith(
        "(environment 'production', campaigns 'Campaign 0', 'Campaign 1', 'Campaign 2' and 2 more)"
    )
    assert err == ("1 problem in campsync.yaml (environments 'staging', 'production')\n")


def test_a_file_problem_is_reported_once_unless_only_some_environments_have_it(
    project: Project,
) -> None:
    # The file's priority is wrong everywhere; its missing callerId only where no "*" sets it.
    project.config(
        "environments:\n"
        "  staging:\n"
        "    overrides:\n"
        '      "*": {dialingStrategy: {callerId: {phoneNumber: "+14845550100"}}}\n'
        "  production: {}\n"
    )
    project.campaign("spring.yaml", without_caller_id(campaign_body("Spring", priority=7)))

    code, out, _ = project.validate()

    assert code == 1
    assert out.splitlines() == [
        "campaigns/spring.yaml:10:15: priority: 7 is not one of 1, 2, 3, 4, 5",
        "campaigns/spring.yaml:12:22: dialingStrategy.callerId: required field is missing "
        "(environment 'production')",
    ]


def test_an_override_for_no_campaign_of_the_environment_is_an_error_at_its_key(
    project: Project,
) -> None:
    project.config(CONFIG.replace("Spring Renewals:", "Spring Renewal:"))
    project.campaign("spring.yaml", campaign_body("Spring Renewals"))

    code, out, _ = project.validate("--env", "staging")

    assert code == 1
    assert out == (
        "campsync.yaml:6:7: environments.staging.overrides.Spring Renewal: no campaign file of "
        "environment 'staging' is named 'Spring Renewal' (did you mean 'Spring Renewals'?)\n"
    )


def test_override_entries_match_names_ignoring_case_once(project: Project) -> None:
    project.config(
        CONFIG.replace(
            "      Spring Renewals:\n        priority: 1\n",
            "      spring RENEWALS:\n        priority: 1\n      Spring Renewals: {}\n",
        )
    )
    project.campaign("spring.yaml", campaign_body("Spring Renewals"))

    code, out, _ = project.validate("--env", "staging")

    assert code == 1
    assert out == (
        "campsync.yaml:8:7: environments.staging.overrides.Spring Renewals: names the same "
        "campaign as 'spring RENEWALS' (names match ignoring case): put its overrides in one "
        "entry\n"
    )


def test_null_removes_a_field_and_a_required_one_is_reported_at_the_null(
    project: Project,
) -> None:
    project.config(CONFIG.replace("priority: 1", "priority: 1\n        dncLists: null"))
    project.campaign("spring.yaml", campaign_body("Spring Renewals"))

    code, out, _ = project.validate("--env", "staging")

    assert code == 1
    assert out == (
        "campsync.yaml:8:19: dncLists: required field is missing "
        "(environment 'staging', campaign 'Spring Renewals')\n"
    )


def test_ids_and_names_stay_unique_where_the_overrides_set_them(project: Project) -> None:
    project.config(
        "environments:\n"
        "  staging:\n"
        "    overrides:\n"
        "      One: {id: cd-1}\n"
        "      Two: {id: cd-1, name: one}\n"
    )
    project.campaign("one.yaml", campaign_body("One"))
    project.campaign("two.yaml", campaign_body("Two"))

    code, out, _ = project.validate("--env", "staging")

    assert code == 1
    assert out.splitlines() == [
        "campaigns/one.yaml:2:11: name: campaign name 'One' is also used in "
        "campsync.yaml:5:29 (names must be unique, ignoring case)",
        "campsync.yaml:4:17: id: campaign id 'cd-1' is also used in campsync.yaml:5:17 "
        "(environment 'staging', campaign 'One')",
        "campsync.yaml:5:17: id: campaign id 'cd-1' is also used in campsync.yaml:4:17 "
        "(environment 'staging', campaign 'one')",
        "campsync.yaml:5:29: name: campaign name 'one' is also used in "
        "campaigns/one.yaml:2:11 (names must be unique, ignoring case) "
        "(environment 'staging', campaign 'one')",
    ]


def test_every_campaign_entry_sets_no_id_or_name(project: Project) -> None:
    project.config('environments:\n  staging:\n    overrides:\n      "*": {id: cd-1}\n')
    project.campaign("one.yaml", campaign_body("One"))

    code, out, _ = project.validate()

    assert code == 1
    assert out == (
        "campsync.yaml:4:13: environments.staging.overrides.*.id: '*' applies to every "
        "campaign of environment 'staging': give each campaign's id under its own name\n"
    )


def test_globs_choose_the_files_of_each_environment(project: Project) -> None:
    project.config(
        "environments:\n"
        "  staging: {campaigns: ['common/**', 'staging/**']}\n"
        "  production: {campaigns: ['common/**', 'production/**']}\n"
    )
    project.campaign("common/a.yaml", campaign_body("Shared"))
    project.campaign("staging/b.yaml", campaign_body("Only Here"))
    project.campaign("production/b.yaml", campaign_body("Only Here"))  # same name: fine
    project.campaign("drafts/c.yaml", campaign_body("Draft", priority=8))

    code, out, err = project.validate()

    # The draft is in no environment: checked as a plain file, and said so.
    assert code == 1
    assert out.startswith("campaigns/drafts/c.yaml:10:15: priority: 8 is not one of")
    assert "campsync: note: 1 file in no environment's campaigns" in err
    assert "campaigns/drafts/c.yaml" in err
    assert err.endswith("1 problem in 1 of 4 files (environments 'staging', 'production')\n")
    # One environment: only its files.
    (project.root / "campaigns" / "drafts" / "c.yaml").unlink()
    code, _, err = project.validate("--env", "production")
    assert code == 0
    assert err == "2 files valid (environment 'production')\n"


def test_the_environment_comes_from_env_or_campsync_env(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.config(CONFIG.replace("priority: 1", "priority: 9"))
    project.campaign("spring.yaml", campaign_body("Spring Renewals"))
    monkeypatch.setenv("CAMPSYNC_ENV", "production")
    assert project.validate()[0] == 0
    assert project.validate("--env", "staging")[0] == 1
    code, _, err = project.validate("--env", "prod")
    assert code == 1
    assert err == (
        "campsync: error: unknown environment 'prod': campsync.yaml defines production, staging\n"
    )


def test_agentless_without_id_may_leave_out_enable_machine_detect(project: Project) -> None:
    # Matched by name it may exist already: only a create needs the field (the plan says so).
    project.config(CONFIG)
    body = campaign_body("Spring Renewals")
    del body["enableMachineDetect"]
    project.campaign("spring.yaml", body)
    assert project.validate()[0] == 0
    project.config("{}\n")
    code, out, _ = project.validate()
    assert code == 1 and "enableMachineDetect: required when dialingMode is" in out


def test_campsync_yaml_problems_are_listed_with_the_file_problems(project: Project) -> None:
    project.config("host: ftp://x\nstreamid: st-1\n")
    project.campaign("spring.yaml", campaign_body("Spring", priority=8))

    code, out, err = project.validate()

    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("campaigns/spring.yaml:10:15: priority: 8")
    assert lines[1].startswith("campsync.yaml:1:7: host: must be an http(s) URL")
    assert lines[2].startswith("campsync.yaml:2:1: streamid: unknown field 'streamid'")
    assert err == "3 problems: 2 in campsync.yaml, 1 in 1 of 1 file\n"


def test_a_problem_elsewhere_in_campsync_yaml_does_not_stop_the_file_checks(
    project: Project,
) -> None:
    # A top-level problem, and one in production's own entry (a misspelt key): staging's
    # entry is sound, so the files are checked under staging, every problem listed at once.
    project.config(
        CONFIG.replace("environments:\n", "hots: x\nenvironments:\n").replace(
            "  production:\n    overrides:", "  production:\n    overides:"
        )
    )
    body = without_caller_id(campaign_body("Spring Renewals", description=5))
    project.campaign("spring.yaml", body)

    code, out, err = project.validate()

    assert code == 1
    assert out.splitlines() == [
        "campaigns/spring.yaml:3:18: description: must be a string, not 5",
        "campsync.yaml:1:1: hots: unknown field 'hots' (did you mean 'host'?)",
        "campsync.yaml:10:5: environments.production.overides: unknown field 'overides' (did "
        "you mean 'overrides'?)",
    ]
    assert err.splitlines() == [
        "campsync: note: environment 'production' not checked: campsync.yaml has problems in "
        "it; fix them first",
        "3 problems: 2 in campsync.yaml, 1 in 1 of 1 file (environment 'staging')",
    ]
    assert project.validate("--env", "staging")[1] == out  # as chosen: the same
    code, out, err = project.validate("--env", "production")
    assert code == 1 and "campaigns/spring.yaml" not in out  # only as YAML: it loads
    assert "environment 'production' not checked" in err


def test_with_every_environment_broken_the_files_are_checked_as_yaml(project: Project) -> None:
    # Which overrides each file gets is unknown: a schema check would mislead (a caller id
    # the overrides would give, say), whether a file loads does not.
    project.config("environments:\n  staging: {overides: {}}\n")
    project.campaign("spring.yaml", campaign_body("Spring", priority=8))
    (project.root / "campaigns" / "broken.yaml").write_text("name: [unclosed\n")

    code, out, err = project.validate()

    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("campaigns/broken.yaml:2:1: YAML syntax error")
    assert lines[1].startswith("campsync.yaml:2:13: environments.staging.overides: unknown field")
    assert len(lines) == 2  # spring.yaml loads: no verdict on its priority without overrides
    assert err.splitlines()[:2] == [
        "campsync: note: environment 'staging' not checked: campsync.yaml has problems in it; "
        "fix them first",
        "campsync: note: 2 files checked only as YAML, as no environment that could be "
        "checked includes them (campsync.yaml has problems)",
    ]
