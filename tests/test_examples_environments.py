"""examples/github-environments.yml cannot rot: its campsync commands run job by job (the
matrix expanded) against two emulators, two accounts, each job with only the secrets of its
GitHub environment, as GitHub would give them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from campsync import __version__
from campsync.cli import main
from tests.fixtures_environments import (
    CALLER_IDS,
    TwoAccounts,
    environments_config,
    secret_names,
    secrets_of,
)
from tests.fixtures_examples import example_repository, saved_plans
from tests.git_repos import as_pull_request
from tests.github_steps import load_yaml, run_shell
from tests.test_examples import campsync_argv, static_env

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / "examples" / "github-environments.yml"
# What each GitHub environment holds (Settings > Environments > secrets).
GITHUB_ENVIRONMENTS = {
    "staging": secrets_of("staging"),
    "production": secrets_of("production"),
    "production-plan": secrets_of("production"),
}
SECRET_NAMES = [name for env in ("staging", "production") for name in secret_names(env)]
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def resolve(text: str, matrix: Mapping[str, str], secrets: Mapping[str, str]) -> str | None:
    """`${{ matrix.x }}` and `${{ secrets.X }}` as GitHub resolves them (a secret the job's
    environment lacks is empty), `${{ github.base_ref }}` a pull request's base branch (main);
    None for any other expression (not runnable here)."""
    unresolved = False

    def value(match: re.Match[str]) -> str:
        nonlocal unresolved
        if match.group(1) == "github.base_ref":
            return "main"
        kind, _, name = match.group(1).partition(".")
        if kind == "matrix":
            return matrix[name]
        if kind == "secrets":
            return secrets.get(name, "")
        unresolved = True
        return ""

    resolved = _EXPRESSION.sub(value, text)
    return None if unresolved else resolved


def job_runs(doc: Mapping[str, Any], event: str) -> Iterator[tuple[str, dict[str, str], str]]:
    """(job label, its environment variables, its run blocks) for each job of `event` in file
    order, each matrix entry as a job."""
    for name, job in doc["jobs"].items():
        if f"github.event_name == '{event}'" not in job.get("if", ""):
            continue
        entries = job.get("strategy", {}).get("matrix", {}).get("include") or [{}]
        for matrix in entries:
            github_environment = resolve(str(job.get("environment", "")), matrix, {}) or ""
            secrets = GITHUB_ENVIRONMENTS.get(github_environment, {})
            variables: dict[str, str] = {}
            for key, raw in (job.get("env") or {}).items():
                value = resolve(str(raw), matrix, secrets)
                if value:  # an empty variable is an unset one
                    variables[key] = value
            blocks = [resolve(step.get("run", ""), matrix, secrets) or "" for step in job["steps"]]
            label = f"{name}[{matrix['environment']}]" if matrix else name
            yield label, variables, "\n".join(blocks)


def test_github_environments_example_runs_against_two_accounts(
    two_accounts: TwoAccounts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    example_repository(tmp_path, environments_config(two_accounts.by_name))
    as_pull_request(tmp_path)
    doc = load_yaml(WORKFLOW)
    for key, value in static_env(doc.get("env")).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    ran: list[tuple[str, str, int]] = []
    for event in ("pull_request", "push"):
        for label, variables, blocks in job_runs(doc, event):
            for name in SECRET_NAMES:  # a job starts with its own secrets only
                monkeypatch.delenv(name, raising=False)
            for key, value in variables.items():
                monkeypatch.setenv(key, value)
            for argv in campsync_argv(blocks):
                code = main(argv)
                out, err = capsys.readouterr()
                assert code in (0, 2), f"{label}: campsync {' '.join(argv)}: {out}{err}"
                ran.append((label, " ".join(argv[:3]), code))
                if label.startswith("plan["):  # a pull request's plan: since the base branch
                    assert argv[3:5] == ["--since", "origin/main"], argv
            two_accounts.wait_ready()

    assert ran == [
        ("validate", "validate", 0),
        ("plan[staging]", "plan --env staging", 2),
        ("plan[production]", "plan --env production", 2),
        ("apply-staging", "apply --env staging", 0),
        ("apply-staging", "plan --env staging", 0),
        ("apply-production", "apply --env production", 0),
        ("apply-production", "plan --env production", 0),
    ]
    for environment, running in two_accounts.by_name.items():
        records = running.store.raw_campaigns()
        assert len(records) == 4
        assert {r["dialingStrategy"]["callerId"]["phoneNumber"] for r in records} == {
            CALLER_IDS[environment]
        }


def test_each_job_gets_only_its_github_environments_secrets() -> None:
    doc = load_yaml(WORKFLOW)
    text = WORKFLOW.read_text()
    jobs = {label: variables for label, variables, _ in job_runs(doc, "pull_request")}
    jobs.update({label: variables for label, variables, _ in job_runs(doc, "push")})
    for label, variables in jobs.items():
        held = {name for name in SECRET_NAMES if name in variables}
        if "staging" in label:
            assert held == set(secret_names("staging")), label
        elif "production" in label:
            assert held == set(secret_names("production")), label
        else:
            assert held == set(), label  # validate needs none
    assert doc["jobs"]["apply-production"]["environment"] == "production"
    assert doc["jobs"]["apply-production"]["needs"] == "apply-staging"
    for name in SECRET_NAMES:
        assert f"{name}: ${{{{ secrets.{name} }}}}" in text
    assert f"git+https://github.com/<your-org>/campsync@v{__version__}" in text
    assert not re.search(r"pip install campsync\b", text)  # never a bare name from PyPI


def test_a_plan_apply_would_refuse_fails_its_check(tmp_path: Path) -> None:
    """The plan job's step that reads the saved plan, run in bash for each environment."""
    [step] = [
        step
        for step in load_yaml(WORKFLOW)["jobs"]["plan"]["steps"]
        if step.get("name") == "Fail the check when apply would refuse the plan"
    ]
    assert "if" not in step  # always: after the comment, whatever the plan
    refused, within = saved_plans(tmp_path)
    for environment in ("staging", "production"):
        script = resolve(step["run"], {"environment": environment}, {})
        assert script is not None
        failed = run_shell(script, dict(os.environ), refused, check=False)
        assert failed.returncode == 1
        assert failed.stdout == (
            f"::error title=campsync {environment}::apply will refuse this plan without "
            "--force: a safety threshold is crossed (the plan says which)\n"
        )
        assert run_shell(script, dict(os.environ), within, check=False).returncode == 0
