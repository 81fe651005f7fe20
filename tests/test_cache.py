"""The local cache (campsync/cache.py): keys, isolation between targets, pruning, corrupt or
unwritable caches (never fatal), permissions, no secrets, and the validated-files store."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from campsync.campaign.reader import read_campaign_files
from campsync.config.target import Target
from campsync.sync.cache import CampaignCache, FileCache, target_key
from campsync.sync.inventory import Keep, Listed, whole
from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace

KEY = b"a test key for the files store".ljust(32, b".")
T = TypeVar("T")

HOST = "https://platform.kore.ai"


def listed(cid: str, updated_at: str | None) -> Listed:
    return Listed(cid, cid, updated_at, "Ready", "voice", {"_id": cid})


def campaigns_cache(folder: Path, account: str = "acct-1") -> CampaignCache:
    return CampaignCache(folder, target_key(Target(HOST, "st-1", account)))


class Recorder:
    """An inner fetcher that answers every id with a body and records what it was asked."""

    def __init__(self, stamp: str | None = None) -> None:
        self.asked: list[list[str]] = []
        self.stamp = stamp

    async def __call__(self, wanted: Sequence[Listed], keep: Keep[T]) -> dict[str, T]:
        self.asked.append([e.id for e in wanted])
        return {
            e.id: keep(e, {"_id": e.id, "name": "x", "updatedAt": self.stamp or e.updated_at})
            for e in wanted
        }


def fetch(
    cache: CampaignCache, inner: Recorder, entries: list[Listed], refresh: bool = False
) -> dict[str, dict[str, Any]]:
    async def run() -> dict[str, dict[str, Any]]:
        return await cache.fetcher(inner, refresh=refresh)(entries, whole)

    return asyncio.run(run())


def test_hits_need_the_same_updated_at(tmp_path: Path) -> None:
    cache = campaigns_cache(tmp_path)
    inner = Recorder()
    fetch(cache, inner, [listed("cd-1", "t1"), listed("cd-2", "t1")])
    got = fetch(cache, inner, [listed("cd-1", "t1"), listed("cd-2", "t2"), listed("cd-3", None)])
    assert inner.asked == [["cd-1", "cd-2"], ["cd-2", "cd-3"]]
    assert set(got) == {"cd-1", "cd-2", "cd-3"}
    assert cache.get("cd-3", None) is None  # no updatedAt: never served from the cache


def test_a_body_is_kept_under_its_own_updated_at(tmp_path: Path) -> None:
    """Changed between the list and the read: the body shows the newer state."""
    cache = campaigns_cache(tmp_path)
    fetch(cache, Recorder(stamp="t2"), [listed("cd-1", "t1")])
    assert cache.get("cd-1", "t1") is None
    assert cache.get("cd-1", "t2") is not None


def test_refresh_reads_everything_and_rewrites(tmp_path: Path) -> None:
    cache = campaigns_cache(tmp_path)
    inner = Recorder()
    fetch(cache, inner, [listed("cd-1", "t1")])
    fetch(cache, inner, [listed("cd-1", "t1")], refresh=True)
    assert inner.asked == [["cd-1"], ["cd-1"]]


def test_bodies_go_to_keep_as_they_come_and_are_stored_in_the_order_asked(
    tmp_path: Path,
) -> None:
    cache = campaigns_cache(tmp_path)

    async def backwards(wanted: Sequence[Listed], keep: Keep[T]) -> dict[str, T]:
        answers = [(e, {"_id": e.id, "status": "Ready", "updatedAt": "t1"}) for e in wanted]
        return {e.id: keep(e, body) for e, body in reversed(answers)}

    seen: list[tuple[str, Any]] = []

    def keep(entry: Listed, body: dict[str, Any]) -> str:
        seen.append((entry.id, body.get("status")))
        return entry.id

    wanted = [listed("cd-1", "t1"), listed("cd-2", "t1")]
    got = asyncio.run(cache.fetcher(backwards)(wanted, keep))
    assert got == {"cd-1": "cd-1", "cd-2": "cd-2"}
    assert seen == [("cd-2", "Ready"), ("cd-1", "Ready")]  # the body read keeps its status
    assert cache.save() is None
    assert list(json.loads(cache.path.read_text())["campaigns"]) == ["cd-1", "cd-2"]
    seen.clear()
    assert asyncio.run(cache.fetcher(backwards)(wanted[:1], keep)) == {"cd-1": "cd-1"}
    assert seen == [("cd-1", None)] and cache.hits == 1  # from the cache: no status
    assert cache.get("cd-1", "t1") == {"_id": "cd-1", "updatedAt": "t1"}


def test_saved_and_loaded_per_target_only(tmp_path: Path) -> None:
    cache = campaigns_cache(tmp_path)
    cache.put("cd-1", "t1", {"name": "One"})
    assert cache.save() is None
    mine = campaigns_cache(tmp_path)
    assert mine.load() is None and mine.get("cd-1", "t1") == {"name": "One"}
    other = campaigns_cache(tmp_path, account="acct-2")
    assert other.load() is None and len(other) == 0
    # even a file copied over another target's name is refused
    os.replace(cache.path, other.path)
    warning = other.load()
    assert warning is not None and "ignored" in warning and len(other) == 0


def test_a_store_is_written_as_one_compact_json_dumps_would_write_it(tmp_path: Path) -> None:
    """Written entry by entry (never as one string), the file is byte for byte the text of
    the whole document, non-ASCII text as it is."""
    cache = campaigns_cache(tmp_path)
    cache.put("cd-1", "t1", {"name": "Überweisung ✓", "n": [1, 2.5, None, True], "o": {}})
    cache.put("cd-2", "t2", {"name": 'quote " and \\ backslash'})
    assert cache.save() is None
    expected = {
        "format": 1,
        "target": cache.target,
        "code": None,
        "campaigns": {
            "cd-1": ["t1", {"name": "Überweisung ✓", "n": [1, 2.5, None, True], "o": {}}],
            "cd-2": ["t2", {"name": 'quote " and \\ backslash'}],
        },
    }
    text = json.dumps(expected, separators=(",", ":"), ensure_ascii=False)
    assert cache.path.read_bytes() == text.encode("utf-8")
    empty = campaigns_cache(tmp_path / "empty")
    empty.mark_fresh()
    assert empty.save() is None
    assert json.loads(empty.path.read_bytes())["campaigns"] == {}


def test_a_store_that_cannot_be_written_whole_leaves_the_old_file(tmp_path: Path) -> None:
    cache = campaigns_cache(tmp_path)
    cache.put("cd-1", "t1", {"name": "One"})
    assert cache.save() is None
    before = cache.path.read_bytes()
    cache.put("cd-2", "t1", {"name": "lone surrogate \udc80"})  # not UTF-8
    warning = cache.save()
    assert warning is not None and "cannot write the cache" in warning
    assert cache.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", cache.path.name]


def test_target_key_differs_by_host_stream_and_account() -> None:
    keys = {
        target_key(Target(HOST, "st-1", "a")),
        target_key(Target("https://other.example", "st-1", "a")),
        target_key(Target(HOST, "st-2", "a")),
        target_key(Target(HOST, "st-1", "b")),
    }
    assert len(keys) == 4
    assert target_key(Target(HOST + "/", "st-1", "a")) == target_key(Target(HOST, "st-1", "a"))
    # the name campsync 0.2 gave the same target's stores: a cache made before stays in use
    assert target_key(Target(HOST, "st-1", "a")) == "40c9e7a534883fb7d9ded9047471f75e"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"format": 99}', b"\xff\xfe", b'{"format":1,"campaigns":"x"}'],
)
def test_a_corrupt_cache_is_empty_with_one_line_warning(tmp_path: Path, content: bytes) -> None:
    cache = campaigns_cache(tmp_path)
    cache.path.parent.mkdir(parents=True, exist_ok=True)
    cache.path.write_bytes(content)
    warning = cache.load()
    assert warning is not None and "\n" not in warning and len(cache) == 0


def test_bad_entries_are_dropped_good_ones_kept(tmp_path: Path) -> None:
    cache = campaigns_cache(tmp_path)
    cache.put("cd-1", "t1", {"name": "One"})
    cache.save()
    document = json.loads(cache.path.read_text())
    document["campaigns"]["cd-2"] = ["t1", "not a body"]
    document["campaigns"]["cd-3"] = "junk"
    cache.path.write_text(json.dumps(document))
    assert cache.load() is None
    assert len(cache) == 1 and cache.get("cd-1", "t1") == {"name": "One"}


def test_files_are_private_and_the_folder_ignores_itself(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "cache"
    cache = campaigns_cache(folder)
    cache.put("cd-1", "t1", {"name": "One"})
    assert cache.save() is None
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / ".gitignore").read_text() == "*\n"


def test_an_unwritable_cache_is_a_warning(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = campaigns_cache(blocker / "cache")
    cache.put("cd-1", "2025-01-01T00:00:00.000Z", {"_id": "cd-1"})
    warning = cache.save()
    assert warning is not None and "cannot write the cache" in warning


def test_a_status_is_never_stored(tmp_path: Path) -> None:
    """Preparing -> Ready leaves updatedAt as it was: a stored status would outlive it."""
    cache = campaigns_cache(tmp_path)
    body = {"_id": "cd-1", "status": "Preparing", "updatedAt": "t1"}
    cache.remember_answer("cd-1", body)
    cache.put("cd-2", "t1", body)
    assert body["status"] == "Preparing"  # the caller's body (read in this run) keeps it
    assert cache.save() is None
    document = json.loads(cache.path.read_text())
    document["campaigns"]["cd-3"] = ["t1", body]  # as an older campsync wrote it
    cache.path.write_text(json.dumps(document))
    again = campaigns_cache(tmp_path)
    assert again.load() is None
    for cid in ("cd-1", "cd-2", "cd-3"):
        stored = again.get(cid, "t1")
        assert stored is not None and "status" not in stored


def test_retain_prunes_unlisted(tmp_path: Path) -> None:
    cache = campaigns_cache(tmp_path)
    for cid in ("cd-1", "cd-2", "cd-3"):
        cache.put(cid, "t", {})
    cache.retain(["cd-2", "cd-9"])
    assert len(cache) == 1 and cache.get("cd-2", "t") == {}


# ---- validated files ----------------------------------------------------------------


def write_campaign(folder: Path, name: str, **changes: Any) -> Path:
    path = folder / f"{name.lower().replace(' ', '-')}.yaml"
    path.write_text(json.dumps(campaign_body(name, **changes), indent=2), encoding="utf-8")
    return path


def test_file_cache_gives_the_same_result_and_skips_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "campaigns"
    folder.mkdir()
    write_campaign(folder, "One")
    write_campaign(folder, "Two")
    (folder / "bad.yaml").write_text("name: [\n", encoding="utf-8")
    plain = read_campaign_files([folder])

    first = FileCache(tmp_path / "cache", key=KEY)
    assert first.load() is None
    assert read_campaign_files([folder], memo=first) == plain
    assert first.save() is None

    second = FileCache(tmp_path / "cache", key=KEY)
    assert second.load() is None
    assert read_campaign_files([folder], memo=second) == plain
    assert second.hits == 2 and second.misses == 1  # the invalid file is parsed again

    write_campaign(folder, "Two", description="Edited.")
    third = FileCache(tmp_path / "cache", key=KEY)
    third.load()
    result = read_campaign_files([folder], memo=third)
    assert third.hits == 1 and third.misses == 2
    assert {f.data["description"] for f in result.files if f.data["name"] == "Two"} == {"Edited."}


def test_cross_file_rules_still_apply_to_cached_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "campaigns"
    folder.mkdir()
    write_campaign(folder, "One")
    memo = FileCache(tmp_path / "cache", key=KEY)
    read_campaign_files([folder], memo=memo)
    memo.save()
    (folder / "copy.yaml").write_text((folder / "one.yaml").read_text(), encoding="utf-8")
    memo = FileCache(tmp_path / "cache", key=KEY)
    memo.load()
    result = read_campaign_files([folder], memo=memo)
    assert result == read_campaign_files([folder])
    assert any("also used in" in p.message for p in result.problems)


def test_file_cache_of_another_code_version_is_not_used(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, key=KEY)
    cache.save()
    document = json.loads(cache.path.read_text())
    document["code"] = "older"
    document["files"] = {"x.yaml": ["digest", {"name": "X"}, None, None]}
    cache.path.write_text(json.dumps(document))
    fresh = FileCache(tmp_path, key=KEY)
    assert fresh.load() is None and len(fresh) == 0


# ---- through the CLI ----------------------------------------------------------------


def test_plan_with_a_corrupt_cache_warns_once_and_works(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("One"))
    ws.write("one.yaml", {"id": cid, **campaign_body("One")})
    assert ws.cli("plan").code == 0
    for path in Path(".campsync/cache").glob("*.json"):
        path.write_text("{broken", encoding="utf-8")
    result = ws.cli("plan")
    assert result.code == 0
    warnings = [line for line in result.err.splitlines() if "warning: cache" in line]
    # files, platform bodies, equal pairs, history, requests sent and the records of
    # agreement (read as the pair found equal again is recorded): each warns once
    assert len(warnings) == 6 and all("ignored" in w for w in warnings)
    assert "Traceback" not in result.err
    assert ws.cli("plan").err.count("warning: cache") == 0  # rewritten


def test_cache_dir_is_settable_and_holds_no_secret(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CAMPSYNC_CACHE_DIR", str(tmp_path / "ci-cache"))
    (cid,) = ws.seed(campaign_body("One"))
    ws.write("one.yaml", {"id": cid, **campaign_body("One")})
    assert ws.cli("plan").code == 0
    assert not Path(".campsync").exists()
    stored = {p.name: p.read_text() for p in (tmp_path / "ci-cache").iterdir()}
    assert ".gitignore" in stored and any(n.startswith("campaigns-") for n in stored)
    secret = ws.emulator.config.client_secret
    assert all(secret not in text and "eyJ" not in text for text in stored.values())


# ---- pairs found equal (the warm path) ---------------------------------------------


def _stats(ws: Workspace) -> dict[str, int]:
    stats = ws.store.stats()
    ws.store.reset_stats()
    return {k: int(v) for k, v in stats["by_kind"].items() if v}


def test_a_warm_plan_reads_no_body_and_compares_nothing(ws: Workspace) -> None:
    ids = ws.seed(campaign_body("One"), campaign_body("Two"))
    for cid, name in zip(ids, ("One", "Two"), strict=True):
        ws.write(f"{name.lower()}.yaml", {"id": cid, **campaign_body(name)})
    assert ws.cli("plan").code == 0
    # Were the bodies read, this corrupt file would give a warning.
    (bodies,) = Path(".campsync/cache").glob("campaigns-*.json")
    bodies.write_text("{broken", encoding="utf-8")
    _stats(ws)
    result = ws.cli("plan", "--detailed-exitcode")
    assert result.code == 0, result.out + result.err
    assert "warning: cache" not in result.err
    assert _stats(ws) == {"list": 1}
    assert bodies.read_text(encoding="utf-8") == "{broken"  # untouched: nothing to write


def test_an_equal_pair_keeps_its_warnings_and_a_new_flow_mapping_compares_again(
    ws: Workspace,
) -> None:
    (cid,) = ws.seed(campaign_body("One"))
    ws.write("one.yaml", {"id": cid, **campaign_body("One")})
    first = ws.plan_json()
    assert first["summary"]["unchanged"] == 1
    assert any("not comparable" in w for w in first["warnings"])
    assert ws.plan_json()["warnings"] == first["warnings"]  # recalled, not recomputed
    # A mapping that points the file's flow at another id is a real difference: the pair
    # must be compared again, not recalled as equal.
    ws.config("experienceFlows:\n  Payment Reminder Flow: cf-00000000-not-this-campaigns\n")
    third = ws.plan_json()
    assert third["summary"]["update"] == 1
    assert [d["path"] for d in third["changes"][0]["diff"]] == ["experienceFlowName"]


def test_pairs_remembered_by_other_comparison_code_are_not_trusted(tmp_path: Path) -> None:
    from campsync.sync.cache import SameCache

    cache = SameCache(tmp_path, "target-1")
    cache.remember("key-1", ("a warning",))
    assert cache.save() is None
    again = SameCache(tmp_path, "target-1")
    assert again.load() is None and again.recall("key-1") == ("a warning",)
    other_code = SameCache(tmp_path, "target-1")
    other_code._fingerprint = "0" * 64  # as if diffing.py or model.py had changed
    assert other_code.load() is None and other_code.recall("key-1") is None
    other_target = SameCache(tmp_path, "target-2")
    assert other_target.load() is None and other_target.recall("key-1") is None
    assert stat.S_IMODE(os.stat(tmp_path / "same-target-1.json").st_mode) == 0o600


def test_a_campaign_read_while_preparing_is_not_blocked_once_listed_ready(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10, item 1: created by apply, planned at once (Preparing), then listed Ready with
    the same updatedAt: an edit plans as an update, from the cached body, on every plan."""
    ws.store.ready_after = 3600  # Preparing until the emulator's clock moves, below
    ws.write("new.yaml", campaign_body("Brand New"))
    assert ws.cli("apply", "--auto-approve").code == 0
    assert ws.stored_by_name("Brand New")["status"] == "Preparing"
    assert ws.cli("plan", "--detailed-exitcode").code == 0  # read (and cached) while Preparing
    stamp = ws.stored_by_name("Brand New")["updatedAt"]

    later = time.time() + 7200
    monkeypatch.setattr(ws.store, "_clock", lambda: later)  # the platform has set it up
    ready = ws.stored_by_name("Brand New")
    assert ready["status"] == "Ready" and ready["updatedAt"] == stamp

    ws.write("new.yaml", campaign_body("Brand New", description="Edited."))
    _stats(ws)
    for _ in range(2):
        plan = ws.plan_json()
        assert [(c["action"], c.get("reason")) for c in plan["changes"]] == [("update", None)]
    # the body came from the cache both times (the contact lists: the update's names checked)
    assert _stats(ws) == {"list": 2, "contactLists": 2}
    assert ws.cli("apply", "--auto-approve").code == 0
    assert ws.stored_by_name("Brand New")["description"] == "Edited."
