"""`experienceFlowName` against `experienceFlows` (issue 21, contract "Version 0.3 >
References"): when campsync.yaml maps flows (at the top level or in the environment), a
name it lacks fails `validate` (and so plan and apply) at the line that wrote it, the file's
or campsync.yaml's when an override set it, with the closest names. No call lists flows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from campsync.campaign.reader import read_campaign_files
from tests.fixtures_environments import Project
from tests.fixtures_workspace import Workspace

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "campaigns" / "product-feedback.yaml"  # Agentless, flow on line 42
FLOW_LINE = 42
FLOWS = """\
experienceFlows:
  Voice Survey Entry Flow: cf-ecfa3927-eabc-52c4-8373-8a0b75d00001
  Payment Reminder Flow: cf-ecfa3927-eabc-52c4-8373-8a0b75d00002
"""
MISSPELT = "Voice Survey Entry Flo"
NOT_MAPPED = (
    "'Voice Survey Entry Flo' is not one of the flows experienceFlows maps in campsync.yaml "
    "(closest: 'Voice Survey Entry Flow')"
)


def example(flow: str | None = None, name: str | None = None) -> str:
    """The example Agentless campaign's text, with another flow name and campaign name."""
    text = EXAMPLE.read_text(encoding="utf-8")
    if flow is not None:
        text = text.replace(
            "experienceFlowName: Voice Survey Entry Flow", f"experienceFlowName: {flow}"
        )
    if name is not None:
        text = text.replace("name: Product Feedback Voice Campaign", f"name: {name}")
    return text


# ---- plain files --------------------------------------------------------------------------


def test_a_flow_name_the_mapping_lacks_fails_at_its_line(project: Project) -> None:
    project.config(FLOWS)
    project.campaign("feedback.yaml", example(MISSPELT))
    project.campaign("good.yaml", example(name="Another Campaign"))

    code, out, err = project.validate()

    assert code == 1
    assert out == f"campaigns/feedback.yaml:{FLOW_LINE}:21: experienceFlowName: {NOT_MAPPED}\n"
    assert err == "1 problem in 1 of 2 files\n"
    code, out, _ = project.validate("--format", "json")
    [problem] = json.loads(out)
    assert (problem["line"], problem["column"], problem["path"]) == (
        FLOW_LINE,
        21,
        "experienceFlowName",
    )


def test_names_match_exactly_and_without_a_close_one_the_mapping_is_named(
    project: Project,
) -> None:
    project.config(FLOWS)
    project.campaign("case.yaml", example("voice survey entry flow", name="Case"))
    project.campaign("far.yaml", example("Outbound IVR", name="Far"))

    code, out, _ = project.validate()

    assert code == 1
    assert out.splitlines() == [
        f"campaigns/case.yaml:{FLOW_LINE}:21: experienceFlowName: 'voice survey entry flow' is "
        "not one of the flows experienceFlows maps in campsync.yaml (closest: 'Voice Survey "
        "Entry Flow')",
        f"campaigns/far.yaml:{FLOW_LINE}:21: experienceFlowName: 'Outbound IVR' is not one of "
        "the flows experienceFlows maps in campsync.yaml (it maps 'Payment Reminder Flow', "
        "'Voice Survey Entry Flow')",
    ]


@pytest.mark.parametrize(
    "config", ["", "host: https://platform.kore.ai\n", "experienceFlows: {}\n"]
)
def test_without_a_mapping_flow_names_are_not_checked(project: Project, config: str) -> None:
    project.config(config)
    project.campaign("feedback.yaml", example(MISSPELT))

    assert project.validate()[0] == 0


def test_a_flow_name_is_checked_even_in_a_file_with_other_problems(project: Project) -> None:
    project.config(FLOWS)
    path = project.campaign("feedback.yaml", example(MISSPELT))
    path.write_text(path.read_text().replace('priority: "5"', "priority: 9"), encoding="utf-8")

    code, out, _ = project.validate()

    assert code == 1
    assert [line.split(": ")[1] for line in out.splitlines()] == ["priority", "experienceFlowName"]


def test_the_names_are_read_from_another_config_file_too(project: Project) -> None:
    (project.root / "other.yaml").write_text(FLOWS, encoding="utf-8")
    project.campaign("feedback.yaml", example(MISSPELT))

    assert project.validate()[0] == 0  # no campsync.yaml: no mapping
    code, out, _ = project.validate("--config", "other.yaml")
    assert code == 1 and NOT_MAPPED in out


def test_a_mapping_of_campsync_yaml_with_problems_still_checks_the_flows(
    project: Project,
) -> None:
    project.config(FLOWS + "safety: {maxUpdatePercent: lots}\n")
    project.campaign("feedback.yaml", example(MISSPELT))

    code, out, _ = project.validate()

    assert code == 1
    assert f"campaigns/feedback.yaml:{FLOW_LINE}:21: experienceFlowName: {NOT_MAPPED}" in out
    assert "campsync.yaml:4:" in out  # and campsync.yaml's own problem


def test_a_remembered_file_is_checked_against_the_flows_of_this_run(project: Project) -> None:
    """The memo of problem-free files (the cache) keeps no verdict on flow names: the
    mapping may change while the file does not."""
    from campsync.campaign.validation import FileCheck

    class Memo:
        def __init__(self) -> None:
            self.known: dict[tuple[str, str], FileCheck] = {}

        def recall(self, file: str, digest: str) -> FileCheck | None:
            return self.known.get((file, digest))

        def remember(self, file: str, digest: str, check: FileCheck) -> None:
            self.known[(file, digest)] = check

    memo = Memo()
    project.campaign("feedback.yaml", example(MISSPELT))
    first = read_campaign_files([Path("campaigns")], memo=memo)
    assert first.problems == [] and len(memo.known) == 1
    again = read_campaign_files([Path("campaigns")], flows={"Voice Survey Entry Flow"}, memo=memo)
    [problem] = again.problems
    assert (problem.file, problem.line, problem.column) == (
        "campaigns/feedback.yaml",
        FLOW_LINE,
        21,
    )


