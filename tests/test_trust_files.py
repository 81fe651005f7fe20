"""What campsync reads under PATH, and what its messages may quote (issue 18, items 1 and 2).

- A folder under PATH that cannot be read stops the run (exit 1, one line naming it, no
  request, nothing written): skipped, its campaigns would look unmanaged and `--prune` would
  delete them. Tested with a folder path longer than PATH_MAX (unreadable even for root) and
  with `chmod 000` in a process of an unprivileged user (the tests may run as root, whom
  permissions do not stop).
- A folder that is a symbolic link is not followed: a warning names it, and pruning is
  refused while it is there.
- A campaign file that is a symbolic link to a file outside PATH is refused, never read, so
  its content never reaches a message; one inside PATH is read.
- A message quotes at most a short, escaped excerpt of any value.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from campsync.campaign.discovery import find_campaign_files
from campsync.campaign.messages import schema_problems
from campsync.campaign.schema import reference_validator
from campsync.campaign.validation import check_text
from campsync.cli import main
from campsync.emulator.runner import RunningEmulator
from campsync.errors import UnreadablePath
from tests.fixtures_emulator import campaign_body
from tests.fixtures_guard import error_line, file_name, fleet, names_on_platform, sent
from tests.fixtures_workspace import Workspace

NOBODY = 65534
SECRET = "sk-live-0123456789abcdef-DO-NOT-ECHO"
MANAGED = [f"Managed {n}" for n in range(9)]


# -- a folder path longer than PATH_MAX ------------------------------------------------------


def beyond_path_max(base: Path, body: dict[str, object]) -> str:
    """A campaign file so deep under `base` that its folder's path is longer than PATH_MAX
    (made through folder descriptors, as no path can name it); the first folder's name."""
    step = "d" * 200
    depth = os.pathconf(base, "PC_PATH_MAX") // len(step) + 2
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(step, dir_fd=fd)
            inner = os.open(step, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("deep.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, json.dumps(body).encode())
        os.close(out)
    finally:
        os.close(fd)
    return step


def test_a_folder_beyond_path_max_stops_plan_and_apply_before_any_request(ws: Workspace) -> None:
    fleet(ws, MANAGED)
    (deep_id,) = ws.seed(campaign_body("Deep Campaign"))
    beyond_path_max(ws.campaigns, campaign_body("Deep Campaign"))
    ws.store.reset_stats()

    for command in (["plan", "--prune", "--out", "p.json"], ["apply", "--auto-approve", "--prune"]):
        result = ws.cli(*command)
        assert result.code == 1, result.out
        line = error_line(result.err)
        assert line.startswith("campsync: error: campaigns/ddd")
        assert "cannot read this folder (File name too long)" in line
        assert len(line) < 400  # the folder's name, cut in the middle
        assert result.out == ""
    assert ws.store.stats()["total"] == 0  # not even the list
    assert not (ws.root / "p.json").exists()
    assert "Deep Campaign" in names_on_platform(ws) and sent(ws) == {}
    assert deep_id

    validate = ws.cli("validate")
    assert validate.code == 1 and "cannot read this folder" in error_line(validate.err)


# -- chmod 000, in a process of an unprivileged user ------------------------------------------


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder an unprivileged user may work in (pytest's own is the runner's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="campsync-trust-"))
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o700)
        shutil.rmtree(folder)


def run_unprivileged(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """`campsync ARGS` in `cwd`, in a child process of a user that permissions apply to:
    `nobody` when the tests run as root (the folder is handed to it), else the user running
    them. The child is forked, so it runs the campsync already imported (a fresh interpreter
    may not reach its own files as nobody); run the command once in this process first, so
    that nothing is left to import. Returns (exit code, stdout, stderr)."""
    as_root = os.geteuid() == 0
    if as_root:
        for path in (cwd, *cwd.rglob("*")):
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        with warnings.catch_warnings():
            # Python 3.12 warns of fork() beside threads (the emulator's): the child only
            # runs campsync, which takes no lock those threads hold while idle.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 99
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
                sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
                if as_root:
                    os.setgroups([])
                    os.setgid(NOBODY)
                    os.setuid(NOBODY)
                os.chdir(cwd)
                os.environ["CAMPSYNC_CACHE_DIR"] = str(cwd / "cache")
                code = main(args)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), out.read(), err.read()


