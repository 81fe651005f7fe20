"""The campaign files of a run are found by one walk of PATH (campaign.reader): a plan or an
apply, plain or under an environment, and a validate under every environment list each
folder once, however many views of the files they need."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from campsync.cli import main
from campsync.config.file import ConfigFile
from campsync.config.job import Job
from campsync.config.settings import load_settings
from campsync.sync.engine import Sync
from tests.fixtures_emulator import REMOTE, campaign_body

CONFIG = """\
environments:
  staging:
    campaigns: ["common/**", "staging/**"]
    overrides:
      "*": {priority: 3}
  production:
    campaigns: ["common/**", "production/**"]
"""


@pytest.fixture
def listings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How often each folder is listed (os.scandir), by its real path."""
    counted: Counter[str] = Counter()
    scandir = os.scandir

    def counting(path: Any = ".") -> Any:
        counted[os.path.realpath(path)] += 1
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    yield counted


def write_files(root: Path) -> Path:
    folder = root / "campaigns"
    for index, sub in enumerate(("common", "staging", "production", "common/deeper")):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        body = campaign_body(f"Campaign {index}")
        (folder / sub / f"c{index}.yaml").write_text(json.dumps(body), encoding="utf-8")
    return folder


def folders(root: Path) -> set[str]:
    return {os.path.realpath(p) for p in [root, *root.rglob("*")] if p.is_dir()}


@pytest.mark.parametrize("environment", [None, "staging"])
def test_reading_the_files_of_a_plan_lists_each_folder_once(
    environment: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    listings: Counter[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_files(tmp_path)
    config = ConfigFile("campsync.yaml", {"environments": {"staging": {}}} if environment else {})
    env = {
        **REMOTE,
        "KORE_CLIENT_SECRET": "a secret",
        "CAMPSYNC_CACHE_DIR": str(tmp_path / "cache"),
    }
    sync = Sync(Job.of(load_settings(config=config, environment=environment, env=env)))
    expected = folders(folder)
    listings.clear()

    files = sync.read_files(folder)

    assert len(files) == 4
    assert {path: n for path, n in listings.items() if path in expected} == dict.fromkeys(
        expected, 1
    )


def test_validate_under_every_environment_lists_each_folder_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    listings: Counter[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_files(tmp_path)
    (tmp_path / "campsync.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "loose.yaml").write_text(json.dumps(campaign_body("Loose")), encoding="utf-8")
    os.symlink(folder / "common", folder / "linked")
    expected = folders(folder)
    listings.clear()

    assert main(["validate", "campaigns"]) == 0

    err = capsys.readouterr().err
    assert "in no environment's campaigns" in err and "campaigns/loose.yaml" in err
    assert "campaigns/linked: a symbolic link to a folder, not followed" in err
    assert "5 files valid (environments 'staging', 'production')" in err
    assert {path: n for path, n in listings.items() if path in expected} == dict.fromkeys(
        expected, 1
    )
