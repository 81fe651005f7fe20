"""Planning: matches files to listed campaigns, reads in full only the pairs not known to be
equal (through campsync.sync.inventory), comparing each body with its file as soon as it is
read (`Read`: a plan of 10,000 campaigns never holds their bodies all at once), then decides
in a pure step (`decide`, with diffing, model, rules and plan) what differs, and what is worth
remembering for later runs (`Learnt`, which the engine hands to the cache). Each update says
where its difference came from (sync.origin, against what the cache recalls of the campaign's
last agreement); with `plan --since` (sync.since), only the campaigns that may differ are
compared in full. No printing here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from campsync.campaign.model import request_body
from campsync.campaign.validation import CampaignFile
from campsync.config.file import CONFIG_NAME
from campsync.config.job import Flows
from campsync.errors import BadResponseError, CampsyncError
from campsync.sync.diffing import (
    Comparison,
    compare,
    creation_diff,
    listed_queue,
    wrong_flow_entry,
)
from campsync.sync.inventory import (
    DEFAULT_TYPE,
    FetchFull,
    Keep,
    Listed,
    Lister,
    Reader,
    campaign_type_of,
    client_fetcher,
    list_platform,
)
from campsync.sync.origin import Agreed, origins_of
from campsync.sync.plan import Change, FieldDiff, InFull, Plan, Since
from campsync.sync.prune import prune_unmanaged
from campsync.sync.rules import require_create_fields
from campsync.sync.runstate import decide_run_state, run_changes
from campsync.sync.scope import Scope
from campsync.sync.since import ChangedSince
from campsync.text import clip, quoted


class MatchError(CampsyncError):
    """Files and platform campaigns cannot be matched one to one."""


class SameMemo(Protocol):
    """File/campaign pairs found equal before (see campsync.sync.cache.SameCache): `recall`
    gives the warnings of that comparison, or None when the pair is not known."""

    def recall(self, key: str) -> tuple[str, ...] | None: ...


class History(Protocol):
    """What earlier runs against this target learnt (see campsync.sync.cache.HistoryCache):
    the campaign each file matched last, and the flow the platform set when campsync last
    wrote a campaign, where that contradicted the experienceFlows mapping."""

    def last_match(self, file: str) -> str | None: ...

    def flow_written(self, campaign_id: str, updated_at: str | None) -> tuple[str, str] | None: ...


class Agreements(Protocol):
    """What campsync last saw each campaign agree with its file as (see
    campsync.sync.cache.AgreedCache): `recall` gives that record, or None."""

    def recall(self, campaign_id: str) -> Agreed | None: ...


@dataclass(frozen=True)
class Agreement:
    """A campaign found equal to its file: its id, updatedAt, listed queue and type (what
    AgreedCache records, with the body the bodies' store holds for that updatedAt)."""

    campaign_id: str
    updated_at: str | None
    queue: Any
    campaign_type: str


@dataclass(frozen=True)
class Learnt:
    """What deciding found that later runs use, for the engine to hand to the cache: the pairs
    found equal (memo key, that comparison's warnings: SameCache.remember), the campaign
    each file matched in this run (file, campaign id: HistoryCache.remember_match), and the
    campaigns found equal to their files (AgreedCache.remember)."""

    equal: tuple[tuple[str, tuple[str, ...]], ...] = ()
    matches: tuple[tuple[str, str], ...] = ()
    agreed: tuple[Agreement, ...] = ()


@dataclass(frozen=True)
class Decision:
    """The plan, and what to remember of it."""

    plan: Plan
    learnt: Learnt


def pair_key(cf: CampaignFile, entry: Listed, flows_key: str) -> str | None:
    """What a comparison of this file with this campaign depends on: the file's exact text,
    the campaign as of its updatedAt (any write moves it), the type it is listed under, its
    listed queue, and the experience-flow mapping. None when one of them is unknown."""
    if not cf.digest or not entry.updated_at:
        return None
    connection = entry.item.get("connection")
    parts = (
        cf.digest,
        entry.id,
        entry.updated_at,
        entry.campaign_type,
        connection if isinstance(connection, str) else repr(connection),
        flows_key,
    )
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:40]


def flows_key(experience_flows: Mapping[str, str]) -> str:
    return hashlib.sha256(repr(sorted(experience_flows.items())).encode()).hexdigest()


