"""The local cache is untrusted input (issue 18, item 3): whoever can write it (another user,
a cache restored across branches by CI) must not decide what is sent.

- File data recalled from the cache (the plain files' store and each environment's) is used
  only when the store's signature, made with a key derived from the client secret over all
  it holds, verifies: an edited entry, kept under its digest, is not used, the file is read
  again, and what is sent (bodies, the id a file is matched by) comes from it.
- A cache folder that others may write (group or world) is made owner-only, and what it holds
  is not used by that run; one owned by another user is not used at all; a cache file that
  others may write, that is a symbolic link or no regular file is ignored. Each with a
  one-line warning.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from campsync.campaign.reader import read_campaign_files
from campsync.emulator.auth import encode_hs256
from campsync.sync.cache import FileCache
from tests.fixtures_emulator import campaign_body
from tests.fixtures_guard import sent
from tests.fixtures_workspace import Workspace

CACHE = Path(".campsync/cache")
FILE_CALLER_ID = "+14155550100"  # campaign_body's
FORGED_CALLER_ID = "+19995550123"
NOBODY = 65534


def edit_cached_data(store: Path, file: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """Change the data a store holds for `file` and write it back under the same digest, as
    someone who can write the cache would (however an entry keeps its data)."""
    document = json.loads(store.read_text())
    entries = document["files"]
    entry = entries[file]
    if isinstance(entry[1], dict):
        edit(entry[1])
    else:  # the data inside a JSON text
        payload = json.loads(entry[1])
        edit(payload[0])
        entry[1] = json.dumps(payload, separators=(",", ":"))
    store.write_text(json.dumps(document))


def forge_caller_id(data: dict[str, Any]) -> None:
    data["dialingStrategy"]["callerId"]["phoneNumber"] = FORGED_CALLER_ID


def caller_id(ws: Workspace, campaign_id: str) -> str:
    return str(ws.stored(campaign_id)["dialingStrategy"]["callerId"]["phoneNumber"])


def edited_on_the_platform(ws: Workspace, campaign_id: str) -> None:
    """Someone edits the campaign on the platform: the next plan compares it again."""
    ws.store.update_campaign(campaign_id, campaign_body("One", description="Edited there."))


def test_an_edited_cached_file_is_not_what_apply_sends(ws: Workspace) -> None:
    (one,) = ws.seed(campaign_body("One"))
    ws.write("one.yaml", campaign_body("One"))
    assert ws.cli("plan").code == 0  # the files' store now holds one.yaml
    edit_cached_data(CACHE / "files.json", "campaigns/one.yaml", forge_caller_id)
    edited_on_the_platform(ws, one)
    ws.store.reset_stats()

    plan = ws.plan_json()
    assert [d["path"] for d in plan["changes"][0]["diff"]] == ["description"]
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 0, result.err
    assert sent(ws) == {"update": 1}
    assert caller_id(ws, one) == FILE_CALLER_ID
    assert ws.stored(one)["description"] == campaign_body()["description"]


def test_an_id_added_to_a_cached_file_sends_nothing_to_that_campaign(ws: Workspace) -> None:
    alpha, beta = ws.seed(campaign_body("Alpha"), campaign_body("Beta", description="Beta's."))
    ws.write("alpha.yaml", campaign_body("Alpha"))
    ws.write("beta.yaml", campaign_body("Beta", description="Beta's."))
    assert ws.cli("plan").code == 0
    os.remove(ws.campaigns / "beta.yaml")  # Beta: unmanaged from now on
    edit_cached_data(CACHE / "files.json", "campaigns/alpha.yaml", lambda d: d.update(id=beta))
    ws.store.reset_stats()

    result = ws.cli("apply", "--auto-approve")

    assert result.code == 0, result.err
    assert sent(ws) == {}
    assert ws.stored(beta)["name"] == "Beta" and ws.stored(beta)["description"] == "Beta's."
    assert ws.stored(alpha)["name"] == "Alpha"


def test_an_edited_environment_file_cache_is_not_what_apply_sends(ws: Workspace) -> None:
    ws.config("environments:\n  staging: {}\n")
    (one,) = ws.seed(campaign_body("One"))
    ws.write("one.yaml", campaign_body("One"))
    assert ws.cli("plan", "--env", "staging").code == 0
    (store,) = CACHE.glob("files-env-*.json")
    edit_cached_data(store, "campaigns/one.yaml", forge_caller_id)
    edited_on_the_platform(ws, one)
    ws.store.reset_stats()

    result = ws.cli("apply", "--env", "staging", "--auto-approve")

    assert result.code == 0, result.err
    assert sent(ws) == {"update": 1} and caller_id(ws, one) == FILE_CALLER_ID


def test_a_cache_made_with_another_secret_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "one.yaml").write_text(json.dumps(campaign_body("One")))
    first = FileCache(tmp_path / "cache", key=b"k" * 32)
    read_campaign_files([Path("campaigns")], memo=first)
    assert first.save() is None
    for key, hits in ((b"k" * 32, 1), (b"other" * 8, 0), (None, 0)):
        again = FileCache(tmp_path / "cache", key=key)
        again.load()
        assert read_campaign_files([Path("campaigns")], memo=again).ok
        assert again.hits == hits


# -- the folder and its files -----------------------------------------------------------------


def warnings_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("campsync: warning: cache")]


def test_a_cache_folder_others_may_write_is_made_owner_only_and_not_trusted(
    ws: Workspace,
) -> None:
    (one,) = ws.seed(campaign_body("One"))
    ws.write("one.yaml", campaign_body("One"))
    assert ws.cli("plan").code == 0
    CACHE.chmod(0o777)
    edit_cached_data(CACHE / "files.json", "campaigns/one.yaml", forge_caller_id)
    ws.store.reset_stats()

    result = ws.cli("plan", "--json")

    assert result.code == 0, result.err
    assert warnings_of(result.err) == [
        "campsync: warning: cache folder .campsync/cache could be written by other users: "
        "made owner-only (0700), and what it held is not used by this run"
    ]
    assert stat.S_IMODE(CACHE.stat().st_mode) == 0o700
    assert ws.store.stats()["by_kind"].get("get") == 1  # the body read again, not recalled
    assert json.loads(result.out)["changes"] == []
    assert warnings_of(ws.cli("plan").err) == []  # rewritten by this user alone
    assert caller_id(ws, one) == FILE_CALLER_ID


def folder_of_another_user(tmp_path: Path) -> Path:
    """A folder this user does not own: root's `/` (never written: refused before), or,
    running as root (who owns everything it makes), a new one handed to nobody."""
    if os.geteuid() != 0:
        return Path("/")
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o755)
    os.chown(folder, NOBODY, NOBODY)
    return folder


def not_yours(folder: Path) -> str:
    """The warning of a run whose cache folder is another user's."""
    return (
        f"campsync: warning: cache folder {folder} belongs to another user "
        f"(uid {folder.stat().st_uid}): not used; remove it, or set cacheDir "
        "(CAMPSYNC_CACHE_DIR) to a folder of yours"
    )


