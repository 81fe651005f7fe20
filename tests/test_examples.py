"""The example pipelines cannot rot: their steps run, in pipeline order, against the emulator,
on a copy of the example campaigns (GitHub: the campsync action's steps and every line that
runs campsync, with `gh` a stand-in that records its calls; GitLab: every line that runs
campsync); the drift workflow opens, updates and closes its issue; and the pre-commit hook
works as declared."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from campsync.cli import main
from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import campaign_body, seed_ready, wait_ready
from tests.fixtures_examples import example_repository, saved_plans
from tests.git_repos import as_pull_request
from tests.github_steps import (
    GhStub,
    condition,
    expand,
    is_campsync_action,
    load_yaml,
    run_shell,
    use_action,
)

REPO = Path(__file__).resolve().parent.parent
GITHUB = REPO / "examples" / "github-actions.yml"
GITLAB = REPO / "examples" / "gitlab-ci.yml"
DRIFT = REPO / "examples" / "github-drift.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
# Where a shell line stops being campsync's arguments.
_OPERATOR = re.compile(r"^(\d?>>?|<|\|\|?|&&?|;)")


def campsync_argv(block: str) -> Iterator[list[str]]:
    """The campsync invocations of a run:/script: block, one per line, as argv without the
    program name (redirections and `|| ...` tails dropped)."""
    for line in block.splitlines():
        if not line.strip().startswith("campsync "):
            continue
        tokens = shlex.split(line, comments=True)
        if not tokens or tokens[0] != "campsync":
            continue
        argv: list[str] = []
        for token in tokens[1:]:
            if _OPERATOR.match(token):
                break
            argv.append(token)
        yield argv


# What a workflow's expressions stand for in these runs (GitHub's own values are made up).
GITHUB_VALUES = {
    "github.token": "gh-token-of-the-run",
    "github.event.pull_request.number": "7",
    "github.server_url": "https://github.example",
    "github.repository": "acme/campaigns",
    "github.run_id": "42",
    "github.base_ref": "main",
    "github.sha": "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    "github.workflow": "campaigns",
}


@dataclass
class Failed:
    """The step that failed a job, and what it said."""

    step: str
    log: str


class GitHubRun:
    """Runs a workflow's jobs step by step, as a runner would after checkout: a step whose
    `if:` is false is skipped, and the first step that fails ends the job; the campsync action
    through its script, `run:` lines that start campsync in this process, other `run:` blocks
    in bash with the stand-in gh; other actions (checkout, cache) are GitHub's.
    `variables`: the repository's variables (`vars.NAME`)."""

    def __init__(
        self,
        scratch: Path,
        capsys: pytest.CaptureFixture[str],
        variables: Mapping[str, str] | None = None,
    ) -> None:
        self.scratch = scratch
        self.capsys = capsys
        self.variables = dict(variables or {})
        self.gh = GhStub(scratch / "gh")
        self.results: list[tuple[str, str, int, str]] = []  # (pipeline, command, code, log)
        self.outputs: dict[str, dict[str, str]] = {}  # step id -> its outputs
        self.artifacts: list[Path] = []
        self.ran: list[str] = []  # the steps run (skipped ones left out), by name

    def values(self) -> dict[str, str]:
        values = dict(GITHUB_VALUES)
        values.update({f"vars.{name}": value for name, value in self.variables.items()})
        for step_id, outputs in self.outputs.items():
            values.update({f"steps.{step_id}.outputs.{k}": v for k, v in outputs.items()})
        return values

    def job(self, pipeline: str, job: Mapping[str, Any]) -> Failed | None:
        """Run the job; the step that failed it, if one did."""
        self.outputs = {}
        for number, step in enumerate(job["steps"]):
            if "if" in step and not condition(step["if"], self.values()):
                continue
            self.ran.append(str(step.get("name", step.get("uses", number))))
            failed: Failed | None = None
            if is_campsync_action(step):
                failed = self._action(pipeline, step, number)
            elif "run" in step:
                failed = self._run(pipeline, step)
            elif str(step.get("uses", "")).startswith("actions/upload-artifact@"):
                paths = expand(step["with"]["path"], self.values()).split()
                self.artifacts.extend(Path(path) for path in paths)
            if failed is not None:
                return failed
        return None

    def _action(self, pipeline: str, step: Mapping[str, Any], number: int) -> Failed | None:
        inputs = {k: expand(str(v), self.values()) for k, v in (step.get("with") or {}).items()}
        run = use_action(inputs, self.scratch / f"{pipeline}-{number}")
        log = self.capsys.readouterr()
        command = step["with"]["command"]
        if run.code != 0:
            return Failed(step["name"], log.out + log.err)
        code = 2 if run.outputs.get("changes") == "true" else run.code
        self.results.append((pipeline, command, code, log.out))
        if "id" in step:
            self.outputs[step["id"]] = run.outputs
        return None

    def _run(self, pipeline: str, step: Mapping[str, Any]) -> Failed | None:
        commands = list(campsync_argv(step["run"]))
        if commands:
            self.results.extend(run_commands([(pipeline, commands)], self.capsys))
            return None
        env = {k: expand(str(v), self.values()) for k, v in step.get("env", {}).items()}
        done = run_shell(
            step["run"], {**os.environ, **self.gh.env(), **env}, Path.cwd(), check=False
        )
        if done.returncode != 0:
            return Failed(step["name"], done.stdout + done.stderr)
        return None