@dataclass(frozen=True)
class Matching:
    """Files matched to listed campaigns, files whose id is unknown, files to create."""

    matched: list[tuple[CampaignFile, Listed]]
    unknown_id: list[CampaignFile]
    to_create: list[CampaignFile]
    unmanaged: list[Listed]


def match_files(files: Sequence[CampaignFile], listed: Sequence[Listed]) -> Matching:
    """By `id` when the file has one; otherwise by name, case-insensitively (the file's own
    campaign type first); otherwise the campaign is to be created."""
    by_id = {item.id: item for item in listed}
    by_name: dict[tuple[str, str], list[Listed]] = {}
    for item in listed:
        by_name.setdefault((item.campaign_type, item.name.casefold()), []).append(item)
    types = sorted({item.campaign_type for item in listed})

    matched: list[tuple[CampaignFile, Listed]] = []
    unknown_id: list[CampaignFile] = []
    to_create: list[CampaignFile] = []
    owner: dict[str, CampaignFile] = {}

    for cf in files:
        entry: Listed | None = None
        file_id = cf.data.get("id")
        if isinstance(file_id, str) and file_id:
            entry = by_id.get(file_id)
            if entry is None:
                unknown_id.append(cf)
                continue
        else:
            name = str(cf.data.get("name", "")).casefold()
            own = campaign_type_of(cf.data)
            for campaign_type in [own, *(t for t in types if t != own)]:
                candidates = by_name.get((campaign_type, name), [])
                if len(candidates) > 1:
                    ids = ", ".join(sorted(c.id for c in candidates))
                    raise MatchError(
                        f"{cf.file}: {len(candidates)} platform campaigns are named "
                        f"{cf.data.get('name')!r} ({ids}); add the id to the file"
                    )
                if candidates:
                    entry = candidates[0]
                    break
            if entry is None:
                to_create.append(cf)
                continue
        previous = owner.get(entry.id)
        if previous is not None:
            first, second = sorted([previous.file, cf.file])
            raise MatchError(
                f"{first} and {second} both describe the campaign {entry.name!r} ({entry.id})"
            )
        owner[entry.id] = cf
        matched.append((cf, entry))

    unmanaged = [item for item in listed if item.id not in owner]
    return Matching(matched, unknown_id, to_create, unmanaged)


async def list_matched(
    client: Lister,
    files: Sequence[CampaignFile],
    on_listed: Callable[[Sequence[Listed]], None] | None = None,
) -> tuple[list[Listed], Matching]:
    """Every campaign of the files' types (and the default one) listed, `on_listed` told of
    them (a cache forgets the ones gone), and the files matched to them (match_files)."""
    types = {DEFAULT_TYPE, *(campaign_type_of(cf.data) for cf in files)}
    listed = await list_platform(client, types)
    if on_listed is not None:
        on_listed(listed)
    return listed, match_files(files, listed)


def narrow(matching: Matching, scope: Scope) -> Matching:
    """What is in scope, from a matching of every file (so that a platform campaign an
    out-of-scope file describes is out of scope too: neither planned, nor unmanaged, nor
    deleted). A campaign no file describes is in scope by its name."""
    if scope.everything:
        return matching
    return Matching(
        matched=[(cf, e) for cf, e in matching.matched if scope.includes_file(cf, e.name)],
        unknown_id=[cf for cf in matching.unknown_id if scope.includes_file(cf)],
        to_create=[cf for cf in matching.to_create if scope.includes_file(cf)],
        unmanaged=[e for e in matching.unmanaged if scope.includes_name(e.name)],
    )


