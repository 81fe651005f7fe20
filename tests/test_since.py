"""Which campaigns `plan --since` compares in full (campsync.sync.since): what a change of
campsync.yaml reaches, and the choice among matched campaigns."""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any

import pytest

from campsync.campaign.validation import CampaignFile
from campsync.sync.inventory import Listed
from campsync.sync.since import (
    EVERYTHING,
    NOTHING,
    ChangedSince,
    ConfigTouch,
    config_then,
    config_touch,
)
from tests.test_model import SAMPLE_REQUEST, platform_form_of
from tests.test_origin import changed

CONFIG: dict[str, Any] = {
    "host": "https://platform.kore.ai",
    "experienceFlows": {"Survey Flow": "cf-1", "Payment Flow": "cf-2"},
    "safety": {"maxUpdatePercent": 30},
    "environments": {
        "staging": {
            "streamId": "st-1",
            "accountId": "a-1",
            "credentials": {"clientId": "STAGING_ID"},
            "campaigns": ["common/**", "staging/**"],
            "experienceFlows": {"Staging Flow": "cf-9"},
            "overrides": {
                "*": {"priority": 3},
                "Spring Renewals": {"id": "cd-1", "priority": 1},
                "Winback": {"description": "staging"},
            },
        },
        "production": {"streamId": "st-2", "accountId": "a-2"},
    },
}


def edited(*path: Any, to: Any) -> dict[str, Any]:
    """CONFIG with the value at `path` set to `to` (None: removed)."""
    return changed(CONFIG, *path, to=to)


def touch(now: dict[str, Any] | None, env: str | None = "staging") -> ConfigTouch:
    return config_touch(CONFIG, now, env)


def test_campsync_yaml_as_it_was() -> None:
    assert config_then(False, None) == {}  # none then: as none now
    assert config_then(True, None) is None  # git could not give it plainly
    assert config_then(True, "") == {} and config_then(True, "# only a comment\n") == {}
    assert config_then(True, "experienceFlows: {A: cf-1}\n") == {"experienceFlows": {"A": "cf-1"}}
    assert config_then(True, "- a list\n") is None
    assert config_then(True, "key: [unclosed\n") is None
    assert config_touch(config_then(True, "key: [unclosed\n"), {}, None) == EVERYTHING


def test_no_change_reaches_nothing() -> None:
    assert touch(copy.deepcopy(CONFIG)) == NOTHING
    assert config_touch(None, None, None) == NOTHING


def test_a_file_that_appears_goes_or_cannot_be_read_reaches_everything() -> None:
    assert config_touch(None, CONFIG, "staging") == EVERYTHING
    assert touch(None) == EVERYTHING


def test_a_campaigns_own_entry_reaches_that_campaign() -> None:
    found = touch(edited("environments", "staging", "overrides", "Winback", "description", to="x"))
    assert found == ConfigTouch(names=frozenset({"winback"}))
    assert found.reaches(["WINBACK"], None) and not found.reaches(["Spring Renewals"], None)
    added = touch(edited("environments", "staging", "overrides", "Autumn", to={"priority": 2}))
    assert added.names == {"autumn"}
    removed = touch(edited("environments", "staging", "overrides", "Spring Renewals", to=None))
    assert removed.names == {"spring renewals"}


def test_the_entry_for_every_campaign_reaches_every_campaign() -> None:
    assert touch(edited("environments", "staging", "overrides", "*", "priority", to=2)).everything


def test_a_flow_mapping_reaches_the_campaigns_naming_that_flow() -> None:
    found = touch(edited("experienceFlows", "Payment Flow", to="cf-22"))
    assert found.flows == {"payment flow"} and not found.names
    assert found.reaches([], "payment flow") and not found.reaches([], "Survey Flow")
    mine = touch(edited("environments", "staging", "experienceFlows", "Staging Flow", to="cf-8"))
    assert mine.flows == {"staging flow"}


def test_a_top_level_flow_the_environment_maps_itself_reaches_nothing() -> None:
    now = edited("environments", "staging", "experienceFlows", "Survey Flow", to="cf-1")
    assert touch(now).flows == set()  # the same id, now given by the environment


def test_another_environments_entry_reaches_nothing_of_this_one() -> None:
    assert touch(edited("environments", "production", "accountId", to="a-3")) == NOTHING
    assert touch(edited("environments", "staging", "streamId", to="st-3"), "production") == NOTHING


