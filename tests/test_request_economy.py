"""Request economy (issue 6): exact request counts of plan and apply against the emulator.

For N campaigns listed in P pages, of which k changed in the files and j changed on the
platform (in a field the files leave out, so no write is due for them):
cold plan = P + N, warm plan = P + j, apply of a fresh plan = P + j + k,
apply of a saved plan = P + k, --refresh = P + N, and a cold `plan --since` of a pull
request changing k files = P + k (+ R + Q). A plan with a create or an update also
reads the names its bodies give (issue 21): the contact lists (R = 1 request) and, when one
of them names a queue, the queues' Q pages; a plan without one reads neither, and apply of a
saved plan never reads them again: cold plan with changes = P + N + R + Q, apply of a fresh
plan = P + j + R + Q + k. Counts come from the emulator's own request counter, so a request
the client sends and does not count still shows.
"""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from campsync.config.job import Job
from campsync.config.settings import load_settings
from campsync.kore.client import KoreClient
from campsync.sync.engine import Sync
from tests.fixtures_emulator import campaign_body, progressive_body
from tests.fixtures_workspace import Workspace
from tests.git_repos import GIT_ENV, git

N = 25


def counts(ws: Workspace) -> dict[str, int]:
    stats = ws.store.stats()
    by_kind = {k: int(v) for k, v in stats["by_kind"].items() if v}
    by_kind["total"] = int(stats["total"])
    ws.store.reset_stats()
    return by_kind


def setup_campaigns(ws: Workspace, n: int = N) -> list[str]:
    """n Ready campaigns on the platform, each described by a file with its id."""
    bodies = [campaign_body(f"Campaign {i:03d}") for i in range(n)]
    ids = ws.seed(*bodies)
    for i, (cid, body) in enumerate(zip(ids, bodies, strict=True)):
        ws.write(f"c{i:03d}.yaml", {"id": cid, **body})
    ws.store.reset_stats()
    return ids


def change_files(ws: Workspace, ids: list[str], indexes: range) -> None:
    for i in indexes:
        body = campaign_body(f"Campaign {i:03d}", description=f"Changed in the file ({i}).")
        ws.write(f"c{i:03d}.yaml", {"id": ids[i], **body})


def change_platform(ws: Workspace, ids: list[str], indexes: range) -> None:
    """A change the files do not manage (maxSkips): a new updatedAt, no difference."""
    for i in indexes:
        ws.store.update_campaign(ids[i], {**campaign_body(f"Campaign {i:03d}"), "maxSkips": 7})


def plan_ok(ws: Workspace, *args: str) -> dict[str, Any]:
    document = ws.plan_json(*args)
    return document


def test_cold_plan_lists_once_and_reads_each_campaign_once(ws: Workspace) -> None:
    setup_campaigns(ws)
    document = plan_ok(ws)
    assert document["summary"]["unchanged"] == N
    assert counts(ws) == {"list": 1, "get": N, "total": 1 + N}


