"""The hostile corpus end to end: every case under tests/data/hostile/ (and a few made here
that do not belong in a repository: a file over the size cap, one with too many values, a
file name with a newline, a dangling symlink, folder symlink loops) goes through validate,
plan, apply and pull.

Every run ends with exit 1 and its reasons (pull, which needs only names and ids, may pass
files that load), never a traceback, a hang or an internal error;
no write reaches the platform, the campaign folder is left as it was, and nothing is written
outside the working folder. (validate's exact problem lines per case: test_validate_cases.)
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace

HOSTILE = Path(__file__).parent / "data" / "hostile"
CORPUS = sorted(p.name for p in HOSTILE.iterdir() if p.is_dir())
MiB = 1024 * 1024


def make_generated(case: str, folder: Path) -> None:
    if case == "gen-over-the-size-cap":
        text = json.dumps(campaign_body(), indent=2)
        (folder / "huge.yaml").write_text(text + "\n#" + "x" * MiB)
    elif case == "gen-too-many-values":
        items = ", ".join(f'"L{n}"' for n in range(12_000))
        body = json.dumps(campaign_body())
        (folder / "many.yaml").write_text(body[:-1] + f', "contactLists": [{items}]}}')
    elif case == "gen-one-long-line":
        (folder / "long.yaml").write_text(json.dumps(campaign_body(description="d" * 900_000)))
    elif case == "gen-newline-in-file-name":
        (folder / "two\nlines.yaml").write_text(json.dumps(campaign_body(priority=0)))
    elif case == "gen-dangling-symlink":
        os.symlink("/nonexistent/campsync/outside.yaml", folder / "outside.yaml")
    elif case == "gen-symlink-loops":  # not in the corpus: pytest's own collection follows them
        (folder / "bad.yaml").write_text(json.dumps(campaign_body(priority=0)))
        os.symlink(".", folder / "loop")
        os.symlink("..", folder / "up")
    else:
        raise AssertionError(case)


GENERATED = [
    "gen-over-the-size-cap",
    "gen-too-many-values",
    "gen-one-long-line",
    "gen-newline-in-file-name",
    "gen-dangling-symlink",
    "gen-symlink-loops",
]


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under root: file bytes, or the target of a symlink."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                found[str(path)] = path.read_bytes()
    return found


@pytest.fixture
def ws(
    cli_env: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Workspace:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("CAMPSYNC_CACHE_DIR", raising=False)
    monkeypatch.delenv("CAMPSYNC_DEBUG", raising=False)
    return Workspace(work, cli_env, capsys)


@pytest.mark.parametrize("case", CORPUS + GENERATED)
def test_every_command_refuses_hostile_files_cleanly(ws: Workspace, case: str) -> None:
    shutil.rmtree(ws.campaigns)
    if case in GENERATED:
        ws.campaigns.mkdir()
        make_generated(case, ws.campaigns)
    else:
        shutil.copytree(HOSTILE / case, ws.campaigns, symlinks=True)
    (ws.campaigns / "expected.txt").unlink(missing_ok=True)
    outside = ws.root.parent
    before_outside = sorted(p.name for p in outside.iterdir())
    before = snapshot(ws.campaigns)

    for args in (
        ("validate",),
        ("plan", "--out", "plan.json"),
        ("apply", "--auto-approve"),
        ("pull",),
        ("pull", "--overwrite"),
    ):
        result = ws.cli(*args)
        # pull needs only names and ids: files that load but break the schema may pass it
        # (with nothing on the platform to pull, it then writes nothing).
        if args[0] == "pull" and result.code == 0:
            continue
        assert result.code == 1, (args, result.out, result.err)
        assert "Traceback" not in result.out + result.err, args
        assert "internal error" not in result.err, (args, result.err)
        lines = result.err.splitlines()
        assert lines, args
        if args[0] != "validate":
            assert lines[-1].startswith("campsync: error: "), (args, result.err)

    assert ws.writes() == 0
    assert ws.store.stats()["by_kind"]["get"] == 0
    assert not (ws.root / "plan.json").exists()
    assert snapshot(ws.campaigns) == before  # pull wrote nothing into the folder
    assert sorted(p.name for p in outside.iterdir()) == before_outside
    written = [
        Path(path).relative_to(ws.root)
        for path in snapshot(ws.root)
        if not path.startswith(str(ws.campaigns) + os.sep)
    ]
    assert all(p.parts[0] == ".campsync" for p in written), written
