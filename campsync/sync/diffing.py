"""Comparing a campaign file with what the platform holds.

Both sides are turned into one comparable form, then compared as canonical JSON;
only when that differs does DeepDiff find the changed fields. The comparable form
applies the contract's rules:

- Only fields the file sets are managed, recursively: a field (or a nested key,
  such as `schedule.isRecurrenceEnabled`) that the file leaves out is no change,
  whatever the platform holds. `id` is the match key and is not compared, nor is
  `state` (the run state: sync/runstate.py compares it with the listed status).
- Server-managed fields are ignored wherever they appear: `_id`, `id`, `lname`,
  `status`, `createdAt`, `updatedAt`, `useSystemMappings`, `isFiltersEnabled`.
- Key order is no change. Calling-hours days are compared by day, whatever their
  order; their path is `dialingStrategy.callingHours.days[MO]` (a second block on
  the same day is `days[MO#2]`). Times of day are compared as times ("09:00 am"
  equals "9:00 AM"). Numbers compare by value (30 equals 30.0).
- `priority` 5 equals "5". `dncLists` compare by name (the platform adds an id).
- `contactLists` compare as a set of names (order is no change); when they differ
  the diff is ONE entry with path `contactLists` and the whole lists as before and
  after (not one entry per index, which would be misleading after an insertion).
  Any other list that differs is likewise reported whole at its own path.
- `queue_name` is compared with the list item's `connection`, `campaignType` with
  the type the campaign was listed under, `experienceFlowName` through the
  `experienceFlows` mapping (name -> cf- id); unmapped, it is not compared and a
  warning says how to make it comparable.
- `enableMachineDetect` is not returned by the platform and is not compared.

A `FieldDiff` has the platform value as `before` and the file value as `after`;
`None` stands for "absent".
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from campsync.campaign.model import (
    CAMPSYNC_ONLY_FIELDS,
    TOP_LEVEL_ORDER,
    priority_text,
    request_body,
)
from campsync.sync.plan import FieldDiff

SERVER_FIELDS = frozenset(
    {
        "_id",
        "id",
        "lname",
        "status",
        "createdAt",
        "updatedAt",
        "useSystemMappings",
        "isFiltersEnabled",
    }
)
NOT_COMPARED = frozenset({"enableMachineDetect"})
_NOT_IN_FILE_FORM = SERVER_FIELDS | NOT_COMPARED | CAMPSYNC_ONLY_FIELDS
DAYS_PATH: tuple[str, ...] = ("dialingStrategy", "callingHours", "days")
WEEKDAYS: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_TIME = re.compile(r"^\s*0?(\d{1,2}):(\d{2})\s*([AaPp])\.?\s*[Mm]\.?\s*$")
_FIELD_RANK = {name: rank for rank, name in enumerate(TOP_LEVEL_ORDER)}
_DAY_RANK = {day: rank for rank, day in enumerate(WEEKDAYS)}
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Comparison:
    """The result of comparing one campaign: no diffs means no change."""

    diffs: tuple[FieldDiff, ...]
    warnings: tuple[str, ...]


def compare(
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    list_item: Mapping[str, Any],
    *,
    experience_flows: Mapping[str, str],
    listed_type: str,
) -> Comparison:
    """Compare a campaign file's data (`desired`) with the platform's get-one
    `data` (`live`) and its entry in the list (`list_item`, which has the queue as
    `connection`). `listed_type` is the type it was listed under ("voice"/"sms")."""
    warnings: list[str] = []
    want = _file_form(desired)
    have = _platform_form(live, list_item, listed_type, want)

    if "experienceFlowName" in want:
        flow = want["experienceFlowName"]
        resolved = _platform_flow_name(flow, live, experience_flows)
        if resolved is _MISSING:
            del want["experienceFlowName"]
            del have["experienceFlowName"]
            warnings.append(
                f"campaign {_label(desired.get('name'))}: experienceFlowName {_label(flow)} is not"
                " comparable: add it to experienceFlows in campsync.yaml (name: cf-...)"
            )
        else:
            have["experienceFlowName"] = resolved
    return _compared(have, want, warnings)


def _compared(before: dict[str, Any], after: dict[str, Any], warnings: list[str]) -> Comparison:
    """Two comparable forms compared: canonical JSON first, DeepDiff only when that differs
    (contact lists as a set)."""
    _reconcile_set(before, after, "contactLists")
    canonical = _canonical(after)
    if canonical is not None and canonical == _canonical(before):
        return Comparison((), tuple(warnings))
    return Comparison(_field_diffs(before, after), tuple(warnings))


def creation_diff(desired: Mapping[str, Any]) -> tuple[FieldDiff, ...]:
    """The fields a create sends, as diffs from nothing (before None), in request
    order: for showing a create the way Terraform shows a new resource. Objects are
    opened down to their fields and calling-hours days keyed by day, with the paths of
    an update's diff, so that every value a reviewer must see has a line of its own."""
    return tuple(FieldDiff(path, None, value) for path, value in _leaves(request_body(desired), ()))