@pytest.mark.parametrize(
    "path",
    [
        ("host",),
        ("environments", "staging", "streamId"),
        ("environments", "staging", "campaigns"),
        ("environments", "staging", "someFutureKey"),
    ],
)
def test_target_files_and_unknown_settings_reach_everything(path: tuple[str, ...]) -> None:
    assert touch(edited(*path, to="changed")).everything


@pytest.mark.parametrize(
    "path",
    [("safety", "maxUpdatePercent"), ("environments", "staging", "credentials"), ("keep",)],
)
def test_settings_no_comparison_sees_reach_nothing(path: tuple[str, ...]) -> None:
    assert touch(edited(*path, to=["x"])) == NOTHING


def test_an_environment_missing_then_or_now_reaches_everything() -> None:
    assert touch(edited("environments", "staging", to=None)).everything
    assert config_touch(edited("environments", "staging", to=None), CONFIG, "staging").everything


def test_without_environments_the_top_level_counts() -> None:
    then = {"experienceFlows": {"A": "cf-1"}}
    assert config_touch(then, {"experienceFlows": {"A": "cf-2"}}, None).flows == {"a"}
    assert config_touch(then, {**then, "host": "https://other"}, None).everything


def test_an_unexpected_shape_reaches_everything() -> None:
    assert touch(edited("experienceFlows", to=["not", "a", "mapping"])).everything
    assert touch(edited("environments", "staging", "overrides", to="x")).everything


# --- the choice among matched campaigns ----------------------------------------------


def pair(name: str, updated_at: str = "t1", **changes: Any) -> tuple[CampaignFile, Listed]:
    """A file and its campaign, whose list entry agrees with the file unless `changes`
    (fields of the platform's side)."""
    data = {**SAMPLE_REQUEST, "name": name}
    live, item = platform_form_of({**data, **changes})
    entry = {**{k: live[k] for k in ("name", "description", "priority", "dialingMode")}, **item}
    entry.update(
        dncLists=live["dncLists"], schedule=live["schedule"], contactLists=live["contactLists"]
    )
    cid = f"cd-{name.lower()}"
    listed = Listed(cid, name, updated_at, "Ready", "voice", {**entry, "_id": cid})
    return CampaignFile(f"campaigns/{name.lower()}.yaml", data), listed


def choose(
    pairs: list[tuple[CampaignFile, Listed]],
    *,
    changed: Collection[str] = (),
    touch: ConfigTouch = NOTHING,
    seen: dict[str, str] | None = None,
    own: dict[str, str] | None = None,
) -> dict[str, str]:
    seen = seen or {}
    since = ChangedSince("REF", lambda file: file in changed, touch, seen.get, own or {})
    return dict(since.choose(pairs))


def test_an_untouched_campaign_with_an_empty_cache_is_not_read() -> None:
    assert choose([pair("A"), pair("B")]) == {}


def test_a_changed_file_is_compared_in_full() -> None:
    pairs = [pair("A"), pair("B"), pair("C")]
    assert choose(pairs, changed={"campaigns/b.yaml"}) == {"cd-b": "file"}


def test_a_campaign_campsync_yaml_reaches_is_compared_in_full() -> None:
    pairs = [pair("A"), pair("B")]
    names = ConfigTouch(names=frozenset({"old a"}))
    assert choose(pairs, touch=names, own={"campaigns/a.yaml": "Old A"}) == {"cd-a": "config"}
    flows = ConfigTouch(flows=frozenset({"voice survey entry flow"}))
    assert choose(pairs, touch=flows) == {"cd-a": "config", "cd-b": "config"}
    assert choose(pairs, touch=EVERYTHING) == {"cd-a": "config", "cd-b": "config"}


def test_a_list_entry_that_differs_from_its_file_is_compared_in_full() -> None:
    pairs = [pair("A"), pair("B", description="edited in the web UI")]
    assert choose(pairs) == {"cd-b": "list"}


def test_a_campaign_the_cache_saw_at_another_updated_at_is_compared_in_full() -> None:
    pairs = [pair("A", "t2"), pair("B", "t1"), pair("C", "t1")]
    assert choose(pairs, seen={"cd-a": "t1", "cd-b": "t1"}) == {"cd-a": "platform"}


def test_the_first_reason_is_told() -> None:
    pairs = [pair("A", "t2", description="x")]
    found = choose(pairs, changed={"campaigns/a.yaml"}, touch=EVERYTHING, seen={"cd-a": "t1"})
    assert found == {"cd-a": "file"}
    assert choose(pairs, seen={"cd-a": "t1"}) == {"cd-a": "list"}
