"""The planner's matching of files to listed campaigns, its pluggable full read, and its
pure decision.

Matching is pure; make_plan is exercised end to end against the emulator in
tests/test_cli_plan.py. Here a small in-memory reader (not an HTTP session) checks that the
full read goes through the pluggable fetcher and only for the campaigns files describe, and
that deciding writes nothing: it says what to remember, and the engine remembers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from campsync.campaign.validation import CampaignFile
from campsync.config.job import Job
from campsync.config.target import Target
from campsync.emulator.catalog import default_catalog
from campsync.kore.protocol import Reference
from campsync.sync.cache import HistoryCache, SameCache
from campsync.sync.engine import Sync
from campsync.sync.inventory import Keep, Listed, client_fetcher
from campsync.sync.planner import (
    MatchError,
    Pending,
    Read,
    decide,
    make_plan,
    match_files,
)
from campsync.sync.runstate import REASON_ACTIVE
from tests.fixtures_emulator import campaign_body, progressive_body

T = TypeVar("T")


def listed(cid: str, name: str, *, campaign_type: str = "voice", status: str = "Ready") -> Listed:
    item = {"_id": cid, "name": name, "status": status, "updatedAt": "2025-01-01T00:00:00.000Z"}
    return Listed(
        id=cid,
        name=name,
        updated_at=item["updatedAt"],
        status=status,
        campaign_type=campaign_type,
        item=item,
    )


def cfile(file: str, name: str, **extra: Any) -> CampaignFile:
    return CampaignFile(file=file, data={"name": name, **extra})


def test_match_by_id_then_by_name_case_insensitively_else_create() -> None:
    platform = [listed("cd-1", "Alpha"), listed("cd-2", "Beta"), listed("cd-3", "Gamma")]
    files = [
        cfile("a.yaml", "Renamed Alpha", id="cd-1"),
        cfile("b.yaml", "BETA"),
        cfile("n.yaml", "New One"),
    ]
    m = match_files(files, platform)
    assert [(cf.file, e.id) for cf, e in m.matched] == [("a.yaml", "cd-1"), ("b.yaml", "cd-2")]
    assert [cf.file for cf in m.to_create] == ["n.yaml"]
    assert m.unknown_id == []
    assert [e.name for e in m.unmanaged] == ["Gamma"]


def test_unknown_id_is_reported_not_created() -> None:
    m = match_files([cfile("x.yaml", "Alpha", id="cd-gone")], [listed("cd-1", "Alpha")])
    assert [cf.file for cf in m.unknown_id] == ["x.yaml"]
    assert m.matched == [] and m.to_create == []
    assert [e.id for e in m.unmanaged] == ["cd-1"]


def test_two_files_resolving_to_one_campaign_is_one_line_naming_both() -> None:
    files = [cfile("b.yaml", "alpha"), cfile("a.yaml", "Other", id="cd-1")]
    with pytest.raises(MatchError) as info:
        match_files(files, [listed("cd-1", "Alpha")])
    message = str(info.value)
    assert "\n" not in message
    assert "a.yaml" in message and "b.yaml" in message and "cd-1" in message


def test_ambiguous_platform_names_ask_for_an_id() -> None:
    with pytest.raises(MatchError, match="add the id"):
        match_files([cfile("a.yaml", "Alpha")], [listed("cd-1", "Alpha"), listed("cd-2", "ALPHA")])


def test_name_match_prefers_the_files_own_type() -> None:
    platform = [listed("cd-v", "Alpha"), listed("cd-s", "Alpha", campaign_type="sms")]
    m = match_files([cfile("a.yaml", "Alpha", campaignType="sms")], platform)
    assert [e.id for _, e in m.matched] == ["cd-s"]


CATALOG = default_catalog()


class MemoryPlatform:
    """Answers list and get-one from memory, counting get-one calls."""

    def __init__(self, campaigns: dict[str, dict[str, Any]]) -> None:
        self.campaigns = campaigns
        self.gets: list[str] = []

    async def list_campaigns(self, campaign_type: str = "voice") -> list[dict[str, Any]]:
        if campaign_type != "voice":
            return []
        keep = ("_id", "name", "status", "updatedAt")
        return [{k: c[k] for k in keep if k in c} for c in self.campaigns.values()]

    async def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        self.gets.append(campaign_id)
        return dict(self.campaigns[campaign_id])

    async def list_contact_lists(self) -> list[Reference]:
        return [Reference(list_id, name) for name, list_id in CATALOG.list_names.items()]

    async def list_queues(self) -> list[Reference]:
        return [Reference(queue_id, name) for name, queue_id in CATALOG.queues.items()]


def live(cid: str, name: str, status: str = "Ready") -> dict[str, Any]:
    return {
        "_id": cid,
        "name": name,
        "lname": name.lower(),
        "description": "d",
        "status": status,
        "updatedAt": "2025-01-01T00:00:00.000Z",
    }


async def test_full_read_is_pluggable_and_only_for_described_campaigns() -> None:
    platform = MemoryPlatform({"cd-1": live("cd-1", "Alpha"), "cd-2": live("cd-2", "Beta")})
    asked: list[list[tuple[str, str | None]]] = []
    plain = client_fetcher(platform)

    async def fetch(wanted: Sequence[Listed], keep: Keep[T]) -> dict[str, T]:
        asked.append([(e.id, e.updated_at) for e in wanted])
        return await plain(wanted, keep)

    files = [cfile("a.yaml", "Alpha", description="d")]
    plan = (await make_plan(platform, files, fetch_full=fetch)).plan
    assert asked == [[("cd-1", "2025-01-01T00:00:00.000Z")]]
    assert platform.gets == ["cd-1"]
    assert plan.changes == () and plan.unchanged == 1 and plan.unmanaged == ("Beta",)


async def test_each_body_is_compared_as_it_is_read_and_not_kept() -> None:
    """A plan keeps what it needs of each body (its comparison, status and updatedAt), not
    the body: 10,000 bodies are never held at once."""
    platform = MemoryPlatform({"cd-1": live("cd-1", "Alpha"), "cd-2": live("cd-2", "Beta")})
    plain = client_fetcher(platform)
    kept: list[Any] = []

    async def fetch(wanted: Sequence[Listed], keep: Keep[T]) -> dict[str, T]:
        got = await plain(wanted, keep)
        kept.extend(got.values())
        return got

    files = [cfile("a.yaml", "Alpha", description="d"), cfile("b.yaml", "Beta", description="x")]
    plan = (await make_plan(platform, files, fetch_full=fetch)).plan
    assert [type(k) for k in kept] == [Read, Read]
    assert [k.updated_at for k in kept] == ["2025-01-01T00:00:00.000Z"] * 2
    assert plan.unchanged == 1 and [(c.name, c.action) for c in plan.changes] == [
        ("Beta", "update")
    ]


async def test_progress_counts_the_full_reads() -> None:
    platform = MemoryPlatform({f"cd-{i}": live(f"cd-{i}", f"C{i}") for i in range(3)})
    seen: list[tuple[int, int]] = []
    files = [cfile(f"{i}.yaml", f"C{i}", description="d") for i in range(3)]
    counting = client_fetcher(platform, lambda d, t: seen.append((d, t)))
    await make_plan(platform, files, fetch_full=counting)
    assert seen[0] == (0, 3) and seen[-1] == (3, 3) and len(seen) == 4


async def test_active_campaign_that_differs_is_blocked_one_that_matches_is_unchanged() -> None:
    platform = MemoryPlatform(
        {"cd-1": live("cd-1", "Alpha", "Active"), "cd-2": live("cd-2", "Beta", "Active")}
    )
    files = [
        cfile("a.yaml", "Alpha", description="changed"),
        cfile("b.yaml", "Beta", description="d"),
    ]
    plan = (await make_plan(platform, files)).plan
    assert [(c.action, c.name, c.reason) for c in plan.changes] == [
        ("blocked", "Alpha", REASON_ACTIVE)
    ]
    assert plan.changes[0].body is None
    assert plan.unchanged == 1


async def test_the_lists_status_wins_and_a_body_read_now_stands_in_when_it_has_none() -> None:
    """A body may come from the cache, the list is read every time (issue 10, item 1)."""
    stale = {"cd-1": live("cd-1", "Alpha", "Ready"), "cd-2": live("cd-2", "Beta", "Active")}
    platform = MemoryPlatform(stale)

    async def bodies_read_earlier(wanted: Sequence[Listed], keep: Keep[T]) -> dict[str, T]:
        return {e.id: keep(e, {**stale[e.id], "status": "Preparing"}) for e in wanted}

    files = [cfile("a.yaml", "Alpha", description="x"), cfile("b.yaml", "Beta", description="x")]
    plan = (await make_plan(platform, files, fetch_full=bodies_read_earlier)).plan
    assert [(c.name, c.action, c.reason) for c in plan.changes] == [
        ("Alpha", "update", None),
        ("Beta", "blocked", REASON_ACTIVE),
    ]

    class Unlisted(MemoryPlatform):  # a list without statuses: the body read now tells
        async def list_campaigns(self, campaign_type: str = "voice") -> list[dict[str, Any]]:
            items = await super().list_campaigns(campaign_type)
            return [{k: v for k, v in item.items() if k != "status"} for item in items]

    plan = (await make_plan(Unlisted(stale), files)).plan
    assert [(c.name, c.action) for c in plan.changes] == [("Alpha", "update"), ("Beta", "blocked")]


# --- deciding is pure: it says what to remember, the engine remembers it ---------------------


async def test_deciding_writes_nothing_and_says_what_to_remember(tmp_path: Path) -> None:
    platform = MemoryPlatform({"cd-1": live("cd-1", "Alpha"), "cd-2": live("cd-2", "Beta")})
    files = [
        CampaignFile("a.yaml", {"name": "Alpha", "description": "d"}, "digest-a"),
        CampaignFile("b.yaml", {"name": "Beta", "description": "x"}, "digest-b"),
    ]
    same, history = SameCache(tmp_path, "target"), HistoryCache(tmp_path, "target")
    decision = await make_plan(platform, files, same=same, history=history)
    assert [(c.name, c.action) for c in decision.plan.changes] == [("Beta", "update")]
    # Alpha was found equal, both files matched: told, not written.
    ((key, warnings),) = decision.learnt.equal
    assert warnings == ()
    assert decision.learnt.matches == (("a.yaml", "cd-1"), ("b.yaml", "cd-2"))
    assert history.last_match("a.yaml") is None
    assert same.save() is None and history.save() is None
    assert list(tmp_path.iterdir()) == []  # neither store had anything new to write

    sync = Sync(
        Job(Target("https://platform.kore.ai", "st-1", "acc-1"), cache_dir=tmp_path / "cache")
    )
    await sync.make_plan(MemoryPlatform(platform.campaigns), files)
    assert sync.cache.history.last_match("b.yaml") == "cd-2"  # the engine tells the cache
    sync.finish()
    sync.cache.same.load()
    assert sync.cache.same.recall(key) == ()


def test_an_agentless_create_without_enable_machine_detect_is_blocked() -> None:
    """A rule of deciding (sync.rules), not a patch on the plan afterwards."""
    agentless = campaign_body("Spring")
    del agentless["enableMachineDetect"]
    files = [
        CampaignFile("campaigns/spring.yaml", agentless),
        CampaignFile("campaigns/summer.yaml", campaign_body("Summer")),
        CampaignFile("campaigns/push.yaml", progressive_body("Push")),
    ]
    matching = match_files(files, [])
    decision = decide(matching, Pending([]), {}, {}, environment="production")
    plan = decision.plan
    assert [(c.name, c.action) for c in plan.changes] == [
        ("Push", "create"),
        ("Summer", "create"),
        ("Spring", "blocked"),
    ]
    blocked = plan.changes[2]
    assert blocked.body is None and blocked.diff == ()
    assert blocked.reason is not None
    assert "enableMachineDetect" in blocked.reason
    assert "environment 'production'" in blocked.reason
    without = decide(matching, Pending([]), {}, {}).plan.changes[2].reason or ""
    assert without.endswith("so a pulled file has none: set it in the file")
