"""The sync's environment parts (campsync.sync.environment), without a platform: an
environment's files are remembered per environment and never recalled for other overrides.
(A create the platform would refuse for a field it never returns is a rule of deciding:
tests/test_planner.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from campsync.config.environments import Environment
from campsync.errors import FilesInvalid
from campsync.sync.environment import EnvironmentFileCache, read_environment_files
from tests.fixtures_emulator import campaign_body

KEY = b"a test key for the files store".ljust(32, b".")
EVERY = {"dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}}}


def write_campaigns(folder: Path, count: int) -> None:
    folder.mkdir(exist_ok=True)
    for index in range(count):
        body = campaign_body(f"Campaign {index}")
        del body["dialingStrategy"]["callerId"]
        (folder / f"c{index}.yaml").write_text(json.dumps(body))


def caller_ids(files: list[Any]) -> set[str]:
    return {f.data["dialingStrategy"]["callerId"]["phoneNumber"] for f in files}


def test_a_warm_read_recalls_every_file_and_other_overrides_recall_none(tmp_path: Path) -> None:
    folder, cache = tmp_path / "campaigns", tmp_path / "cache"
    write_campaigns(folder, 3)
    staging = Environment("staging", overrides={"*": EVERY})

    first, _ = read_environment_files(folder, staging, cache_dir=cache, key=KEY)
    assert caller_ids(first) == {"+14845550100"}

    memo = EnvironmentFileCache(cache, "staging", key=KEY)
    memo.load()
    assert all(memo.recall(f.file, f.digest) is not None for f in first)
    assert memo.hits == 3

    # Same files, other overrides: nothing recalled; the merged data is the new one.
    changed = Environment(
        "staging", overrides={"*": {"dialingStrategy": {"callerId": {"phoneNumber": "+1999"}}}}
    )
    with pytest.raises(FilesInvalid):  # +1999 is no E.164 number: the merge was validated
        read_environment_files(folder, changed, cache_dir=cache, key=KEY)
    fixed = Environment(
        "staging", overrides={"*": {"dialingStrategy": {"callerId": {"phoneNumber": "+1999555"}}}}
    )
    files, _ = read_environment_files(folder, fixed, cache_dir=cache, key=KEY)
    assert caller_ids(files) == {"+1999555"}
    assert {f.digest for f in files}.isdisjoint({f.digest for f in first})


def test_each_environment_keeps_its_own_memo(tmp_path: Path) -> None:
    folder, cache = tmp_path / "campaigns", tmp_path / "cache"
    write_campaigns(folder, 2)
    for name in ("staging", "production"):
        read_environment_files(
            folder, Environment(name, overrides={"*": EVERY}), cache_dir=cache, key=KEY
        )
    stores = sorted(p.name for p in cache.glob("files-env-*.json"))
    assert len(stores) == 2
    memo = EnvironmentFileCache(cache, "staging", key=KEY)
    memo.load()
    assert memo.recall("campaigns/c0.yaml", "x") is None  # another digest is never served


def test_refresh_ignores_the_memo(tmp_path: Path) -> None:
    folder, cache = tmp_path / "campaigns", tmp_path / "cache"
    write_campaigns(folder, 1)
    environment = Environment("staging", overrides={"*": EVERY})
    read_environment_files(folder, environment, cache_dir=cache, key=KEY)
    store = next(cache.glob("files-env-*.json"))
    store.write_text("not json")
    _, warnings = read_environment_files(
        folder, environment, cache_dir=cache, key=KEY, refresh=True
    )
    assert warnings == []  # not even read
    assert json.loads(store.read_text())["files"]  # and rewritten
