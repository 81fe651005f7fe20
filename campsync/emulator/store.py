"""The emulator's state: campaigns, request counters, and their file on disk.

Every method is safe to call from any thread (tests read counters while the server
runs in its own thread). Operations refuse with rules.Refusal, as the platform would.
"""

from __future__ import annotations

import collections
import copy
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from campsync.emulator.catalog import Catalog
from campsync.emulator.rules import (
    CAMPAIGN_TYPES,
    STATUSES,
    ListQuery,
    Refusal,
    as_integer,
    normalize_priority,
)
from campsync.emulator.safejson import MAX_SAFE_INTEGER
from campsync.errors import ConfigError
from campsync.fsutil import write_atomic

STATE_FORMAT = 1
KINDS = ("list", "get", "update", "create", "delete", "trigger")
GET_KEYS = (
    "_id",
    "name",
    "lname",
    "description",
    "dncLists",
    "priority",
    "dialingMode",
    "dialingStrategy",
    "status",
    "maxSkips",
    "isFiltersEnabled",
    "createdAt",
    "updatedAt",
    "schedule",
    "experienceFlow",
    "contactLists",
)
LIST_KEYS = (
    "_id",
    "name",
    "description",
    "dncLists",
    "priority",
    "dialingMode",
    "status",
    "createdAt",
    "updatedAt",
    "schedule",
    "connection",
    "contactLists",
)
STARTABLE = ("Ready", "Paused", "Stopped")
STOPPABLE = ("Active", "Paused")
DEFAULT_MAX_SKIPS = 1


