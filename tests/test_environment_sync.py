"""The sync's environment parts, without a platform: an environment's files are remembered
per environment (sync.cache.EnvironmentFileCache) and never recalled for other overrides.
(A create the platform would refuse for a field it never returns is a rule of deciding:
tests/test_planner.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from campsync.config.file import ConfigFile
from campsync.config.job import Job
from campsync.config.settings import load_settings
from campsync.errors import FilesInvalid
from campsync.sync.cache import EnvironmentFileCache
from campsync.sync.engine import Sync
from tests.fixtures_emulator import REMOTE, campaign_body

SECRET = "a test secret for the files store"
EVERY = {"dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}}}


def write_campaigns(folder: Path, count: int) -> None:
    folder.mkdir(exist_ok=True)
    for index in range(count):
        body = campaign_body(f"Campaign {index}")
        del body["dialingStrategy"]["callerId"]
        (folder / f"c{index}.yaml").write_text(json.dumps(body))


def caller_ids(files: list[Any]) -> set[str]:
    return {f.data["dialingStrategy"]["callerId"]["phoneNumber"] for f in files}


def sync_for(
    cache: Path, overrides: dict[str, Any], name: str = "staging", *, refresh: bool = False
) -> Sync:
    """A run under environment `name` of a campsync.yaml that gives it `overrides`."""
    config = ConfigFile("campsync.yaml", {"environments": {name: {"overrides": overrides}}})
    env = {**REMOTE, "KORE_CLIENT_SECRET": SECRET, "CAMPSYNC_CACHE_DIR": str(cache)}
    return Sync(Job.of(load_settings(config=config, environment=name, env=env)), refresh=refresh)


def test_a_warm_read_recalls_every_file_and_other_overrides_recall_none(tmp_path: Path) -> None:
    folder, cache = tmp_path / "campaigns", tmp_path / "cache"
    write_campaigns(folder, 3)

    first = sync_for(cache, {"*": EVERY}).read_files(folder)
    assert caller_ids(first) == {"+14845550100"}

    memo = sync_for(cache, {"*": EVERY}).cache.files
    assert isinstance(memo, EnvironmentFileCache)
    assert all(memo.recall(f.file, f.digest) is not None for f in first)
    assert memo.hits == 3

    # Same files, other overrides: nothing recalled; the merged data is the new one.
    changed = {"*": {"dialingStrategy": {"callerId": {"phoneNumber": "+1999"}}}}
    with pytest.raises(FilesInvalid):  # +1999 is no E.164 number: the merge was validated
        sync_for(cache, changed).read_files(folder)
    fixed = {"*": {"dialingStrategy": {"callerId": {"phoneNumber": "+1999555"}}}}
    files = sync_for(cache, fixed).read_files(folder)
    assert caller_ids(files) == {"+1999555"}
    assert {f.digest for f in files}.isdisjoint({f.digest for f in first})


def test_each_environment_keeps_its_own_memo(tmp_path: Path) -> None:
    folder, cache = tmp_path / "campaigns", tmp_path / "cache"
    write_campaigns(folder, 2)
    for name in ("staging", "production"):
        sync_for(cache, {"*": EVERY}, name).read_files(folder)
    stores = sorted(p.name for p in cache.glob("files-env-*.json"))
    assert len(stores) == 2
    memo = sync_for(cache, {"*": EVERY}).cache.files
    assert memo.recall("campaigns/c0.yaml", "x") is None  # another digest is never served


def test_refresh_ignores_the_memo(tmp_path: Path) -> None:
    folder, cache = tmp_path / "campaigns", tmp_path / "cache"
    write_campaigns(folder, 1)
    sync_for(cache, {"*": EVERY}).read_files(folder)
    store = next(cache.glob("files-env-*.json"))
    store.write_text("not json")
    sync = sync_for(cache, {"*": EVERY}, refresh=True)
    sync.read_files(folder)
    assert sync.finish() == []  # not even read
    assert json.loads(store.read_text())["files"]  # and rewritten
