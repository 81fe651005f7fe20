"""The campaign API without I/O: build requests, turn answers into data or typed errors.

Nothing here touches the network, so every rule of the platform's answers is tested
with plain values. `client.py` is the only place that sends what is built here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote, urlencode

from campsync.config.target import CredentialNames
from campsync.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from campsync.text import clip, one_line, quoted, size
from campsync.text import redact as redact_tokens

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 64  # a campaign answer is about 8 levels deep; deeper is not the platform
RETRY_STATUSES = frozenset({500, 502, 503, 504})
KINDS = ("list", "get", "update", "create", "delete", "trigger", "status")  # counted from 0
# The calls that change the platform: when one's answer is lost, so is its outcome.
WRITE_KINDS = ("update", "create", "delete", "trigger")
# Calls that must not be re-sent blindly after a lost answer: a second create makes a second
# campaign, and a second play of a campaign the first one started is refused (400, "can't be
# started"). The client looks first (client.create_campaign, client.trigger).
NOT_RETRY_SAFE = frozenset({"create", "trigger"})
_MAX_MESSAGE = 300
DEFAULT_NAMES = CredentialNames()
CAMPAIGN_SCOPE = "Campaign Management"  # the API scope of every call but the queues'
QUEUES_SCOPE = "Configuration"
# A campaign id as the docs show them and the schema accepts in files (`cd-` + a uuid there;
# letters, digits and dashes here): what goes into a request path is at most this.
CAMPAIGN_ID = re.compile(r"cd-[A-Za-z0-9-]{1,128}")
# The trigger call's `trigger` values: start and stop (no pause is documented).
Trigger = Literal["play", "stop"]
TRIGGERS: tuple[Trigger, ...] = ("play", "stop")
# A status as the platform names them (the docs list 8); longer text is not one.
_MAX_STATUS = 40


def credentials_hint(
    names: CredentialNames, *, static_jwt: bool = False, scope: str = CAMPAIGN_SCOPE
) -> str:
    """What to check when the platform refuses the credentials, naming the variables they
    came from (an environment of campsync.yaml may name its own) and the API scope the call
    needs."""
    scope = f"and that the app has the {scope} API scope"
    if static_jwt:
        return (
            f"check that {names.jwt} is valid and not expired (or use {names.client_id} and "
            f"{names.client_secret}) {scope}"
        )
    return f"check {names.client_id} and {names.client_secret} (or {names.jwt}) {scope}"


@dataclass(frozen=True)
class Request:
    """One call to send: `url` already carries its (encoded) query string."""

    kind: str  # KINDS, or a reference read ("contactLists", "queues"): statistics, retries
    method: str
    url: str
    body: bytes | None = None
    campaign: str | None = None  # what error messages name
    action: str = ""  # what error messages say was being done, when no campaign is named
    scope: str = CAMPAIGN_SCOPE  # the app's API scope the call needs (a 401/403 names it)

    @property
    def writes(self) -> bool:
        """Whether the call changes the platform (its outcome matters once sent)."""
        return self.kind in WRITE_KINDS

    @property
    def retry_safe(self) -> bool:
        """Whether re-sending after a lost answer can do no harm (every call but create
        and trigger)."""
        return self.kind not in NOT_RETRY_SAFE


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str  # the media type only, e.g. "application/json"
    body: bytes
    retry_after: float | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paged list (campaigns, queues): its items, and whether more follow."""

    results: list[T]
    has_more: bool


