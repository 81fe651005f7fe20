"""Orchestrates an apply: sends the planned writes concurrently, campaign by campaign (one
campaign's changes in plan order: stop, update, start; create, start; a start of a new or
Preparing campaign once it is Ready), stops starting new ones when asked, and reports what
was applied. Also checks that a saved plan is still fresh.
No printing here: results go to a callback and into the returned ApplyResult."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from campsync.aio import until_set
from campsync.errors import ApiError, CampsyncError, NotFoundError, StalePlanError, WriteNotSent
from campsync.kore.protocol import Trigger, Triggered
from campsync.sync.diffing import compare
from campsync.sync.inventory import DEFAULT_TYPE, Listed, Lister, list_platform
from campsync.sync.plan import RUN_ACTIONS, Change, Plan
from campsync.sync.readiness import DEFAULT_WAIT, ReadyWaiter
from campsync.sync.runstate import REACHED, STARTABLE, waits_for_ready

WRITE_ACTIONS = ("create", "stop", "update", "start", "delete")
UNKNOWN_OUTCOME = "interrupted while in flight: the outcome is unknown (plan again to see)"
TRIGGERS: dict[str, Trigger] = {"start": "play", "stop": "stop"}
LOST_ANSWER = "its answer was lost: the outcome is unknown (plan again to see)"


class Writer(Protocol):
    async def update_campaign(
        self, campaign_id: str, body: dict[str, Any], campaign_type: str = ...
    ) -> dict[str, Any]: ...

    async def create_campaign(self, body: dict[str, Any], campaign_type: str = ...) -> str: ...

    async def delete_campaign(
        self, campaign_id: str, campaign_type: str = ...
    ) -> dict[str, Any]: ...

    async def trigger(
        self, campaign_id: str, action: Trigger, campaign_type: str = ..., *, name: str | None = ...
    ) -> Triggered: ...

    async def campaign_status(self, campaign_id: str, *, name: str | None = ...) -> str: ...


class Ready(Protocol):
    """Waits until a campaign is Ready (sync.readiness.ReadyWaiter): its first status that is
    not Preparing; NotReady when the wait runs out."""

    async def ready(self, campaign_id: str, name: str) -> str: ...


@dataclass
class ApplyResult:
    applied: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)
    # Of the failed, those sent whose outcome is unknown: abandoned in flight, or their
    # answer lost (the platform may have made them all the same).
    unknown: list[Change] = field(default_factory=list)
    skipped: list[Change] = field(default_factory=list)  # blocked, or not started (stopped)
    # Not sent because an earlier change of the same campaign failed or had its answer lost
    # (a start after a failed update, say), each with why: never tried, apart from the
    # failures.
    after_failure: list[tuple[Change, str]] = field(default_factory=list)
    interrupted: bool = False
    created_ids: dict[str, str] = field(default_factory=dict)  # file (or name) -> new id
    # Writes that landed, but whose answer shows the next plan would not agree (a wrong
    # experienceFlows entry): one line each, naming what to fix.
    unsettled: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.failed or self.skipped or self.after_failure or self.interrupted or self.unsettled
        )


# Called once per change as soon as its outcome is known: (change, None) when applied,
# (change, reason) when it failed.
ResultCallback = Callable[[Change, str | None], None]


def writes_of(plan: Plan) -> tuple[Change, ...]:
    """The changes apply sends, in the plan's order (blocked ones are not sent)."""
    return tuple(c for c in plan.changes if c.action in WRITE_ACTIONS)


async def _send(client: Writer, change: Change, ready: Ready) -> str | None:
    """One write; returns the new id for a create."""
    if change.action == "create":
        if change.body is None:
            raise CampsyncError(f"campaign {change.name!r}: the plan has no body to create")
        return await client.create_campaign(dict(change.body), change.campaign_type)
    if change.id is None:
        raise CampsyncError(f"campaign {change.name!r}: the plan has no campaign id")
    if change.action == "update":
        if change.body is None:
            raise CampsyncError(f"campaign {change.name!r}: the plan has no body to send")
        await client.update_campaign(change.id, dict(change.body), change.campaign_type)
        return None
    if change.action in RUN_ACTIONS:
        await _trigger(client, change, change.id, ready)
        return None
    # Already gone (a retry after a lost answer finds nothing to delete): the platform is as
    # the plan wants it.
    with contextlib.suppress(NotFoundError):
        await client.delete_campaign(change.id, change.campaign_type)
    return None


async def _trigger(client: Writer, change: Change, campaign_id: str, ready: Ready) -> None:
    """A start or stop; a start of a new or Preparing campaign once it is Ready (one that
    someone started meanwhile is as the plan wants it: nothing is sent)."""
    if waits_for_ready(change):
        status = await ready.ready(campaign_id, change.name)
        if status == REACHED["start"]:
            return
        if status not in STARTABLE:
            raise CampsyncError(f"the campaign is {status} now, not Ready: not started")
    action = TRIGGERS[change.action]
    await client.trigger(campaign_id, action, change.campaign_type, name=change.name)