def _leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    elif path == DAYS_PATH and isinstance(value, list) and _all_days_named(value):
        dotted = ".".join(path)
        for day in value:
            yield f"{dotted}[{day['day']}]", {k: v for k, v in day.items() if k != "day"}
    else:
        yield ".".join(path), value


def _all_days_named(days: list[Any]) -> bool:
    named = [d.get("day") for d in days if isinstance(d, Mapping)]
    return len(named) == len(days) and len(set(named)) == len(named)


# ---------------------------------------------------------------------------
# the comparable forms


def _platform_form(
    live: Mapping[str, Any], list_item: Mapping[str, Any], listed_type: str, want: dict[str, Any]
) -> dict[str, Any]:
    """The platform's answer in comparable form, restricted to what `want` (the
    file's comparable form) manages: the keys it sets, recursively; calling-hours
    days are managed as a whole (a platform-only day is a diff). A managed field
    the platform lacks is None."""
    form = {key: _plain_like(live[key], want[key]) if key in live else None for key in want}
    days = _comparable(form)
    wanted = _get(want, DAYS_PATH)
    if days is not None and type(wanted) is dict:
        for day, item in days.items():
            if day in wanted:
                days[day] = _plain_like(item, wanted[day])
    if "queue_name" in want and "connection" in list_item:
        form["queue_name"] = listed_queue(list_item)
    if "campaignType" in want:
        form["campaignType"] = listed_type
    return form


def listed_queue(list_item: Mapping[str, Any]) -> Any:
    """The queue a list entry names (`connection`: a name, or an object with one); None when
    it names none."""
    queue = list_item.get("connection")
    if isinstance(queue, Mapping) and "name" in queue:
        queue = queue["name"]
    return _plain(queue)


def _platform_flow_name(
    flow: Any, live: Mapping[str, Any], experience_flows: Mapping[str, str]
) -> Any:
    """The flow name to compare the file's name with, or _MISSING when the two
    cannot be compared (the file's flow name is not in the mapping)."""
    if isinstance(live.get("experienceFlowName"), str):
        return live["experienceFlowName"]  # a platform that answers with the name
    flow_id = mapped_flow_id(flow, experience_flows)
    if flow_id is None:
        return _MISSING
    live_id = flow_id_of(live)
    if live_id == flow_id:
        return flow
    if live_id is None:
        return None
    names = sorted(name for name, value in experience_flows.items() if value == live_id)
    return names[0] if names else live_id


def mapped_flow_id(flow: Any, experience_flows: Mapping[str, str]) -> str | None:
    """The id the experienceFlows mapping gives a flow name (exact name first, then
    case-insensitively), or None."""
    if not isinstance(flow, str):
        return None
    flow_id = experience_flows.get(flow)
    if flow_id is None:
        folded = flow.casefold()
        flow_id = next((v for k, v in experience_flows.items() if k.casefold() == folded), None)
    return flow_id


def flow_id_of(body: Any) -> str | None:
    """The flow id a platform body (get-one, or a write's answer) holds, or None."""
    flow = body.get("experienceFlow") if isinstance(body, Mapping) else None
    if isinstance(flow, Mapping):
        flow = flow.get("id", flow.get("_id"))
    return flow if isinstance(flow, str) else None


