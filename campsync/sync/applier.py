"""Orchestrates an apply: sends the planned writes concurrently, stops starting new ones when
asked, and reports what was applied. Also checks that a saved plan is still fresh.
No printing here: results go to a callback and into the returned ApplyResult."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from campsync.errors import ApiError, CampsyncError, NotFoundError, StalePlanError, WriteNotSent
from campsync.sync.diffing import compare
from campsync.sync.inventory import DEFAULT_TYPE, Listed, Lister, list_platform
from campsync.sync.plan import Change, Plan

WRITE_ACTIONS = ("create", "update", "delete")
UNKNOWN_OUTCOME = "interrupted while in flight: the outcome is unknown (plan again to see)"
LOST_ANSWER = "its answer was lost: the outcome is unknown (plan again to see)"


class Writer(Protocol):
    async def update_campaign(
        self, campaign_id: str, body: dict[str, Any], campaign_type: str = ...
    ) -> dict[str, Any]: ...

    async def create_campaign(self, body: dict[str, Any], campaign_type: str = ...) -> str: ...

    async def delete_campaign(
        self, campaign_id: str, campaign_type: str = ...
    ) -> dict[str, Any]: ...


@dataclass
class ApplyResult:
    applied: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)
    # Of the failed, those sent whose outcome is unknown: abandoned in flight, or their
    # answer lost (the platform may have made them all the same).
    unknown: list[Change] = field(default_factory=list)
    skipped: list[Change] = field(default_factory=list)  # blocked, or not started (stopped)
    interrupted: bool = False
    created_ids: dict[str, str] = field(default_factory=dict)  # file (or name) -> new id
    # Writes that landed, but whose answer shows the next plan would not agree (a wrong
    # experienceFlows entry): one line each, naming what to fix.
    unsettled: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.interrupted and not self.unsettled


# Called once per change as soon as its outcome is known: (change, None) when applied,
# (change, reason) when it failed.
ResultCallback = Callable[[Change, str | None], None]


def writes_of(plan: Plan) -> tuple[Change, ...]:
    """The changes apply sends, in the plan's order (blocked ones are not sent)."""
    return tuple(c for c in plan.changes if c.action in WRITE_ACTIONS)


async def _send(client: Writer, change: Change) -> str | None:
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
    # Already gone (a retry after a lost answer finds nothing to delete): the platform is as
    # the plan wants it.
    with contextlib.suppress(NotFoundError):
        await client.delete_campaign(change.id, change.campaign_type)
    return None


async def apply_plan(
    client: Writer,
    plan: Plan,
    *,
    stop: asyncio.Event | None = None,
    abandon: asyncio.Event | None = None,
    on_result: ResultCallback | None = None,
) -> ApplyResult:
    """Send every write of the plan (blocked changes are skipped), all handed to the client at
    once: the client bounds the requests in flight (its parallelism) and, once `stop` is set,
    sends none that waits for its turn (WriteNotSent: reported not started). A failure of one
    write does not stop the others. Once `abandon` is set (a second interrupt) the writes in
    flight are not waited for either: they are reported failed with an unknown outcome
    (`ApplyResult.unknown`), as is a write the client sent and lost the answer of."""
    result = ApplyResult()
    stop = stop if stop is not None else asyncio.Event()

    result.skipped.extend(c for c in plan.changes if c.action not in WRITE_ACTIONS)
    writes = writes_of(plan)
    outcomes: dict[int, tuple[str, str | None]] = {}
    started: set[int] = set()

    async def run(index: int, change: Change) -> None:
        if stop.is_set():
            outcomes[index] = ("skipped", None)
            return
        started.add(index)
        try:
            new_id = await _send(client, change)
        except WriteNotSent:  # stopped while it waited for its turn: never started
            outcomes[index] = ("skipped", None)
            return
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
        if on_result is not None:
            state, detail = outcomes[index]
            on_result(change, None if state == "applied" else detail)

    runs = asyncio.ensure_future(asyncio.gather(*(run(i, c) for i, c in enumerate(writes))))
    if abandon is None:
        await runs
    else:
        await _until_done_or(runs, abandon)

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
        else:
            result.skipped.append(change)
    result.interrupted = stop.is_set()
    return result


async def _until_done_or(runs: asyncio.Future[Any], abandon: asyncio.Event) -> None:
    """Wait for `runs`; if `abandon` is set first, cancel it and return."""
    waiter = asyncio.ensure_future(abandon.wait())
    try:
        await asyncio.wait([runs, waiter], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in (waiter, runs):
            if not future.done():
                future.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await future


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
    a delete whose campaign is now Active, or a create whose name now exists. Raises
    StalePlanError naming the campaign(s).

    A change the platform already holds is told apart, from what `memory` recalls (no request):
    an update whose campaign, at its listed updatedAt, holds what the plan would send (as after
    this very plan was applied), a create whose campaign was created from the plan's file, a
    delete whose campaign is gone. When every such difference is one of these, the message says
    the plan was already applied (in part, when only some are).

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
        entry = by_id.get(change.id or "")
        if entry is None:
            gone = f"campaign {change.name!r} ({change.id}) was deleted"
            (done if change.action == "delete" else stale).append(gone)
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
