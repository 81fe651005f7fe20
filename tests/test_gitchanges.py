"""What git says changed since a revision (campsync.sync.gitchanges), in a real repository
made for each test: what counts as unchanged (only what git tracks and finds as the
revision has it), a file's text at the revision, and the revision as untrusted input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from campsync.sync.gitchanges import (
    MAX_TEXT_BYTES,
    UNKNOWN,
    GitError,
    Then,
    changes_since,
    text_then,
)
from tests.git_repos import GIT_ENV, git


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with campaigns/ (a.yaml, b.yaml, c.yaml, deep/d.yaml) and campsync.yaml
    committed on `main`, and the tag `base` on that commit."""
    monkeypatch.setenv("HOME", str(tmp_path))  # no user's git configuration
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "repo"
    (root / "campaigns" / "deep").mkdir(parents=True)
    for name in ("a", "b", "c"):
        (root / "campaigns" / f"{name}.yaml").write_text(f"name: {name}\n")
    (root / "campaigns" / "deep" / "d.yaml").write_text("name: d\n")
    (root / "campsync.yaml").write_text("experienceFlows: {A: cf-1}\n")
    (root / ".gitignore").write_text("ignored.yaml\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    git(root, "tag", "base")
    return root


def changed(repo: Path, ref: str = "base") -> set[str]:
    """The files under campaigns/ (and campsync.yaml) that may differ from `ref`."""
    changes = changes_since(ref, repo / "campaigns", paths=[repo / "campsync.yaml"])
    files = [*sorted((repo / "campaigns").rglob("*.y*ml")), repo / "campsync.yaml"]
    return {path.relative_to(repo).as_posix() for path in files if changes.changed(path)}


def test_nothing_changed_since_the_revision(repo: Path) -> None:
    assert changed(repo) == set()


def test_edited_staged_new_and_committed_files_changed(repo: Path) -> None:
    (repo / "campaigns" / "a.yaml").write_text("name: a2\n")  # edited, not staged
    (repo / "campaigns" / "b.yaml").write_text("name: b2\n")
    git(repo, "add", "campaigns/b.yaml")  # staged
    (repo / "campaigns" / "deep" / "d.yaml").write_text("name: d2\n")
    git(repo, "commit", "-q", "-am", "later")  # committed since the revision
    (repo / "campaigns" / "new.yaml").write_text("name: new\n")  # untracked
    assert changed(repo) == {
        "campaigns/a.yaml",
        "campaigns/b.yaml",
        "campaigns/deep/d.yaml",
        "campaigns/new.yaml",
    }
    assert changed(repo, "HEAD") == {"campaigns/new.yaml"}


def test_a_file_edited_and_edited_back_is_unchanged(repo: Path) -> None:
    (repo / "campaigns" / "a.yaml").write_text("name: other\n")
    git(repo, "commit", "-q", "-am", "there")
    (repo / "campaigns" / "a.yaml").write_text("name: a\n")
    git(repo, "commit", "-q", "-am", "and back")
    assert changed(repo) == set()
    assert changed(repo, "HEAD~1") == {"campaigns/a.yaml"}


def test_a_renamed_file_is_changed_under_its_new_name(repo: Path) -> None:
    git(repo, "mv", "campaigns/c.yaml", "campaigns/renamed.yaml")
    assert changed(repo) == {"campaigns/renamed.yaml"}


def test_what_git_cannot_vouch_for_counts_as_changed(repo: Path) -> None:
    """An ignored file, one flagged assume-unchanged or skip-worktree (git would not look
    at it), and a symbolic link (its target may have changed)."""
    (repo / "campaigns" / "ignored.yaml").write_text("name: ignored\n")
    (repo / "campaigns" / "a.yaml").write_text("name: a2\n")
    git(repo, "update-index", "--assume-unchanged", "campaigns/a.yaml")
    git(repo, "update-index", "--skip-worktree", "campaigns/b.yaml")
    (repo / "campaigns" / "link.yaml").symlink_to("c.yaml")
    git(repo, "add", "campaigns/link.yaml")
    git(repo, "commit", "-q", "-m", "a link")
    (repo / "campaigns" / "c.yaml").write_text("name: c2\n")
    git(repo, "commit", "-q", "-am", "its target")
    found = changed(repo, "HEAD")
    assert found == {
        "campaigns/ignored.yaml",
        "campaigns/a.yaml",
        "campaigns/b.yaml",
        "campaigns/link.yaml",
    }


def test_a_file_outside_the_work_tree_is_changed(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("x: 1\n")
    changes = changes_since("base", repo / "campaigns", paths=[outside])
    assert changes.changed(outside)
    assert text_then(changes, outside) == UNKNOWN
    assert not changes.changed(repo / "campaigns" / "a.yaml")


def test_paths_are_taken_as_they_really_are(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a symbolic link to the repository, or relative to the working folder."""
    link = tmp_path / "link-to-repo"
    link.symlink_to(repo)
    (repo / "campaigns" / "a.yaml").write_text("name: a2\n")
    changes = changes_since("base", link / "campaigns")
    assert changes.root == repo.resolve()
    assert changes.changed(link / "campaigns" / "a.yaml")
    assert not changes.changed(link / "campaigns" / "b.yaml")
    monkeypatch.chdir(link)
    assert changes.changed("campaigns/a.yaml") and not changes.changed("campaigns/b.yaml")


def test_a_single_file_as_the_folder(repo: Path) -> None:
    changes = changes_since("base", repo / "campaigns" / "a.yaml")
    assert not changes.changed(repo / "campaigns" / "a.yaml")


def test_only_the_given_paths_are_looked_at(repo: Path) -> None:
    (repo / "campaigns" / "a.yaml").write_text("name: a2\n")
    changes = changes_since("base", repo / "campaigns" / "deep")
    assert changes.unchanged == {"campaigns/deep/d.yaml"}


def test_a_files_text_at_the_revision(repo: Path) -> None:
    (repo / "campsync.yaml").write_text("experienceFlows: {A: cf-2}\n")
    git(repo, "commit", "-q", "-am", "flows")
    changes = changes_since("base", repo / "campaigns", paths=[repo / "campsync.yaml"])
    assert changes.changed(repo / "campsync.yaml")
    assert text_then(changes, repo / "campsync.yaml") == Then(True, "experienceFlows: {A: cf-1}\n")
    assert text_then(changes, repo / "campaigns" / "none.yaml") == Then(exists=False)
    later = changes_since("HEAD", repo / "campaigns", paths=[repo / "campsync.yaml"])
    assert text_then(later, repo / "campsync.yaml").text == "experienceFlows: {A: cf-2}\n"


def test_a_text_git_cannot_give_plainly_is_unknown(repo: Path) -> None:
    """Too large, not UTF-8, a symbolic link or a folder at the revision."""
    (repo / "big.yaml").write_text("x" * (MAX_TEXT_BYTES + 1))
    (repo / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    (repo / "linked.yaml").symlink_to("campsync.yaml")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "odd files")
    changes = changes_since("HEAD", repo)
    for name in ("big.yaml", "latin.yaml", "linked.yaml", "campaigns"):
        assert text_then(changes, repo / name) == UNKNOWN, name


def test_an_unknown_revision_is_one_line(repo: Path) -> None:
    with pytest.raises(GitError) as raised:
        changes_since("no-such-branch", repo / "campaigns")
    message = str(raised.value)
    assert "'no-such-branch' is no commit" in message and "fetch-depth" in message
    assert "\n" not in message


def test_a_revision_that_is_no_commit_is_refused(repo: Path) -> None:
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    with pytest.raises(GitError, match="is no commit"):
        changes_since(tree, repo / "campaigns")
    with pytest.raises(GitError, match="is no commit"):
        changes_since("HEAD:campsync.yaml", repo / "campaigns")


def test_revisions_as_users_write_them(repo: Path) -> None:
    (repo / "campaigns" / "a.yaml").write_text("name: a2\n")
    git(repo, "commit", "-q", "-am", "later")
    git(repo, "branch", "feature")
    for ref in ("main~1", "base", git(repo, "rev-parse", "base")[:12], "HEAD^"):
        assert changed(repo, ref) == {"campaigns/a.yaml"}, ref
    assert changed(repo, "feature") == set()


@pytest.mark.parametrize(
    "ref", ["", "  ", "--output=pwned", "-p", "main\n--output=pwned", "a\x00b", "x" * 600]
)
def test_a_revision_that_could_be_an_option_never_reaches_git(
    repo: Path, ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    with pytest.raises(GitError) as raised:
        changes_since(ref, repo / "campaigns")
    assert "\n" not in str(raised.value)
    assert not (repo / "pwned").exists() and not (repo / "campaigns" / "pwned").exists()


def test_a_folder_in_no_repository_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    with pytest.raises(GitError) as raised:
        changes_since("main", folder)
    message = str(raised.value)
    assert "is not in a git work tree" in message and "not a git repository" in message
    assert "\n" not in message


def test_without_git_on_path_is_one_line(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "campaigns"))
    with pytest.raises(GitError, match="git is not on PATH"):
        changes_since("base", repo / "campaigns")


def test_nothing_is_written_to_the_repository(repo: Path) -> None:
    """No index refresh, no lock: a read-only look (the index keeps its bytes)."""
    (repo / "campaigns" / "a.yaml").write_text("name: a2\n")
    past = os.stat(repo / ".git" / "index").st_mtime - 100
    os.utime(repo / "campaigns" / "b.yaml", (past, past))  # stat information to refresh
    index = (repo / ".git" / "index").read_bytes()
    changes = changes_since("base", repo / "campaigns")
    assert (repo / ".git" / "index").read_bytes() == index
    # and contents are compared, not file times: b.yaml is as it was
    assert changes.changed(repo / "campaigns" / "a.yaml")
    assert not changes.changed(repo / "campaigns" / "b.yaml")


def test_a_shallow_clone_with_the_base_branch_fetched_alone(repo: Path, tmp_path: Path) -> None:
    """As README's pipeline note has it: a depth-1 checkout of the pull request, then
    `git fetch --no-tags --depth=1 origin main` and `--since FETCH_HEAD`. Before the fetch,
    the base branch is not there: one line saying to fetch it."""
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "campaigns" / "b.yaml").write_text("name: b2\n")
    git(repo, "commit", "-q", "-am", "the pull request")
    clone = tmp_path / "clone"
    url = f"file://{repo}"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", url, str(clone))
    with pytest.raises(GitError, match="fetch"):
        changes_since("origin/main", clone / "campaigns")
    git(clone, "fetch", "-q", "--no-tags", "--depth=1", "origin", "main")
    assert changed(clone, "FETCH_HEAD") == {"campaigns/b.yaml"}


def test_a_hostile_repository_configuration_runs_nothing(repo: Path) -> None:
    """A repository's own configuration (a copied or unpacked .git, say) may name programs
    that git runs on its own: a file system monitor, a pager, an external diff or textconv,
    hooks, and a clean filter for the files `status` compares by content (one per file, or
    one long-running process), a filter whose name is unusual. None of them runs; a file a
    filter would have had to clean counts as changed."""
    marker = repo.parent / "pwned"
    (repo / ".gitattributes").write_text("*.yaml filter=evil diff=evil\n*.yml filter=a=b.c\n")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "attributes")
    run_marker = f"sh -c 'touch {marker}'"
    for key in ("core.fsmonitor", "core.pager", "diff.external", "diff.evil.textconv"):
        git(repo, "config", key, run_marker)
    git(repo, "config", "core.hooksPath", str(repo.parent))
    for hook in ("post-index-change", "reference-transaction"):
        (repo.parent / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (repo.parent / hook).chmod(0o755)
    git(repo, "config", "filter.evil.clean", f"touch {marker}; cat")
    git(repo, "config", "filter.evil.required", "true")
    git(repo, "config", "filter.a=b.c.process", f"touch {marker}")
    past = os.stat(repo / ".git" / "index").st_mtime - 100
    for path in (repo / "campaigns").rglob("*.yaml"):
        os.utime(path, (past, past))  # stat information to refresh: status reads contents
    assert changed(repo) <= {
        "campaigns/a.yaml",
        "campaigns/b.yaml",
        "campaigns/c.yaml",
        "campaigns/deep/d.yaml",
    }
    assert not marker.exists()
    git(repo, "config", "--unset", "filter.evil.clean")
    git(repo, "config", "filter.evil.process", f"touch {marker}")
    changed(repo)
    assert not marker.exists()


def test_a_missing_object_is_never_fetched_through_the_repositorys_remote(repo: Path) -> None:
    """A repository configured as a partial clone fetches an object it lacks through its
    remote, whose URL may be a command (`ext::`): the text at the revision is unknown, and
    nothing runs."""
    marker = repo.parent / "fetched"
    blob = git(repo, "rev-parse", "base:campaigns/a.yaml")
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    for key, value in {
        "core.repositoryformatversion": "1",
        "extensions.partialClone": "origin",
        "remote.origin.promisor": "true",
        "remote.origin.url": f"ext::sh -c touch% {marker}",
        "protocol.ext.allow": "always",
    }.items():
        git(repo, "config", key, value)
    changes = changes_since("base", repo / "campaigns")
    assert text_then(changes, repo / "campaigns" / "a.yaml") == UNKNOWN
    assert not marker.exists()
