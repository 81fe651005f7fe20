"""`campsync apply --json` against the emulator: stdout holds only the result JSON, each
change's outcome (applied, failed, blocked, not sent, unknown) with the reason of each one not
applied; the plan, progress and messages go to stderr; prompts are impossible, so a fresh
apply needs --auto-approve."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from campsync.emulator.runner import start_in_thread
from campsync.sync.results import INTERRUPTED
from campsync.sync.runstate import REASON_ACTIVE
from tests.fixtures_emulator import campaign_body, emulator_test_config, seed_ready
from tests.fixtures_guard import change_files, error_line, fleet, sent
from tests.fixtures_workspace import Workspace
from tests.test_apply import interrupted_apply
from tests.test_faults import fast_retries, set_faults
from tests.test_guard_thresholds import TEN

ZERO = {"applied": 0, "failed": 0, "blocked": 0, "not sent": 0, "unknown": 0}


def result_json(text: str) -> dict[str, Any]:
    """stdout, which must be exactly one JSON document."""
    document: dict[str, Any] = json.loads(text)
    assert document["format_version"] == 1
    return document


def test_applied_failed_and_blocked_changes_each_with_its_outcome(ws: Workspace) -> None:
    ids = dict(zip(["Fine", "Refused", "Busy"], ws.seed(
        campaign_body("Fine"), campaign_body("Refused"), campaign_body("Busy")
    ), strict=True))  # fmt: skip
    ws.store.set_status(ids["Busy"], "Active")
    ws.write("fine.yaml", campaign_body("Fine", description="Fine, changed."))
    # A flow the platform lacks: valid for the schema (no experienceFlows mapping to check it
    # against), refused by the platform.
    ws.write(
        "refused.yaml",
        campaign_body("Refused", description="Changed.", experienceFlowName="No Such Flow"),
    )
    ws.write("busy.yaml", campaign_body("Busy", description="Busy, changed."))
    ws.write("new.yaml", campaign_body("Brand New"))
    result = ws.cli("apply", "--auto-approve", "--json")
    assert result.code == 1  # a change not applied
    document = result_json(result.out)
    new_id = ws.stored_by_name("Brand New")["_id"]
    assert document["results"] == [
        {"action": "create", "id": new_id, "name": "Brand New", "file": "campaigns/new.yaml",
         "outcome": "applied"},
        {"action": "update", "id": ids["Fine"], "name": "Fine", "file": "campaigns/fine.yaml",
         "outcome": "applied"},
        {"action": "update", "id": ids["Refused"], "name": "Refused",
         "file": "campaigns/refused.yaml", "outcome": "failed",
         "reason": "experience flow not found: No Such Flow (HTTP 400)"},
        {"action": "blocked", "id": ids["Busy"], "name": "Busy", "file": "campaigns/busy.yaml",
         "outcome": "blocked", "reason": REASON_ACTIVE},
    ]  # fmt: skip
    assert document["summary"] == {**ZERO, "applied": 2, "failed": 1, "blocked": 1}
    assert document["warnings"] == []
    # Everything for a reader is on stderr: the plan, each result, the summary.
    assert "campsync will make these changes:" in result.err
    assert 'applied: update "Fine"' in result.err
    assert "Apply complete: 2 applied, 1 failed, 1 blocked." in result.err
    assert sent(ws) == {"create": 1, "update": 2}


def test_a_saved_plan_applied_with_json(ws: Workspace) -> None:
    fleet(ws, ["Spring Renewals"])
    change_files(ws, ["Spring Renewals"])
    assert ws.cli("plan", "--out", "p.json").code == 0
    result = ws.cli("apply", "p.json", "--json")  # a saved plan asks nothing: no flag needed
    assert result.code == 0, result.err
    document = result_json(result.out)
    assert [(r["name"], r["outcome"]) for r in document["results"]] == [
        ("Spring Renewals", "applied")
    ]
    assert document["summary"] == {**ZERO, "applied": 1}
    assert "Applying the saved plan p.json: 1 change(s)." in result.err


def test_nothing_to_apply_is_an_empty_result(ws: Workspace) -> None:
    fleet(ws, ["Spring Renewals"])
    result = ws.cli("apply", "--auto-approve", "--json")
    assert result.code == 0
    assert result_json(result.out) == {
        "format_version": 1,
        "results": [],
        "summary": ZERO,
        "warnings": [],
    }
    assert "Nothing to apply: the platform matches the campaign files." in result.err


def test_a_fresh_apply_with_json_needs_auto_approve(ws: Workspace) -> None:
    """No question can be asked (stdout is the JSON), and none is answered for the user: as
    Terraform's apply -json, which requires -auto-approve."""
    fleet(ws, ["Spring Renewals"])
    change_files(ws, ["Spring Renewals"])
    ws.store.reset_stats()
    result = ws.cli("apply", "--json")
    assert result.code == 1 and result.out == ""
    assert error_line(result.err) == (
        "campsync: error: --json asks no question: add --auto-approve, or apply a saved plan "
        "('campsync plan --out FILE', then 'campsync apply FILE --json'); nothing was changed"
    )
    assert ws.store.stats()["total"] == 0


