"""The campaign schema: valid draft 2020-12, shipped inside the package, documented on
every field (for editor completion and hover), and encoding the reference page's rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from campsync.campaign.schema import campaign_validator, fast_is_valid, load_schema
from tests.scripts import load_script

ROOT = Path(__file__).parent.parent
update_schema = load_script("update_schema")
REPO_SCHEMA = ROOT / "schemas" / "campaign.schema.json"


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_packaged_schema_equals_the_repository_schema() -> None:
    packaged = resources.files("campsync").joinpath("schemas/campaign.schema.json")
    assert packaged.read_text(encoding="utf-8") == REPO_SCHEMA.read_text(encoding="utf-8")
    assert load_schema() == json.loads(REPO_SCHEMA.read_text(encoding="utf-8"))


def test_package_data_ships_the_schema() -> None:
    """A non-editable install copies package data matched by pyproject's package-data;
    the packaged path is a symlink that setuptools follows when it copies."""
    packaged = ROOT / "campsync" / "schemas" / "campaign.schema.json"
    assert packaged.resolve() == REPO_SCHEMA.resolve()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schemas/*.json"' in pyproject


def test_load_schema_returns_a_fresh_copy() -> None:
    first = load_schema()
    first["title"] = "changed"
    assert load_schema()["title"] != "changed"


def _fields(schema: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        if isinstance(sub, dict):
            yield f"{where}{name}", sub
            yield from _fields(sub, f"{where}{name}.")
    items = schema.get("items")
    if isinstance(items, dict):
        yield f"{where}[]", items
        yield from _fields(items, f"{where}[].")


def test_every_field_has_a_title_and_a_description() -> None:
    schema = load_schema()
    assert schema["title"] and schema["description"]
    fields = dict(_fields(schema))
    assert len(fields) >= 30
    for path, sub in fields.items():
        assert sub.get("title"), path
        assert sub.get("description"), path


def test_unknown_fields_are_refused_at_every_depth() -> None:
    schema = load_schema()
    objects = [schema] + [sub for _, sub in _fields(schema) if sub.get("type") == "object"]
    assert len(objects) == 7
    for sub in objects:
        assert sub["additionalProperties"] is False


def test_integers_are_what_json_schema_calls_integers() -> None:
    """Issue 10, item 5: 3.0 and 3.5e1 are integers to JSON Schema (editors and
    check-jsonschema accept them); booleans never are."""
    validator = campaign_validator()
    rule = {"type": "integer"}
    for number in (3, 3.0, 3.5e1, -0.0):
        assert validator.evolve(schema=rule).is_valid(number), number
    for other in (3.5, True, False, "3"):
        assert not validator.evolve(schema=rule).is_valid(other), other


@pytest.mark.parametrize(
    ("path", "good", "bad"),
    [
        (("dialingStrategy", "callerId", "phoneNumber"), "+14846512345", "+14846512345\n"),
        (("dialingStrategy", "callingHours", "days", 0, "end"), "6:00 PM", "6:00 PM\n"),
        (("dialingStrategy", "callingHours", "days", 0, "start"), "9:00 AM", "9:00 AM\n"),
        (("id",), "cd-10c85a3", "cd-10c85a3\n"),
    ],
)
def test_patterns_are_ecma_262_dollar_only_at_the_very_end(
    path: tuple[Any, ...], good: str, bad: str
) -> None:
    """Issue 10, item 4: Python's re lets `$` match before a final newline; JSON Schema's
    patterns (ECMA-262) do not. Both validators must refuse the newline."""
    validator = campaign_validator()

    def with_value(value: str) -> dict[str, Any]:
        data = _sample()
        node: Any = data
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        return data

    assert validator.is_valid(with_value(good))
    assert not validator.is_valid(with_value(bad))
    assert fast_is_valid(with_value(good)) is True
    assert fast_is_valid(with_value(bad)) is False


def test_time_zones_are_the_iana_names_of_the_installed_tzdata() -> None:
    """Issue 10, item 5: the zones are an enum in the schema (editors complete them).
    It is the tzdata list the schema was generated from; with a newer tzdata installed
    the schema may lag (zones are added, never removed: IANA keeps old names as links)
    but never offers a name that tzdata does not know."""
    rule = update_schema.timezone_rule(load_schema())
    zones = update_schema.tzdata_zones()
    assert len(rule["enum"]) > 500 and "Asia/Kolkata" in rule["enum"]
    assert rule["enum"] == sorted(rule["enum"])
    if rule["$comment"].endswith(f"tzdata {update_schema.tzdata_version()}"):
        assert rule["enum"] == zones
    else:
        assert set(rule["enum"]) <= set(zones)
    validator = campaign_validator()
    cases = {"Asia/Kolkata": True, "UTC": True, "Asia/Kolkatta": False, "asia/kolkata": False}
    cases.update({"": False, "India Standard Time": False})
    for zone, ok in cases.items():
        data = _sample()
        data["dialingStrategy"]["callingHours"]["timezone"] = zone
        assert validator.is_valid(data) is ok, zone
        assert fast_is_valid(data) is ok, zone


def test_the_generated_parts_of_the_schema_are_up_to_date() -> None:
    """scripts/update_schema.py writes the zones and the description's list of rules
    beyond the schema; the committed schema is its output."""
    text = REPO_SCHEMA.read_text(encoding="utf-8")
    fresh = update_schema.updated(json.loads(text))
    assert fresh["description"] == json.loads(text)["description"]
    if (
        update_schema.timezone_rule(fresh)["$comment"]
        == update_schema.timezone_rule(load_schema())["$comment"]
    ):
        assert update_schema.dump(fresh) == text


def verdict(data: Any) -> bool:
    """The reference validator's verdict, after checking that jsonschema-rs agrees."""
    reference = bool(campaign_validator().is_valid(data))
    assert fast_is_valid(data) is reference, data
    return reference