def test_cold_plan_since_a_revision_reads_only_the_campaigns_changed_since(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A pull request's plan (`--since`), on a fresh runner (no cache): the list pages and
    the k campaigns its files changed, not N."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    ids = setup_campaigns(ws)
    git(ws.root, "init", "-q", "-b", "main")
    git(ws.root, "add", "campaigns")
    git(ws.root, "commit", "-q", "-m", "base")
    change_files(ws, ids, range(3))
    document = plan_ok(ws, "--since", "main")
    assert document["summary"] == {**document["summary"], "update": 3, "unchanged": N - 3}
    assert len(document["compared_in_full"]) == 3
    # and the contact lists its updates name (R = 1; no queue named: Q = 0)
    assert counts(ws) == {"list": 1, "get": 3, "contactLists": 1, "total": 1 + 3 + 1}


def test_warm_plan_costs_only_the_list(ws: Workspace) -> None:
    setup_campaigns(ws)
    plan_ok(ws)
    counts(ws)
    document = plan_ok(ws)
    assert document["summary"]["unchanged"] == N
    assert counts(ws) == {"list": 1, "total": 1}


def test_warm_plan_reads_only_the_campaigns_changed_on_the_platform(ws: Workspace) -> None:
    ids = setup_campaigns(ws)
    plan_ok(ws)
    change_platform(ws, ids, range(3))
    ws.store.update_campaign(ids[5], campaign_body("Campaign 005", description="Drifted."))
    counts(ws)
    document = plan_ok(ws)
    assert counts(ws) == {"list": 1, "get": 4, "contactLists": 1, "total": 6}
    # the drifted one is seen (its fresh body was read, not the cached one)
    assert [c["id"] for c in document["changes"]] == [ids[5]]
    assert document["summary"]["unchanged"] == N - 1


def test_files_changed_alone_need_no_read(ws: Workspace) -> None:
    ids = setup_campaigns(ws)
    plan_ok(ws)
    change_files(ws, ids, range(4))
    counts(ws)
    document = plan_ok(ws)
    assert document["summary"]["update"] == 4
    assert counts(ws) == {"list": 1, "contactLists": 1, "total": 2}


def test_refresh_reads_every_campaign_again_and_rewrites_the_cache(ws: Workspace) -> None:
    setup_campaigns(ws)
    plan_ok(ws)
    counts(ws)
    plan_ok(ws, "--refresh")
    assert counts(ws) == {"list": 1, "get": N, "total": 1 + N}
    plan_ok(ws)
    assert counts(ws) == {"list": 1, "total": 1}


def test_apply_of_a_fresh_plan_costs_pages_plus_j_reads_plus_k_writes(ws: Workspace) -> None:
    ids = setup_campaigns(ws)
    plan_ok(ws)
    change_files(ws, ids, range(4))  # k = 4
    change_platform(ws, ids, range(10, 13))  # j = 3
    counts(ws)
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 0, result.err
    assert counts(ws) == {"list": 1, "get": 3, "contactLists": 1, "update": 4, "total": 9}
    assert all(ws.stored(ids[i])["description"] == f"Changed in the file ({i})." for i in range(4))
    # each update's answer was kept: the plan after the apply reads nothing in full
    document = plan_ok(ws)
    assert document["summary"]["unchanged"] == N
    assert counts(ws) == {"list": 1, "total": 1}


def test_apply_of_a_saved_plan_costs_pages_plus_k_writes(ws: Workspace) -> None:
    ids = setup_campaigns(ws)
    change_files(ws, ids, range(4))
    assert ws.cli("plan", "--out", "plan.json").code == 0
    assert counts(ws) == {"list": 1, "get": N, "contactLists": 1, "total": 2 + N}
    result = ws.cli("apply", "plan.json")
    assert result.code == 0, result.err
    # staleness is checked from the list's updatedAt: no campaign is read again, and the
    # names were checked when the plan was made (it says so): not read again either
    assert counts(ws) == {"list": 1, "update": 4, "total": 5}
    document = plan_ok(ws)
    assert document["summary"]["unchanged"] == N
    assert counts(ws) == {"list": 1, "total": 1}


def test_a_saved_plan_is_still_refused_when_a_campaign_changed(ws: Workspace) -> None:
    ids = setup_campaigns(ws)
    change_files(ws, ids, range(2))
    assert ws.cli("plan", "--out", "plan.json").code == 0
    change_platform(ws, ids, range(1, 2))
    counts(ws)
    result = ws.cli("apply", "plan.json")
    assert result.code == 1 and "out of date" in result.err
    assert counts(ws) == {"list": 1, "total": 1}


def test_the_list_is_read_with_pages_of_1000(ws: Workspace) -> None:
    """1001 campaigns and one file (a new campaign): two list pages at 1000 (one would mean
    a larger page, three a smaller one)."""
    ws.seed(*(campaign_body(f"Bulk {i:04d}") for i in range(1001)))
    ws.write("new.yaml", campaign_body("Brand New"))
    ws.store.reset_stats()
    document = plan_ok(ws)
    assert document["summary"]["unmanaged"] == 1001
    assert counts(ws) == {"list": 2, "contactLists": 1, "total": 3}


def test_several_pages_cold_and_warm(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """With pages of 10, 25 campaigns take 3 list pages: cold 3 + 25, warm 3."""
    setup_campaigns(ws)
    run = Job.of(load_settings())

    async def plan_once() -> None:
        sync = Sync(run, connect=functools.partial(KoreClient, page_size=10))
        plan = await sync.plan(sync.read_files(Path("campaigns")))
        sync.finish()
        assert plan.unchanged == N and not plan.changes

    asyncio.run(plan_once())
    assert counts(ws) == {"list": 3, "get": N, "total": 3 + N}
    asyncio.run(plan_once())
    assert counts(ws) == {"list": 3, "total": 3}


def test_a_campaign_deleted_on_the_platform_is_pruned_from_the_cache(ws: Workspace) -> None:
    ids = setup_campaigns(ws, 3)
    plan_ok(ws)
    (cache_file,) = Path(".campsync/cache").glob("campaigns-*.json")
    assert set(json.loads(cache_file.read_text())["campaigns"]) == set(ids)
    ws.store.delete_campaign(ids[0])
    ws.write("c000.yaml", campaign_body("Campaign 000"))  # now a create (no id)
    plan_ok(ws)
    # Pairs already found equal need no body, so this plan did not open the bodies; the
    # deleted campaign's body is pruned when they are next read (a file changed) ...
    change_files(ws, ids, range(1, 2))
    ws.store.reset_stats()
    plan_ok(ws)
    assert set(json.loads(cache_file.read_text())["campaigns"]) == set(ids[1:])
    # ... and that read cost no get: the changed file's campaign came from the cache.
    assert counts(ws) == {"list": 1, "contactLists": 1, "total": 2}


# --- the names a plan's writes give (issue 21) ----------------------------------------------


def test_an_unchanged_plan_sends_no_reference_read(ws: Workspace) -> None:
    setup_campaigns(ws)
    plan_ok(ws)  # cold
    plan_ok(ws)  # warm
    kinds = [logged["kind"] for logged in ws.store.requests()]
    assert kinds == ["list", *["get"] * N, "list"]  # no contactLists, no queues


def test_a_cold_plan_with_changes_costs_pages_n_and_the_names_it_gives(ws: Workspace) -> None:
    """P + N + R + Q: two of the files are Progressive (a queue each): the queues are read,
    one page of 100 for the emulator's three."""
    ids = setup_campaigns(ws)
    for i in range(2):
        body = progressive_body(f"Campaign {i:03d}", description=f"Progressive now ({i}).")
        ws.write(f"c{i:03d}.yaml", {"id": ids[i], **body})
    document = plan_ok(ws)
    assert document["summary"]["update"] == 2
    assert counts(ws) == {"list": 1, "get": N, "contactLists": 1, "queues": 1, "total": 3 + N}


def test_the_queues_are_read_page_by_page(ws: Workspace, more_queues: list[str]) -> None:
    """With 103 queues, Q = 2 pages of 100."""
    ws.write("new.yaml", progressive_body("Brand New", queue_name=more_queues[-1]))
    document = plan_ok(ws)
    assert document["summary"]["create"] == 1
    assert counts(ws) == {"list": 1, "contactLists": 1, "queues": 2, "total": 4}


@pytest.fixture
def more_queues(ws: Workspace) -> list[str]:
    """100 more queues on the emulator (103 in all)."""
    names = [f"Queue {number:03d}" for number in range(100)]
    ws.store.add_references(queues=names)
    ws.store.reset_stats()
    return names