def unreadable_team(root: Path, names: list[str]) -> Path:
    """campaigns/ with a file per name, the last one's under team-a/, made unreadable."""
    for name in names[:-1]:
        path = root / "campaigns" / file_name(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(campaign_body(name)))
    team = root / "campaigns" / "team-a"
    team.mkdir()
    (team / file_name(names[-1])).write_text(json.dumps(campaign_body(names[-1])))
    return team


def test_an_unreadable_folder_fails_validate(
    shared_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = unreadable_team(shared_tmp, ["Spring", "Summer"])
    monkeypatch.chdir(shared_tmp)
    assert main(["validate"]) == 0  # readable: both files are checked
    assert run_unprivileged(["validate"], shared_tmp) == (0, "", "2 files valid\n")
    team.chmod(0)
    assert run_unprivileged(["validate"], shared_tmp) == (
        1,
        "",
        "campsync: error: campaigns/team-a: cannot read this folder (Permission denied); "
        "campsync stops rather than go on without its campaign files\n",
    )
    team.chmod(0o755)
    (team / "summer.yaml").chmod(0)  # a file: one located problem, with the others
    assert run_unprivileged(["validate"], shared_tmp) == (
        1,
        "campaigns/team-a/summer.yaml:1:1: cannot read file: Permission denied\n",
        "1 problem in 1 of 2 files\n",
    )


def test_an_unreadable_folder_is_never_pruned(
    cli_env: RunningEmulator, shared_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [*MANAGED, "Team A Campaign"]
    cli_env.store.seed([{**campaign_body(name), "status": "Ready"} for name in names])
    team = unreadable_team(shared_tmp, names)
    monkeypatch.chdir(shared_tmp)
    monkeypatch.setenv("CAMPSYNC_CACHE_DIR", str(shared_tmp / "cache"))
    assert main(["plan", "--prune"]) == 0  # readable: nothing to delete
    team.chmod(0)
    cli_env.store.reset_stats()

    code, out, err = run_unprivileged(["apply", "--auto-approve", "--prune"], shared_tmp)

    assert code == 1, out
    assert "campaigns/team-a: cannot read this folder (Permission denied)" in err
    assert cli_env.store.stats()["total"] == 0
    assert {r["name"] for r in cli_env.store.raw_campaigns()} == set(names)


# -- symbolic links -----------------------------------------------------------------------------


def linked_team(ws: Workspace) -> None:
    """campaigns/shared: a symbolic link to a folder beside campaigns/ with one campaign."""
    elsewhere = ws.root / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "shared.yaml").write_text(json.dumps(campaign_body("Shared Campaign")))
    os.symlink("../elsewhere", ws.campaigns / "shared")


def test_a_linked_folder_is_named_in_a_warning_and_never_pruned(ws: Workspace) -> None:
    fleet(ws, MANAGED)
    ws.seed(campaign_body("Shared Campaign"))
    linked_team(ws)
    warning = (
        "campaigns/shared: a symbolic link to a folder, not followed: the campaign files "
        "there are not read"
    )
    ws.store.reset_stats()

    plan = ws.plan_json()
    assert warning in plan["warnings"] and plan["summary"]["unmanaged"] == 1
    assert f"campsync: warning: {warning}" in ws.cli("validate").err.splitlines()

    for command in (["plan", "--prune"], ["apply", "--auto-approve", "--prune"]):
        refused = ws.cli(*command)
        assert refused.code == 1
        assert error_line(refused.err) == (
            "campsync: error: pruning refused: campaigns/shared is a symbolic link to a "
            "folder, not followed, so the campaigns described there would look unmanaged and "
            "be deleted; put the folder itself under PATH, or plan without pruning (--no-prune)"
        )
    ws.config("prune: true\n")
    assert ws.cli("apply", "--auto-approve").code == 1
    assert ws.cli("plan", "--no-prune").code == 0
    assert sent(ws) == {} and "Shared Campaign" in names_on_platform(ws)
    # pull cannot tell that the linked folder describes the campaign: it says why.
    assert f"campsync: warning: {warning}" in ws.cli("pull").err.splitlines()


def test_a_file_linked_to_outside_path_is_refused_unread(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("spring.yaml", campaign_body("Spring"))
    outside = ws.root / "dot-env"
    outside.write_text(f"KORE_CLIENT_SECRET={SECRET}\n")
    os.symlink("../dot-env", ws.campaigns / "zz.yaml")
    expected = (
        "campsync: error: campaigns/zz.yaml: a symbolic link to a file outside campaigns; "
        "campsync reads only the files under the folder it is given (put the file itself there)"
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for command in (["validate"], ["validate", "--format", "json"], ["plan"], ["pull"]):
        result = ws.cli(*command)
        assert result.code == 1
        assert error_line(result.err) == expected
        assert SECRET not in result.out + result.err
    assert ws.store.stats()["total"] == 0
    assert find_campaign_files([outside]).files  # named by the user as PATH itself: read


def test_a_file_linked_inside_path_is_read(ws: Workspace) -> None:
    hidden = ws.campaigns / ".templates"
    hidden.mkdir()
    (hidden / "spring.yaml").write_text(json.dumps(campaign_body("Spring")))
    os.symlink(".templates/spring.yaml", ws.campaigns / "spring.yaml")
    result = ws.cli("validate")
    assert (result.code, result.err) == (0, "1 file valid\n")


def test_discovery_refuses_rather_than_skips(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("{}")
    os.symlink("/etc/hostname", tmp_path / "b.yaml")
    with pytest.raises(UnreadablePath, match=r"b\.yaml: a symbolic link to a file outside"):
        find_campaign_files([tmp_path])


# -- excerpts, never whole values -------------------------------------------------------------


LONG = 200  # no message line here needs more


def test_a_huge_scalar_is_quoted_as_a_short_excerpt(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("scalar.yaml", "x" * 1_000_000 + SECRET + "\n")
    ws.write("number.yaml", json.dumps(campaign_body("Big", priority=10**4000)))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    text = ws.cli("validate")
    assert text.code == 1
    lines = text.out.splitlines()
    assert len(lines) == 4  # a line and an annotation per problem
    assert all(len(line) < LONG for line in lines), [len(line) for line in lines]
    assert lines[2].startswith("campaigns/scalar.yaml:1:1: expected a mapping of campaign ")
    assert SECRET not in text.out
    problems = json.loads(ws.cli("validate", "--format", "json").out)
    assert [len(p["message"]) < LONG for p in problems] == [True, True]


def test_every_schema_message_is_short_whatever_the_value() -> None:
    # A keyword campsync words itself, and one it leaves to jsonschema's own message.
    validator = reference_validator(
        {"type": "object", "properties": {"a": {"maxItems": 1}, "b": {"pattern": "^x$"}}}
    )
    huge = ["y" * 100_000, "z" * 100_000]
    found = schema_problems(validator, {"a": huge, "b": "w" * 100_000 + "\n\x1b[2J"})
    assert len(found) == 2
    for located in found:
        assert len(located.message) < LONG, located.message[:300]
        assert "\x1b" not in located.message and "\n" not in located.message


def test_a_huge_value_in_a_file_gives_a_short_message() -> None:
    body = campaign_body(dncLists="n" * 500_000, dialingMode="m" * 500_000)
    problems = check_text(json.dumps(body), "c.yaml").problems
    assert len(problems) == 2
    assert all(len(str(problem)) < LONG for problem in problems)