def test_a_cache_folder_of_another_user_is_not_used(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = folder_of_another_user(tmp_path)
    monkeypatch.setenv("CAMPSYNC_CACHE_DIR", str(folder))
    ws.seed(campaign_body("One"))
    ws.write("one.yaml", campaign_body("One"))
    before = sorted(os.listdir(folder))

    for _ in range(2):
        result = ws.cli("plan")
        assert result.code == 0, result.err
        assert warnings_of(result.err) == [not_yours(folder)]
    assert sorted(os.listdir(folder)) == before
    assert ws.store.stats()["by_kind"].get("get") == 2  # nothing was kept between the plans


def test_applying_a_saved_plan_leaves_a_cache_folder_of_another_user_alone(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The mark of an apply under way (sync.journal) is a store of that folder like the others.
    (one,) = ws.seed(campaign_body("One"))
    ws.write("one.yaml", campaign_body("One", description="Changed."))
    assert ws.cli("plan", "--out", "plan.json").code == 0
    folder = folder_of_another_user(tmp_path)
    monkeypatch.setenv("CAMPSYNC_CACHE_DIR", str(folder))
    before = sorted(os.listdir(folder))

    result = ws.cli("apply", "plan.json")

    assert result.code == 0, result.out + result.err
    assert warnings_of(result.err) == [not_yours(folder)]
    assert sorted(os.listdir(folder)) == before
    assert ws.stored(one)["description"] == "Changed."


def test_cache_files_others_may_write_or_that_are_no_regular_files_are_ignored(
    ws: Workspace,
) -> None:
    ws.seed(campaign_body("One"))
    ws.write("one.yaml", campaign_body("One"))
    assert ws.cli("plan").code == 0
    (CACHE / "files.json").chmod(0o666)
    bodies = next(CACHE.glob("campaigns-*.json"))
    bodies.unlink()
    os.mkfifo(bodies)  # read as it was, this would wait for a writer forever
    same = next(CACHE.glob("same-*.json"))
    outside = ws.root / "elsewhere.json"
    outside.write_text(same.read_text())
    same.unlink()
    same.symlink_to(outside)

    result = ws.cli("plan")

    assert result.code == 0, result.err
    assert warnings_of(result.err) == [
        f"campsync: warning: cache {bodies} ignored: not a regular file",
        "campsync: warning: cache .campsync/cache/files.json ignored: other users could write it",
        f"campsync: warning: cache {same} ignored: cannot read it (a symbolic link)",
    ]
    assert warnings_of(ws.cli("plan").err) == []  # each rewritten as a file of its own
    assert stat.S_ISREG(bodies.lstat().st_mode) and not same.is_symlink()


@pytest.mark.parametrize("link", [".campsync", ".campsync/cache"])
def test_a_cache_folder_reached_through_a_link_in_the_work_tree_is_not_used(
    ws: Workspace, tmp_path: Path, link: str
) -> None:
    """A repository can commit `.campsync` (or its cache folder) as a link to a folder of the
    runner's: the run neither reads what is there nor replaces a file of the cache's names."""
    elsewhere = tmp_path / "elsewhere"
    target = elsewhere / "cache" if link == ".campsync" else elsewhere
    target.mkdir(parents=True, mode=0o700)
    foreign = target / "files.json"
    foreign.write_text('{"not": "a cache of campsync"}\n')
    Path(link).parent.mkdir(exist_ok=True)
    Path(link).symlink_to(elsewhere, target_is_directory=True)
    ws.seed(campaign_body("One"))
    ws.write("one.yaml", campaign_body("One"))

    for _ in range(2):
        result = ws.cli("plan")
        assert result.code == 0, result.err
        assert warnings_of(result.err) == [
            f"campsync: warning: cache folder .campsync/cache is reached through a symbolic "
            f"link ({Path(link).absolute()}): not used; remove the link, or set cacheDir "
            "(CAMPSYNC_CACHE_DIR) to the folder itself"
        ]
    assert sorted(os.listdir(target)) == ["files.json"]
    assert foreign.read_text() == '{"not": "a cache of campsync"}\n'
    assert ws.store.stats()["by_kind"].get("get") == 2  # nothing kept between the plans


def test_pairs_found_equal_by_a_run_without_this_secret_are_not_recalled(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pair recalled equal is an update a plan does not make: with a client secret, the
    store of such pairs is used only when this secret signed it (one restored from another
    branch, or written by a run with KORE_JWT alone, could hide a change)."""
    ws.seed(campaign_body("One"))
    ws.write("one.yaml", campaign_body("One"))
    secret = os.environ["KORE_CLIENT_SECRET"]
    now = int(time.time())
    claims = {"appId": ws.emulator.config.client_id, "iat": now, "exp": now + 600}
    with monkeypatch.context() as unsigned:
        unsigned.setenv("KORE_JWT", encode_hs256(claims, secret))
        unsigned.delenv("KORE_CLIENT_SECRET")
        assert ws.cli("plan").code == 0  # pairs kept, unsigned
        ws.store.reset_stats()
        assert ws.cli("plan").code == 0
        assert ws.store.stats()["by_kind"].get("get") == 0  # recalled: no body read
    ws.store.reset_stats()
    assert ws.cli("plan").code == 0
    assert ws.store.stats()["by_kind"].get("get") == 1  # not vouched for: compared again
    ws.store.reset_stats()
    assert ws.cli("plan").code == 0
    assert ws.store.stats()["by_kind"].get("get") == 0  # now signed by this secret