def format_timestamp(ms: int) -> str:
    """ISO 8601 with milliseconds and Z, as the platform writes createdAt/updatedAt."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_timestamp(text: Any) -> int:
    """Milliseconds since the epoch of a timestamp the emulator wrote; 0 if unreadable."""
    if not isinstance(text, str):
        return 0
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0
    return int(moment.timestamp() * 1000)


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
        self.catalog = catalog
        self.ready_after = ready_after
        self.state_file = state_file
        self._clock = clock
        self._lock = threading.RLock()
        self._campaigns: dict[str, dict[str, Any]] = {}
        self._last_ms = 0
        self._log: collections.deque[dict[str, Any]] = collections.deque(maxlen=log_size)
        self._by_kind: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._by_status: dict[str, int] = {}

    # ---- the API's operations -------------------------------------------------------

    def list_campaigns(self, query: ListQuery) -> dict[str, Any]:
        with self._lock:
            matching = [
                record
                for record in self._all_refreshed()
                if record.get("campaignType", "voice") == query.campaign_type
                and _passes(record, query.filters)
            ]
            matching.sort(
                key=lambda record: (_sort_value(record, query.sort_key), str(record["_id"])),
                reverse=query.descending,
            )
            page = matching[query.skip : query.skip + query.limit]
            total = len(matching)
            return {
                "results": [list_view(record) for record in page],
                "skip": query.skip,
                "limit": query.limit,
                "hasMore": query.skip + len(page) < total,
                "totalPages": math.ceil(total / query.limit),
                "totalResults": total,
            }

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
            record = self._new_record(body, f"cd-{uuid.uuid4()}", "Preparing", campaign_type)
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
            self._apply_body(record, body)
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

    def trigger(self, campaign_id: str, action: str) -> dict[str, Any]:
        with self._lock:
            record = self._find(campaign_id)
            status = record["status"]
            if action == "play":
                if status not in STARTABLE:
                    raise Refusal(400, f"A campaign in status {status} can't be started")
                record["status"] = "Active"
            else:
                if status not in STOPPABLE:
                    raise Refusal(400, f"A campaign in status {status} can't be stopped")
                record["status"] = "Stopped"
            record["updatedAt"] = self._tick()
            self._save()
            return copy.deepcopy(record)

    # ---- admin ----------------------------------------------------------------------

    def seed(self, items: Iterable[Any]) -> list[str]:
        """Add campaigns in request-body shape (+ optional id, status), unvalidated
        except that names must resolve. All or nothing."""
        with self._lock:
            records = [self._seed_record(item) for item in items]
            ids = [record["_id"] for record in records]
            clashes = sorted({i for i in ids if i in self._campaigns or ids.count(i) > 1})
            if clashes:
                raise Refusal(400, f"campaign id(s) already in use: {', '.join(clashes)}")
            for record in records:
                self._campaigns[record["_id"]] = record
            self._save()
            return ids

    def set_status(self, campaign_id: str, status: Any) -> dict[str, Any]:
        if status not in STATUSES:
            raise Refusal(400, f"status must be one of: {', '.join(STATUSES)}")
        with self._lock:
            record = self._find(campaign_id)
            record["status"] = status
            record["readyAt"] = None
            record["updatedAt"] = self._tick()
            self._save()
            return copy.deepcopy(record)

    def raw_campaigns(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._all_refreshed())

    def campaign_count(self) -> int:
        with self._lock:
            return len(self._campaigns)

    # ---- counters -------------------------------------------------------------------

    def count_request(
        self, method: str, path: str, kind: str, status: int | None, outcome: str = "dropped"
    ) -> None:
        """Count one API request. status None: no answer, and `outcome` says why
        ("dropped" by the emulator's faults, or "client-closed" by the client mid-request):
        counted under that label, never as an error status."""
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
        with self._lock:
            self._by_kind[kind] = self._by_kind.get(kind, 0) + 1
            self._by_status[label] = self._by_status.get(label, 0) + 1
            self._log.append(entry)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._by_status.values()),
                "by_kind": dict(self._by_kind),
                "by_status": dict(self._by_status),
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
        """The state file if it holds anything, else the seed file if given."""
        state = self._read_state()
        if state is not None:
            with self._lock:
                self._campaigns = {record["_id"]: record for record in state}
                self._last_ms = max(
                    (
                        parse_timestamp(record.get(key))
                        for record in state
                        for key in ("createdAt", "updatedAt")
                    ),
                    default=0,
                )
            return
        if seed_file is not None:
            items = load_seed_file(seed_file)
            try:
                self.seed(items)
            except Refusal as exc:
                raise ConfigError(f"{seed_file}: {exc}") from None

    def _read_state(self) -> list[dict[str, Any]] | None:
        path = self.state_file
        if path is None or not path.exists():
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the state file ({exc})") from None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigError(f"{path}: the state file is not valid JSON") from None
        campaigns = data.get("campaigns") if isinstance(data, dict) else None
        if (
            not isinstance(data, dict)
            or data.get("format") != STATE_FORMAT
            or not isinstance(campaigns, list)
            or not all(isinstance(c, dict) and isinstance(c.get("_id"), str) for c in campaigns)
        ):
            raise ConfigError(f"{path}: not a campsync emulator state file")
        return campaigns

    def _save(self) -> None:
        if self.state_file is None:
            return
        data = {"format": STATE_FORMAT, "campaigns": list(self._campaigns.values())}
        write_atomic(self.state_file, json.dumps(data, indent=1) + "\n")

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

    def _apply_body(self, record: dict[str, Any], body: Mapping[str, Any]) -> None:
        """Copy a request body's fields into a stored campaign, resolving names to ids."""
        catalog = self.catalog
        if "name" in body:
            record["name"] = body["name"]
            record["lname"] = str(body["name"]).lower()
        if "description" in body:
            record["description"] = body["description"]
        if "contactLists" in body:
            record["contactLists"] = list(body["contactLists"])
        dnc = body.get("dncLists")
        if isinstance(dnc, Mapping) and "name" in dnc:
            record["dncLists"] = {"id": catalog.dnc_lists[dnc["name"]], "name": dnc["name"]}
        if "priority" in body:
            record["priority"] = normalize_priority(body["priority"]) or str(body["priority"])
        if "dialingMode" in body:
            record["dialingMode"] = body["dialingMode"]
        if isinstance(body.get("dialingStrategy"), Mapping):
            record["dialingStrategy"] = _strategy(body["dialingStrategy"])
        if "maxSkips" in body:
            skips = as_integer(body["maxSkips"])
            record["maxSkips"] = skips if skips is not None else body["maxSkips"]
        schedule = body.get("schedule")
        if isinstance(schedule, Mapping) or "schedule" not in record:
            old = record.get("schedule") or {}
            new = schedule if isinstance(schedule, Mapping) else {}
            record["schedule"] = {
                key: bool(new.get(key, old.get(key, False)))
                for key in ("isSchedulingEnabled", "isRecurrenceEnabled")
            }
        # The mode-specific fields follow the body: a field a mode does not use goes away.
        flow = body.get("experienceFlowName")
        record["experienceFlowName"] = flow
        record["experienceFlow"] = catalog.experience_flows[flow] if flow else None
        record["queue_name"] = body.get("queue_name")
        if "enableMachineDetect" in body or record.get("dialingMode") != "Agentless":
            record["enableMachineDetect"] = body.get("enableMachineDetect")
        else:  # an update may leave it out (see rules): it keeps its value
            record.setdefault("enableMachineDetect", None)
        for key in ("experienceFlowName", "experienceFlow", "queue_name", "enableMachineDetect"):
            if record[key] is None:
                del record[key]

    def _seed_record(self, item: Any) -> dict[str, Any]:
        if not isinstance(item, Mapping):
            raise Refusal(400, "each seeded campaign must be an object")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise Refusal(400, "each seeded campaign needs a name")
        self._check_seed_names(item)
        status = item.get("status", "Ready")
        if status not in STATUSES:
            raise Refusal(400, f"{name}: status must be one of: {', '.join(STATUSES)}")
        campaign_type = item.get("campaignType", "voice")
        if campaign_type not in CAMPAIGN_TYPES:
            raise Refusal(400, f"{name}: campaignType must be one of: voice, sms")
        campaign_id = item.get("id") or item.get("_id") or f"cd-{uuid.uuid4()}"
        if not isinstance(campaign_id, str):
            raise Refusal(400, f"{name}: id must be a string")
        return self._new_record(item, campaign_id, status, campaign_type)

    def _new_record(
        self, body: Mapping[str, Any], campaign_id: str, status: str, campaign_type: str
    ) -> dict[str, Any]:
        stamp = self._tick()
        record: dict[str, Any] = {
            "_id": campaign_id,
            "status": status,
            "readyAt": self._clock() + self.ready_after if status == "Preparing" else None,
            "isFiltersEnabled": False,
            "maxSkips": DEFAULT_MAX_SKIPS,
            "createdAt": stamp,
            "updatedAt": stamp,
            "campaignType": campaign_type,
        }
        self._apply_body(record, body)
        return record

    def _check_seed_names(self, item: Mapping[str, Any]) -> None:
        catalog = self.catalog
        unknown: list[str] = []
        lists = item.get("contactLists") or []
        if not isinstance(lists, list):
            raise Refusal(400, f"{item['name']}: contactLists must be a list")
        unknown += [f"contact list {n}" for n in lists if not _known(n, catalog.contact_lists)]
        dnc = item.get("dncLists")
        if dnc is not None and (
            not isinstance(dnc, Mapping) or not _known(dnc.get("name"), catalog.dnc_lists)
        ):
            unknown.append(f"DNC list {dnc.get('name') if isinstance(dnc, Mapping) else dnc}")
        flow = item.get("experienceFlowName")
        if flow is not None and not _known(flow, catalog.experience_flows):
            unknown.append(f"experience flow {flow}")
        queue = item.get("queue_name")
        if queue is not None and not _known(queue, catalog.queues):
            unknown.append(f"queue {queue}")
        if unknown:
            raise Refusal(400, f"{item['name']}: not found: {', '.join(unknown)}")


def _known(name: Any, names: Mapping[str, str]) -> bool:
    """Whether `name` is a name of the catalog (a list or an object is not, and can't be
    looked up: seeded campaigns are not validated otherwise)."""
    return isinstance(name, str) and name in names


def get_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """What get-one, update and delete answer: the reference sample's fields, in its order."""
    return _pick(record, GET_KEYS)


def list_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """A list item: no dialingStrategy, the queue name as `connection`."""
    if record.get("queue_name"):
        record = {**record, "connection": record["queue_name"]}
    return _pick(record, LIST_KEYS)


def _pick(record: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: copy.deepcopy(record[key]) for key in keys if key in record}


def _strategy(value: Mapping[str, Any]) -> dict[str, Any]:
    caller = value.get("callerId")
    hours = value.get("callingHours")
    strategy: dict[str, Any] = {}
    if isinstance(caller, Mapping):
        strategy["callerId"] = {"phoneNumber": caller.get("phoneNumber")}
    if isinstance(hours, Mapping):
        raw_days = hours.get("days")
        days: list[Any] = raw_days if isinstance(raw_days, list) else []
        strategy["callingHours"] = {
            "frequency": hours.get("frequency"),
            "days": [
                {"start": d.get("start"), "end": d.get("end"), "day": d.get("day")}
                for d in days
                if isinstance(d, Mapping)
            ],
            "timezone": hours.get("timezone"),
        }
    for key in ("dialingOrder", "maxAttemptsPerRecord", "defaultRetryPeriod", "maxRingTime"):
        if key in value:
            number = as_integer(value[key])
            strategy[key] = value[key] if number is None or key == "dialingOrder" else number
    strategy["useSystemMappings"] = False
    return strategy


def _passes(record: Mapping[str, Any], filters: Mapping[str, frozenset[str]]) -> bool:
    return all(str(record.get(key)) in wanted for key, wanted in filters.items())


def _sort_value(record: Mapping[str, Any], key: str) -> str:
    if key == "name":
        return str(record.get("lname", ""))
    return str(record.get(key, ""))


def load_seed_file(path: Path) -> list[Any]:
    """A YAML or JSON list of campaigns (request-body shape, optional id and status)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the seed file ({exc.__class__.__name__})") from None
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML or JSON") from None
    if data is None:
        return []
    if isinstance(data, dict) and isinstance(data.get("campaigns"), list):
        data = data["campaigns"]
    if not isinstance(data, list):
        raise ConfigError(f"{path}: the seed file must hold a list of campaigns")
    try:
        return _plain(data)  # type: ignore[no-any-return]
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _plain(value: Any) -> Any:
    """Timestamps and other YAML types as JSON builtins; ValueError for a number that
    JSON answers could not carry (NaN, infinities, integers beyond 2^53 - 1)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"the seed file holds {value}, which is not a JSON number")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        raise ValueError("the seed file holds an integer beyond 2^53 - 1")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
