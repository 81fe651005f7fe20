"""The pre-commit hook checks the whole campaign folder (issue 10, item 7): a staged new
file whose name duplicates an unchanged, committed file's fails the hook, as CI would.

Two ways: the hook's command exactly as .pre-commit-hooks.yaml declares it (entry, args,
and the staged file names only if pass_filenames), and the real pre-commit tool running
the hook's declaration in a throwaway git repository (as a `repo: local` hook with
`language: system`, so that nothing is installed: the same files, pass_filenames and
require_serial)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
HOOKS = REPO / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent


def hook() -> dict[str, Any]:
    [declared] = YAML(typ="safe").load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(declared, dict)
    return declared


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A campaigns repository: one committed campaign, and a new file staged whose
    campaign name is the committed one's in another case."""
    root = tmp_path / "repo"
    (root / "campaigns").mkdir(parents=True)
    git(root, "init", "-q")
    shutil.copy(REPO / "campaigns" / "product-feedback.yaml", root / "campaigns")
    (root / "README.md").write_text("campaigns\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    text = (REPO / "campaigns" / "product-feedback.yaml").read_text(encoding="utf-8")
    copy = text.replace(
        "name: Product Feedback Voice Campaign", "name: PRODUCT feedback voice campaign"
    )
    assert copy != text
    (root / "campaigns" / "feedback-copy.yaml").write_text(copy, encoding="utf-8")
    git(root, "add", "campaigns/feedback-copy.yaml")
    return root


def staged(repo: Path) -> list[str]:
    return git(repo, "diff", "--cached", "--name-only").split()


def test_the_declared_command_catches_a_duplicate_of_an_unchanged_file(repo: Path) -> None:
    declared = hook()
    command = [*shlex.split(declared["entry"]), *declared.get("args", [])]
    if declared.get("pass_filenames", True):
        command += staged(repo)
    command[0] = str(BIN / command[0])
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert "campaigns/feedback-copy.yaml:" in done.stdout
    assert "campaigns/product-feedback.yaml:" in done.stdout
    assert "names must be unique, ignoring case" in done.stdout


def run_pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """The real pre-commit on the staged files of `repo`, running the hook exactly as
    .pre-commit-hooks.yaml declares it (as a `repo: local` hook, `language: system`:
    campsync is installed already)."""
    local = {**hook(), "language": "system"}
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    YAML(typ="safe").dump(config, repo / ".pre-commit-config.yaml")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(home),
    }
    env.pop("PRE_COMMIT", None)
    return subprocess.run(
        [str(BIN / "pre-commit"), "run", "--config", ".pre-commit-config.yaml"],
        cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_the_real_pre_commit_runs_the_hook_on_the_whole_folder(repo: Path, tmp_path: Path) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return run_pre_commit(repo, tmp_path / "pre-commit-home")

    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "names must be unique, ignoring case" in failed.stdout
    assert "campaigns/product-feedback.yaml:" in failed.stdout  # the unchanged file too

    # Only a file that is not a campaign staged: the hook does not run at all.
    git(repo, "reset", "-q")
    (repo / "README.md").write_text("campaigns, changed\n")
    git(repo, "add", "README.md")
    skipped = run()
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "Skipped" in skipped.stdout


def test_the_real_pre_commit_runs_the_hook_when_only_campsync_yaml_changes(
    tmp_path: Path,
) -> None:
    """campsync.yaml holds environments and overrides that validate checks: an override
    error staged alone fails the commit too (issue 18, item 15: the hook's `files:`
    matched campaigns/ only, so pre-commit skipped it and the commit passed)."""
    root = tmp_path / "repo"
    (root / "campaigns").mkdir(parents=True)
    git(root, "init", "-q")
    shutil.copy(REPO / "campaigns" / "product-feedback.yaml", root / "campaigns")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    (root / "campsync.yaml").write_text(
        "environments:\n  staging:\n    overrides:\n      No Such Campaign:\n        priority: 1\n",
        encoding="utf-8",
    )
    git(root, "add", "campsync.yaml")
    done = run_pre_commit(root, tmp_path / "pre-commit-home")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "campsync.yaml:4:7:" in done.stdout
    assert "no campaign file of environment 'staging' is named 'No Such Campaign'" in done.stdout
