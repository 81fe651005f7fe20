"""Single-file campaign rules that JSON Schema cannot say: a real IANA time zone, and
each calling window starting before it ends. Pure; the data may be of any shape (the
schema reports shape problems), so every rule looks only at what is well-formed."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import cache
from typing import Any

from campsync.campaign.messages import closest
from campsync.text import quoted

_TIME = re.compile(r"^(1[0-2]|0?[1-9]):([0-5][0-9]) (AM|PM)$")


@dataclass(frozen=True)
class Finding:
    path: tuple[str | int, ...]
    message: str


@cache
def iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def minutes_of_day(text: str) -> int | None:
    """'9:30 AM' -> 570; None when not in h:mm AM/PM form."""
    match = _TIME.match(text)
    if match is None:
        return None
    hour = int(match.group(1)) % 12 + (12 if match.group(3) == "PM" else 0)
    return hour * 60 + int(match.group(2))


def check_campaign(data: dict[str, Any]) -> list[Finding]:
    hours = data.get("dialingStrategy")
    hours = hours.get("callingHours") if isinstance(hours, dict) else None
    if not isinstance(hours, dict):
        return []
    base: tuple[str | int, ...] = ("dialingStrategy", "callingHours")
    findings = _check_timezone(hours.get("timezone"), (*base, "timezone"))
    days = hours.get("days")
    if isinstance(days, list):
        for index, window in enumerate(days):
            findings.extend(_check_window(window, (*base, "days", index)))
    return findings


def _check_timezone(zone: Any, path: tuple[str | int, ...]) -> list[Finding]:
    if not isinstance(zone, str) or not zone or zone in iana_zones():
        return []
    guess = closest(zone, sorted(iana_zones()), cutoff=0.8, longest=64)
    hint = f"did you mean '{guess}'?" if guess else "like 'America/New_York'"
    return [Finding(path, f"{quoted(zone)} is not an IANA time zone ({hint})")]


def _check_window(window: Any, path: tuple[str | int, ...]) -> list[Finding]:
    if not isinstance(window, dict):
        return []
    start, end = window.get("start"), window.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        return []
    start_minutes, end_minutes = minutes_of_day(start), minutes_of_day(end)
    if start_minutes is None or end_minutes is None or start_minutes < end_minutes:
        return []
    return [
        Finding(
            (*path, "end"),
            f"the calling window ends at '{end}', which is not after its start '{start}'",
        )
    ]
