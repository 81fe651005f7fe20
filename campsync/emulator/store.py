"""The emulator's state: campaigns, the catalog of lists and queues, request counters,
and their file on disk.

Every method is safe to call from any thread (tests read counters while the server
runs in its own thread). Operations refuse with rules.Refusal, as the platform would.
"""

from __future__ import annotations

import collections
import copy
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from campsync.emulator.catalog import Catalog, CatalogError, parse_all
from campsync.emulator.queries import ListQuery, Page
from campsync.emulator.records import (
    apply_body,
    format_timestamp,
    get_view,
    list_view,
    names_list,
    parse_timestamp,
    passes,
    sort_value,
)
from campsync.emulator.rules import CAMPAIGN_TYPES, STATUSES, Refusal
from campsync.emulator.seeding import (
    Seed,
    SeedError,
    check_seed_campaigns,
    check_seed_names,
    load_seed_file,
)
from campsync.emulator.statefile import read_state, write_state
from campsync.errors import ConfigError

KINDS = (
    "list",
    "get",
    "update",
    "create",
    "delete",
    "trigger",
    "status",
    "contactLists",
    "queues",
)
STARTABLE = ("Ready", "Paused", "Stopped")
STOPPABLE = ("Active", "Paused")
DEFAULT_MAX_SKIPS = 1
TOTAL_CALLS_COMPLETED = 0  # the emulator dials nobody


