"""`plan --since REF` end to end against the emulator, in a real git repository: which
campaigns are compared in full (files changed since REF, campsync.yaml entries that reach
them, a list entry that differs from its file, an updatedAt the cache saw move) and what the
others cost (nothing beyond the list); the errors of a bad REF; a saved plan made with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace
from tests.git_repos import GIT_ENV, git
from tests.test_origin_plan import ring_time, web_ui_edit

N = 6


@pytest.fixture
def repo(ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: Any) -> list[str]:
    """N campaigns in sync with their files (c0.yaml ...), committed on `main` and tagged
    `base`; the cache as a full plan left it; the request counters at zero."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))  # no user's git configuration
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    ids = ws.seed(*(campaign_body(f"Campaign {i}") for i in range(N)))
    for i, cid in enumerate(ids):
        ws.write(f"c{i}.yaml", {"id": cid, **campaign_body(f"Campaign {i}")})
    Path(".gitignore").write_text(".campsync/\n")
    git(ws.root, "init", "-q", "-b", "main")
    git(ws.root, "add", ".")
    git(ws.root, "commit", "-q", "-m", "base")
    git(ws.root, "tag", "base")
    return ids


def counts(ws: Workspace) -> dict[str, int]:
    by_kind = {kind: int(n) for kind, n in ws.store.stats()["by_kind"].items() if n}
    ws.store.reset_stats()
    return by_kind


def since_plan(ws: Workspace, *args: str) -> dict[str, Any]:
    return ws.plan_json("--since", "base", *args)


def in_full(document: dict[str, Any]) -> dict[str, str]:
    return {each["name"]: each["reason"] for each in document["compared_in_full"]}


def edit_file(ws: Workspace, ids: list[str], i: int, **changes: Any) -> None:
    ws.write(f"c{i}.yaml", {"id": ids[i], **campaign_body(f"Campaign {i}", **changes)})


def test_a_cold_pull_request_plan_reads_only_the_changed_campaigns(
    ws: Workspace, repo: list[str]
) -> None:
    edit_file(ws, repo, 1, priority="1")
    edit_file(ws, repo, 4, description="Changed in the pull request")
    git(ws.root, "commit", "-q", "-am", "the pull request")
    document = since_plan(ws)
    assert counts(ws) == {"list": 1, "get": 2, "contactLists": 1}  # its updates' names too
    assert document["since"] == "base"
    assert in_full(document) == {"Campaign 1": "file", "Campaign 4": "file"}
    assert sorted(change["name"] for change in document["changes"]) == ["Campaign 1", "Campaign 4"]
    assert document["summary"]["unchanged"] == N - 2


def test_an_untouched_plan_costs_the_list_alone_and_says_so(ws: Workspace, repo: list[str]) -> None:
    result = ws.cli("plan", "--since", "base")
    assert result.code == 0
    assert counts(ws) == {"list": 1}
    assert f"Compared in full since 'base': 0 of {N} campaigns;" in result.out


def test_uncommitted_and_new_files_count(ws: Workspace, repo: list[str]) -> None:
    edit_file(ws, repo, 2, priority="2")  # not committed
    ws.write("new.yaml", campaign_body("Campaign 0"))  # a second file for one campaign...
    Path("campaigns/c0.yaml").unlink()  # ... that replaces its first
    document = since_plan(ws)
    assert in_full(document) == {"Campaign 0": "file", "Campaign 2": "file"}
    assert counts(ws) == {"list": 1, "get": 2, "contactLists": 1}


def test_an_edit_the_list_shows_is_compared_in_full(ws: Workspace, repo: list[str]) -> None:
    web_ui_edit(ws, repo[3], description="Edited in the web UI")
    counts(ws)
    document = since_plan(ws)
    assert in_full(document) == {"Campaign 3": "list"}
    (change,) = document["changes"]
    assert change["name"] == "Campaign 3" and change["origin"] == "unknown"  # no cache yet
    assert counts(ws) == {"list": 1, "get": 1, "contactLists": 1}


def test_an_edit_the_list_does_not_show_is_found_through_updated_at(
    ws: Workspace, repo: list[str]
) -> None:
    """dialingStrategy is not in the list: only the cache's knowledge of the campaign (a
    full plan ran before) tells that it moved. With an empty cache it is not read."""
    assert ws.plan_json()["changes"] == []  # the full plan: the cache knows every campaign
    web_ui_edit(ws, repo[5], dialingStrategy=ring_time(45))
    counts(ws)
    document = since_plan(ws)
    assert in_full(document) == {"Campaign 5": "platform"}
    (change,) = document["changes"]
    assert change["origin"] == "platform"
    assert counts(ws) == {"list": 1, "get": 1, "contactLists": 1}
    for cache in Path(".campsync/cache").glob("*.json"):
        cache.unlink()
    document = since_plan(ws)
    assert in_full(document) == {} and document["changes"] == []
    assert counts(ws) == {"list": 1}