async def apply_plan(
    client: Writer,
    plan: Plan,
    *,
    stop: asyncio.Event | None = None,
    abandon: asyncio.Event | None = None,
    on_result: ResultCallback | None = None,
    ready: Ready | None = None,
) -> ApplyResult:
    """Send every write of the plan (blocked changes are skipped), campaign by campaign: all
    campaigns at once, each one's changes in plan order (stop, update, start; create, then
    start with the new id), a change not sent once an earlier one of its campaign failed or
    had its answer lost (`after_failure`). The client bounds the requests in flight (its
    parallelism) and, once `stop` is set, sends none that waits for its turn (WriteNotSent:
    reported not started); a start waiting for its campaign to be Ready (`ready`, by default
    for at most readiness.DEFAULT_WAIT seconds) ends its wait then too. A failure of one
    campaign does not stop the others. Once `abandon` is set (a second interrupt) the writes
    in flight are not waited for either: they are reported failed with an unknown outcome
    (`ApplyResult.unknown`), as is a write the client sent and lost the answer of (a start
    or stop among them). The result lists the plan's own changes (a new campaign's start
    included, though it was sent with the id its create gave)."""
    result = ApplyResult()
    stop = stop if stop is not None else asyncio.Event()
    ready = ready if ready is not None else ReadyWaiter(client, DEFAULT_WAIT, stop=stop)

    result.skipped.extend(c for c in plan.changes if c.action not in WRITE_ACTIONS)
    writes = writes_of(plan)
    campaigns: dict[str, list[int]] = {}
    for index, change in enumerate(writes):
        campaigns.setdefault(change.campaign, []).append(index)
    outcomes: dict[int, tuple[str, str | None]] = {}
    started: set[int] = set()

    async def run(index: int, change: Change) -> str:
        if stop.is_set():
            outcomes[index] = ("skipped", None)
            return "skipped"
        started.add(index)
        try:
            new_id = await _send(client, change, ready)
        except WriteNotSent:  # stopped while it waited for its turn: never started
            outcomes[index] = ("skipped", None)
            return "skipped"
        except ApiError as exc:
            if exc.outcome_unknown:  # sent, and its answer lost: it may have been made
                outcomes[index] = ("unknown", f"{_reason(exc)}; {LOST_ANSWER}")
            else:
                outcomes[index] = ("failed", _reason(exc))
        except CampsyncError as exc:
            outcomes[index] = ("failed", _reason(exc))
        except Exception as exc:  # a bug must not hide the other results
            outcomes[index] = ("failed", f"internal error: {type(exc).__name__}: {exc}")
        else:
            outcomes[index] = ("applied", new_id)
        state, detail = outcomes[index]
        if on_result is not None:
            on_result(change, None if state == "applied" else detail)
        return state

    async def run_campaign(indexes: list[int]) -> None:
        created: str | None = None
        for position, index in enumerate(indexes):
            change = writes[index]
            if created is not None and change.id is None:  # the start of a new one: sent
                change = replace(change, id=created)  # with the id its create gave
            state = await run(index, change)
            if state in ("failed", "unknown"):
                before = "failed" if state == "failed" else "had its answer lost"
                why = f"the {change.action} before it {before}"
                outcomes.update(
                    (later, ("after failure", why)) for later in indexes[position + 1 :]
                )
            if state != "applied":
                return
            if change.action == "create":
                created = outcomes[index][1]

    runs = asyncio.ensure_future(asyncio.gather(*map(run_campaign, campaigns.values())))
    if abandon is None:
        await runs
    else:
        await until_set(runs, abandon)

    for index, change in enumerate(writes):
        if index in outcomes:
            state, detail = outcomes[index]
        elif index in started:
            state, detail = "unknown", UNKNOWN_OUTCOME
        else:
            state, detail = "skipped", None
        if state == "applied":
            result.applied.append(change)
            if change.action == "create" and detail:
                result.created_ids[change.file or change.name] = detail
        elif state in ("failed", "unknown"):
            result.failed.append((change, detail or "failed"))
            if state == "unknown":
                result.unknown.append(change)
        elif state == "after failure":
            result.after_failure.append((change, detail or "an earlier step failed"))
        else:
            result.skipped.append(change)
    result.interrupted = stop.is_set()
    return result


class Memory(Protocol):
    """What this target's local cache recalls (campsync.sync.cache.LocalCache): a campaign's
    body as seen at one updatedAt (an update's answer included), and the campaign a file
    matched or created last."""

    def known_body(self, campaign_id: str, updated_at: str | None) -> dict[str, Any] | None: ...

    def last_match(self, file: str) -> str | None: ...