def _sample() -> dict[str, Any]:
    return {
        "name": "n", "description": "d", "contactLists": ["c"], "dncLists": {"name": "x"},
        "priority": "5", "dialingMode": "Agentless",
        "dialingStrategy": {
            "callerId": {"phoneNumber": "+14846552187"},
            "callingHours": {"frequency": "WEEKLY", "timezone": "Asia/Kolkata",
                             "days": [{"day": "MO", "start": "9:00 AM", "end": "6:00 PM"}]},
            "dialingOrder": "FIFO", "maxAttemptsPerRecord": 3, "defaultRetryPeriod": 10,
            "maxRingTime": 30,
        },
        "experienceFlowName": "f", "enableMachineDetect": "detect", "campaignType": "voice",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("priority", [1, 5, "1", "5", 5.0], [0, 6, "6", "five", 5.5, True, None, "5.0"]),
        ("name", ["x", "n" * 48], ["", "n" * 49, 1]),
        ("description", ["", "d" * 256], ["d" * 257]),
        ("contactLists", [["a"], ["a", "b"]], [[], "a", ["a", "a"], [""]]),
        ("dncLists", [{"name": "x"}], [{}, {"name": "x", "id": "y"}, "x"]),
        ("dialingMode", ["Agentless"], ["agentless", "Manual"]),
        ("campaignType", ["voice"], ["sms", "email", "Voice", None]),
        ("id", ["cd-10c85a3-57a3-4d2d"], ["10c85a3", "cd-", "cd-a b"]),
        (
            "schedule",
            [{"isSchedulingEnabled": False, "isRecurrenceEnabled": True}],
            [{}, {"isSchedulingEnabled": "no"}, {"isSchedulingEnabled": True, "x": 1}],
        ),
        ("enableMachineDetect", ["no", "detect", "disconnect"], ["yes", False]),
    ],
)
def test_top_level_field_rules(field: str, good: list[Any], bad: list[Any]) -> None:
    for value in good:
        assert verdict({**_sample(), field: value}), value
    for value in bad:
        assert not verdict({**_sample(), field: value}), value


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [("maxAttemptsPerRecord", 1, 100), ("defaultRetryPeriod", 1, 1440), ("maxRingTime", 5, 120)],
)
def test_dialing_strategy_ranges(field: str, low: int, high: int) -> None:
    for value, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        data = _sample()
        data["dialingStrategy"][field] = value
        assert verdict(data) is ok, (field, value)


def test_calling_days_rules() -> None:

    def with_days(days: list[dict[str, str]]) -> bool:
        data = _sample()
        data["dialingStrategy"]["callingHours"]["days"] = days
        return bool(verdict(data))

    window = {"start": "9:00 AM", "end": "12:30 PM"}
    assert with_days([{"day": d, **window} for d in ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]])
    assert not with_days([])
    assert not with_days([{"day": "MO", **window}, {"day": "MO", **window}])
    assert not with_days([{"day": "XX", **window}])
    for time in ("09:00", "9:00am", "13:00 PM", "0:30 AM", "9:60 AM"):
        assert not with_days([{"day": "MO", "start": time, "end": "6:00 PM"}]), time
    for time in ("12:00 AM", "09:05 AM", "1:00 PM"):
        assert with_days([{"day": "MO", "start": time, "end": "6:00 PM"}]), time


@pytest.mark.parametrize(
    ("mode", "present", "missing_ok", "forbidden"),
    [
        (
            "Agentless",
            {"experienceFlowName": "f", "enableMachineDetect": "detect"},
            [],
            ["queue_name", "maxSkips"],
        ),
        (
            "Progressive",
            {"queue_name": "q", "experienceFlowName": "f"},
            ["experienceFlowName"],
            ["maxSkips", "enableMachineDetect"],
        ),
        ("Preview", {"queue_name": "q", "maxSkips": 0}, [], ["enableMachineDetect"]),
    ],
)
def test_per_mode_requirements(
    mode: str, present: dict[str, Any], missing_ok: list[str], forbidden: list[str]
) -> None:
    drop = ("experienceFlowName", "enableMachineDetect")
    base = {k: v for k, v in _sample().items() if k not in drop}
    data = {**base, "dialingMode": mode, **present}
    assert verdict(data)
    for field in present:
        without = {k: v for k, v in data.items() if k != field}
        assert verdict(without) is (field in missing_ok), field
    extra = {"queue_name": "q", "maxSkips": 1, "enableMachineDetect": "no"}
    for field in forbidden:
        assert not verdict({**data, field: extra[field]}), field


def test_agentless_create_needs_machine_detection_but_a_managed_id_does_not() -> None:
    """The platform needs enableMachineDetect to create an Agentless campaign and never
    returns it, so a file without `id` (it may create) must carry it; one with an id may not."""
    without = {k: v for k, v in _sample().items() if k != "enableMachineDetect"}
    assert not verdict(without)
    assert verdict({**without, "id": "cd-10c85a3-57a3-4d2d-aad4-b09344a00001"})
    assert verdict(_sample())
