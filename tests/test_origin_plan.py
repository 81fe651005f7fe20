"""Where each difference came from, end to end against the emulator: `unknown` with an empty
cache, `files` after a file edit, `platform` after an edit as someone makes it in the web UI
(the emulator's admin edit), `both`; the record made by a plan that found the campaign equal
or by an apply's answer; and a tampered record, which changes the origin shown and nothing
that is sent."""

from __future__ import annotations

import copy
import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace


def web_ui_edit(ws: Workspace, campaign_id: str, **fields: Any) -> str:
    """An edit as someone makes it in the web UI (POST /_emulator/campaigns/{id}); the new
    updatedAt."""
    request = urllib.request.Request(
        f"{ws.emulator.url}/_emulator/campaigns/{campaign_id}",
        data=json.dumps(fields).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        return str(json.loads(answer.read())["updatedAt"])


def ring_time(seconds: int) -> dict[str, Any]:
    strategy: dict[str, Any] = copy.deepcopy(campaign_body()["dialingStrategy"])
    strategy["maxRingTime"] = seconds
    return strategy


def in_sync(ws: Workspace) -> str:
    """A campaign and its file, equal, and a plan that saw them so (the record)."""
    (cid,) = ws.seed(campaign_body())
    ws.write("spring.yaml", {"id": cid, **campaign_body()})
    assert ws.plan_json()["changes"] == []
    return cid


def only_change(ws: Workspace, *args: str) -> dict[str, Any]:
    (change,) = ws.plan_json(*args)["changes"]
    assert change["action"] == "update"
    return dict(change)


def test_without_a_record_the_origin_is_unknown(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body())
    ws.write("spring.yaml", {"id": cid, **campaign_body(priority="1")})
    change = only_change(ws)
    assert change["origin"] == "unknown"
    assert all("origin" not in diff for diff in change["diff"])


def test_a_file_edit_is_the_files(ws: Workspace) -> None:
    cid = in_sync(ws)
    ws.write("spring.yaml", {"id": cid, **campaign_body(priority="1")})
    change = only_change(ws)
    assert change["origin"] == "files"
    assert change["diff"] == [{"path": "priority", "before": "3", "after": "1"}]
    assert "changed on the platform" not in ws.cli("plan").out


def test_a_web_ui_edit_is_the_platforms(ws: Workspace) -> None:
    cid = in_sync(ws)
    at = web_ui_edit(ws, cid, dialingStrategy=ring_time(45))
    change = only_change(ws)
    assert change["origin"] == "platform"
    assert change["diff"] == [{"path": "dialingStrategy.maxRingTime", "before": 45, "after": 30}]
    text = ws.cli("plan").out
    assert f"changed on the platform at {at}; apply reverts it" in text
    markdown = ws.cli("plan", "--format", "markdown").out
    assert f"Changed on the platform at {at}; apply reverts it." in markdown


def test_edits_on_both_sides_are_both(ws: Workspace) -> None:
    cid = in_sync(ws)
    web_ui_edit(ws, cid, description="Edited in the web UI")
    ws.write("spring.yaml", {"id": cid, **campaign_body(priority="1")})
    change = only_change(ws)
    assert change["origin"] == "both"
    origins = {diff["path"]: diff["origin"] for diff in change["diff"]}
    assert origins == {"description": "platform", "priority": "files"}
    text = ws.cli("plan").out
    assert '"Edited in the web UI" -> "Calls customers' in text
    assert "(edited on the platform)" in text


def test_the_record_of_an_apply_answer_tells_a_later_platform_edit(ws: Workspace) -> None:
    """No plan saw the campaign equal: the apply's answer is the record."""
    (cid,) = ws.seed(campaign_body())
    ws.write("spring.yaml", {"id": cid, **campaign_body(priority="1")})
    assert ws.cli("apply", "--auto-approve").code == 0
    web_ui_edit(ws, cid, priority="4")
    change = only_change(ws)
    assert change["origin"] == "platform"
    assert change["diff"] == [{"path": "priority", "before": "4", "after": "1"}]


def test_a_plan_that_finds_no_change_reads_and_writes_no_record(ws: Workspace) -> None:
    """The warm plan's cost: the record is neither read nor written when nothing changed."""
    in_sync(ws)
    record = next(Path(".campsync/cache").glob("agreed-*.json"))
    record.write_text("{not json")
    record.chmod(0o600)
    result = ws.cli("plan")
    assert result.code == 0 and "agreed-" not in result.err
    assert record.read_text() == "{not json"


def test_a_tampered_record_changes_the_origin_shown_never_what_is_sent(ws: Workspace) -> None:
    """The cache CI restores may come from another branch: a record saying the platform has
    not moved makes a web UI edit look like a file edit; apply still sends the files' body."""
    cid = in_sync(ws)
    at = web_ui_edit(ws, cid, dialingStrategy=ring_time(45), description="Edited in the UI")
    record = next(Path(".campsync/cache").glob("agreed-*.json"))
    document = json.loads(record.read_text())
    _, body, queue, kind = document["campaigns"][cid]
    document["campaigns"][cid] = [at, {**body, "priority": "999"}, queue, kind]  # "not moved"
    record.write_text(json.dumps(document))
    assert only_change(ws)["origin"] == "files"  # the lie, shown
    assert ws.cli("apply", "--auto-approve").code == 0
    stored = ws.stored(cid)
    assert stored["description"] == campaign_body()["description"]
    assert stored["dialingStrategy"]["maxRingTime"] == 30
    assert stored["priority"] == "3"


def test_a_saved_plan_keeps_the_origins_and_applies_as_any(ws: Workspace) -> None:
    cid = in_sync(ws)
    web_ui_edit(ws, cid, description="Edited in the web UI")
    assert ws.cli("plan", "--out", "plan.json").code == 0
    (change,) = json.loads(Path("plan.json").read_text())["changes"]
    assert change["origin"] == "platform"
    assert ws.cli("apply", "plan.json").code == 0
    assert ws.stored(cid)["description"] == campaign_body()["description"]
    assert ws.plan_json()["changes"] == []
