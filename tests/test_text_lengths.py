"""Lengths as editors count them (issue 18, item 25): the schema's `maxLength` counts code
points, editors (JavaScript) count UTF-16 code units, where a character beyond U+FFFF, as
most emoji are, counts 2. campsync counts the stricter way, as a rule beyond the schema."""

from __future__ import annotations

import pytest

from campsync.campaign.rules import check_campaign, text_limits, utf16_length
from campsync.campaign.validation import check_text
from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace

PHONE = "\U0001f4de"  # 📞: one code point, two UTF-16 units


def test_utf16_length_counts_characters_beyond_u_ffff_twice() -> None:
    assert utf16_length("") == 0
    assert utf16_length("Renewals") == 8
    assert utf16_length("Straße é") == 8  # below U+FFFF: one unit each
    assert utf16_length(PHONE * 3) == 6
    assert utf16_length("🏳️‍🌈") == 6  # four code points: 2 + 1 + 1 + 2


def test_the_limits_are_the_schemas() -> None:
    assert dict(text_limits()) == {"name": 48, "description": 256}


@pytest.mark.parametrize(
    ("field", "value", "units"),
    [
        ("name", PHONE * 25, 50),
        ("name", PHONE * 36, 72),  # the issue's: 36 code points, 72 units
        ("name", "a" * 47 + PHONE, 49),
        ("description", PHONE * 129, 258),
    ],
)
def test_text_over_the_limit_in_utf16_units_is_refused_at_its_place(
    field: str, value: str, units: int
) -> None:
    limit = dict(text_limits())[field]
    assert len(value) <= limit < units  # what the schema alone lets through
    text = f"name: Renewals\n{field}: {value}\n" if field != "name" else f"name: {value}\n"
    line = 2 if field != "name" else 1
    problems = [str(p) for p in check_text(text, "f.yaml").problems if p.path == field]
    assert problems == [
        f"f.yaml:{line}:{len(field) + 3}: {field}: is {units} characters long as editors "
        f"count them (an emoji counts 2); the maximum is {limit}"
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"name": PHONE * 24},  # 48 units: at the limit
        {"name": "a" * 48},
        {"name": "é" * 48},
        {"description": PHONE * 128},
        {"name": PHONE * 49},  # over in code points too: the schema's message, not a twin
        {"name": 5, "description": ["not text"]},  # shapes are the schema's to report
    ],
)
def test_text_within_the_limit_or_already_over_it_adds_no_finding(data: dict[str, object]) -> None:
    assert check_campaign(data) == []


def test_a_name_set_by_an_override_is_counted_so_and_placed_in_campsync_yaml(
    ws: Workspace,
) -> None:
    ws.write("renewals.yaml", campaign_body("Renewals"))
    name = PHONE * 30
    ws.config(f'environments:\n  staging:\n    overrides:\n      Renewals: {{name: "{name}"}}\n')
    result = ws.cli("validate", "--env", "staging")
    assert result.code == 1
    assert result.out == (
        "campsync.yaml:4:24: name: is 60 characters long as editors count them (an emoji "
        f"counts 2); the maximum is 48 (environment 'staging', campaign '{name}')\n"
    )