@dataclass(frozen=True)
class Endpoints:
    """Builds the requests of the campaign API for one app and account."""

    host: str
    stream_id: str
    account_id: str

    @property
    def base(self) -> str:
        return f"{self.host.rstrip('/')}/campaign/api/v2/public/{_segment(self.stream_id)}"

    def _url(self, path: str, campaign_type: str | None = None, **more: str) -> str:
        query = {"accountId": self.account_id}
        if campaign_type is not None:
            query["campaignType"] = campaign_type
        return f"{self.base}{path}?{urlencode({**query, **more})}"

    def get(self, campaign_id: str) -> Request:
        url = self._url(f"/campaign/{_segment(campaign_id)}")
        return Request("get", "GET", url, campaign=campaign_id)

    def list_page(self, campaign_type: str, *, limit: int, skip: int) -> Request:
        body = {"type": campaign_type, "limit": limit, "skip": skip, "sortBy": {"createdAt": "asc"}}
        return Request(
            "list",
            "POST",
            self._url("/campaign/getAllCampaignDetails"),
            body=_json_bytes(body),
            action=f"listing {campaign_type} campaigns",
        )

    def update(
        self, campaign_id: str, body: Mapping[str, Any], campaign_type: str, label: str | None
    ) -> Request:
        url = self._url(f"/campaign/{_segment(campaign_id)}", campaign_type)
        return Request("update", "PUT", url, body=_json_bytes(body), campaign=label or campaign_id)

    def create(self, body: Mapping[str, Any], campaign_type: str) -> Request:
        url = self._url("/campaign", campaign_type)
        name = body.get("name")
        label = name if isinstance(name, str) else None
        return Request(
            "create",
            "POST",
            url,
            body=_json_bytes(body),
            campaign=label,
            action="creating a campaign",
        )

    def delete(self, campaign_id: str, campaign_type: str) -> Request:
        url = self._url(f"/campaign/{_segment(campaign_id)}", campaign_type)
        return Request("delete", "DELETE", url, campaign=campaign_id)

    # ---- run state: start, stop (the trigger call) and the status call

    def trigger(
        self, campaign_id: str, action: Trigger, campaign_type: str, label: str | None = None
    ) -> Request:
        """Start (`play`) or stop (`stop`): the documented URL has no `/campaign/api`
        prefix, its body is `{}`, `campaignType` the campaign's own."""
        if action not in TRIGGERS:
            raise ValueError(f"trigger must be one of {TRIGGERS}, not {action!r}")
        query = {"accountId": self.account_id, "campaignType": campaign_type, "trigger": action}
        url = (
            f"{self.host.rstrip('/')}/api/v2/public/{_segment(self.stream_id)}/campaign/trigger/"
            f"{_id_segment(campaign_id)}?{urlencode(query)}"
        )
        return Request("trigger", "POST", url, body=b"{}", campaign=label or campaign_id)

    def status(self, campaign_id: str, label: str | None = None) -> Request:
        """The status call (`view=status`, body `{}`): one campaign's status."""
        url = self._url(f"/campaign/{_id_segment(campaign_id)}/status", view="status")
        return Request("status", "POST", url, body=b"{}", campaign=label or campaign_id)

    # What campaigns name (api/kore-contact-center-apis.md): read, never written.

    def contact_lists(self) -> Request:
        """getAllListDetails: every contact list of the account (DNC lists among them), in
        one answer (no pagination). Documented as a POST without a body: `{}` is sent."""
        url = self._url("/campaign/contactList/getAllListDetails", type="call")
        return Request("contactLists", "POST", url, body=b"{}", action="reading the contact lists")

    def queues_page(self, *, page: int, limit: int) -> Request:
        """One page of the account's queues (another API, under `/agentassist`; its
        documented URL carries no accountId: the `accountid` header says it)."""
        host = self.host.rstrip("/")
        query = urlencode({"page": page, "limit": limit})
        url = f"{host}/agentassist/api/v1/public/{_segment(self.stream_id)}/queues?{query}"
        return Request("queues", "GET", url, action="reading the queues", scope=QUEUES_SCOPE)


def response(
    status: int, body: bytes, *, content_type: str | None, retry_after: str | None
) -> Response:
    """An answer as the transport received it (headers as sent), in the form parsed here."""
    return Response(
        status=status,
        content_type=media_type(content_type),
        body=body,
        retry_after=parse_retry_after(retry_after),
    )


