"""The record of agreement (campsync.sync.cache.AgreedCache): kept per target, read only when
used, pruned with the list, and untrusted (another shape, target or comparison code: not
used; an odd entry: dropped)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from campsync.config.target import Target
from campsync.sync.cache.agreed import AgreedCache
from campsync.sync.cache.store import FolderCheck, compact_json, target_key
from campsync.sync.origin import Agreed

TARGET = target_key(Target("https://platform.kore.ai", "st-1", "acct-1"))
FORM = {"priority": "5", "dialingStrategy": {"maxRingTime": 30}}


def store(folder: Path, target: str = TARGET) -> AgreedCache:
    return AgreedCache(folder, target)


def saved(folder: Path, *ids: str) -> Path:
    """A store holding FORM at t1 for each id, saved; its file."""
    cache = store(folder)
    for cid in ids:
        cache.remember(cid, "t1", FORM)
    assert cache.save() is None
    return folder / f"agreed-{TARGET}.json"


def test_a_record_is_kept_across_runs(tmp_path: Path) -> None:
    first = store(tmp_path)
    first.remember("cd-1", "t1", FORM)
    assert first.save() is None
    second = store(tmp_path)
    assert second.recall("cd-1") == Agreed("t1", FORM)
    assert second.seen_at("cd-1") == "t1"
    assert second.recall("cd-2") is None and second.seen_at("cd-2") is None
    assert second.load_warning is None


def test_a_form_may_come_as_its_json_text(tmp_path: Path) -> None:
    """As the planner hands it over (made while the campaign's body was at hand)."""
    cache = store(tmp_path)
    cache.remember("cd-1", "t1", compact_json(FORM))
    assert cache.recall("cd-1") == Agreed("t1", FORM)
    cache.save()
    path = tmp_path / f"agreed-{TARGET}.json"
    assert json.loads(path.read_text())["campaigns"] == {"cd-1": ["t1", FORM]}
    os.utime(path, (1, 1))
    again = store(tmp_path)
    again.remember("cd-1", "t1", compact_json(FORM))  # the same, read back as data
    assert again.save() is None and path.stat().st_mtime == 1


def test_a_new_record_replaces_the_old_one_and_forget_drops_it(tmp_path: Path) -> None:
    cache = store(tmp_path)
    cache.remember("cd-1", "t1", FORM)
    cache.remember("cd-1", "t2", {"priority": "1"})
    cache.remember("cd-2", "t1", FORM)
    cache.forget("cd-2")
    cache.save()
    again = store(tmp_path)
    assert again.recall("cd-1") == Agreed("t2", {"priority": "1"})
    assert again.recall("cd-2") is None


def test_the_file_is_read_only_when_used_and_written_only_when_changed(tmp_path: Path) -> None:
    """A warm plan of unchanged campaigns recalls nothing and learns nothing: no read, no
    write (a file that cannot be read would warn if it were read)."""
    path = tmp_path / f"agreed-{TARGET}.json"
    path.write_text("{not json")
    os.chmod(path, 0o600)
    cache = store(tmp_path)
    cache.retain(["cd-1"])
    assert cache.save() is None
    assert cache.load_warning is None
    assert path.read_text() == "{not json"
    assert cache.recall("cd-1") is None
    assert cache.load_warning is not None and "not valid JSON" in cache.load_warning


def test_an_unchanged_store_is_not_rewritten(tmp_path: Path) -> None:
    path = saved(tmp_path, "cd-1")
    os.utime(path, (1, 1))
    again = store(tmp_path)
    again.remember("cd-1", "t1", dict(FORM))
    assert again.save() is None
    assert path.stat().st_mtime == 1


def test_campaigns_no_longer_listed_are_forgotten(tmp_path: Path) -> None:
    path = saved(tmp_path, "cd-1", "cd-2")
    later = store(tmp_path)
    later.retain(["cd-2"])  # before the file is read: applied when it is
    assert later.recall("cd-1") is None
    later.save()
    assert set(json.loads(path.read_text())["campaigns"]) == {"cd-2"}


def test_a_record_of_another_target_is_not_used(tmp_path: Path) -> None:
    path = saved(tmp_path, "cd-1")
    other = target_key(Target("https://platform.kore.ai", "st-1", "acct-2"))
    (tmp_path / f"agreed-{other}.json").write_bytes(path.read_bytes())
    os.chmod(tmp_path / f"agreed-{other}.json", 0o600)
    foreign = store(tmp_path, other)
    assert foreign.recall("cd-1") is None
    assert foreign.load_warning is not None and "target" in foreign.load_warning


def test_records_of_other_comparison_code_are_not_used(tmp_path: Path) -> None:
    path = saved(tmp_path, "cd-1")
    document = json.loads(path.read_text())
    document["code"] = "another campsync"
    path.write_text(json.dumps(document))
    again = store(tmp_path)
    assert again.recall("cd-1") is None
    assert again.load_warning is None  # silently: a newer campsync starts afresh


def test_entries_of_another_shape_are_dropped(tmp_path: Path) -> None:
    cache = store(tmp_path)
    cache.remember("cd-ok", "t1", FORM)
    cache.remember("cd-no-stamp", None, FORM)
    cache.save()
    path = tmp_path / f"agreed-{TARGET}.json"
    document = json.loads(path.read_text())
    document["campaigns"].update(
        {
            "cd-a": ["t1"],
            "cd-b": [1, {}],
            "cd-c": ["t1", ["not", "a", "form"]],
            "cd-d": "t1",
            "cd-e": ["t1", {}, "extra"],
        }
    )
    path.write_text(json.dumps(document))
    again = store(tmp_path)
    assert again.recall("cd-ok") == Agreed("t1", FORM)
    assert again.recall("cd-no-stamp") == Agreed(None, FORM)
    assert all(again.recall(cid) is None for cid in ("cd-a", "cd-b", "cd-c", "cd-d", "cd-e"))
    again.save()  # and they are gone from the file
    assert set(json.loads(path.read_text())["campaigns"]) == {"cd-ok", "cd-no-stamp"}


def test_a_folder_not_trusted_is_neither_read_nor_written(tmp_path: Path) -> None:
    saved(tmp_path, "cd-1")
    untrusted = store(tmp_path)
    untrusted.trust(FolderCheck(read=False, write=False))
    assert untrusted.recall("cd-1") is None
    untrusted.remember("cd-2", "t1", FORM)
    assert untrusted.save() is None
    assert store(tmp_path).recall("cd-2") is None


def test_the_file_is_owner_only(tmp_path: Path) -> None:
    assert saved(tmp_path / "cache", "cd-1").stat().st_mode & 0o777 == 0o600
