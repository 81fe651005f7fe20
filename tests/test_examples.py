"""The example pipelines cannot rot: their campsync commands run, in pipeline order, against
the emulator, on a copy of the example campaigns; and the pre-commit hook works as declared."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from campsync.cli import main
from campsync.emulator.catalog import default_catalog
from campsync.emulator.runner import RunningEmulator

REPO = Path(__file__).resolve().parent.parent
GITHUB = REPO / "examples" / "github-actions.yml"
GITLAB = REPO / "examples" / "gitlab-ci.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
# Where a shell line stops being campsync's arguments.
_OPERATOR = re.compile(r"^(\d?>>?|<|\|\|?|&&?|;)")


def load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def campsync_argv(block: str) -> Iterator[list[str]]:
    """The campsync invocations of a run:/script: block, one per line, as argv without the
    program name (redirections and `|| ...` tails dropped)."""
    for line in block.splitlines():
        tokens = shlex.split(line, comments=True)
        if not tokens or tokens[0] != "campsync":
            continue
        argv: list[str] = []
        for token in tokens[1:]:
            if _OPERATOR.match(token):
                break
            argv.append(token)
        yield argv


def github_pipelines(doc: Mapping[str, Any]) -> list[tuple[str, list[list[str]]]]:
    """(pipeline, commands): the pull-request jobs, then the push-to-main jobs, in file order."""
    triggers = doc["on"]
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    pipelines: list[tuple[str, list[list[str]]]] = []
    for event in ("pull_request", "push"):
        commands: list[list[str]] = []
        for job in doc["jobs"].values():
            if f"github.event_name == '{event}'" not in job.get("if", ""):
                continue
            for step in job["steps"]:
                commands.extend(campsync_argv(step.get("run", "")))
        pipelines.append((event, commands))
    return pipelines


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
    the emulator's experience flows, as the working directory."""
    shutil.copytree(REPO / "campaigns", tmp_path / "campaigns")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    flows = default_catalog().experience_flows
    lines = ["experienceFlows:", *(f"  {name}: {flow}" for name, flow in flows.items())]
    (tmp_path / "campsync.yaml").write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_pipelines(
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
    cli_env: RunningEmulator,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = load(GITHUB)
    for key, value in static_env(doc.get("env")).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    results = run_pipelines(github_pipelines(doc), capsys)

    assert_gitops_run(
        results,
        [
            ("pull_request", "validate"),
            ("pull_request", "plan"),
            ("push", "apply"),
            ("push", "plan"),
        ],
    )
    assert_final_plan_empty(capsys)


def test_gitlab_ci_example_runs_against_the_emulator(
    cli_env: RunningEmulator,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = load(GITLAB)
    for key, value in static_env(doc.get("variables")).items():
        monkeypatch.setenv(key, value)

    results = run_pipelines(gitlab_pipelines(doc), capsys)

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


def test_examples_take_credentials_from_the_secret_store_and_cache_the_cache_dir() -> None:
    github = GITHUB.read_text()
    for name in ("KORE_CLIENT_ID", "KORE_CLIENT_SECRET"):
        assert f"{name}: ${{{{ secrets.{name} }}}}" in github
    doc = load(GITHUB)
    assert doc["env"]["CAMPSYNC_CACHE_DIR"] == ".campsync/cache"
    cached = [
        step
        for job in doc["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("actions/cache@")
    ]
    assert len(cached) == 2 and all(s["with"]["path"] == ".campsync/cache" for s in cached)
    assert "gh pr comment" in github and "--body-file plan.md" in github

    gitlab = load(GITLAB)
    assert gitlab["variables"]["CAMPSYNC_CACHE_DIR"] == ".campsync/cache"
    assert ".campsync/cache" in gitlab["default"]["cache"]["paths"]
    for text in (github, GITLAB.read_text()):
        assert "pip install campsync" in text and "git+https://" in text
        assert "KORE_CLIENT_SECRET=" not in text  # never a secret value in the file


# ---- pre-commit --------------------------------------------------------------------------------


def test_pre_commit_hook_definition() -> None:
    [hook] = load(HOOKS)
    assert hook["id"] == "campsync-validate"
    assert hook["entry"] == "campsync validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False  # the whole folder, every run (issue 10, item 7)
    assert hook["require_serial"] is True
    files = re.compile(hook["files"])
    for path in ("campaigns/a.yaml", "campaigns/team/b.yml"):
        assert files.search(path), path
    for path in ("README.md", "campsync.yaml", ".github/workflows/x.yml", "campaigns/notes.txt"):
        assert not files.search(path), path


def test_pre_commit_hook_entry_validates_the_files_it_is_given(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hook's command as declared: the entry and its args, and no file names (the
    hook checks the whole folder, tests/test_precommit_hook.py)."""
    [hook] = load(HOOKS)
    entry = shlex.split(hook["entry"])
    assert entry[0] == "campsync"
    assert main([*entry[1:], *hook.get("args", [])]) == 0

    bad = project / "campaigns" / "bad.yaml"
    bad.write_text("name: Broken\npriority: 9\n")
    assert main([*entry[1:], *hook.get("args", [])]) == 1
    out, _ = capsys.readouterr()
    assert "campaigns/bad.yaml:" in out