# ---- environments --------------------------------------------------------------------------

ENVIRONMENTS = """\
experienceFlows:
  Voice Survey Entry Flow: cf-ecfa3927-eabc-52c4-8373-8a0b75d00001
environments:
  staging:
    experienceFlows:
      Staging Only Flow: cf-11111111-1111-4111-8111-111111111111
  production:
    experienceFlows:
      Production Flow: cf-22222222-2222-4222-8222-222222222222
    overrides:
      Product Feedback Voice Campaign:
        experienceFlowName: Production Flo
"""


def test_each_environment_checks_its_own_mapping_with_the_top_level(project: Project) -> None:
    project.config(ENVIRONMENTS)
    project.campaign("feedback.yaml", example())  # Voice Survey Entry Flow: the top level maps it
    project.campaign("staging.yaml", example("Staging Only Flow", name="Staging Campaign"))

    code, out, _ = project.validate("--env", "staging")
    assert (code, out) == (0, "")

    code, out, _ = project.validate("--env", "production")
    assert code == 1
    assert out.splitlines() == [
        # the file's own flow name, which production does not map
        f"campaigns/staging.yaml:{FLOW_LINE}:21: experienceFlowName: 'Staging Only Flow' is "
        "not one of the flows experienceFlows maps in campsync.yaml (it maps 'Production "
        "Flow', 'Voice Survey Entry Flow')",
        # the override's flow name, where campsync.yaml writes it
        "campsync.yaml:12:29: experienceFlowName: 'Production Flo' is not one of the flows "
        "experienceFlows maps in campsync.yaml (closest: 'Production Flow') (environment "
        "'production', campaign 'Product Feedback Voice Campaign')",
    ]


def test_validate_without_env_checks_every_environment_with_its_mapping(
    project: Project,
) -> None:
    project.config(ENVIRONMENTS)
    project.campaign("feedback.yaml", example())
    project.campaign("staging.yaml", example("Staging Only Flow", name="Staging Campaign"))

    code, out, _ = project.validate()

    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0] == (
        f"campaigns/staging.yaml:{FLOW_LINE}:21: experienceFlowName: 'Staging Only Flow' is "
        "not one of the flows experienceFlows maps in campsync.yaml (it maps 'Production "
        "Flow', 'Voice Survey Entry Flow') (environment 'production')"
    )
    assert lines[1].startswith("campsync.yaml:12:29: experienceFlowName: 'Production Flo'")


def test_a_flow_set_for_every_campaign_is_reported_once_at_the_override(
    project: Project,
) -> None:
    project.config(
        FLOWS + "environments:\n"
        "  staging:\n"
        "    overrides:\n"
        '      "*": {experienceFlowName: Payment Reminder Flw}\n'
    )
    for index in range(3):
        project.campaign(f"c{index}.yaml", example(name=f"Campaign {index}"))

    code, out, _ = project.validate("--env", "staging")

    assert code == 1
    assert out == (
        "campsync.yaml:7:33: experienceFlowName: 'Payment Reminder Flw' is not one of the "
        "flows experienceFlows maps in campsync.yaml (closest: 'Payment Reminder Flow') "
        "(environment 'staging', campaigns 'Campaign 0', 'Campaign 1' and 'Campaign 2')\n"
    )


def test_files_in_no_environment_are_checked_against_the_top_level(project: Project) -> None:
    project.config(FLOWS + "environments:\n  staging:\n    campaigns: [staging/**]\n")
    project.campaign("staging/ok.yaml", example(name="Staged"))
    project.campaign("elsewhere/feedback.yaml", example(MISSPELT))

    code, out, _ = project.validate()

    assert code == 1
    assert (
        out
        == f"campaigns/elsewhere/feedback.yaml:{FLOW_LINE}:21: experienceFlowName: {NOT_MAPPED}\n"
    )


def test_an_environment_checked_despite_campsync_yaml_problems_keeps_its_flows(
    project: Project,
) -> None:
    project.config(ENVIRONMENTS + "safety: {maxUpdatePercent: lots}\n")
    project.campaign("staging.yaml", example("Staging Only Flo", name="Staging Campaign"))

    code, out, _ = project.validate("--env", "staging")

    assert code == 1
    assert (
        f"campaigns/staging.yaml:{FLOW_LINE}:21: experienceFlowName: 'Staging Only Flo' is not "
        "one of the flows experienceFlows maps in campsync.yaml (closest: 'Staging Only Flow')"
    ) in out.splitlines()


def test_the_example_campaigns_pass_with_the_emulator_settings(
    project: Project, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "campaigns", tmp_path / "campaigns", dirs_exist_ok=True)
    shutil.copy(ROOT / "examples" / "emulator.campsync.yaml", tmp_path / "campsync.yaml")

    assert project.validate()[0] == 0


def test_plan_and_apply_validate_the_flow_names_first(ws: Workspace) -> None:
    ws.config(FLOWS)
    ws.write("feedback.yaml", example(MISSPELT))
    for command in (("plan",), ("apply", "--auto-approve")):
        result = ws.cli(*command)
        assert result.code == 1, command
        assert f"campaigns/feedback.yaml:{FLOW_LINE}:21: experienceFlowName: {NOT_MAPPED}" in (
            result.err
        )
    assert ws.store.stats()["total"] == 0  # refused before the platform was asked anything
    ws.config(FLOWS.replace("Voice Survey Entry Flow:", f"{MISSPELT}:"))
    assert ws.cli("plan").code == 0
