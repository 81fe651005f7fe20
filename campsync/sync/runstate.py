"""A campaign's run state (contract "Version 0.3 > Run state"): from what its file declares
(`state: running | stopped`, or nothing), the status the platform lists, whether the campaign
has edits and whether `--restart` was given, what apply does for that campaign, in order:

| platform status        | `state: running`                       | `state: stopped`    |
|------------------------|----------------------------------------|---------------------|
| Active                 | nothing                                | stop                |
| Ready, Stopped, Paused | start                                  | nothing             |
| Preparing (or new)     | start once Ready                       | nothing             |
| Scheduled, Rescheduled | nothing (warning: the schedule starts) | nothing (a warning) |
| Completed              | nothing (warning: not restarted)       | nothing             |

Edits are an `update` between the two: stop, then update, then start; a create, then start.
An Active campaign can't be edited: with `state: stopped` it is stopped first; otherwise the
edit is blocked, its reason naming both ways out, unless `restart` (stop, update, start). A
Preparing campaign can't be edited either. A blocked edit takes the campaign's start with it.
No `state`: the run state is not managed (the steps are the edit alone).

Pure: plain values in, a `RunState` out; `run_change` makes a start or stop change, which the
planner puts beside the create or update, and the applier runs them in order (waiting for
Ready before a start whose campaign is new or Preparing: `waits_for_ready`). A check made
after deciding that blocks a create or update takes its start with it: `block_edit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

from campsync.sync.plan import Change, FieldDiff
from campsync.text import quoted

State = Literal["running", "stopped"]
STATES: tuple[State, ...] = get_args(State)
# The statuses the docs list, in the order of the contract's table.
STATUSES = (
    "Active",
    "Ready",
    "Stopped",
    "Paused",
    "Preparing",
    "Scheduled",
    "Rescheduled",
    "Completed",
)
STARTABLE = frozenset({"Ready", "Stopped", "Paused"})
PREPARING = "Preparing"
# The status each trigger leaves (the trigger call's answer says it too).
REACHED = {"start": "Active", "stop": "Stopped"}
SCHEDULED = frozenset({"Scheduled", "Rescheduled"})
# What apply does for one campaign, in this order.
Step = Literal["create", "stop", "update", "start"]
RESTART: tuple[Step, ...] = ("stop", "update", "start")

REASON_ACTIVE = (
    "the campaign is Active and can't be edited: add state: stopped to its file to stop it "
    "for the edit, or plan and apply with --restart to stop it, edit it and start it again"
)
REASON_PREPARING = "the campaign is still being prepared; plan again in a few seconds"


@dataclass(frozen=True)
class RunState:
    """What apply does for one campaign, run state and edit together.

    `steps`: in the order apply runs them (`stop`, `update`, `start`; or `create`, `start`).
    `blocked`: why the edit can't be made (then no update and no start is planned).
    `warning`: a declared state campsync does not act on, and why."""

    steps: tuple[Step, ...] = ()
    blocked: str | None = None
    warning: str | None = None

    @property
    def restart(self) -> bool:
        """Stop, update, start: an Active campaign edited with --restart."""
        return self.steps == RESTART


def decide_run_state(
    name: str,
    state: str | None,
    status: str | None,
    *,
    edits: bool,
    restart: bool = False,
    created: bool = False,
) -> RunState:
    """The steps for the campaign `name` (for messages) whose file declares `state` (None:
    not managed) and which the platform lists with `status` (None: it gave none); `edits`:
    its file differs from it; `restart`: --restart was given; `created`: apply creates it
    (there is no status yet: it will be Preparing)."""
    if state is not None and state not in STATES:
        raise ValueError(f"state must be one of {STATES}, not {state!r}")
    running = state == "running"
    if created:
        return RunState(("create", "start") if running else ("create",))
    edit: tuple[Step, ...] = ("update",) if edits else ()
    if status == "Active":
        if state == "stopped":
            return RunState(("stop", *edit))
        if not edits:
            return RunState()
        return RunState(RESTART) if restart else RunState(blocked=REASON_ACTIVE)
    if status == PREPARING:
        if edits:
            return RunState(blocked=REASON_PREPARING)
        return RunState(("start",) if running else ())
    if status in STARTABLE:
        return RunState((*edit, "start") if running else edit)
    return RunState(edit, warning=_not_acted_on(name, state, status))


def _not_acted_on(name: str, state: str | None, status: str | None) -> str | None:
    """Why a declared state is left alone for a Scheduled, Rescheduled, Completed or
    unknown status; None when there is nothing to say (no state, or Completed and stopped)."""
    if state is None:
        return None
    campaign = f"campaign {quoted(name)}"
    if status in SCHEDULED:
        if state == "running":
            return f"{campaign} is {status}: its schedule starts it, not campsync"
        return (
            f"{campaign} is {status}: its schedule will start it although its file says "
            "state: stopped (only a started campaign can be stopped)"
        )
    if status == "Completed":
        if state == "running":
            return f"{campaign} is Completed: a finished campaign is not restarted"
        return None
    if status is None:
        return f"{campaign}: the platform gave no status, so its state: {state} is not acted on"
    return (
        f"{campaign} is {quoted(status, 40)}, a status campsync does not know: its "
        f"state: {state} is not acted on"
    )


def run_change(
    action: Literal["start", "stop"],
    *,
    name: str,
    campaign_id: str | None,
    file: str | None,
    campaign_type: str,
    status: str | None,
    updated_at: str | None = None,
    after_stop: bool = False,
) -> Change:
    """A start or stop of one campaign, planned against its listed `status` (None: apply
    creates it): its diff is the status it moves the campaign from and to (a restart's
    start goes from the Stopped its stop leaves; a new campaign's from Preparing)."""
    before = "Stopped" if after_stop else (status or PREPARING)
    return Change(
        action=action,
        name=name,
        id=campaign_id,
        file=file,
        diff=(FieldDiff("status", before, REACHED[action]),),
        campaign_type=campaign_type,
        updated_at=updated_at,
        status=status,
    )


def run_changes(
    run: RunState, edit: Change, status: str | None, updated_at: str | None = None
) -> list[Change]:
    """The run state's steps as changes: `edit` (the campaign's create or update) where it
    stands among them, and each start and stop of the same campaign, planned against its
    listed `status` (None: apply creates it) and `updated_at`."""
    changes = []
    for step in run.steps:
        if step == "create" or step == "update":
            changes.append(edit)
        else:
            changes.append(
                run_change(
                    step,
                    name=edit.name,
                    campaign_id=edit.id,
                    file=edit.file,
                    campaign_type=edit.campaign_type,
                    status=status,
                    updated_at=updated_at,
                    after_stop=step == "start" and "stop" in run.steps,
                )
            )
    return changes


def waits_for_ready(change: Change) -> bool:
    """A start whose campaign is new (apply creates it) or was Preparing when planned: apply
    waits until the platform says it is Ready."""
    return change.action == "start" and change.status in (None, PREPARING)


def block_edit(changes: Sequence[Change], edit: Change, reason: str) -> list[Change]:
    """`changes` with the create or update `edit` blocked for `reason` (a check made after
    deciding, such as a missing reference): nothing of it is written (a create also loses
    its creation diff, which would bury the reason; an update keeps its diff and
    `updatedAt`); its start goes with it, and so does the stop of a restart (stopping only
    to edit, the campaign would be left stopped); a stop that the file asks for (`state:
    stopped`) stays, as every other campaign's changes."""
    if edit.action not in ("create", "update"):
        raise ValueError(f"only a create or an update is blocked this way, not a {edit.action}")
    own = {change.action for change in changes if change.campaign == edit.campaign}
    dropped = {"start", "stop"} if {"stop", "update", "start"} <= own else {"start"}
    diff = () if edit.action == "create" else edit.diff
    blocked = replace(edit, action="blocked", reason=reason, body=None, diff=diff)
    return [
        blocked if change == edit else change
        for change in changes
        if change.campaign != edit.campaign or change.action not in dropped
    ]