def test_an_apply_refused_before_writing_prints_no_result(ws: Workspace) -> None:
    """Refused as a whole (here by a safety threshold): one line on stderr, stdout empty, as
    for any error before the writes."""
    fleet(ws, TEN)
    change_files(ws, TEN[:4])
    result = ws.cli("apply", "--auto-approve", "--json")
    assert result.code == 1 and result.out == ""
    assert "apply refuses this plan" in error_line(result.err)
    assert sent(ws) == {}


@pytest.fixture
def lost_writes(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """Every write the emulator makes has its answer dropped (retried fast)."""
    fast_retries(monkeypatch)
    set_faults(ws.emulator, lost_write_rate=1.0)
    try:
        yield ws
    finally:
        set_faults(ws.emulator, lost_write_rate=0)


def test_a_write_whose_answer_was_lost_has_an_unknown_outcome(lost_writes: Workspace) -> None:
    """The platform made the change, but no answer came: campsync cannot say it failed."""
    ws = lost_writes
    (campaign_id,) = fleet(ws, ["Spring Renewals"]).values()
    change_files(ws, ["Spring Renewals"])
    result = ws.cli("apply", "--auto-approve", "--json")
    assert result.code == 1
    [entry] = result_json(result.out)["results"]
    assert entry["outcome"] == "unknown"
    assert entry["reason"].endswith(
        "; its answer was lost: the outcome is unknown (plan again to see)"
    )
    assert "the server closed the connection" in entry["reason"]
    assert ws.stored(campaign_id)["description"] == "Spring Renewals, changed."  # it was made


def test_writes_never_sent_after_an_interrupt_are_not_sent(tmp_path: Path) -> None:
    count = 5
    with start_in_thread(emulator_test_config(latency_ms=200)) as emulator:
        seed_ready(emulator, *(campaign_body(f"Slow {n}") for n in range(count)))
        code, out, err = interrupted_apply(
            emulator,
            tmp_path,
            count=count,
            signum=signal.SIGINT,
            after_applied=1,
            parallelism=1,
            json_output=True,
        )
        writes = emulator.store.stats()["by_kind"]["update"]
    assert code == 1, out + err
    assert "SIGINT received" in err and "Apply interrupted:" in err
    document = result_json(out)
    outcomes = [(r["outcome"], r.get("reason")) for r in document["results"]]
    applied = outcomes.count(("applied", None))
    assert applied == writes and 1 <= applied < count
    assert outcomes[applied:] == [("not sent", INTERRUPTED)] * (count - applied)
    assert document["summary"] == {**ZERO, "applied": applied, "not sent": count - applied}
