"""The run-state decision (sync/runstate.py, issue 20): every platform status of the
contract's table (and an unknown one, and none), every declared state (running, stopped,
none), with and without edits, with and without --restart, and a campaign apply creates.

The expected outcomes are written out below, cell by cell, from the contract's table (not
computed), in a short notation: the steps in order, then `wait` (the start waits for Ready),
`blocked:active` / `blocked:preparing` (the edit is blocked, with that reason), and
`warn:KIND` (a warning whose text holds WARNINGS[KIND])."""

from __future__ import annotations

import itertools

import pytest

from campsync.sync.plan import Change
from campsync.sync.runstate import (
    REASON_ACTIVE,
    REASON_PREPARING,
    STATUSES,
    RunState,
    block_edit,
    decide_run_state,
    run_change,
    run_changes,
    waits_for_ready,
)

NAME = "Spring Renewals"
REASONS = {"blocked:active": REASON_ACTIVE, "blocked:preparing": REASON_PREPARING}
WARNINGS = {
    "schedule": "is Scheduled: its schedule starts it, not campsync",
    "reschedule": "is Rescheduled: its schedule starts it, not campsync",
    "schedule-stopped": "is Scheduled: its schedule will start it although its file says "
    "state: stopped (only a started campaign can be stopped)",
    "reschedule-stopped": "is Rescheduled: its schedule will start it although",
    "completed": "is Completed: a finished campaign is not restarted",
    "unknown-running": "is 'Draft', a status campsync does not know: its state: running is not",
    "unknown-stopped": "is 'Draft', a status campsync does not know: its state: stopped is not",
    "none-running": "the platform gave no status, so its state: running is not acted on",
    "none-stopped": "the platform gave no status, so its state: stopped is not acted on",
}

# status -> {(state, edits): outcome}, without --restart.
TABLE: dict[str | None, dict[tuple[str | None, bool], str]] = {
    "Active": {
        ("running", False): "",
        ("running", True): "blocked:active",
        ("stopped", False): "stop",
        ("stopped", True): "stop update",
        (None, False): "",
        (None, True): "blocked:active",
    },
    **{
        status: {
            ("running", False): "start",
            ("running", True): "update start",
            ("stopped", False): "",
            ("stopped", True): "update",
            (None, False): "",
            (None, True): "update",
        }
        for status in ("Ready", "Stopped", "Paused")
    },
    "Preparing": {
        ("running", False): "start wait",
        ("running", True): "blocked:preparing",  # the blocked edit takes its start with it
        ("stopped", False): "",
        ("stopped", True): "blocked:preparing",
        (None, False): "",
        (None, True): "blocked:preparing",
    },
    "Scheduled": {
        ("running", False): "warn:schedule",
        ("running", True): "update warn:schedule",
        ("stopped", False): "warn:schedule-stopped",
        ("stopped", True): "update warn:schedule-stopped",
        (None, False): "",
        (None, True): "update",
    },
    "Rescheduled": {
        ("running", False): "warn:reschedule",
        ("running", True): "update warn:reschedule",
        ("stopped", False): "warn:reschedule-stopped",
        ("stopped", True): "update warn:reschedule-stopped",
        (None, False): "",
        (None, True): "update",
    },
    "Completed": {
        ("running", False): "warn:completed",
        ("running", True): "update warn:completed",
        ("stopped", False): "",
        ("stopped", True): "update",
        (None, False): "",
        (None, True): "update",
    },
    "Draft": {  # a status the docs don't list: the edit goes on, the state is left alone
        ("running", False): "warn:unknown-running",
        ("running", True): "update warn:unknown-running",
        ("stopped", False): "warn:unknown-stopped",
        ("stopped", True): "update warn:unknown-stopped",
        (None, False): "",
        (None, True): "update",
    },
    None: {  # the platform gave no status at all
        ("running", False): "warn:none-running",
        ("running", True): "update warn:none-running",
        ("stopped", False): "warn:none-stopped",
        ("stopped", True): "update warn:none-stopped",
        (None, False): "",
        (None, True): "update",
    },
}
# Where --restart changes the outcome: an Active campaign with edits, not declared stopped.
RESTARTED: dict[tuple[str | None, str | None, bool], str] = {
    ("Active", "running", True): "stop update start",
    ("Active", None, True): "stop update start",
}
CELLS = [
    (status, state, edits, restart)
    for status in TABLE
    for (state, edits), restart in itertools.product(TABLE[status], (False, True))
]


def outcome(run: RunState, status: str | None) -> str:
    """A RunState of a campaign listed with `status` (None: apply creates it) in the
    notation of the table; `wait` as the applier tells it, from the start's change."""
    words: list[str] = list(run.steps)
    edit = edit_of("create" if "create" in run.steps else "update", NAME, status)
    if any(waits_for_ready(change) for change in run_changes(run, edit, status)):
        words.append("wait")
    if run.blocked is not None:
        (kind,) = [kind for kind, reason in REASONS.items() if reason == run.blocked]
        words.append(kind)
    if run.warning is not None:
        kinds = [kind for kind, text in WARNINGS.items() if text in run.warning]
        words.append(f"warn:{kinds[0]}" if kinds else f"warn:?{run.warning}")
    return " ".join(words)


