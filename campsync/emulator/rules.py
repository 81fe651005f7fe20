"""The platform's documented request rules, as pure functions.

Each check returns every problem it finds (a user fixing a request wants them all);
the app answers them as one 400 in the platform's error shape.
"""

from __future__ import annotations

import json
import math
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

from campsync.emulator.catalog import Catalog
from campsync.emulator.safejson import MAX_SAFE_INTEGER

CAMPAIGN_TYPES = ("voice", "sms")
DIALING_MODES = ("Agentless", "Progressive", "Preview")
FREQUENCIES = ("WEEKLY", "DAILY", "CUSTOM")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DIALING_ORDERS = ("FIFO", "LIFO")
MACHINE_DETECT = ("no", "detect", "disconnect")
PRIORITIES = ("1", "2", "3", "4", "5")
STATUSES = (
    "Active",
    "Completed",
    "Ready",
    "Paused",
    "Preparing",
    "Stopped",
    "Scheduled",
    "Rescheduled",
)
NAME_MAX = 48
DESCRIPTION_MAX = 256
RANGES = {
    "maxAttemptsPerRecord": (1, 100),
    "defaultRetryPeriod": (1, 1440),
    "maxRingTime": (5, 120),
}
SMS_NOT_EMULATED = (
    "SMS campaigns are not emulated: the emulator (like campsync) handles voice campaigns "
    "only, so it creates and updates none (campaignType=voice)"
)
_TIME = re.compile(r"(0?[1-9]|1[0-2]):[0-5][0-9] (AM|PM)")
_PHONE = re.compile(r"\+?[0-9xX]{4,16}")


class Refusal(Exception):
    """A request the platform refuses: an HTTP status and the messages of its error body,
    with the headers the answer needs (`Accept-Encoding` on a 415, say), and `close` when
    the connection can't serve another request (a body that never arrived in full)."""

    def __init__(
        self,
        status: int,
        *messages: str,
        headers: Mapping[str, str] | None = None,
        close: bool = False,
    ) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.messages = list(messages) or ["request refused"]
        self.headers = dict(headers or {})
        self.close = close


def check_campaign_type(value: str | None) -> str:
    """The campaignType query parameter of a write: "voice" or "sms"."""
    if value not in CAMPAIGN_TYPES:
        raise Refusal(400, "campaignType must be one of: voice, sms")
    return value


# ---- campaignType: the query parameter, the body field and the campaign's own type ----
# The docs send the type twice (query and body) and never say what a mismatch does; the
# emulator takes the strict reading, so that a pipeline with a mixed-up type fails here
# first. The one exception is the update's query parameter: see check_update_type.


def check_create_type(query_type: str, body: Any) -> None:
    """A create's query campaignType must equal its body's, and SMS is not emulated.

    Without this, a create with `campaignType=sms` and a voice body made an SMS campaign
    out of a voice body. The SMS create body is a different shape (format, message; see
    the SMS notes), which neither campsync nor the emulator implements.
    """
    body_type = _body_type(body)
    if body_type is not None and body_type != query_type:
        raise Refusal(
            400,
            f"the body's campaignType ({body_type}) does not match the campaignType "
            f"query parameter ({query_type})",
        )
    if query_type == "sms":
        raise Refusal(400, SMS_NOT_EMULATED)


def check_update_type(campaign_id: str, own_type: str, body: Any) -> None:
    """An update keeps the campaign's type: its body's campaignType must be the campaign's.

    The query parameter is not compared with the campaign's type: the reference page's
    own sample updates a voice campaign with `campaignType=sms` in the query (and
    "voice" in the body) and shows it succeeding, and the emulator must accept that
    sample as sent. The body's campaignType is the one that has to match.
    """
    if own_type == "sms":
        raise Refusal(400, SMS_NOT_EMULATED)
    body_type = _body_type(body)
    if body_type is not None and body_type != own_type:
        raise Refusal(
            400,
            f"campaignType can't change: campaign {campaign_id} is a {own_type} campaign, "
            f"the body says {body_type}",
        )


def _body_type(body: Any) -> str | None:
    """The body's campaignType when it is one (any other value is check_campaign_body's to
    refuse)."""
    value = body.get("campaignType") if isinstance(body, Mapping) else None
    return value if value in CAMPAIGN_TYPES else None


