"""The queries of the calls that read many things: the campaign list's body, the queues'
paging, the contact lists' type, the status call's view, and the empty bodies of the
trigger and status calls. Each refuses with rules.Refusal(400), naming every problem."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from campsync.emulator.rules import CAMPAIGN_TYPES, Refusal, as_integer
from campsync.emulator.safejson import MAX_SAFE_INTEGER

SORT_KEYS = ("name", "createdAt", "updatedAt")
FILTER_KEYS = ("status", "priority", "dialingMode")
_FILTER_ITEMS = {"status": "names", "priority": "numbers or strings", "dialingMode": "names"}
DEFAULT_LIMIT = 10
VIEWS = ("status", "contacts")
LIST_TYPES = ("call",)
CONTACTS_NOT_EMULATED = (
    "view=contacts is not emulated: the emulator dials nobody, so it has no run results, "
    "and the docs do not give that answer's shape (view=status is)"
)
_DIGITS = re.compile(r"[0-9]{1,16}")


@dataclass(frozen=True)
class ListQuery:
    """The body of getAllCampaignDetails, checked."""

    campaign_type: str
    limit: int = DEFAULT_LIMIT
    skip: int = 0
    sort_key: str = "createdAt"
    descending: bool = True
    filters: Mapping[str, frozenset[str]] = field(default_factory=dict)


def parse_list_query(body: Any) -> ListQuery:
    """Check a list request; raise Refusal(400) naming every problem."""
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise Refusal(400, "the request body must be a JSON object")
    problems: list[str] = []
    campaign_type = body.get("type")
    if campaign_type not in CAMPAIGN_TYPES:
        problems.append("type is required and must be one of: voice, sms")
    limit = _count(body, "limit", 1, DEFAULT_LIMIT, problems)
    page = _count(body, "page", 1, 1, problems)
    skip = _count(body, "skip", 0, 0, problems)
    if "skip" not in body:
        skip = (page - 1) * limit
        if skip > MAX_SAFE_INTEGER:  # an answer's `skip` must be a number a client can read
            problems.append("page and limit point past the largest skip (2^53 - 1)")
    sort_key, descending = _sort(body, problems)
    filters = _filters(body, problems)
    if problems:
        raise Refusal(400, *problems)
    return ListQuery(str(campaign_type), limit, skip, sort_key, descending, filters)


def _count(
    body: Mapping[str, Any], key: str, minimum: int, default: int, problems: list[str]
) -> int:
    """A paging number. Only JSON numbers: the docs give no type, the samples and campsync
    send numbers, and a string such as "10" (or "²", which str.isdigit() accepts and
    int() cannot read) is taken for the client bug it most likely is. Leaving the key
    out means the default; null is not a number."""
    if key not in body:
        return default
    value = as_integer(body[key])
    if value is None or value < minimum:
        problems.append(f"{key} must be a whole number of {minimum} or more")
        return default
    return value


def _sort(body: Mapping[str, Any], problems: list[str]) -> tuple[str, bool]:
    value = body.get("sortBy")
    if "sortBy" not in body or value == {}:
        return "createdAt", True
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, order),) = value.items()
        if key in SORT_KEYS and order in ("asc", "desc"):
            return str(key), order == "desc"
    problems.append("sortBy must name one of name, createdAt, updatedAt with asc or desc")
    return "createdAt", True


def _filters(body: Mapping[str, Any], problems: list[str]) -> dict[str, frozenset[str]]:
    if "filters" not in body:
        return {}
    value = body["filters"]
    if not isinstance(value, Mapping):
        problems.append("filters must be an object")
        return {}
    result: dict[str, frozenset[str]] = {}
    for key in FILTER_KEYS:
        if key not in value:
            continue
        wanted = value[key]
        # priority is filtered by numbers (1..5) in the docs, by strings in the answers:
        # both are taken. status and dialingMode are names: strings only.
        kinds = (str, int) if key == "priority" else (str,)
        if not isinstance(wanted, list) or not all(
            isinstance(item, kinds) and not isinstance(item, bool) for item in wanted
        ):
            problems.append(f"filters.{key} must be a list of {_FILTER_ITEMS[key]}")
            continue
        result[key] = frozenset(str(item) for item in wanted)
    return result


# ---- the run-state calls ----------------------------------------------------------------


def check_object_body(body: Any) -> None:
    """The trigger and status calls send `{}` (the docs' body): a JSON object is required.
    Its fields are ignored, as unknown fields of every body are; no body at all, or another
    JSON value, is refused, so that a client that leaves the body out fails here first."""
    if not isinstance(body, Mapping):
        raise Refusal(400, "the request body must be a JSON object ({} as the docs send it)")


def status_view(value: str | None) -> str:
    """The status call's `view`: "status" (emulated) or "contacts" (refused, not emulated)."""
    if value not in VIEWS:
        raise Refusal(400, f"view must be one of: {', '.join(VIEWS)}")
    if value == "contacts":
        raise Refusal(400, CONTACTS_NOT_EMULATED)
    return value


# ---- the reference calls ----------------------------------------------------------------


def check_list_type(value: str | None) -> None:
    """getAllListDetails' `type` query parameter: documented in its URL as `type=call`."""
    if value not in LIST_TYPES:
        raise Refusal(400, f"type must be one of: {', '.join(LIST_TYPES)}")


@dataclass(frozen=True)
class Page:
    """A page of a list paged by page (from 1) and limit, as the queues call is."""

    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.limit


def parse_page(query: Mapping[str, str]) -> Page:
    """`page` and `limit` of a query string: ASCII digits only (a query parameter is text;
    "²" passes str.isdigit() and fails int()), each 1 or more, absent for the defaults
    (page 1, limit 10: the docs give none; the campaign list's default)."""
    problems: list[str] = []
    numbers: dict[str, int] = {}
    for key, default in (("page", 1), ("limit", DEFAULT_LIMIT)):
        raw = query.get(key)
        if raw is None:
            numbers[key] = default
        elif _DIGITS.fullmatch(raw) and 1 <= int(raw) <= MAX_SAFE_INTEGER:
            numbers[key] = int(raw)
        else:
            problems.append(f"{key} must be a whole number of 1 or more")
            numbers[key] = default
    page = Page(numbers["page"], numbers["limit"])
    if page.skip > MAX_SAFE_INTEGER:
        problems.append("page and limit point past the largest count (2^53 - 1)")
    if problems:
        raise Refusal(400, *problems)
    return page
