"""The record of agreement (campsync.sync.cache.AgreedCache): a campaign's body with its
queue and type, kept per target, read only when used, pruned with the list, recalled in
comparable form, and untrusted (another shape, target or comparison code: not used; an odd
entry: dropped)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from campsync.config.target import Target
from campsync.sync.cache.agreed import RECORD_VERSION, AgreedCache
from campsync.sync.cache.stamped import text_of
from campsync.sync.cache.store import FolderCheck, compact_json, target_key
from campsync.sync.diffing import agreed_form
from campsync.sync.origin import Agreed
from tests.test_model import SAMPLE_RESPONSE_DATA

TARGET = target_key(Target("https://platform.kore.ai", "st-1", "acct-1"))
BODY: dict[str, Any] = {k: v for k, v in SAMPLE_RESPONSE_DATA.items() if k != "status"}
FORM = agreed_form(BODY, queue="Sales Queue", campaign_type="voice")


def store(folder: Path, target: str = TARGET) -> AgreedCache:
    return AgreedCache(folder, target)


def remember(cache: AgreedCache, cid: str, stamp: str | None = "t1", body: Any = None) -> None:
    body = compact_json(BODY) if body is None else body
    cache.remember(cid, stamp, body, queue="Sales Queue", campaign_type="voice")


def saved(folder: Path, *ids: str) -> Path:
    """A store holding BODY at t1 for each id, saved; its file."""
    cache = store(folder)
    for cid in ids:
        remember(cache, cid)
    assert cache.save() is None
    return folder / f"agreed-{TARGET}.json"


def test_a_record_is_kept_across_runs_and_recalled_in_comparable_form(tmp_path: Path) -> None:
    path = saved(tmp_path, "cd-1")
    assert json.loads(path.read_text())["campaigns"]["cd-1"] == ["t1", BODY, "Sales Queue", "voice"]
    again = store(tmp_path)
    assert again.recall("cd-1") == Agreed("t1", FORM)
    assert FORM["queue_name"] == "Sales Queue" and FORM["priority"] == "5"
    assert again.seen_at("cd-1") == "t1" and again.holds("cd-1")
    assert again.recall("cd-2") is None and again.seen_at("cd-2") is None
    assert again.load_warning is None


def test_the_body_is_the_bodies_stores_own_text(tmp_path: Path) -> None:
    """Shared, not copied: the text the bodies' store holds is the one written."""
    text = compact_json(BODY)
    cache = store(tmp_path)
    remember(cache, "cd-1", body=text)
    assert cache._held("cd-1", "t1") is text
    assert text_of(text) is text


def test_a_record_at_the_same_updated_at_stands(tmp_path: Path) -> None:
    path = saved(tmp_path, "cd-1")
    os.utime(path, (1, 1))
    again = store(tmp_path)
    remember(again, "cd-1", body=compact_json({"other": "text, same stamp"}))
    assert again.save() is None and path.stat().st_mtime == 1
    remember(again, "cd-1", stamp="t2", body=compact_json({**BODY, "priority": "1"}))
    again.save()
    assert store(tmp_path).recall("cd-1") == Agreed("t2", {**FORM, "priority": "1"})


def test_forget_drops_a_record(tmp_path: Path) -> None:
    saved(tmp_path, "cd-1", "cd-2")
    cache = store(tmp_path)
    cache.forget("cd-2")
    cache.save()
    assert store(tmp_path).recall("cd-2") is None and store(tmp_path).holds("cd-1")


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


def test_records_of_another_version_are_not_used(tmp_path: Path) -> None:
    path = saved(tmp_path, "cd-1")
    assert json.loads(path.read_text())["code"] == RECORD_VERSION  # not the comparison code's:
    document = json.loads(path.read_text())  # a record is a body, compared by today's code
    document["code"] = "agreed 0"
    path.write_text(json.dumps(document))
    again = store(tmp_path)
    assert again.recall("cd-1") is None
    assert again.load_warning is None  # silently: a newer campsync starts afresh


def test_entries_of_another_shape_are_dropped(tmp_path: Path) -> None:
    path = saved(tmp_path, "cd-ok")
    document = json.loads(path.read_text())
    deep: Any = {}
    for _ in range(900):
        deep = {"dialingStrategy": deep}
    document["campaigns"].update(
        {
            "cd-no-stamp": [None, BODY, None, "voice"],
            "cd-a": ["t1", BODY, "q"],
            "cd-b": [1, BODY, "q", "voice"],
            "cd-c": ["t1", ["not", "a", "body"], "q", "voice"],
            "cd-d": "t1",
            "cd-e": ["t1", BODY, "q", "voice", "more"],
            "cd-deep": ["t1", {"dialingStrategy": deep}, None, "voice"],
        }
    )
    path.write_text(json.dumps(document))
    again = store(tmp_path)
    assert again.recall("cd-ok") == Agreed("t1", FORM)
    without_queue = {k: v for k, v in FORM.items() if k != "queue_name"}
    assert again.recall("cd-no-stamp") == Agreed(None, without_queue)
    assert all(again.recall(cid) is None for cid in ("cd-a", "cd-b", "cd-c", "cd-d", "cd-e"))
    assert again.recall("cd-deep") is None  # too deep to put in comparable form: no record
    again.save()  # and the dropped ones are gone from the file
    kept = set(json.loads(path.read_text())["campaigns"])
    assert kept == {"cd-ok", "cd-no-stamp", "cd-deep"}


def test_a_folder_not_trusted_is_neither_read_nor_written(tmp_path: Path) -> None:
    saved(tmp_path, "cd-1")
    untrusted = store(tmp_path)
    untrusted.trust(FolderCheck(read=False, write=False))
    assert untrusted.recall("cd-1") is None
    remember(untrusted, "cd-2")
    assert untrusted.save() is None
    assert store(tmp_path).recall("cd-2") is None


def test_the_file_is_owner_only(tmp_path: Path) -> None:
    assert saved(tmp_path / "cache", "cd-1").stat().st_mode & 0o777 == 0o600
