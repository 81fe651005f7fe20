"""Real git repositories for the tests of `plan --since`: git run with a fixed author and no
system configuration, and a folder made to look like a pull request's checkout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """git in `repo` (its user's configuration the one of an empty home beside it)."""
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV, "HOME": str(repo.parent)},
    )
    return done.stdout.strip()


def as_pull_request(root: Path, base: str = "main") -> None:
    """`root` as actions/checkout leaves a pull request's work tree with fetch-depth 0: its
    files committed, and the base branch fetched as `origin/<base>` (here: the same commit,
    so that only what a test changes afterwards differs from it)."""
    git(root, "init", "-q", "-b", "pull-request")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "the pull request")
    git(root, "update-ref", f"refs/remotes/origin/{base}", "HEAD")