def request_headers(token: str, *, account_id: str, stream_id: str) -> dict[str, str]:
    return {
        "auth": token,
        "accountid": account_id,
        "iid": stream_id,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def _id_segment(campaign_id: str) -> str:
    """A campaign id as a path segment, once it is checked to be one: an id that is not one
    (`..`, `a/b`) is a bug of the caller, never part of a URL."""
    if not is_campaign_id(campaign_id):
        raise ValueError(f"not a campaign id: {quoted(campaign_id, 40)}")
    return campaign_id


def _segment(value: str) -> str:
    """A path segment with everything but unreserved characters encoded (no `/`, `?`)."""
    return quote(value, safe="")


def _json_bytes(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN, infinities
        return None
    return max(0.0, seconds)


def media_type(content_type: str | None) -> str:
    """`text/html; charset=utf-8` -> `text/html`, kept short and printable."""
    if not content_type:
        return "no content type"
    kind = content_type.split(";", 1)[0].strip().lower()
    kind = "".join(ch for ch in kind if ch.isprintable())[:60]
    return kind or "no content type"


# ---------------------------------------------------------------- answers


def parse_envelope(
    request: Request,
    response: Response,
    *,
    static_jwt: bool = False,
    redact: Iterable[str] = (),
    names: CredentialNames = DEFAULT_NAMES,
) -> dict[str, Any]:
    """The JSON object of a successful answer, or the typed error the answer means."""
    status = response.status
    if not 200 <= status < 300:
        raise error_for(request, response, static_jwt=static_jwt, redact=redact, names=names)
    envelope = _decode(request, response)
    if not isinstance(envelope, dict):
        raise _bad(request, status, "the platform answered with JSON that is not an object")
    if envelope.get("status") == "error" or _has_errors(envelope):
        message = platform_message(envelope, status, redact)
        raise ApiError(with_action(request, message), status=status, campaign=request.campaign)
    return envelope


def _decode(request: Request, response: Response) -> Any:
    ok = 200 <= response.status < 300
    if not response.body.strip():
        if ok:
            raise _bad(request, response.status, "the platform answered with an empty body")
        return None
    try:
        value = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        what = media_type(response.content_type)
        if ok:
            raise _bad(
                request, response.status, f"the platform answered with a non-JSON body ({what})"
            ) from None
        return _NonJson(what)
    except RecursionError:
        too_deep = True
    else:
        too_deep = _deeper_than(value, MAX_JSON_DEPTH)
    if too_deep:
        if not ok:
            return None
        raise _bad(
            request,
            response.status,
            f"the platform answered with JSON nested deeper than {MAX_JSON_DEPTH} levels",
        )
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists/objects nest more than `limit` levels (iteratively: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


@dataclass(frozen=True)
class _NonJson:
    content_type: str


def error_for(
    request: Request,
    response: Response,
    *,
    static_jwt: bool = False,
    redact: Iterable[str] = (),
    names: CredentialNames = DEFAULT_NAMES,
) -> ApiError:
    """The typed error for a non-2xx answer (whose body may be JSON, non-JSON or empty);
    a refusal of the credentials names `names`, the variables they came from."""
    status = response.status
    envelope = _decode(request, response)
    non_json = isinstance(envelope, _NonJson)
    if isinstance(envelope, _NonJson):
        message = f"{_phrase(status)}; non-JSON body, {envelope.content_type}"
    else:
        message = platform_message(envelope, status, redact)
    kind: type[ApiError] = ApiError
    if status in (401, 403):
        hint = credentials_hint(names, static_jwt=static_jwt, scope=request.scope)
        refused = "the credentials" if status == 401 else "access"
        message = f"the platform refused {refused} ({message}): {hint}"
        kind = AuthError
    elif status == 404:
        kind = NotFoundError
    elif status == 429:
        message = f"rate limited: {message}"
        kind = RateLimitedError
    elif status >= 500:
        message = f"the platform failed: {message}"
        kind = ServerError
    elif non_json:
        message = f"the platform answered with {message}"
        kind = BadResponseError
    return kind(with_action(request, message), status=status, campaign=request.campaign)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "no message"


def platform_message(envelope: Any, status: int, redact: Iterable[str] = ()) -> str:
    """The platform's own words (`errors[].msg`, else `message`), on one short line."""
    parts: list[str] = []
    if isinstance(envelope, dict):
        errors = envelope.get("errors")
        if isinstance(errors, list):
            for item in errors:
                if isinstance(item, dict) and isinstance(item.get("msg"), str):
                    parts.append(item["msg"])
                elif isinstance(item, str):
                    parts.append(item)
        if not parts:
            for key in ("message", "msg", "error"):
                if isinstance(envelope.get(key), str) and envelope[key].strip():
                    parts.append(envelope[key])
                    break
    text = "; ".join(p.strip() for p in parts if p.strip())
    if not text:
        text = _phrase(status)
    return _one_line(text, redact)


def _one_line(text: str, secrets: Iterable[str]) -> str:
    return clip(one_line(redact_tokens(text, secrets)), _MAX_MESSAGE)


def _has_errors(envelope: dict[str, Any]) -> bool:
    errors = envelope.get("errors")
    return isinstance(errors, list) and len(errors) > 0


def with_action(request: Request, message: str) -> str:
    if request.campaign is None and request.action:
        return f"{request.action}: {message}"
    return message


def _bad(request: Request, status: int | None, message: str) -> BadResponseError:
    return BadResponseError(with_action(request, message), status=status, campaign=request.campaign)


def oversized(request: Request, status: int, limit: int) -> BadResponseError:
    return _bad(request, status, f"the platform answered with a body larger than {size(limit)}")


def campaign_data(request: Request, envelope: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """The `data` object of get-one, update and delete answers."""
    data = envelope.get("data")
    if data is None and not required:
        return {}
    if not isinstance(data, dict):
        raise _bad(request, None, "the platform's answer has no campaign object in `data`")
    return data


# The JSON types the docs give the get-one fields campsync compares. A field that is absent
# or null is left to the comparison; one of another type means the answer is not the
# platform's documented shape, and a plan built on it would be a guess.
_CAMPAIGN_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "description": (str,),
    "priority": (str, int),
    "dncLists": (dict,),
    "dialingMode": (str,),
    "dialingStrategy": (dict,),
    "dialingStrategy.callerId": (dict,),
    "dialingStrategy.callingHours": (dict,),
    "dialingStrategy.callingHours.days": (list,),
    "schedule": (dict,),
    "contactLists": (list,),
    "experienceFlow": (str,),
    "maxSkips": (int,),
    "status": (str,),
    "updatedAt": (str,),
}
_KIND_NAMES = {str: "a string", int: "a number", dict: "an object", list: "a list"}


def check_campaign(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    """`data` of get-one, if it has a name and its compared fields have their documented
    types; otherwise a BadResponseError naming the field."""
    if not isinstance(data.get("name"), str):
        raise _bad(request, None, "the platform's answer has no campaign name")
    for path, kinds in _CAMPAIGN_FIELDS.items():
        value = _at(data, path)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, kinds):
            expected = " or ".join(_KIND_NAMES[k] for k in kinds)
            raise _bad(request, None, f"the platform's answer has a {path} that is not {expected}")
    days = _at(data, "dialingStrategy.callingHours.days")
    if isinstance(days, list) and not all(isinstance(day, dict) for day in days):
        raise _bad(
            request,
            None,
            "the platform's answer has a dialingStrategy.callingHours.days item "
            "that is not an object",
        )
    return data


def _at(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def list_page(request: Request, envelope: dict[str, Any], skip: int) -> Page[dict[str, Any]]:
    """One page of getAllCampaignDetails; every item gets `_id` (the docs also say `id`)."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise _bad(request, None, "the platform's list answer has no `data` object")
    results = data.get("results")
    if not isinstance(results, list):
        raise _bad(request, None, "the platform's list answer has no `data.results` list")
    items = [normalise_item(request, item) for item in results]
    has_more = data.get("hasMore")
    if not isinstance(has_more, bool):
        total = data.get("totalResults")
        has_more = isinstance(total, int) and skip + len(items) < total
    return Page(items, has_more)


def normalise_item(request: Request, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _bad(request, None, "the platform's list answer holds an item that is not an object")
    ident = item.get("_id", item.get("id"))
    if not isinstance(ident, str) or not ident:
        raise _bad(request, None, "the platform's list answer holds a campaign without an id")
    if not is_campaign_id(ident):
        raise _bad(request, None, f"the platform's list answer holds {_not_an_id(ident)}")
    if "id" not in item:
        return item
    # The docs name the id `id` in one place: keep one spelling, `_id` (`id` is
    # campsync's own field in campaign files and must not look like platform data).
    return {"_id": ident, **{k: v for k, v in item.items() if k not in ("_id", "id")}}


def created_id(request: Request, envelope: dict[str, Any]) -> str:
    """The new campaign's id: `data.id` (documented), `data._id`, or a top-level `id`."""
    data = envelope.get("data")
    candidates: list[Any] = []
    if isinstance(data, dict):
        candidates += [data.get("id"), data.get("_id")]
    candidates.append(envelope.get("id"))
    for value in candidates:
        if isinstance(value, str) and value:
            if not is_campaign_id(value):
                raise _bad(
                    request, None, f"the platform's create answer carries {_not_an_id(value)}"
                )
            return value
    raise _bad(request, None, "the platform's create answer carries no campaign id")


def is_campaign_id(value: str) -> bool:
    """Whether `value` looks like a platform campaign id (`cd-…`). Ids from the platform are
    checked where they enter (list items, a create's answer), so that none such as `..`,
    `a/b` or `x?y` ever becomes part of a request path, a cache key or a plan."""
    return CAMPAIGN_ID.fullmatch(value) is not None


def _not_an_id(value: str) -> str:
    return f"a campaign id that is not one (cd-...): {quoted(value, 40)}"


def same_name(item: Mapping[str, Any], name: str) -> bool:
    """Campaign names are unique case-insensitively (the platform keeps `lname`)."""
    wanted = name.casefold()
    return any(
        isinstance(item.get(key), str) and item[key].casefold() == wanted
        for key in ("name", "lname")
    )


# ---------------------------------------------------------------- run state


@dataclass(frozen=True)
class Triggered:
    """What a start or stop left: the campaign's status and, when the answer said so,
    its new `updatedAt` (a trigger moves it)."""

    status: str
    updated_at: str | None = None


def triggered(request: Request, envelope: dict[str, Any], reached: str | None = None) -> Triggered:
    """The trigger call's answer, which the docs show without a `data` wrapper: `{status:
    "Active", message, totalCallsCompleted, updatedAt, campaignInstanceId}` (play), `{status:
    "Stopped", ...}` (stop). A `data` object holding the status is read too. An answer whose
    status is not `reached` (the one the trigger leads to) says the campaign did not move:
    the trigger did not take effect (a BadResponseError, its outcome known)."""
    data = envelope.get("data")
    source = data if isinstance(data, dict) and "status" in data else envelope
    status = _status_text(request, source.get("status"), "trigger")
    if source is envelope and status == "success":  # the envelope's marker, not a status
        raise _bad(request, None, "the platform's trigger answer has no campaign status")
    if reached is not None and status != reached:
        raise _bad(
            request,
            None,
            f"the platform answered with the campaign in status {quoted(status, 40)}, not "
            f"{reached}: it did not take effect",
        )
    stamp = source.get("updatedAt")
    return Triggered(status, stamp if isinstance(stamp, str) and stamp else None)


def campaign_status(request: Request, envelope: dict[str, Any], campaign_id: str) -> str:
    """The status call's answer `{status: "success", data: {id, status, name}}`: the
    status of the campaign asked about (an answer about another one is refused)."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise _bad(request, None, "the platform's status answer has no `data` object")
    ident = data.get("id", data.get("_id"))
    if ident is not None:
        if not isinstance(ident, str) or not is_campaign_id(ident):
            shown = _not_an_id(str(ident))
            raise _bad(request, None, f"the platform's status answer carries {shown}")
        if ident != campaign_id:
            raise _bad(
                request, None, f"the platform's status answer is about another campaign ({ident})"
            )
    return _status_text(request, data.get("status"), "status")


def _status_text(request: Request, value: Any, call: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(request, None, f"the platform's {call} answer has no campaign status")
    if len(value) > _MAX_STATUS or not value.isprintable():
        shown = quoted(value, 40)
        raise _bad(request, None, f"the platform's {call} answer has no status but {shown}")
    return value


# ---------------------------------------------------------------- what campaigns name

# An account's contact lists or queues beyond this many, or a name longer than this, is not
# an answer campsync believes (a contact list's name has at most 48 characters): the check
# of the names is advisory, and a bounded answer keeps it cheap (difflib over the names).
MAX_REFERENCES = 100_000
MAX_REFERENCE_NAME = 1_000


@dataclass(frozen=True)
class Reference:
    """A contact list or a queue as campsync reads it: its id and its name, all it needs."""

    id: str
    name: str


def contact_lists(request: Request, envelope: dict[str, Any]) -> list[Reference]:
    """The items of getAllListDetails (`data`, a list), each with its id and name."""
    data = envelope.get("data")
    if not isinstance(data, list):
        raise _bad(request, None, "the platform's contact lists answer has no `data` list")
    return _references(request, data, "contact list")


def queue_page(
    request: Request, envelope: dict[str, Any], *, page: int, limit: int
) -> Page[Reference]:
    """One page of queues: `{results, page, limit, hasMore, totalPages, totalResults}` (no
    status/data wrapper). Whether more follow: `hasMore`, else `totalPages`, else
    `totalResults`; an answer with none of them is not the documented shape (taking it as
    the last page could make a queue that exists look missing)."""
    results = envelope.get("results")
    if not isinstance(results, list):
        raise _bad(request, None, "the platform's queues answer has no `results` list")
    items = _references(request, results, "queue")
    has_more = envelope.get("hasMore")
    if isinstance(has_more, bool):
        return Page(items, has_more)
    total_pages = _count(envelope.get("totalPages"))
    if total_pages is not None:
        return Page(items, page < total_pages)
    total = _count(envelope.get("totalResults"))
    if total is not None:
        return Page(items, (page - 1) * limit + len(items) < total)
    raise _bad(request, None, "the platform's queues answer does not say whether more pages follow")


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _references(request: Request, items: list[Any], what: str) -> list[Reference]:
    if len(items) > MAX_REFERENCES:
        raise _bad(
            request, None, f"the platform's answer holds more than {MAX_REFERENCES:,} {what}s"
        )
    return [_reference(request, item, what) for item in items]


def _reference(request: Request, item: Any, what: str) -> Reference:
    """An item with a non-empty text id (`_id`, or `id` as the queues docs also say) and a
    non-empty text name; anything else makes the whole answer not the documented shape, since
    a name left out could make one that exists look missing."""
    if not isinstance(item, dict):
        raise _bad(request, None, f"the platform's answer holds a {what} that is not an object")
    ident = item.get("_id", item.get("id"))
    if not isinstance(ident, str) or not ident:
        raise _bad(request, None, f"the platform's answer holds a {what} without an id")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise _bad(request, None, f"the platform's answer holds a {what} without a name")
    if len(name) > MAX_REFERENCE_NAME:
        raise _bad(
            request,
            None,
            f"the platform's answer holds a {what} name longer than {MAX_REFERENCE_NAME:,} "
            f"characters: {quoted(name, 40)}",
        )
    return Reference(ident, name)
