"""action.yml, the GitHub Action: its interface, how it installs campsync (from its own
checkout, never by name), and its steps run outside GitHub: the install step with a stand-in
`python`, the campsync step in bash against the emulator (a plan with changes, one without)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from campsync.cli import main
from campsync.config.target import Target
from campsync.emulator.catalog import default_catalog
from campsync.emulator.runner import RunningEmulator
from campsync.sync.plan import Change, Plan, Refusal
from campsync.sync.planfile import save_plan
from tests.fixtures_emulator import subprocess_env, wait_ready
from tests.fixtures_examples import example_repository
from tests.github_steps import (
    ACTION,
    REPO,
    action_inputs,
    action_script,
    action_step,
    expand,
    github_files,
    load_yaml,
    outputs_of,
    run_shell,
    use_action,
)

# `pip install campsync` (or with options before the name): the package index's campsync,
# which is not this project's.
BARE_INSTALL = re.compile(r"pip3? install\s+(-\S+\s+)*[\"']?campsync([\s\"'\]=<>]|$)")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A campaigns repository (the example campaigns, flows mapped) as the working directory."""
    root = example_repository(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root


def test_the_interface() -> None:
    doc = load_yaml(ACTION)
    assert set(doc["inputs"]) == {"command", "path", "environment", "args", "python-version"}
    assert doc["inputs"]["command"]["required"] is True
    assert doc["inputs"]["path"]["default"] == "campaigns"
    assert doc["inputs"]["environment"]["default"] == ""
    assert set(doc["outputs"]) == {"changes", "refused", "plan-file", "plan-json"}
    for name, output in doc["outputs"].items():
        assert output["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    assert doc["runs"]["using"] == "composite"
    for step in doc["runs"]["steps"]:
        # Inputs reach the shell through the environment only (no script injection).
        assert "${{" not in step.get("run", ""), step


def test_campsync_is_installed_from_the_checkout_and_never_by_name() -> None:
    steps = load_yaml(ACTION)["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert (
        'pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"' in steps[1]["run"]
    )
    texts = [
        ACTION,
        REPO / "README.md",
        *sorted((REPO / "examples").iterdir()),
        *sorted((REPO / "campsync" / "templates").iterdir()),
    ]
    for path in texts:
        text = path.read_text(encoding="utf-8")
        assert not BARE_INSTALL.search(text), path
    assert BARE_INSTALL.search("run: pip install campsync")
    assert BARE_INSTALL.search("pip install --upgrade 'campsync>=0.2'")
    assert not BARE_INSTALL.search('pip install "git+https://github.com/o/campsync@v0.1.0"')


def test_the_install_step_installs_once_per_job(tmp_path: Path) -> None:
    """With a stand-in `python` that records how it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "python"
    stub.write_text(
        "#!/usr/bin/env bash\n"
        'echo "$*" >> "$STUB_LOG"\n'
        '[ "$1 $2" = "-m campsync" ] && exit "${STUB_CAMPSYNC_EXIT:-0}"\n'
        "exit 0\n"
    )
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls"
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "STUB_LOG": str(log),
        "RUNNER_TEMP": str(temp),
        "GITHUB_ACTION_PATH": str(REPO),
    }
    install = load_yaml(ACTION)["runs"]["steps"][1]["run"]
    pip = f"-m pip install --disable-pip-version-check --quiet {REPO}"

    run_shell(install, env, tmp_path)
    assert log.read_text().splitlines() == [pip]
    run_shell(install, env, tmp_path)  # a second use in the same job
    assert log.read_text().splitlines() == [pip, "-m campsync --version", "-m campsync --version"]
    run_shell(install, {**env, "STUB_CAMPSYNC_EXIT": "1"}, tmp_path)  # another Python: again
    assert log.read_text().splitlines()[-1] == pip


def test_inputs_become_one_campsync_command_line(tmp_path: Path) -> None:
    script = action_script()

    def argv(**inputs: str) -> list[str]:
        env = {f"CAMPSYNC_ACTION_{key.upper()}": value for key, value in inputs.items()}
        parsed = script.Inputs.from_env(env)
        _, plan_json = script.plan_files(parsed, tmp_path)
        line: list[str] = script.campsync_argv(parsed, plan_json)
        return [part.replace(str(tmp_path), "TMP") for part in line]

    assert argv(command="validate", path="campaigns") == ["validate", "campaigns"]
    assert argv(command="apply", path="campaigns") == ["apply", "campaigns", "--auto-approve"]
    assert argv(
        command="plan", path="teams/a", environment="staging", args="--refresh --only 'Q4 *'"
    ) == [
        "plan",
        "teams/a",
        "--env",
        "staging",
        "--detailed-exitcode",
        "--out",
        "TMP/campsync-plan-staging.json",
        "--refresh",
        "--only",
        "Q4 *",
    ]
    assert argv(command="plan", path="")[-2:] == ["--out", "TMP/campsync-plan.json"]
    assert argv(command="plan", environment="../x")[-1] == "TMP/campsync-plan-.._x.json"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"CAMPSYNC_ACTION_COMMAND": "destroy"}, "command must be one of validate, plan, apply"),
        ({"CAMPSYNC_ACTION_COMMAND": "plan", "CAMPSYNC_ACTION_ARGS": "'open"}, "args: "),
    ],
)
def test_bad_inputs_are_one_line(
    inputs: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert action_script().main(inputs) == 1
    err = capsys.readouterr().err
    assert err.startswith("campsync action: error: ") and message in err
    assert err.count("\n") == 1


def test_the_campsync_step_plans_in_bash_with_and_without_changes(
    cli_env: RunningEmulator, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    step = action_step("run")
    venv_bin = Path(sys.executable).parent  # `python` is the one campsync is installed in

    def run(command: str, scratch: str) -> tuple[str, dict[str, str], str]:
        files = github_files(tmp_path / scratch)
        inputs = action_inputs({"command": command})
        env = {name: expand(str(value), inputs) for name, value in step["env"].items()}
        environ = {**subprocess_env(cli_env), **files, **env}
        environ["PATH"] = f"{venv_bin}{os.pathsep}{environ['PATH']}"
        environ["GITHUB_ACTIONS"] = "true"
        done = run_shell(step["run"], environ, project)
        summary = Path(files["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
        return done.stdout, outputs_of(Path(files["GITHUB_OUTPUT"])), summary

    log, outputs, summary = run("plan", "first")
    assert outputs["changes"] == "true"
    assert "campsync will make these changes:" in log  # the full text plan in the job log
    markdown = Path(outputs["plan-file"]).read_text(encoding="utf-8")
    # The example campaign with state: running is started once created (issue 20).
    assert markdown.startswith("### campsync plan: 4 to create, 1 to start, 0 unchanged.")
    assert "Product Feedback Voice Campaign" in markdown
    assert (
        "| \\> | start | Past Due Payment Reminders |  | campaigns/payment-reminder.yaml "
        "| Preparing to Active (once Ready) |"
    ) in markdown
    assert summary == markdown  # small enough: the same in the job summary
    saved = json.loads(Path(outputs["plan-json"]).read_text(encoding="utf-8"))
    assert [c["action"] for c in saved["changes"]] == ["create"] * 4 + ["start"]
    assert saved["signature"].startswith("hmac-sha256:")  # `campsync apply FILE` can take it

    assert main(["apply", "--auto-approve"]) == 0  # (the action's apply: test_examples)
    capsys.readouterr()
    log, outputs, summary = run("plan", "again")
    assert outputs["changes"] == "false"
    assert summary.startswith("### campsync plan: no changes")


def test_an_environment_input_plans_that_environment(
    cli_env: RunningEmulator, project: Path, tmp_path: Path
) -> None:
    flows = default_catalog().experience_flows
    (project / "campsync.yaml").write_text(
        "environments:\n  staging:\n    experienceFlows:\n"
        + "".join(f"      {name}: {flow}\n" for name, flow in flows.items())
    )
    checked = use_action({"command": "validate", "environment": "staging"}, tmp_path / "check")
    assert checked.code == 0
    staged = use_action({"command": "plan", "environment": "staging"}, tmp_path / "staging")
    assert staged.code == 0
    assert staged.outputs["changes"] == "true"
    assert staged.outputs["plan-file"].endswith("/campsync-plan-staging.md")
    assert use_action({"command": "plan"}, tmp_path / "none").code == 1  # which environment?


def test_a_threshold_refusal_shows_in_the_outputs_and_the_job_summary(
    cli_env: RunningEmulator, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Against the emulator: 2 of the 4 campaigns changed crosses maxUpdatePercent (the step
    still succeeds: the example workflows fail their check on `refused`)."""
    (project / "campsync.yaml").write_text(
        (project / "campsync.yaml").read_text() + "safety:\n  minExisting: 4\n"
    )
    assert main(["apply", "--auto-approve"]) == 0
    capsys.readouterr()
    wait_ready(cli_env)
    for name in ("q4-renewals.yaml", "webinar-followup.yaml"):
        path = project / "campaigns" / name
        path.write_text(path.read_text().replace("\npriority: ", "\npriority: 1 #", 1))
    run = use_action({"command": "plan"}, tmp_path / "refused")
    assert run.code == 0
    assert (run.outputs["changes"], run.outputs["refused"]) == ("true", "true")
    reason = "updates 2 of 4 campaigns (50%) \\> maxUpdatePercent 30"
    assert run.summary.splitlines()[2:5] == [
        "> [!CAUTION]",
        "> **apply will refuse this plan without --force:**",
        f"> - {reason}",
    ]
    assert Path(run.outputs["plan-file"]).read_text(encoding="utf-8") == run.summary
    log = capsys.readouterr()
    assert "apply will refuse this plan without --force:" in log.out  # the text plan's top


def test_a_refused_plan_sets_refused_and_says_why_in_the_summary(tmp_path: Path) -> None:
    """From the saved plan alone: its refusal (test_examples.py: made by `plan` against the
    emulator, and failing the example's check)."""
    plan = dataclasses.replace(
        Plan.of([Change("update", "Q4", "cd-1", "q4.yaml", body={})], existing=1),
        refusal=Refusal(("updates 1 of 1 campaign (100%) > maxUpdatePercent 30",)),
    )
    files = github_files(tmp_path / "refused")
    plan_json, markdown = tmp_path / "plan.json", tmp_path / "plan.md"
    save_plan(plan_json, plan, Target("https://platform.kore.ai", "st-1", "acc-1"))
    script = action_script()
    assert script.write_plan_outputs(["plan"], plan_json, markdown, files)
    outputs = outputs_of(Path(files["GITHUB_OUTPUT"]))
    assert (outputs["changes"], outputs["refused"]) == ("true", "true")
    summary = Path(files["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.splitlines()[2:5] == [
        "> [!CAUTION]",
        "> **apply will refuse this plan without --force:**",
        "> - updates 1 of 1 campaign (100%) \\> maxUpdatePercent 30",
    ]
    assert markdown.read_text(encoding="utf-8") == summary

    save_plan(plan_json, dataclasses.replace(plan, refusal=None), Target("h", "s", "a"))
    again = github_files(tmp_path / "within")
    script.write_plan_outputs(["plan"], plan_json, markdown, again)
    assert outputs_of(Path(again["GITHUB_OUTPUT"]))["refused"] == "false"
    assert "CAUTION" not in Path(again["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