def github_jobs(doc: Mapping[str, Any], event: str) -> list[Mapping[str, Any]]:
    return [
        job
        for job in doc["jobs"].values()
        if f"github.event_name == '{event}'" in job.get("if", "")
    ]


def _gitlab_runs_in(job: Mapping[str, Any], pipeline: str) -> bool:
    rules = job.get("rules")
    if not rules:
        return True
    wanted = "merge_request_event" if pipeline == "merge_request" else "CI_DEFAULT_BRANCH"
    return any("if" not in rule or wanted in rule["if"] for rule in rules)


def gitlab_pipelines(doc: Mapping[str, Any]) -> list[tuple[str, list[list[str]]]]:
    """(pipeline, commands): the merge-request pipeline, then the default-branch one, each in
    stage order."""
    stages = doc["stages"]
    jobs = [
        (name, job)
        for name, job in doc.items()
        if isinstance(job, Mapping) and "script" in job and not name.startswith(".")
    ]
    jobs.sort(key=lambda item: stages.index(item[1]["stage"]))
    pipelines: list[tuple[str, list[list[str]]]] = []
    for pipeline in ("merge_request", "default_branch"):
        commands: list[list[str]] = []
        for _, job in jobs:
            if _gitlab_runs_in(job, pipeline):
                for line in job["script"]:
                    commands.extend(campsync_argv(line))
        pipelines.append((pipeline, commands))
    return pipelines