def check_same_type(campaign_id: str, own_type: str, query_type: str | None) -> None:
    """The campaignType query parameter of get, delete and start/stop names the campaign's
    own type (get documents none: when sent, it must be right all the same)."""
    if query_type is None:
        return
    check_campaign_type(query_type)
    if query_type != own_type:
        raise Refusal(
            400,
            f"campaign {campaign_id} is a {own_type} campaign, not {query_type} "
            "(the campaignType query parameter)",
        )


def check_campaign_body(body: Any, catalog: Catalog, *, creating: bool = True) -> list[str]:
    """Every rule of the reference page's body table, plus the per-dialing-mode ones.

    enableMachineDetect is required only on create: the docs list it with the create
    call, and the reference page's own sample update (Agentless) leaves it out.
    """
    if not isinstance(body, Mapping):
        return ["the request body must be a JSON object"]
    problems: list[str] = []
    _check_text(body, "name", NAME_MAX, problems)
    _check_text(body, "description", DESCRIPTION_MAX, problems)
    _check_contact_lists(body.get("contactLists"), catalog, problems)
    _check_dnc_lists(body.get("dncLists"), catalog, problems)
    if normalize_priority(body.get("priority")) is None:
        problems.append("priority must be one of: 1, 2, 3, 4, 5")
    mode = body.get("dialingMode")
    if mode not in DIALING_MODES:
        problems.append("dialingMode must be one of: Agentless, Progressive, Preview")
    _check_strategy(body.get("dialingStrategy"), problems)
    _check_schedule(body, problems)
    _check_mode_fields(body, mode, catalog, problems, creating=creating)
    if body.get("campaignType") not in CAMPAIGN_TYPES:
        problems.append("campaignType must be one of: voice, sms")
    return problems


def normalize_priority(value: Any) -> str | None:
    """ "1".."5" or the numbers 1..5, as the string the platform stores; None if invalid."""
    number = as_integer(value)
    text = str(number) if number is not None else value
    return text if isinstance(text, str) and text in PRIORITIES else None