@dataclass
class Pending:
    """The matched pairs still to compare (each with its memo key), after the memo has
    answered for the pairs it knows (`known`: no edits, with their warnings)."""

    compare: list[tuple[CampaignFile, Listed, str | None]]
    known: list[tuple[CampaignFile, Listed]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def recall_known(
    matched: Sequence[tuple[CampaignFile, Listed]], flows: str, same: SameMemo | None
) -> Pending:
    pending = Pending([])
    for cf, entry in matched:
        key = pair_key(cf, entry, flows) if same is not None else None
        known = same.recall(key) if same is not None and key is not None else None
        if known is None:
            pending.compare.append((cf, entry, key))
        else:
            pending.known.append((cf, entry))
            pending.warnings.extend(known)
    return pending


@dataclass(frozen=True, slots=True)
class Read:
    """What a plan keeps of a campaign's full body: its comparison with the file, and the
    body's own status and updatedAt (what an update stands on when the list gives none)."""

    comparison: Comparison
    status: Any
    updated_at: Any

    @classmethod
    def of(
        cls, cf: CampaignFile, entry: Listed, live: Mapping[str, Any], flows: Mapping[str, str]
    ) -> Read:
        comparison = compare(
            cf.data, live, entry.item, experience_flows=flows, listed_type=entry.campaign_type
        )
        return cls(comparison, live.get("status"), live.get("updatedAt"))


async def make_plan(
    client: Reader,
    files: Sequence[CampaignFile],
    flows: Flows | None = None,
    *,
    fetch_full: FetchFull | None = None,
    on_listed: Callable[[Sequence[Listed]], None] | None = None,
    same: SameMemo | None = None,
    history: History | None = None,
    agreed: Agreements | None = None,
    scope: Scope | None = None,
    since: ChangedSince | None = None,
    prune: bool = False,
    keep: Sequence[str] = (),
    restart: bool = False,
    environment: str | None = None,
    config: str = CONFIG_NAME,
) -> Decision:
    """Compare the files with the platform: read (the list, then the full bodies of the
    pairs not known to be equal), then decide (pure). Reads only; raises the client's typed
    errors. `fetch_full` reads the full bodies (the engine's answers from the cache and
    counts the reads; without it, one get-one each through `client`). `on_listed` sees every
    listed campaign (a cache prunes the ones no longer there). With `same`, a pair found
    equal before (same file text, same updatedAt, ...) is unchanged without reading or
    comparing the campaign again. With `history`, a file that matched another campaign last
    time, or a wrong flow mapping seen at the last write, is told in the plan's warnings.
    With `agreed`, each update says where its difference came from. With `since`, only the
    matched campaigns it chooses are compared in full (the others have no edits, on what the
    list returns: their run state is still decided from the listed status), and the plan
    says which. Only what is in `scope` is planned; with `prune`, the unmanaged campaigns in
    scope are deleted (names matching `keep` aside). With `restart`, an Active campaign with
    edits is stopped, updated and started again (sync.runstate). `flows` is the
    experienceFlows mapping (and where each entry is written), `environment` (of the
    settings file `config`) the environment whose overrides a fix may name. Nothing is
    remembered here: the Decision says what to."""
    flows = flows or Flows()
    listed, matching = await list_matched(client, files, on_listed)
    scope = scope or Scope()
    matching = narrow(matching, scope)
    matched, narrowed = matching.matched, None
    on_list: list[tuple[CampaignFile, Listed]] = []
    if since is not None:
        chosen = since.choose(matched)
        on_list = [(cf, entry) for cf, entry in matched if entry.id not in chosen]
        matched = [(cf, entry) for cf, entry in matched if entry.id in chosen]
        in_full = (InFull(entry.name, cf.file, chosen[entry.id]) for cf, entry in matched)
        narrowed = Since(since.ref, tuple(in_full), len(on_list))
    pending = recall_known(matched, flows_key(flows.ids), same)
    # Compared on what the list returns: no edits, but a run state to decide as any other's.
    pending.known.extend(on_list)
    fetch = fetch_full if fetch_full is not None else client_fetcher(client)
    wanted = [entry for _, entry, _ in pending.compare]
    reads = await fetch(wanted, _reader(pending, flows.ids)) if wanted else {}
    return decide(
        matching,
        pending,
        reads,
        flows.ids,
        history,
        agreed,
        keep=keep,
        prune=prune,
        restart=restart,
        flow_entry=flows.entry,
        environment=environment,
        config=config,
        notes=scope.unmatched(files, [entry.name for entry in listed]),
        since=narrowed,
    )


def _reader(pending: Pending, flows: Mapping[str, str]) -> Keep[Read]:
    """What the fetch keeps of each body as it comes: its Read, so that the body itself
    can go at once (as parsed JSON, a campaign takes some 6 KB)."""
    file_of = {entry.id: cf for cf, entry, _ in pending.compare}
    return lambda entry, live: Read.of(file_of[entry.id], entry, live, flows)


def decide(
    matching: Matching,
    pending: Pending,
    reads: Mapping[str, Read],
    experience_flows: Mapping[str, str],
    history: History | None = None,
    agreed: Agreements | None = None,
    *,
    prune: bool = False,
    keep: Sequence[str] = (),
    restart: bool = False,
    flow_entry: Callable[[str], str] | None = None,
    environment: str | None = None,
    config: str = CONFIG_NAME,
    notes: Sequence[str] = (),
    since: Since | None = None,
) -> Decision:
    """The plan, from what was read, and what to remember of it: no I/O, nothing written.
    Each create passes the rules of deciding (sync.rules); each campaign's run state (its
    file's `state`, its listed status) adds its start or stop, and decides whether an edit
    of an Active campaign is blocked or, with `restart`, a stop, update and start
    (sync.runstate). Each update says where its difference came from (sync.origin), from
    what `agreed` recalls of the campaign (none: `unknown`). With `prune`, unmanaged
    campaigns become deletes (see sync.prune). `flow_entry` says where a flow name's mapping
    is written; `environment` (of the settings file `config`) is where a campaign's id is
    given. `notes`: warnings of the reading (unused patterns), after the plan's own.
    `since`: what `plan --since` compared in full, for the plan to say."""
    changes = [_unknown_id(cf) for cf in matching.unknown_id]
    warnings = list(pending.warnings)
    for cf in matching.to_create:
        changes.extend(_created(require_create_fields(_create(cf), environment), cf))
    if history is not None:
        warnings.extend(_renamed(matching, history, environment, config))
        warnings.extend(_wrong_flows(matching, history, experience_flows, flow_entry))
    matches = tuple((cf.file, entry.id) for cf, entry in matching.matched)
    equal: list[tuple[str, tuple[str, ...]]] = []
    agreements: list[Agreement] = []
    unchanged = 0
    matched: list[tuple[CampaignFile, Listed, Read | None, tuple[FieldDiff, ...]]]
    matched = [(cf, entry, None, ()) for cf, entry in pending.known]
    for cf, entry, key in pending.compare:
        read = reads.get(entry.id)
        if read is None:
            raise BadResponseError(f"campaign {entry.name!r} ({entry.id}) could not be read")
        comparison = read.comparison
        warnings.extend(comparison.warnings)
        if not comparison.diffs:
            if key is not None:
                equal.append((key, comparison.warnings))
            queue, kind = listed_queue(entry.item), entry.campaign_type
            agreements.append(Agreement(entry.id, _stamp(entry, read), queue, kind))
        matched.append((cf, entry, read, comparison.diffs))
    for cf, entry, read, diffs in matched:
        record = agreed.recall(entry.id) if agreed is not None and diffs else None
        found, warning = _matched(cf, entry, read, diffs, restart, record, experience_flows)
        changes.extend(found)
        unchanged += not found
        if warning is not None:
            warnings.append(warning)
    unmanaged = list(matching.unmanaged)
    if prune:
        deletes, unmanaged = prune_unmanaged(unmanaged, keep)
        changes.extend(deletes)
    plan = Plan.of(
        changes,
        unchanged=unchanged,
        unmanaged=[entry.name for entry in unmanaged],
        warnings=[*warnings, *notes],
        existing=len(matching.matched) + len(matching.unmanaged),
        since=since,
    )
    return Decision(plan, Learnt(tuple(equal), matches, tuple(agreements)))


def _renamed(
    matching: Matching, history: History, environment: str | None, config: str
) -> list[str]:
    """A file to create that matched a campaign last time which no file describes now: its
    name was changed, most likely to rename that campaign, which needs the id: in the file,
    or with environments in the environment's override entry for the campaign (ids are per
    account: an id in the file would be every environment's)."""
    unmanaged = {entry.id: entry for entry in matching.unmanaged}
    hints = []
    for cf in matching.to_create:
        entry = unmanaged.get(history.last_match(cf.file) or "")
        if entry is None:
            continue
        if environment is None:
            where = f"add 'id: {entry.id}' to the file"
        else:
            name = clip(str(cf.data.get("name", "")), 60)
            where = (
                f"set environments.{environment}.overrides.{name}.id to {entry.id} in "
                f"{config} (ids are per account: an id in the file would be sent to every "
                "environment)"
            )
        hints.append(
            f"{cf.file} was {quoted(entry.name)} ({entry.id}) last time; to rename that "
            f"campaign instead of creating a new one, {where}"
        )
    return hints


def _wrong_flows(
    matching: Matching,
    history: History,
    experience_flows: Mapping[str, str],
    flow_entry: Callable[[str], str] | None,
) -> list[str]:
    """Campaigns unchanged since campsync's last write, whose answer then showed a flow id
    that the mapping does not give the name sent (and still does not)."""
    found = []
    for _, entry in matching.matched:
        written = history.flow_written(entry.id, entry.updated_at)
        if written is None:
            continue
        warning = wrong_flow_entry(*written, experience_flows, flow_entry)
        if warning is not None:
            found.append(f"campaign {entry.name!r}: {warning} (seen at campsync's last write)")
    return found


def _unknown_id(cf: CampaignFile) -> Change:
    return Change(
        action="blocked",
        name=str(cf.data.get("name", "")),
        id=str(cf.data["id"]),
        file=cf.file,
        reason=f"no campaign with id {cf.data['id']} on the platform (remove the id to create it)",
        campaign_type=campaign_type_of(cf.data),
    )


def _create(cf: CampaignFile) -> Change:
    return Change(
        action="create",
        name=str(cf.data.get("name", "")),
        id=None,
        file=cf.file,
        diff=creation_diff(cf.data),
        campaign_type=campaign_type_of(cf.data),
        body=request_body(cf.data),
    )


def _created(create: Change, cf: CampaignFile) -> list[Change]:
    """A create, and its start when the file says `state: running` (unless the create is
    blocked: its start goes with it)."""
    if create.action != "create":
        return [create]
    run = decide_run_state(create.name, _state(cf), None, edits=True, created=True)
    return run_changes(run, create, None, None)


def _told(origin: str, change: str) -> str | None:
    """A difference's own origin, when it says more than its change's (`both`, or `unknown`
    for differences of which some are known): otherwise None, the change's is its own."""
    return None if origin in (change, "unknown") else origin


def _stamp(entry: Listed, read: Read | None) -> str | None:
    """The campaign's updatedAt: the list's, else its body's (when it was read)."""
    if entry.updated_at is None and read is not None and isinstance(read.updated_at, str):
        return read.updated_at
    return entry.updated_at


def _matched(
    cf: CampaignFile,
    entry: Listed,
    read: Read | None,
    diffs: tuple[FieldDiff, ...],
    restart: bool,
    agreed: Agreed | None,
    experience_flows: Mapping[str, str],
) -> tuple[list[Change], str | None]:
    """The changes of a matched campaign (none: unchanged): its update if it has `diffs` (a
    `read` of its body: none when the memo knew it equal, or `plan --since` compared it on
    the list), each difference with its origin; its start or stop, or a blocked change when
    its edit can't be made; and a warning of its run state, if any."""
    # The list is read afresh by every plan, while the full body may come from the cache
    # (which keeps no status, see sync.cache): the list's status wins. Only a body read in
    # this run can carry one, for a platform whose list gives none.
    status = entry.status
    if status is None and read is not None and isinstance(read.status, str):
        status = read.status
    updated_at = _stamp(entry, read)
    name = str(cf.data.get("name", entry.name))
    run = decide_run_state(name, _state(cf), status, edits=bool(diffs), restart=restart)
    origins = origins_of(diffs, agreed, updated_at, experience_flows) if diffs else None
    if origins is not None:
        # A difference says its own origin only where the change's does not say it already.
        told = zip(diffs, (_told(each, origins.change) for each in origins.diffs), strict=True)
        diffs = tuple(replace(diff, origin=origin) for diff, origin in told)
    edit = Change(
        action="blocked" if run.blocked else "update",
        name=name,
        id=entry.id,
        file=cf.file,
        diff=diffs,
        reason=run.blocked,
        campaign_type=entry.campaign_type,
        body=None if run.blocked else request_body(cf.data),
        updated_at=updated_at,
        status=status,
        origin=None if origins is None else origins.change,
    )
    if run.blocked:
        return [edit], run.warning
    return run_changes(run, edit, status, updated_at), run.warning


def _state(cf: CampaignFile) -> str | None:
    """The run state the file declares (validated: running, stopped), None when it
    declares none."""
    state = cf.data.get("state")
    return state if isinstance(state, str) else None