def static_env(env: Mapping[str, Any] | None) -> dict[str, str]:
    """The example's environment values that need no CI secret or variable."""
    return {k: str(v) for k, v in (env or {}).items() if "$" not in str(v)}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A campaigns repository: a copy of the example campaigns and a campsync.yaml that maps
    the emulator's experience flows, as the working directory, checked out as a pull request
    (its base branch fetched as origin/main)."""
    example_repository(tmp_path)
    as_pull_request(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_commands(
    pipelines: list[tuple[str, list[list[str]]]], capsys: pytest.CaptureFixture[str]
) -> list[tuple[str, str, int, str]]:
    """Run every command; (pipeline, subcommand, exit code, stdout) for each."""
    results: list[tuple[str, str, int, str]] = []
    for pipeline, commands in pipelines:
        for argv in commands:
            code = main(argv)
            out, err = capsys.readouterr()
            results.append((pipeline, argv[0], code, out))
            assert code in (0, 2), f"campsync {shlex.join(argv)} exited {code}:\n{out}{err}"
    return results


def assert_gitops_run(
    results: list[tuple[str, str, int, str]], expected: list[tuple[str, str]]
) -> None:
    """The commands ran in the expected pipelines and order, with the expected exit codes."""
    assert [(pipeline, command) for pipeline, command, _, _ in results] == expected
    review, merge = expected[0][0], expected[-1][0]
    for pipeline, command, code, _ in results:
        if command in ("validate", "apply"):
            assert code == 0, (pipeline, command)
    plans = [(p, code, out) for p, c, code, out in results if c == "plan"]
    # Review: the example campaigns are not on the (empty) emulator yet: changes (exit 2),
    # and the Markdown for the comment names them.
    [(_, review_code, review_plan)] = [plan for plan in plans if plan[0] == review]
    assert review_code == 2
    assert "Product Feedback Voice Campaign" in review_plan
    # Merge: after apply, nothing is left to change.
    assert [code for p, code, _ in plans if p == merge] == [0]


def assert_final_plan_empty(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--detailed-exitcode"])
    out, err = capsys.readouterr()
    assert code == 0, out + err


def test_github_actions_example_runs_against_the_emulator(
    workflow: Mapping[str, Any],
    cli_env: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert "pull_request" in workflow["on"] and workflow["on"]["push"]["branches"] == ["main"]
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    github = GitHubRun(tmp_path / "github", capsys)

    for event in ("pull_request", "push"):
        for job in github_jobs(workflow, event):
            assert github.job(event, job) is None
        if event == "pull_request":
            [comment] = github.gh.calls()  # the plan, as the pull request's comment
            assert comment["args"][:4] == ["pr", "comment", "7", "--body-file"]
            assert comment["args"][5:] == ["--edit-last", "--create-if-none"]
            assert comment["body"].startswith("### campsync plan: 4 to create, 1 to start")
            # a pull request's plan: --since the base branch (creates need no read)
            assert "Compared in full since 'origin/main': 0 of 0 campaigns" in comment["body"]
            assert sorted(p.suffix for p in github.artifacts) == [".json", ".md"]
            assert all(p.is_file() for p in github.artifacts)

    assert_gitops_run(
        github.results,
        [
            ("pull_request", "validate"),
            ("pull_request", "plan"),
            ("push", "apply"),
            ("push", "plan"),
        ],
    )
    assert_final_plan_empty(capsys)
    # The campaign whose file says state: running was started on merge, once Ready.
    started = [c for c in cli_env.store.raw_campaigns() if c["status"] == "Active"]
    assert [c["name"] for c in started] == ["Past Due Payment Reminders"]
    log = [(e["kind"], e.get("campaignId")) for e in cli_env.store.requests()]
    assert log.index(("trigger", started[0]["_id"])) > log.index(("status", started[0]["_id"]))


@pytest.fixture
def workflow(
    cli_env: RunningEmulator, project: Path, monkeypatch: pytest.MonkeyPatch
) -> Mapping[str, Any]:
    """examples/github-actions.yml, with its environment values that need no secret set, run
    in the example repository against the emulator."""
    doc: Mapping[str, Any] = load_yaml(GITHUB)
    for key, value in static_env(doc.get("env")).items():
        monkeypatch.setenv(key, value)
    return doc


PLAN_STEPS = [
    "actions/checkout@v4",
    "actions/cache@v4",
    "Validate the campaign files",
    "Plan",
    "Comment the plan on the pull request",
    "Keep the plan",
]
REVIEWED = {"CAMPSYNC_APPLY_REVIEWED_PLAN": "true"}


def review_then_merge(
    doc: Mapping[str, Any], github: GitHubRun, between: Callable[[], object] = lambda: None
) -> tuple[Failed | None, Failed | None]:
    """The pull request's jobs, then (after `between`) the merge's (push to main), with `gh`
    telling the apply job about the pull request's last commit and its plan run, whose
    artifact it downloads; each one's failed step, if any."""
    [plan] = github_jobs(doc, "pull_request")
    [apply] = github_jobs(doc, "push")
    reviewed = github.job("pull_request", plan)
    between()
    github.gh.head, github.gh.run = "c0ffee" * 6 + "c0ff", "4242"
    github.gh.artifact = list(github.artifacts)
    return reviewed, github.job("push", apply)