def as_integer(value: Any) -> int | None:
    """A JSON number with no fraction as an int; None otherwise (booleans are not numbers).

    Only integers a double holds exactly (|n| <= 2**53 - 1) count: 1e300 has no fraction,
    but the platform could not store it as the integer it claims to be.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and abs(value) <= MAX_SAFE_INTEGER:
        return value
    return None


def _check_text(body: Mapping[str, Any], key: str, limit: int, problems: list[str]) -> None:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{key} is required")
    elif len(value) > limit:
        problems.append(f"{key} must be a maximum of {limit} characters")


def _check_contact_lists(value: Any, catalog: Catalog, problems: list[str]) -> None:
    if not isinstance(value, list) or not value:
        problems.append("contactLists: at least one contact list name is required")
        return
    if not all(isinstance(item, str) for item in value):
        problems.append("contactLists must be a list of contact list names")
        return
    unknown = [
        _with_hint(name, catalog.list_names) for name in value if name not in catalog.list_names
    ]
    if unknown:
        problems.append(f"contact list(s) not found: {', '.join(unknown)}")


def _check_dnc_lists(value: Any, catalog: Catalog, problems: list[str]) -> None:
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
        problems.append("dncLists.name is required")
    elif value["name"] not in catalog.list_names:
        problems.append(f"DNC list not found: {_with_hint(value['name'], catalog.list_names)}")


def _with_hint(name: str, known: Mapping[str, str]) -> str:
    """A missing name, with why when it is close: a name that differs only in case (names
    are matched exactly: catalog.py says why)."""
    same = [known_name for known_name in known if known_name.lower() == name.lower()]
    if same:
        return f"{name} (names match exactly: the account has {same[0]})"
    return name


def _check_strategy(value: Any, problems: list[str]) -> None:
    if not isinstance(value, Mapping):
        problems.append("dialingStrategy is required")
        return
    caller = value.get("callerId")
    phone = caller.get("phoneNumber") if isinstance(caller, Mapping) else None
    if not isinstance(phone, str):
        problems.append("dialingStrategy.callerId.phoneNumber is required")
    elif not _PHONE.fullmatch(phone):
        problems.append("dialingStrategy.callerId.phoneNumber must be a phone number")
    _check_calling_hours(value.get("callingHours"), problems)
    if value.get("dialingOrder") not in DIALING_ORDERS:
        problems.append("dialingStrategy.dialingOrder must be one of: FIFO, LIFO")
    for key, (low, high) in RANGES.items():
        number = as_integer(value.get(key))
        if number is None or not low <= number <= high:
            problems.append(f"dialingStrategy.{key} must be a number between {low} and {high}")


def _check_calling_hours(value: Any, problems: list[str]) -> None:
    where = "dialingStrategy.callingHours"
    if not isinstance(value, Mapping):
        problems.append(f"{where} is required")
        return
    if value.get("frequency") not in FREQUENCIES:
        problems.append(f"{where}.frequency must be one of: WEEKLY, DAILY, CUSTOM")
    timezone = value.get("timezone")
    if not isinstance(timezone, str) or not timezone:
        problems.append(f"{where}.timezone is required")
    elif not _known_timezone(timezone):
        problems.append(f"{where}.timezone: unknown timezone {timezone}")
    days = value.get("days")
    if not isinstance(days, list) or not days:
        problems.append(f"{where}.days: at least one calling time block is required")
        return
    for index, block in enumerate(days):
        at = f"{where}.days[{index}]"
        if not isinstance(block, Mapping):
            problems.append(f"{at} must be an object with day, start and end")
            continue
        if block.get("day") not in DAYS:
            problems.append(f"{at}.day must be one of: {', '.join(DAYS)}")
        for key in ("start", "end"):
            text = block.get(key)
            if not isinstance(text, str) or not _TIME.fullmatch(text):
                problems.append(f"{at}.{key} must be a time like 9:00 AM")


def _known_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _check_schedule(body: Mapping[str, Any], problems: list[str]) -> None:
    if "schedule" not in body:
        return
    value = body["schedule"]
    if not isinstance(value, Mapping):  # null included: the docs type it as an object
        problems.append("schedule must be an object")
        return
    for key in ("isSchedulingEnabled", "isRecurrenceEnabled"):
        if key in value and not isinstance(value[key], bool):
            problems.append(f"schedule.{key} must be true or false")


def _check_mode_fields(
    body: Mapping[str, Any], mode: Any, catalog: Catalog, problems: list[str], *, creating: bool
) -> None:
    """The fields whose need depends on the dialing mode.

    A field that is present must have its documented type even where the mode does not
    need it: `null` is no string or integer, and a stored `"maxSkips": null` would come
    back in answers that document an integer. Leaving a field out is how a client says
    "not set".
    """
    flow = body.get("experienceFlowName")
    if "experienceFlowName" not in body:
        if mode == "Agentless":
            problems.append("experienceFlowName is required for an Agentless campaign")
    elif not isinstance(flow, str) or flow not in catalog.experience_flows:
        problems.append(f"experience flow not found: {_shown(flow)}")
    if "enableMachineDetect" not in body:
        if mode == "Agentless" and creating:
            problems.append("enableMachineDetect is required for an Agentless campaign")
    elif body["enableMachineDetect"] not in MACHINE_DETECT:
        problems.append("enableMachineDetect must be one of: no, detect, disconnect")
    queue = body.get("queue_name")
    if "queue_name" not in body:
        if mode in ("Progressive", "Preview"):
            problems.append(f"queue_name is required for a {mode} campaign")
    elif not isinstance(queue, str) or queue not in catalog.queues:
        shown = _with_hint(queue, catalog.queues) if isinstance(queue, str) else None
        problems.append(f"queue not found: {shown or _shown(queue)}")
    if "maxSkips" not in body:
        if mode == "Preview":
            problems.append("maxSkips is required for a Preview campaign")
    else:
        skips = as_integer(body["maxSkips"])
        if skips is None or skips < 0:
            problems.append("maxSkips must be a number of 0 or more")


def _shown(value: Any) -> str:
    """A value for a message: a string as it is, anything else as JSON (cut short)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