def wrong_flow_entry(
    name: Any,
    set_id: str,
    experience_flows: Mapping[str, str],
    entry: Callable[[str], str] | None = None,
) -> str | None:
    """When the platform set `set_id` for the flow name `name` (a write's answer tells) but
    the mapping gives that name another id, a one-line warning naming the entry to fix (where
    `entry` says it is written; by default `campsync.yaml experienceFlows`): with it wrong,
    the flow shows as a change again after every apply. None otherwise."""
    mapped = mapped_flow_id(name, experience_flows)
    if mapped is None or mapped == set_id:
        return None
    where = entry(str(name)) if entry is not None else "campsync.yaml experienceFlows"
    return (
        f"{where}: {_label(name)} maps to {mapped}, but the platform set "
        f"{set_id} for that name; fix the entry"
    )


def _file_form(desired: Mapping[str, Any]) -> dict[str, Any]:
    """The file's data in comparable form (see the module docstring): a fresh copy,
    server fields dropped, numbers by value, priority as text, calling-hours days
    keyed by day."""
    form = {key: _plain(value) for key, value in desired.items() if key not in _NOT_IN_FILE_FORM}
    _comparable(form)
    return form


def _comparable(form: dict[str, Any]) -> dict[str, Any] | None:
    """What both forms share, done in place on a plain copy: priority as text,
    calling-hours days keyed by day. Returns the keyed days (None when there are none)."""
    if "priority" in form:
        form["priority"] = priority_text(form["priority"])
    strategy = form.get("dialingStrategy")
    hours = strategy.get("callingHours") if type(strategy) is dict else None
    if type(hours) is not dict or type(hours.get("days")) is not list:
        return None
    days = hours["days"] = _days_by_day(hours["days"])
    return days


def _plain_like(have: Any, want: Any) -> Any:
    """`_plain(have)` restricted to the keys `want` sets, recursively."""
    if type(want) is dict and isinstance(have, Mapping):
        return {
            key: _plain_like(have[key], item) if key in have else None for key, item in want.items()
        }
    return _plain(have)