def test_the_apply_on_merge_is_fresh_unless_the_reviewed_plan_is_asked_for(
    workflow: Mapping[str, Any],
    cli_env: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    github = GitHubRun(tmp_path / "fresh", capsys)
    assert review_then_merge(workflow, github) == (None, None)
    assert github.ran[: len(PLAN_STEPS)] == PLAN_STEPS  # no refusal: the check passes
    assert github.ran[len(PLAN_STEPS) :] == [
        "actions/checkout@v4",
        "actions/cache@v4",
        "Apply",
        "Check that nothing is left to change",
    ]
    assert [c["args"][:2] for c in github.gh.calls()] == [["pr", "comment"]]


def test_the_plan_reviewed_on_the_pull_request_is_what_runs_on_merge(
    workflow: Mapping[str, Any],
    cli_env: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    github = GitHubRun(tmp_path / "reviewed", capsys, variables=REVIEWED)
    assert review_then_merge(workflow, github) == (None, None)
    assert github.ran[len(PLAN_STEPS) :] == [
        "actions/checkout@v4",
        "actions/cache@v4",
        "Download the plan reviewed on the pull request",
        "Apply the reviewed plan",
        "Check that nothing is left to change",
    ]
    calls = [c["args"] for c in github.gh.calls()][1:]  # after the plan's comment
    head = github.gh.head
    assert calls == [
        ["api", f"repos/acme/campaigns/commits/{GITHUB_VALUES['github.sha']}/pulls",
         "--jq", ".[0].head.sha // empty"],
        ["run", "list", "--workflow", "campaigns", "--event", "pull_request", "--commit", head,
         "--status", "success", "--limit", "1", "--json", "databaseId",
         "--jq", ".[0].databaseId // empty"],
        ["run", "download", "4242", "--name", "campsync-plan", "--dir", "reviewed-plan"],
    ]  # fmt: skip
    [(_, _, code, log)] = [r for r in github.results if r[:2] == ("push", "apply")]
    assert code == 0
    # The four creates and the start of the campaign whose file says state: running.
    assert "Applying the saved plan reviewed-plan/campsync-plan.json: 5 change(s)." in log
    assert 'applied: start "Past Due Payment Reminders"' in log
    assert len(cli_env.store.raw_campaigns()) == 4
    assert [r[2] for r in github.results if r[:2] == ("push", "plan")] == [0]  # nothing left


def test_a_reviewed_plan_gone_stale_is_refused_on_merge_and_writes_nothing(
    workflow: Mapping[str, Any],
    cli_env: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    github = GitHubRun(tmp_path / "stale", capsys, variables=REVIEWED)
    # After the review, someone makes one of the planned campaigns in the web UI.
    reviewed, failed = review_then_merge(
        workflow, github, lambda: seed_ready(cli_env, campaign_body("Webinar Signup Follow-up"))
    )
    assert reviewed is None
    assert failed is not None and failed.step == "Apply the reviewed plan"
    assert (
        "campsync: error: the plan is out of date: campaign 'Webinar Signup Follow-up' was "
        "created on the platform after the plan was made; nothing was applied, plan again"
    ) in failed.log.splitlines()
    assert [r["name"] for r in cli_env.store.raw_campaigns()] == ["Webinar Signup Follow-up"]


def test_without_a_successful_plan_of_the_pull_request_nothing_is_applied(
    workflow: Mapping[str, Any],
    cli_env: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    github = GitHubRun(tmp_path / "none", capsys, variables=REVIEWED)
    [apply] = github_jobs(workflow, "push")
    github.gh.head = "c0ffee" * 6 + "c0ff"  # its plan run failed (or is gone): none listed
    failed = github.job("push", apply)
    assert failed is not None and failed.step == "Download the plan reviewed on the pull request"
    assert "::error title=campsync::no successful plan of the pull request's last commit" in (
        failed.log
    )
    assert cli_env.store.raw_campaigns() == []


def test_gitlab_ci_example_runs_against_the_emulator(
    cli_env: RunningEmulator,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = load_yaml(GITLAB)
    for key, value in static_env(doc.get("variables")).items():
        monkeypatch.setenv(key, value)

    results = run_commands(gitlab_pipelines(doc), capsys)

    assert_gitops_run(
        results,
        [
            ("merge_request", "validate"),
            ("merge_request", "plan"),
            ("default_branch", "validate"),
            ("default_branch", "apply"),
            ("default_branch", "plan"),
        ],
    )
    assert_final_plan_empty(capsys)


def refusing_change(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The example campaigns applied, then a pull request changing 2 of the 4 (50%) with
    minExisting 4: apply would refuse it (maxUpdatePercent 30)."""
    config = project / "campsync.yaml"
    config.write_text(config.read_text() + "safety:\n  minExisting: 4\n")
    assert main(["apply", "--auto-approve"]) == 0
    capsys.readouterr()
    for name in ("q4-renewals.yaml", "webinar-followup.yaml"):
        path = project / "campaigns" / name
        path.write_text(path.read_text().replace("\npriority: ", "\npriority: 1 #", 1))


def test_a_plan_apply_would_refuse_fails_the_pull_requests_check(
    workflow: Mapping[str, Any],
    cli_env: RunningEmulator,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """After its comment (which says why, at the top) and its artifact: the merge button
    shows a failed check before anyone merges."""
    refusing_change(project, capsys)
    wait_ready(cli_env)
    github = GitHubRun(tmp_path / "refused", capsys)
    [plan] = github_jobs(workflow, "pull_request")
    failed = github.job("pull_request", plan)
    assert failed is not None and failed.step == "Fail the check when apply would refuse the plan"
    assert failed.log.startswith("::error title=campsync::apply will refuse this plan")
    assert github.ran == [*PLAN_STEPS, failed.step]
    [comment] = github.gh.calls()
    assert comment["body"].splitlines()[2:5] == [
        "> [!CAUTION]",
        "> **apply will refuse this plan without --force:**",
        "> - updates 2 of 4 campaigns (50%) \\> maxUpdatePercent 30",
    ]
    assert sorted(p.suffix for p in github.artifacts) == [".json", ".md"]


def test_the_gitlab_plan_job_fails_when_apply_would_refuse_the_plan(tmp_path: Path) -> None:
    """Its line that reads the saved plan, run in bash."""
    doc = load_yaml(GITLAB)
    [line] = [line for line in doc["plan"]["script"] if '"refusal"' in line]
    refused, within = saved_plans(tmp_path)
    failed = run_shell(line, dict(os.environ), refused, check=False)
    assert failed.returncode == 1
    assert (
        failed.stdout
        == "campsync: apply will refuse this plan without --force (the plan says why)\n"
    )
    assert run_shell(line, dict(os.environ), within, check=False).returncode == 0


def test_examples_take_credentials_from_the_secret_store_and_cache_the_cache_dir() -> None:
    for path in (GITHUB, DRIFT):
        text = path.read_text()
        for name in ("KORE_CLIENT_ID", "KORE_CLIENT_SECRET"):
            assert f"{name}: ${{{{ secrets.{name} }}}}" in text
        doc = load_yaml(path)
        assert doc["env"]["CAMPSYNC_CACHE_DIR"] == ".campsync/cache"
        steps = [step for job in doc["jobs"].values() for step in job["steps"]]
        cached = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
        assert cached and all(s["with"]["path"] == ".campsync/cache" for s in cached)
        # campsync comes through the action, pinned to a tag.
        assert all(
            re.fullmatch(r"\S+/campsync@v[\d.]+", s["uses"]) for s in steps if is_campsync_action(s)
        )

    gitlab = load_yaml(GITLAB)
    assert gitlab["variables"]["CAMPSYNC_CACHE_DIR"] == ".campsync/cache"
    assert ".campsync/cache" in gitlab["default"]["cache"]["paths"]
    [install] = gitlab["default"]["before_script"]
    assert re.fullmatch(r'pip install "git\+https://\S+/campsync@v[\d.]+"', install)
    for path in (GITHUB, GITLAB, DRIFT):
        assert "KORE_CLIENT_SECRET=" not in path.read_text()  # never a secret value in a file


# ---- drift detection -------------------------------------------------------------------------


def test_the_drift_workflow_opens_updates_and_closes_one_issue(
    cli_env: RunningEmulator,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    doc = load_yaml(DRIFT)
    assert "schedule" in doc["on"] and "workflow_dispatch" in doc["on"]
    [job] = doc["jobs"].values()
    for key, value in static_env(doc.get("env")).items():
        monkeypatch.setenv(key, value)
    github = GitHubRun(tmp_path / "drift", capsys)

    def drift_run(open_issue: str) -> list[dict[str, Any]]:
        github.gh.open_issue = open_issue
        assert github.job("schedule", job) is None
        return github.gh.calls()

    # The platform lacks the campaigns of main: drift. No issue is open: one is opened.
    calls = drift_run("")
    assert [c["args"][:2] for c in calls] == [
        ["issue", "list"],
        ["label", "create"],
        ["issue", "create"],
    ]
    assert calls[0]["args"][2:4] == ["--label", "campsync-drift"]
    create = calls[-1]
    assert create["args"][2:6] == [
        "--title",
        "campsync: the platform has drifted from main",
        "--label",
        "campsync-drift",
    ]
    assert "https://github.example/acme/campaigns/actions/runs/42" in create["body"]
    assert "### campsync plan: 4 to create" in create["body"]
    assert "Product Feedback Voice Campaign" in create["body"]
    assert len(create["body"]) <= 65_536

    # Still drifted, issue 12 open: it is updated, not opened again.
    calls = drift_run("12")
    assert [c["args"][:3] for c in calls] == [["issue", "list", "--label"], ["issue", "edit", "12"]]
    assert "### campsync plan: 4 to create" in calls[-1]["body"]

    # main is applied: no drift; the open issue is closed.
    assert main(["apply", "--auto-approve"]) == 0
    capsys.readouterr()
    calls = drift_run("12")
    assert [c["args"][:3] for c in calls] == [
        ["issue", "list", "--label"],
        ["issue", "close", "12"],
    ]
    assert "matches main again" in calls[-1]["args"][-1]

    # No drift and nothing open: nothing to do.
    assert [c["args"][:2] for c in drift_run("")] == [["issue", "list"]]
    assert [(c, code) for _, c, code, _ in github.results] == [
        ("plan", 2),
        ("plan", 2),
        ("plan", 0),
        ("plan", 0),
    ]


# ---- pre-commit --------------------------------------------------------------------------------


def test_pre_commit_hook_definition() -> None:
    [hook] = load_yaml(HOOKS)
    assert hook["id"] == "campsync-validate"
    assert hook["entry"] == "campsync validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False  # the whole folder, every run (issue 10, item 7)
    assert hook["require_serial"] is True
    files = re.compile(hook["files"])
    # campsync.yaml too: its environments and overrides are checked (issue 18, item 15)
    for path in ("campaigns/a.yaml", "campaigns/team/b.yml", "campsync.yaml"):
        assert files.search(path), path
    for path in ("README.md", "team/campsync.yaml", ".github/workflows/x.yml",
                 "campaigns/notes.txt", "campsync.yaml.bak"):  # fmt: skip
        assert not files.search(path), path


def test_pre_commit_hook_entry_validates_the_files_it_is_given(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hook's command as declared: the entry and its args, and no file names (the
    hook checks the whole folder, tests/test_precommit_hook.py)."""
    [hook] = load_yaml(HOOKS)
    entry = shlex.split(hook["entry"])
    assert entry[0] == "campsync"
    assert main([*entry[1:], *hook.get("args", [])]) == 0

    bad = project / "campaigns" / "bad.yaml"
    bad.write_text("name: Broken\npriority: 9\n")
    assert main([*entry[1:], *hook.get("args", [])]) == 1
    out, _ = capsys.readouterr()
    assert "campaigns/bad.yaml:" in out