class Store:
    def __init__(
        self,
        catalog: Catalog,
        *,
        ready_after: float = 2.0,
        state_file: Path | None = None,
        log_size: int = 1000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog  # replaced whole on additions: a reader sees one moment
        self.ready_after = ready_after
        self.state_file = state_file
        self._clock = clock
        self._lock = threading.RLock()
        self._campaigns: dict[str, dict[str, Any]] = {}
        self._last_ms = 0
        self._log: collections.deque[dict[str, Any]] = collections.deque(maxlen=log_size)
        self._by_kind: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._by_status: dict[str, int] = {}
        self._in_flight = 0  # requests received and not yet counted (answered or not)

    # ---- the campaign calls ---------------------------------------------------------

    def list_campaigns(self, query: ListQuery) -> dict[str, Any]:
        with self._lock:
            matching = [
                record
                for record in self._all_refreshed()
                if record.get("campaignType", "voice") == query.campaign_type
                and passes(record, query.filters)
            ]
            matching.sort(
                key=lambda record: (sort_value(record, query.sort_key), str(record["_id"])),
                reverse=query.descending,
            )
            page = [list_view(record) for record in matching[query.skip :][: query.limit]]
            return _paged(page, len(matching), query.skip, query.limit, ("skip", query.skip))

    def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        with self._lock:
            return get_view(self._find(campaign_id))

    def campaign_type(self, campaign_id: str) -> str:
        """The type the campaign was created as ("voice" or "sms"); Refusal 404 if unknown."""
        with self._lock:
            return str(self._find(campaign_id).get("campaignType", "voice"))

    def create_campaign(self, body: Mapping[str, Any], campaign_type: str) -> dict[str, Any]:
        """A checked body (rules.check_campaign_body) as a new Preparing campaign."""
        with self._lock:
            self._refuse_duplicate_name(str(body["name"]), None)
            record = self._new_record(
                body, f"cd-{uuid.uuid4()}", "Preparing", campaign_type, self.catalog
            )
            self._campaigns[record["_id"]] = record
            self._save()
            return copy.deepcopy(record)

    def check_editable(self, campaign_id: str) -> None:
        """Refusal 404 for an unknown campaign, 400 for one that can't be edited now."""
        with self._lock:
            status = self._find(campaign_id)["status"]
            if status == "Active":
                raise Refusal(400, "Active campaigns can't be edited")
            if status == "Preparing":
                raise Refusal(400, "The campaign is still Preparing and can't be edited yet")

    def update_campaign(self, campaign_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.check_editable(campaign_id)
            record = self._find(campaign_id)
            self._refuse_duplicate_name(str(body["name"]), campaign_id)
            apply_body(record, body, self.catalog)
            record["updatedAt"] = self._tick()
            self._save()
            return get_view(record)

    def delete_campaign(self, campaign_id: str) -> dict[str, Any]:
        with self._lock:
            record = self._find(campaign_id)
            # The docs are silent on deleting a running campaign; the strict reading: an
            # Active campaign can't be edited, so it can't be deleted either (stop it first).
            if record["status"] == "Active":
                raise Refusal(400, "Active campaigns can't be deleted; stop the campaign first")
            del self._campaigns[campaign_id]
            self._save()
            return get_view(record)

    # ---- run state --------------------------------------------------------------------

    def trigger(self, campaign_id: str, action: str) -> dict[str, Any]:
        """Start ("play": Ready, Stopped or Paused -> Active) or stop ("stop": Active or
        Paused -> Stopped), as the contract's table has it; Refusal(400) for anything else.
        The answer's fields as the docs show them: the new status, its updatedAt (a trigger
        is a change of the campaign: it moves updatedAt), the run's campaignInstanceId (a
        new run on play, except that a Paused run resumes), and on play
        totalCallsCompleted."""
        with self._lock:
            record = self._find(campaign_id)
            status = record["status"]
            verb = "started" if action == "play" else "stopped"
            allowed = STARTABLE if action == "play" else STOPPABLE
            if status == "Preparing":
                raise Refusal(400, f"The campaign is still Preparing and can't be {verb} yet")
            if status not in allowed:
                raise Refusal(400, f"A campaign in status {status} can't be {verb}")
            if action == "play":
                if status != "Paused" or not record.get("campaignInstanceId"):
                    record["campaignInstanceId"] = f"cid-{uuid.uuid4()}"
                record["status"] = "Active"
            else:
                record.setdefault("campaignInstanceId", f"cid-{uuid.uuid4()}")
                record["status"] = "Stopped"
            record["updatedAt"] = self._tick()
            self._save()
            answer: dict[str, Any] = {
                "status": record["status"],
                "message": f"Campaign {record.get('name')} {verb} successfully",
            }
            if action == "play":
                answer["totalCallsCompleted"] = TOTAL_CALLS_COMPLETED
            answer["updatedAt"] = record["updatedAt"]
            answer["campaignInstanceId"] = record["campaignInstanceId"]
            return answer

    def campaign_status(self, campaign_id: str) -> dict[str, Any]:
        """The status call's `data` (view=status): `{id, status, name}`."""
        with self._lock:
            record = self._find(campaign_id)
            return {"id": record["_id"], "status": record["status"], "name": record.get("name")}

    # ---- references -------------------------------------------------------------------

    def contact_list_details(self) -> list[dict[str, Any]]:
        """getAllListDetails' items: every contact list (DNC lists among them), each with
        the campaigns that name it (`campaignInUse`, as the sample has it: `[{id, name}]`)."""
        with self._lock:
            return [
                {
                    **item.as_json(),
                    "campaignInUse": [
                        {"id": record["_id"], "name": record.get("name")}
                        for record in self._campaigns.values()
                        if names_list(record, item.name)
                    ],
                }
                for item in self.catalog.lists
            ]

    def list_queues(self, page: Page) -> dict[str, Any]:
        queues = self.catalog.queue_list
        items = [queue.as_json() for queue in queues[page.skip :][: page.limit]]
        return _paged(items, len(queues), page.skip, page.limit, ("page", page.page))

    # ---- admin ----------------------------------------------------------------------

    def seed(self, items: Iterable[Any]) -> list[str]:
        """Add campaigns in request-body shape (+ optional id, status), unvalidated
        except that names must resolve. All or nothing."""
        return list(self.seed_all(Seed(campaigns=list(items)))["ids"])

    def add_references(
        self, lists: Iterable[Any] = (), queues: Iterable[Any] = ()
    ) -> dict[str, list[str]]:
        """Add contact lists and queues (catalog.parse_contact_list, parse_queue); their ids."""
        return self.seed_all(Seed(contact_lists=list(lists), queues=list(queues)))

    def seed_all(self, seed: Seed, *, strict: bool = False) -> dict[str, list[str]]:
        """Add a seed's lists and queues, then its campaigns (which may name them). With
        `strict`, each campaign must pass the create call's rules (a seed file); otherwise
        only its names must resolve (the admin route). All or nothing; Refusal(400)."""
        with self._lock:
            try:
                lists, queues = parse_all(seed.contact_lists, seed.queues)
                catalog = self.catalog.adding(lists, queues)
                if strict:
                    check_seed_campaigns(seed.campaigns, catalog)
            except (CatalogError, SeedError) as exc:
                raise Refusal(400, str(exc)) from None
            records = [self._seed_record(item, catalog) for item in seed.campaigns]
            ids = [record["_id"] for record in records]
            clashes = sorted({i for i in ids if i in self._campaigns or ids.count(i) > 1})
            if clashes:
                raise Refusal(400, f"campaign id(s) already in use: {', '.join(clashes)}")
            self.catalog = catalog
            for record in records:
                self._campaigns[record["_id"]] = record
            self._save()
            return {
                "ids": ids,
                "contactLists": [item.id for item in lists],
                "queues": [item.id for item in queues],
            }

    def set_status(self, campaign_id: str, status: Any) -> dict[str, Any]:
        """Any documented status, as someone using the platform's UI (or its scheduler)
        would set it. Preparing set so stays Preparing (no timer) until set otherwise."""
        if status not in STATUSES:
            raise Refusal(400, f"status must be one of: {', '.join(STATUSES)}")
        with self._lock:
            record = self._find(campaign_id)
            record["status"] = status
            record["readyAt"] = None
            record["updatedAt"] = self._tick()
            self._save()
            return copy.deepcopy(record)

    def edit_campaign(self, campaign_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """As someone editing the campaign in the web UI: each field given (a top-level field
        of the request body, whole: the admin route checks which) replaces the campaign's,
        leniently as seeding does (only the names must resolve), whatever its status;
        `updatedAt` moves. The get-one view; Refusal(404) for an unknown campaign, 400 for
        a name that does not resolve or is taken."""
        with self._lock:
            record = self._find(campaign_id)
            body = {**record, **fields}  # apply_body reads the request body's fields only
            if not isinstance(body.get("name"), str) or not body["name"]:
                raise Refusal(400, "name must be a non-empty string")
            check_seed_names(body, self.catalog)
            self._refuse_duplicate_name(body["name"], campaign_id)
            apply_body(record, body, self.catalog)
            record["updatedAt"] = self._tick()
            self._save()
            return get_view(record)

    def raw_campaigns(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._all_refreshed())

    def campaign_count(self) -> int:
        with self._lock:
            return len(self._campaigns)

    # ---- counters -------------------------------------------------------------------

    def begin_request(self) -> None:
        """A request has come in: under way until `count_request` counts it."""
        with self._lock:
            self._in_flight += 1

    def count_request(
        self,
        method: str,
        path: str,
        kind: str,
        status: int | None,
        outcome: str = "dropped",
        *,
        campaign_id: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> None:
        """Count one API request, no longer under way. status None: no answer, and `outcome`
        says why ("dropped" by the emulator's faults, or "client-closed" by the client
        mid-request): counted under that label, never as an error status. The log entry keeps
        the campaign id and the query too, so that a test can tell a start from a stop."""
        label = outcome if status is None else str(status)
        entry: dict[str, Any] = {
            "method": method,
            "path": path,
            "kind": kind,
            "status": status,
            "time": self._clock(),
        }
        if status is None:
            entry["outcome"] = outcome
        if campaign_id is not None:
            entry["campaignId"] = campaign_id
        entry["query"] = dict(query or {})
        with self._lock:
            self._by_kind[kind] = self._by_kind.get(kind, 0) + 1
            self._by_status[label] = self._by_status.get(label, 0) + 1
            self._in_flight = max(0, self._in_flight - 1)
            self._log.append(entry)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._by_status.values()),
                "by_kind": dict(self._by_kind),
                "by_status": dict(self._by_status),
                "in_flight": self._in_flight,
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._by_kind = dict.fromkeys(KINDS, 0)
            self._by_status = {}
            self._log.clear()

    def requests(self, limit: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._log)
        return entries[-limit:] if limit else entries

    # ---- persistence ----------------------------------------------------------------

    def load(self, seed_file: Path | None = None) -> None:
        """The state file if it holds anything, else the seed file if given (checked as
        the API would check its campaigns: ConfigError naming the campaign and why)."""
        state = read_state(self.state_file)
        if state is not None:
            with self._lock:
                catalog = self.catalog
                if state.lists is not None:
                    catalog = replace(catalog, lists=tuple(state.lists))
                if state.queues is not None:
                    catalog = replace(catalog, queue_list=tuple(state.queues))
                self.catalog = catalog
                self._campaigns = {record["_id"]: record for record in state.campaigns}
                self._last_ms = max(
                    (
                        parse_timestamp(record.get(key))
                        for record in state.campaigns
                        for key in ("createdAt", "updatedAt")
                    ),
                    default=0,
                )
            return
        if seed_file is not None:
            seed = load_seed_file(seed_file)
            try:
                self.seed_all(seed, strict=True)
            except Refusal as exc:
                raise ConfigError(f"{seed_file}: {exc}") from None

    def _save(self) -> None:
        if self.state_file is not None:
            write_state(self.state_file, list(self._campaigns.values()), self.catalog)

    # ---- internals ------------------------------------------------------------------

    def _tick(self) -> str:
        """A timestamp later than every one handed out before, even within 1 ms."""
        now_ms = int(self._clock() * 1000)
        self._last_ms = max(now_ms, self._last_ms + 1)
        return format_timestamp(self._last_ms)

    def _refresh(self, record: dict[str, Any]) -> dict[str, Any]:
        ready_at = record.get("readyAt")
        if record["status"] == "Preparing" and ready_at is not None and self._clock() >= ready_at:
            record["status"] = "Ready"
            record["readyAt"] = None
        return record

    def _all_refreshed(self) -> list[dict[str, Any]]:
        return [self._refresh(record) for record in self._campaigns.values()]

    def _find(self, campaign_id: str) -> dict[str, Any]:
        record = self._campaigns.get(campaign_id)
        if record is None:
            raise Refusal(404, f"Campaign {campaign_id} not found")
        return self._refresh(record)

    def _refuse_duplicate_name(self, name: str, own_id: str | None) -> None:
        lname = name.lower()
        for other in self._campaigns.values():
            if other["_id"] != own_id and other.get("lname") == lname:
                raise Refusal(400, f"A campaign with the name {name} already exists")

    def _seed_record(self, item: Any, catalog: Catalog) -> dict[str, Any]:
        if not isinstance(item, Mapping):
            raise Refusal(400, "each seeded campaign must be an object")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise Refusal(400, "each seeded campaign needs a name")
        check_seed_names(item, catalog)
        status = item.get("status", "Ready")
        if status not in STATUSES:
            raise Refusal(400, f"{name}: status must be one of: {', '.join(STATUSES)}")
        campaign_type = item.get("campaignType", "voice")
        if campaign_type not in CAMPAIGN_TYPES:
            raise Refusal(400, f"{name}: campaignType must be one of: voice, sms")
        campaign_id = item.get("id") or item.get("_id") or f"cd-{uuid.uuid4()}"
        if not isinstance(campaign_id, str):
            raise Refusal(400, f"{name}: id must be a string")
        return self._new_record(item, campaign_id, status, campaign_type, catalog)

    def _new_record(
        self,
        body: Mapping[str, Any],
        campaign_id: str,
        status: str,
        campaign_type: str,
        catalog: Catalog,
    ) -> dict[str, Any]:
        created = self._tick()
        record: dict[str, Any] = {
            "_id": campaign_id,
            "status": status,
            "readyAt": self._clock() + self.ready_after if status == "Preparing" else None,
            "isFiltersEnabled": False,
            "maxSkips": DEFAULT_MAX_SKIPS,
            "createdAt": created,
            "updatedAt": created,
            "campaignType": campaign_type,
        }
        apply_body(record, body, catalog)
        return record


def _paged(
    items: list[Any], total: int, skip: int, limit: int, where: tuple[str, int]
) -> dict[str, Any]:
    """A page as both paged lists answer it; `where` is the campaign list's `skip` or the
    queues' `page`."""
    return {
        "results": items,
        where[0]: where[1],
        "limit": limit,
        "hasMore": skip + len(items) < total,
        "totalPages": math.ceil(total / limit),
        "totalResults": total,
    }
