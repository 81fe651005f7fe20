"""`campsync init`: the files of a new campaigns repository, never overwriting one, and the
README's way from nothing to an empty plan: init, pull, validate, plan (against the emulator)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from campsync import __version__
from campsync.cli import main
from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import campaign_body, flows_config, progressive_body, seed_ready
from tests.github_steps import REPO, is_campsync_action, load_yaml

FILES = [
    "campsync.yaml",
    "campaigns/.gitkeep",
    "schemas/campaign.schema.json",
    "schemas/campsync.schema.json",
    ".pre-commit-config.yaml",
    ".github/workflows/campaigns.yml",
    ".gitignore",
]
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.M)


def init(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["init", *args])
    out, err = capsys.readouterr()
    return code, out, err


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_init_writes_a_campaigns_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = init(capsys)
    assert (code, err) == (0, "")
    assert sorted(tree(tmp_path)) == sorted(FILES)
    assert out.splitlines()[:7] == [
        "created campsync.yaml",
        "created campaigns/",
        "created schemas/campaign.schema.json",
        "created schemas/campsync.schema.json",
        "created .pre-commit-config.yaml",
        "created .github/workflows/campaigns.yml",
        "created .gitignore",
    ]
    assert "campsync pull" in out and "First: cd" not in out
    for name in ("campaign.schema.json", "campsync.schema.json"):
        assert (tmp_path / "schemas" / name).read_bytes() == (REPO / "schemas" / name).read_bytes()
    assert (tmp_path / ".gitignore").read_text().splitlines()[-1] == ".campsync/"


def test_init_never_overwrites_and_says_what_it_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("node_modules/\n")
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "mine.yaml").write_text("name: Mine\n")
    code, out, _ = init(capsys)
    assert code == 0
    assert "kept    .gitignore" in out and "kept    campaigns/" in out
    assert "note: add .campsync/ to .gitignore" in out
    assert not (tmp_path / "campaigns" / ".gitkeep").exists()  # the folder was there
    (tmp_path / "campsync.yaml").write_text("streamId: st-mine\n")
    before = tree(tmp_path)

    code, out, _ = init(capsys)
    assert code == 0
    assert tree(tmp_path) == before
    assert [line.split()[0] for line in out.splitlines()[:7]] == ["kept"] * 7


def test_init_into_a_new_folder_says_to_go_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = init(capsys, "new repo/here")
    assert code == 0
    assert sorted(tree(tmp_path / "new repo" / "here")) == sorted(FILES)
    assert "First: cd 'new repo/here'" in out


@pytest.mark.parametrize("where", ["a-file", "a-file/below"])
def test_init_where_no_folder_can_be_is_a_one_line_error(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("x")
    code, out, err = init(capsys, where)
    assert (code, out) == (1, "")
    assert err.startswith("campsync: error: a-file") and err.count("\n") == 1


def test_the_files_point_at_what_ships_with_this_campsync() -> None:
    """campsync.yaml names its schema; the workflow is the example; the pins are this version."""
    template = (REPO / "campsync" / "templates" / "campsync.yaml").read_text()
    assert (
        template.splitlines()[0] == "# yaml-language-server: $schema=schemas/campsync.schema.json"
    )
    assert all(line == "" or line.startswith("#") for line in template.splitlines())
    schema = json.loads((REPO / "schemas" / "campsync.schema.json").read_text())
    for key in ("host", "streamId", "accountId", "experienceFlows", "cacheDir", "environments"):
        assert f"# {key}:" in template and key in schema["properties"], key

    workflow = REPO / "campsync" / "templates" / "campaigns.yml"
    assert workflow.read_bytes() == (REPO / "examples" / "github-actions.yml").read_bytes()
    uses = [
        step["uses"]
        for job in load_yaml(workflow)["jobs"].values()
        for step in job["steps"]
        if is_campsync_action(step)
    ]
    assert uses == [f"<your-org>/campsync@v{__version__}"] * 4

    [repo] = load_yaml(REPO / "campsync" / "templates" / "pre-commit-config.yaml")["repos"]
    assert repo["rev"] == f"v{__version__}"
    assert repo["repo"] == "https://github.com/<your-org>/campsync"
    hooks = {hook["id"] for hook in load_yaml(REPO / ".pre-commit-hooks.yaml")}
    assert [hook["id"] for hook in repo["hooks"]] == ["campsync-validate"]
    assert "campsync-validate" in hooks


def test_init_then_pull_then_an_empty_plan(
    cli_env: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's adoption of an existing app, as a user types it."""
    seed_ready(cli_env, campaign_body("Spring Renewals"), progressive_body("Collections Push"))
    monkeypatch.chdir(tmp_path)
    assert init(capsys)[0] == 0
    # The user names the app's flows in campsync.yaml, where the comment shows how.
    settings = tmp_path / "campsync.yaml"
    settings.write_text(settings.read_text() + flows_config())

    code, out, err = main(["pull"]), *capsys.readouterr()
    assert code == 0, err
    assert "Pulled 2 campaign(s)" in out
    assert main(["validate"]) == 0
    capsys.readouterr()
    assert main(["plan", "--detailed-exitcode"]) == 0  # nothing to change
    assert "No changes." in capsys.readouterr().out

    # Every file that names a schema names one that is there (editors resolve it so).
    named = 0
    for path in [settings, *sorted((tmp_path / "campaigns").glob("*.yaml"))]:
        for reference in SCHEMA_LINE.findall(path.read_text()):
            assert (path.parent / reference).resolve().is_file(), (path, reference)
            named += 1
    assert named == 3

    before = tree(tmp_path / "campaigns")
    assert init(capsys)[0] == 0  # again: nothing replaced
    assert tree(tmp_path / "campaigns") == before