def test_the_table_covers_every_documented_status() -> None:
    assert set(STATUSES) < set(TABLE)
    assert set(STATUSES) == {
        "Active", "Ready", "Stopped", "Paused", "Preparing", "Scheduled", "Rescheduled",
        "Completed",
    }  # fmt: skip
    assert len(CELLS) == 10 * 3 * 2 * 2


@pytest.mark.parametrize(("status", "state", "edits", "restart"), CELLS)
def test_each_cell_of_the_table(
    status: str | None, state: str | None, edits: bool, restart: bool
) -> None:
    expected = TABLE[status][state, edits]
    if restart:
        expected = RESTARTED.get((status, state, edits), expected)
    run = decide_run_state(NAME, state, status, edits=edits, restart=restart)
    assert outcome(run, status) == expected
    assert run.restart == (expected == "stop update start")
    # The order apply runs them in: stop, then update, then start.
    assert list(run.steps) == sorted(run.steps, key=["stop", "update", "start"].index)
    if run.warning is not None:
        assert run.warning.startswith(f"campaign '{NAME}'")
        assert "\n" not in run.warning


@pytest.mark.parametrize(
    ("state", "expected"),
    [("running", "create start wait"), ("stopped", "create"), (None, "create")],
)
@pytest.mark.parametrize("edits", [False, True])
def test_a_campaign_apply_creates_is_started_once_ready_when_it_should_run(
    state: str | None, expected: str, edits: bool
) -> None:
    run = decide_run_state(NAME, state, None, edits=edits, created=True)
    assert outcome(run, None) == expected
    assert not run.restart


def test_the_active_reason_names_both_ways_out() -> None:
    run = decide_run_state(NAME, "running", "Active", edits=True)
    assert run.blocked is not None
    assert "state: stopped" in run.blocked and "--restart" in run.blocked
    assert run.steps == ()


def test_warnings_in_full() -> None:
    def warning(state: str, status: str | None) -> str | None:
        return decide_run_state(NAME, state, status, edits=False).warning

    assert warning("running", "Scheduled") == (
        "campaign 'Spring Renewals' is Scheduled: its schedule starts it, not campsync"
    )
    assert warning("stopped", "Rescheduled") == (
        "campaign 'Spring Renewals' is Rescheduled: its schedule will start it although its "
        "file says state: stopped (only a started campaign can be stopped)"
    )
    assert warning("running", "Completed") == (
        "campaign 'Spring Renewals' is Completed: a finished campaign is not restarted"
    )
    assert warning("stopped", "Completed") is None


def test_names_and_statuses_in_warnings_are_made_safe() -> None:
    run = decide_run_state("Evil\x1b[31m\nname", "running", "Odd\u202estatus\n", edits=False)
    assert run.warning is not None
    assert "\x1b" not in run.warning and "\n" not in run.warning and "\u202e" not in run.warning
    assert "\\u001b" in run.warning and "\\u202e" in run.warning


def test_a_state_that_is_not_one_is_a_bug_of_the_caller() -> None:
    with pytest.raises(ValueError, match="state must be one of"):
        decide_run_state(NAME, "paused", "Active", edits=False)


# ---- a create or update blocked after deciding (a missing reference, say)


def edit_of(action: str, name: str, status: str | None) -> Change:
    return Change(
        action,  # type: ignore[arg-type]
        name,
        None if action == "create" else f"cd-{name}",
        f"{name}.yaml",
        body={"name": name},
        status=status,
    )


def changes_of(name: str, state: str | None, status: str | None, **kw: bool) -> list[Change]:
    """A campaign's changes as decide makes them."""
    edit = edit_of("create" if kw.get("created") else "update", name, status)
    return run_changes(decide_run_state(name, state, status, edits=True, **kw), edit, status)


REASON = "contactLists: no contact list named 'Q5'"


@pytest.mark.parametrize(
    ("status", "state", "restart", "created", "kept"),
    [
        (None, "running", False, True, "blocked"),  # create, start: the start goes
        ("Ready", "running", False, False, "blocked"),  # update, start: the start goes
        ("Active", "stopped", False, False, "stop blocked"),  # the file asks for the stop
        ("Active", "running", True, False, "blocked"),  # a restart: stopping only to edit
        ("Paused", None, False, False, "blocked"),
    ],
)
def test_a_create_or_update_blocked_after_deciding_takes_its_start_with_it(
    status: str | None, state: str, restart: bool, created: bool, kept: str
) -> None:
    mine = changes_of(NAME, state, status, restart=restart, created=created)
    others = changes_of("Other", "running", "Ready")  # update, start: untouched
    (edit,) = [c for c in mine if c.action in ("create", "update")]
    after = block_edit([*mine, *others], edit, REASON)
    assert " ".join(c.action for c in after if c.name == NAME) == kept
    (blocked,) = [c for c in after if c.action == "blocked"]
    assert (blocked.reason, blocked.body, blocked.id, blocked.file) == (
        REASON,
        None,
        edit.id,
        edit.file,
    )
    assert [c for c in after if c.name == "Other"] == others


def test_only_a_create_or_update_is_blocked_so() -> None:
    stop = run_change("stop", name=NAME, campaign_id="cd-1", file="a.yaml", campaign_type="voice",
                      status="Active")  # fmt: skip
    with pytest.raises(ValueError, match="only a create or an update"):
        block_edit([stop], stop, REASON)
