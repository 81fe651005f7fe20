"""What a campaign file must be that JSON Schema cannot say, named in one list
(`BEYOND_SCHEMA`), and the single-file rules of that list that are checked on the data:
each calling window starts before it ends, and the schema's text lengths hold in UTF-16
code units (editors count so; JSON Schema counts code points).

Everything JSON Schema can say lives in schemas/campaign.schema.json, so that editors,
check-jsonschema and campsync agree on a file. The README and the schema's own
description repeat `BEYOND_SCHEMA`, and tests/test_schema_agreement.py proves that a
plain JSON Schema validator and campsync disagree only on files that break one of these.

Pure; the data may be of any shape (the schema reports shape problems), so these rules
look only at what is well-formed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from campsync.campaign.schema import load_schema


@dataclass(frozen=True)
class BeyondSchema:
    """A rule campsync checks that JSON Schema cannot express."""

    key: str  # names the rule in the test data's beyond-schema.txt files
    text: str  # as the README and the schema's description say it


BEYOND_SCHEMA: tuple[BeyondSchema, ...] = (
    BeyondSchema("window-order", "each calling window ends after it starts"),
    BeyondSchema("unique-names", "campaign names are unique across the files, ignoring case"),
    BeyondSchema("unique-ids", "campaign ids are unique across the files"),
    BeyondSchema(
        "flow-names",
        "experienceFlowName is a name of experienceFlows in campsync.yaml (the environment's "
        "or the top level's), when that mapping is not empty: no call lists flows",
    ),
    BeyondSchema(
        "utf16-lengths",
        "the lengths of name and description are counted in UTF-16 code units, as editors "
        "count them (an emoji counts 2)",
    ),
    BeyondSchema(
        "yaml-safety",
        "YAML anchors, aliases, merge keys ('<<') and tags (core ones such as '!!float' "
        "too) are refused",
    ),
    BeyondSchema(
        "yaml-strict",
        "keys are plain text written once, a file holds exactly one YAML document, and it "
        "is read as YAML 1.2 (a '%YAML 1.1' line is refused)",
    ),
    BeyondSchema(
        "yaml-numbers",
        "a plain value that YAML readers take differently, such as 1_000, 0b11110, +0o5, "
        "-0x1F or .5e3, is refused: write a plain decimal number, or put text in quotes",
    ),
    BeyondSchema(
        "no-surrogates",
        'text holds no UTF-16 surrogates (an escape such as "\\ud800"), which UTF-8 cannot carry',
    ),
    BeyondSchema(
        "file-limits",
        "a file is strict UTF-8 of at most 1 MiB, with at most 32 levels of nesting and "
        "10,000 values",
    ),
)

_TIME = re.compile(r"(1[0-2]|0?[1-9]):([0-5][0-9]) (AM|PM)")


@dataclass(frozen=True)
class Finding:
    path: tuple[str | int, ...]
    message: str


def minutes_of_day(text: str) -> int | None:
    """'9:30 AM' -> 570; None when not exactly in h:mm AM/PM form (fullmatch: no trailing
    newline either, as the schema's ECMA-262 pattern decides)."""
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    hour = int(match.group(1)) % 12 + (12 if match.group(3) == "PM" else 0)
    return hour * 60 + int(match.group(2))


def check_campaign(data: dict[str, Any]) -> list[Finding]:
    findings = _check_lengths(data)
    hours = data.get("dialingStrategy")
    hours = hours.get("callingHours") if isinstance(hours, dict) else None
    if not isinstance(hours, dict):
        return findings
    days = hours.get("days")
    if not isinstance(days, list):
        return findings
    for index, window in enumerate(days):
        findings.extend(_check_window(window, ("dialingStrategy", "callingHours", "days", index)))
    return findings


@cache
def text_limits() -> tuple[tuple[str, int], ...]:
    """(field, maxLength) of each top-level text field the schema limits (name, description)."""
    fields = load_schema()["properties"]
    return tuple((key, rule["maxLength"]) for key, rule in fields.items() if "maxLength" in rule)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as editors (JavaScript) count: a character beyond
    U+FFFF, as most emoji are, counts 2."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for character in text if character > "\uffff")


def _check_lengths(data: dict[str, Any]) -> list[Finding]:
    """Only what the schema's maxLength (in code points) lets through: no twin messages."""
    findings: list[Finding] = []
    for key, limit in text_limits():
        value = data.get(key)
        if type(value) is not str or len(value) > limit or 2 * len(value) <= limit:
            continue
        units = utf16_length(value)
        if units > limit:
            findings.append(
                Finding(
                    (key,),
                    f"is {units} characters long as editors count them (an emoji counts 2); "
                    f"the maximum is {limit}",
                )
            )
    return findings


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