FLOWS = "experienceFlows:\n  Payment Reminder Flow: cf-1\n  Voice Survey Entry Flow: cf-2\n"


def test_a_campsync_yaml_entry_reaches_its_campaigns(ws: Workspace, repo: list[str]) -> None:
    ws.config(FLOWS)
    git(ws.root, "add", "campsync.yaml")
    git(ws.root, "commit", "-q", "-m", "flows")
    git(ws.root, "tag", "-f", "base")
    ws.write(
        "c2.yaml",
        {
            "id": repo[2],
            **campaign_body("Campaign 2", experienceFlowName="Voice Survey Entry Flow"),
        },
    )
    git(ws.root, "commit", "-q", "-am", "campaign 2 on another flow")
    git(ws.root, "tag", "-f", "base")
    ws.config(FLOWS.replace("cf-2", "cf-22"))  # the mapping of the flow campaign 2 names
    assert in_full(since_plan(ws)) == {"Campaign 2": "config"}
    ws.config(FLOWS + "safety: {maxUpdatePercent: 50}\n")  # reaches no comparison
    assert in_full(since_plan(ws)) == {}
    ws.config(FLOWS.replace("experienceFlows:", "cacheDir: .campsync/cache\nexperienceFlows:"))
    assert in_full(since_plan(ws)) == {}


ENVIRONMENTS = """environments:
  test:
    overrides:
      Campaign 1: {priority: 1}
"""


def test_an_override_entry_reaches_its_campaign_and_star_all(
    ws: Workspace, repo: list[str]
) -> None:
    ws.config(ENVIRONMENTS)
    git(ws.root, "add", "campsync.yaml")
    git(ws.root, "commit", "-q", "-m", "an environment")
    git(ws.root, "tag", "-f", "base")
    ws.config(ENVIRONMENTS.replace("priority: 1", "priority: 2"))
    document = since_plan(ws, "--env", "test")
    assert in_full(document) == {"Campaign 1": "config"}
    ws.config(ENVIRONMENTS + '      "*": {description: "Every campaign"}\n')
    document = since_plan(ws, "--env", "test")
    assert set(in_full(document).values()) == {"config"} and len(in_full(document)) == N


def test_a_saved_plan_made_with_since_is_applied_as_any(ws: Workspace, repo: list[str]) -> None:
    edit_file(ws, repo, 0, priority="5")
    assert ws.cli("plan", "--since", "base", "--out", "plan.json").code == 0
    saved = json.loads(Path("plan.json").read_text())
    assert saved["since"] == "base" and [c["name"] for c in saved["changes"]] == ["Campaign 0"]
    assert ws.cli("apply", "plan.json").code == 0
    assert ws.stored(repo[0])["priority"] == "5"


def test_an_unknown_revision_is_one_line_before_any_request(ws: Workspace, repo: list[str]) -> None:
    result = ws.cli("plan", "--since", "no-such-branch")
    assert result.code == 1
    assert result.err.count("\n") == 1 and "'no-such-branch' is no commit" in result.err
    assert "Traceback" not in result.err
    assert counts(ws) == {}


def test_a_revision_like_an_option_is_refused(ws: Workspace, repo: list[str]) -> None:
    result = ws.cli("plan", "--since=--output=pwned")
    assert result.code == 1 and "is no git revision" in result.err
    assert not Path("pwned").exists()
    assert counts(ws) == {}


def test_outside_a_repository_is_one_line(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body())
    ws.write("spring.yaml", {"id": cid, **campaign_body()})
    result = ws.cli("plan", "--since", "main")
    assert result.code == 1 and "is not in a git work tree" in result.err
    assert result.err.count("\n") == 1


def test_show_prints_a_saved_since_plan_as_plan_did(ws: Workspace, repo: list[str]) -> None:
    """The origins and what was compared in full travel with a saved plan: `show --json`
    is the plan's own JSON, and the text says the same."""
    assert ws.plan_json()["changes"] == []  # the records of agreement
    web_ui_edit(ws, repo[3], description="Edited in the web UI")
    edit_file(ws, repo, 1, priority="1")
    planned = ws.cli("plan", "--since", "base", "--json", "--out", "plan.json")
    assert planned.code == 0
    shown = ws.cli("show", "plan.json", "--json")
    assert json.loads(shown.out) == json.loads(planned.out)
    origins = {c["name"]: c["origin"] for c in json.loads(shown.out)["changes"]}
    assert origins == {"Campaign 1": "files", "Campaign 3": "platform"}
    text = ws.cli("show", "plan.json").out
    assert "Compared in full since 'base': 2 of 6 campaigns" in text
    assert "changed on the platform at" in text