def _plain(value: Any) -> Any:
    """A fresh plain-builtins copy without server fields, integral floats as ints
    (ruamel's CommentedMap, ScalarInt, ScalarFloat... become dict, int, float)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items() if key not in SERVER_FIELDS}
    if kind is list or isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else float(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    return value


def _days_by_day(days: list[Any]) -> dict[str, Any]:
    """Calling-hours days keyed by day, so their order is no change; times of day
    and day codes in one spelling."""
    groups: dict[str, list[Any]] = {}
    for index, item in enumerate(days):
        key = f"#{index + 1}"
        if type(item) is dict:
            for field in ("start", "end"):
                if type(item.get(field)) is str:
                    item[field] = _time_text(item[field])
            day = item.get("day")
            if type(day) is str and day.strip():
                key = item["day"] = day.strip().upper()
        groups.setdefault(key, []).append(item)
    keyed: dict[str, Any] = {}
    for day, items in groups.items():
        if len(items) > 1:  # several blocks on one day: order them by content
            items.sort(key=_item_key)
        for number, item in enumerate(items, start=1):
            keyed[day if number == 1 else f"{day}#{number}"] = item
    return keyed


@functools.lru_cache(maxsize=1024)
def _time_text(text: str) -> str:
    match = _TIME.match(text)
    if match is None:
        return text
    hour, minute, half = match.groups()
    return f"{int(hour)}:{minute} {half.upper()}M"


def _reconcile_set(have: dict[str, Any], want: dict[str, Any], key: str) -> None:
    """Make a list that holds the same items in another order compare equal."""
    mine, theirs = want.get(key), have.get(key)
    if (
        type(mine) is list
        and type(theirs) is list
        and mine != theirs
        and len(mine) == len(theirs)
        and Counter(map(_item_key, mine)) == Counter(map(_item_key, theirs))
    ):
        have[key] = list(mine)


def _item_key(item: Any) -> str:
    return _canonical(item) or repr(item)


def _canonical(value: Any) -> str | None:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        return None  # not JSON-like: let DeepDiff decide


# ---------------------------------------------------------------------------
# what the list shows, and what campsync saw agree

# The fields the platform's list gives of a campaign, as a file names them: all but
# dialingStrategy, maxSkips and the flow (see api/); `queue_name` is the list's
# `connection`, `campaignType` the type listed under.
LISTED_FIELDS = (
    frozenset(TOP_LEVEL_ORDER)
    - NOT_COMPARED
    - {
        "dialingStrategy",
        "maxSkips",
        "experienceFlowName",
    }
)
# What a record of agreement holds of a campaign body: every field a file may set and
# `compare` compares (those the list alone gives, and the flow, apart).
_RECORDED_FIELDS = tuple(
    key
    for key in TOP_LEVEL_ORDER
    if key not in NOT_COMPARED and key not in ("queue_name", "campaignType", "experienceFlowName")
)


def listed_differs(
    desired: Mapping[str, Any], list_item: Mapping[str, Any], *, listed_type: str
) -> bool:
    """Whether the file differs from a campaign in a field the list gives, compared as
    `compare` compares it (so a False here is no change in those fields, and a True one
    `compare` would also find). A field the list item lacks differs from a file that sets
    it: when unsure, the campaign is read in full."""
    listed = {key: value for key, value in desired.items() if key in LISTED_FIELDS}
    want = _file_form(listed)
    have = _platform_form(list_item, list_item, listed_type, want)
    _reconcile_set(have, want, "contactLists")
    canonical = _canonical(want)
    return canonical is None or canonical != _canonical(have)


def agreed_form(live: Mapping[str, Any], *, queue: Any, campaign_type: Any) -> dict[str, Any]:
    """A campaign as it was when campsync found it and its file agree (or wrote the file's
    body), in comparable form: the platform body's every field a file may set (not only the
    ones this file sets, so that a field a file starts to manage can be told apart later),
    with the queue (`queue`: the list's, or the body sent) and the type it had, and the flow
    as the platform gave it (its id; `same_value` compares flows by id)."""
    form = {key: _plain(live[key]) for key in _RECORDED_FIELDS if key in live}
    _comparable(form)
    if queue is not None:
        form["queue_name"] = _plain(queue)
    form["campaignType"] = campaign_type
    flow = flow_id_of(live) or live.get("experienceFlowName")
    if flow is not None:
        form["experienceFlowName"] = _plain(flow)
    return form


def flow_identity(flow: Any, experience_flows: Mapping[str, str]) -> Any:
    """What a flow compares by: its id, a name through the mapping (unmapped: as it is)."""
    return mapped_flow_id(flow, experience_flows) or flow


def path_parts(path: str) -> tuple[str, ...]:
    """A FieldDiff's path as the keys of the comparable form (the inverse of how a diff's
    path is written): `dialingStrategy.callingHours.days[MO].start` is (..., "days", "MO",
    "start")."""
    head, bracket, rest = path.partition("[")
    day, closed, tail = rest.partition("]")
    if not (bracket and closed) or tuple(head.split(".")) != DAYS_PATH:
        return tuple(path.split("."))
    inside = tuple(tail[1:].split(".")) if tail.startswith(".") else ()
    return (*DAYS_PATH, day, *inside)


def value_at(form: Mapping[str, Any], parts: tuple[str, ...]) -> Any:
    """The value at `parts` of a comparable form (None when absent)."""
    return _get(form, parts)


def managed_part(value: Any, like: Any) -> Any:
    """`value` restricted to what `like` (a file's value) sets, recursively: the part of it
    that a file setting `like` manages."""
    return _plain_like(value, like)


def same_value(
    parts: tuple[str, ...], first: Any, second: Any, experience_flows: Mapping[str, str]
) -> bool | None:
    """Whether two values at `parts` of comparable forms are the same under the comparison's
    rules (contact lists as a set, a flow by its id); None when one is no JSON value."""
    if parts == ("experienceFlowName",):
        first = flow_identity(first, experience_flows)
        second = flow_identity(second, experience_flows)
    elif parts == ("contactLists",) and type(first) is list and type(second) is list:
        ones, others = list(map(_canonical, first)), list(map(_canonical, second))
        if None in ones or None in others:
            return None
        return sorted(map(str, ones)) == sorted(map(str, others))
    one, other = _canonical(first), _canonical(second)
    return None if one is None or other is None else one == other


# ---------------------------------------------------------------------------
# DeepDiff result -> FieldDiff entries


def _field_diffs(have: dict[str, Any], want: dict[str, Any]) -> tuple[FieldDiff, ...]:
    tree = DeepDiff(have, want, view="tree")
    paths: set[tuple[Any, ...]] = set()
    for levels in tree.values():
        for level in levels:
            parts = _whole_lists(tuple(level.path(output_format="list")))
            if parts:
                paths.add(parts)
    # a change reported at a list's path covers any reported inside it
    kept = [p for p in paths if not any(p[: len(q)] == q and p != q for q in paths)]
    kept.sort(key=_sort_key)
    return tuple(FieldDiff(_path_text(p), _get(have, p), _get(want, p)) for p in kept)


def _whole_lists(parts: tuple[Any, ...]) -> tuple[Any, ...]:
    """Cut a path at its first list index: a list is reported as a whole."""
    for index, part in enumerate(parts):
        if isinstance(part, int) and not isinstance(part, bool):
            return parts[:index]
    return parts


def _get(form: Any, parts: tuple[Any, ...]) -> Any:
    for part in parts:
        if not isinstance(form, dict) or part not in form:
            return None
        form = form[part]
    return form


def _path_text(parts: tuple[Any, ...]) -> str:
    text = ""
    for index, part in enumerate(parts):
        if parts[:index] == DAYS_PATH:
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _sort_key(parts: tuple[Any, ...]) -> tuple[tuple[int, str], ...]:
    keys: list[tuple[int, str]] = []
    for index, part in enumerate(parts):
        text = str(part)
        if index == 0:
            keys.append((_FIELD_RANK.get(text, len(_FIELD_RANK)), text))
        elif parts[:index] == DAYS_PATH:
            day, _, number = text.partition("#")
            keys.append((_DAY_RANK.get(day, len(_DAY_RANK)), f"{day}#{number.zfill(3)}"))
        else:
            keys.append((0, text))
    return tuple(keys)


def _label(value: Any) -> str:
    return repr(str(value))


# ---------------------------------------------------------------------------
# two accounts' copies of one campaign (`campsync compare`)


@dataclass(frozen=True, slots=True)
class Live:
    """A campaign as one account holds it: its get-one `data`, its list entry (the queue as
    `connection`), the type it was listed under, and that environment's experienceFlows
    mapping (flow ids are per account)."""

    body: Mapping[str, Any]
    list_item: Mapping[str, Any]
    listed_type: str
    experience_flows: Mapping[str, str]


def compare_live(desired: Mapping[str, Any], a: Live, b: Live) -> Comparison:
    """Two accounts' copies of one campaign, compared on the fields `desired` manages (a
    file's data, without what either environment's overrides set) as `compare` compares a
    file with one of them: each side in the platform's comparable form, restricted to those
    fields. Each FieldDiff has A's value as `before` and B's as `after`. A flow is compared
    by the name each account's own mapping gives its id; when the file's flow name is not
    in both mappings, it is not compared (a warning says so)."""
    want = _file_form(desired)
    have_a = _platform_form(a.body, a.list_item, a.listed_type, want)
    have_b = _platform_form(b.body, b.list_item, b.listed_type, want)
    warnings: list[str] = []
    if "experienceFlowName" in want:
        flow = want["experienceFlowName"]
        name_a = _platform_flow_name(flow, a.body, a.experience_flows)
        name_b = _platform_flow_name(flow, b.body, b.experience_flows)
        if name_a is _MISSING or name_b is _MISSING:
            del have_a["experienceFlowName"], have_b["experienceFlowName"]
            warnings.append(
                f"campaign {_label(desired.get('name'))}: experienceFlowName {_label(flow)} is"
                " not comparable: add it to both environments' experienceFlows (name: cf-...)"
            )
        else:
            have_a["experienceFlowName"], have_b["experienceFlowName"] = name_a, name_b
    return _compared(have_a, have_b, warnings)