async def check_fresh(
    client: Lister,
    plan: Plan,
    *,
    memory: Memory | None = None,
    experience_flows: Mapping[str, str] | None = None,
    interrupted: str | None = None,
) -> None:
    """Refuse a saved plan when a campaign it touches changed on the platform since: an update
    or delete whose campaign's updatedAt (from the list, no full re-read) differs, or vanished,
    a start or stop whose campaign's listed status is not the one the plan saw, a delete whose
    campaign is now Active, or a create whose name now exists. Raises StalePlanError naming
    the campaign(s).

    A change the platform already holds is told apart, from what `memory` recalls (no request):
    an update whose campaign, at its listed updatedAt, holds what the plan would send (as after
    this very plan was applied), a create whose campaign was created from the plan's file, a
    delete whose campaign is gone, a start whose campaign is Active, a stop whose campaign is
    Stopped. When every such difference is one of these, the message says the plan was
    already applied (in part, when only some are).

    `interrupted`: when an earlier apply of this very plan began (an ISO time) and its run
    ended before it could record its writes (sync.journal): the campaigns that look changed
    are then most likely its writes, and the message says so."""
    writes = writes_of(plan)
    if not writes:
        return
    types = {DEFAULT_TYPE, *(c.campaign_type for c in writes)}
    listed = await list_platform(client, types)
    by_id = {entry.id: entry for entry in listed}
    by_name = {entry.name.casefold(): entry for entry in listed}
    flows = experience_flows or {}

    stale: list[str] = []
    done: list[str] = []
    for change in writes:
        if change.action == "create":
            entry = by_name.get(change.name.casefold())
            if entry is None:
                continue
            last = memory.last_match(change.file) if memory is not None and change.file else None
            if last == entry.id:
                done.append(f"campaign {change.name!r} was created ({entry.id})")
            else:
                stale.append(f"campaign {change.name!r} was created")
            continue
        if change.id is None:  # the start of a campaign the plan creates: its create says
            continue
        entry = by_id.get(change.id)
        if entry is None:
            gone = f"campaign {change.name!r} ({change.id}) was deleted"
            (done if change.action == "delete" else stale).append(gone)
        elif change.action in RUN_ACTIONS:
            # Fresh while the campaign's status is the one the plan saw (a trigger moves
            # updatedAt, so a restart's own stop would make its update and start look stale).
            reached = REACHED[change.action]
            label = f"campaign {change.name!r} ({change.id})"
            if entry.status == change.status:
                continue
            if entry.status == reached:
                done.append(f"{label} is {reached} already")
            else:
                stale.append(f"{label} is {entry.status} now (the plan saw {change.status})")
        elif entry.updated_at != change.updated_at:
            if _holds(change, entry, memory, flows):
                done.append(f"campaign {change.name!r} ({change.id}) already holds its change")
            else:
                stale.append(f"campaign {change.name!r} ({change.id}) changed")
        elif change.action == "delete" and entry.status == "Active":
            stale.append(f"campaign {change.name!r} ({change.id}) became Active")
    if stale and interrupted is not None:
        also = f"; {_join(done)}: already applied" if done else ""
        raise StalePlanError(
            f"the plan was partly applied: an apply of it begun at {interrupted} ended before it "
            f"could record its writes, so the campaigns it wrote look changed on the platform "
            f"({_join(stale)}{also}); nothing was sent; make a new plan "
            "('campsync plan --out FILE'), review what is left, and apply that"
        )
    if stale:
        also = f" ({_join(done)}: already applied)" if done else ""
        raise StalePlanError(
            f"the plan is out of date: {_join(stale)} on the platform after the plan was made"
            f"{also}; nothing was applied, plan again"
        )
    if done:
        whole = len(done) == len(writes)
        raise StalePlanError(
            f"the plan was already applied{'' if whole else ' in part'}: {_join(done)}; "
            f"nothing was sent{'' if whole else ', plan again'}"
        )


def _holds(change: Change, entry: Listed, memory: Memory | None, flows: Mapping[str, str]) -> bool:
    """The campaign, as the cache recalls it at its listed updatedAt, holds the plan's body."""
    body = memory.known_body(entry.id, entry.updated_at) if memory is not None else None
    if change.action != "update" or change.body is None or body is None:
        return False
    found = compare(
        change.body, body, entry.item, experience_flows=flows, listed_type=entry.campaign_type
    )
    return not found.diffs


def _reason(exc: CampsyncError) -> str:
    """The one-line reason, without the campaign name the result line already shows."""
    text = str(exc)
    if isinstance(exc, ApiError) and exc.campaign:
        text = text.removeprefix(f"campaign {exc.campaign!r}: ")
    return text


def _join(items: Sequence[str]) -> str:
    if len(items) <= 3:
        return ", ".join(items)
    return ", ".join(items[:3]) + f" and {len(items) - 3} more"
