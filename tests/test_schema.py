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

from campsync.campaign.schema import campaign_validator, load_schema

ROOT = Path(__file__).parent.parent
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


def test_integers_must_be_whole_numbers_in_the_file() -> None:
    validator = campaign_validator()
    rule = {"type": "integer"}
    assert validator.evolve(schema=rule).is_valid(3)
    assert not validator.evolve(schema=rule).is_valid(3.0)
    assert not validator.evolve(schema=rule).is_valid(True)


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
        ("priority", [1, 5, "1", "5"], [0, 6, "6", "five", 5.5, True, None]),
        ("name", ["x", "n" * 48], ["", "n" * 49, 1]),
        ("description", ["", "d" * 256], ["d" * 257]),
        ("contactLists", [["a"], ["a", "b"]], [[], "a", ["a", "a"], [""]]),
        ("dncLists", [{"name": "x"}], [{}, {"name": "x", "id": "y"}, "x"]),
        ("dialingMode", ["Agentless"], ["agentless", "Manual"]),
        ("campaignType", ["voice", "sms"], ["email", None]),
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
    validator = campaign_validator()
    for value in good:
        assert validator.is_valid({**_sample(), field: value}), value
    for value in bad:
        assert not validator.is_valid({**_sample(), field: value}), value


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [("maxAttemptsPerRecord", 1, 100), ("defaultRetryPeriod", 1, 1440), ("maxRingTime", 5, 120)],
)
def test_dialing_strategy_ranges(field: str, low: int, high: int) -> None:
    validator = campaign_validator()
    for value, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        data = _sample()
        data["dialingStrategy"][field] = value
        assert validator.is_valid(data) is ok, (field, value)


def test_calling_days_rules() -> None:
    validator = campaign_validator()

    def with_days(days: list[dict[str, str]]) -> bool:
        data = _sample()
        data["dialingStrategy"]["callingHours"]["days"] = days
        return bool(validator.is_valid(data))

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
    validator = campaign_validator()
    drop = ("experienceFlowName", "enableMachineDetect")
    base = {k: v for k, v in _sample().items() if k not in drop}
    data = {**base, "dialingMode": mode, **present}
    assert validator.is_valid(data)
    for field in present:
        without = {k: v for k, v in data.items() if k != field}
        assert validator.is_valid(without) is (field in missing_ok), field
    extra = {"queue_name": "q", "maxSkips": 1, "enableMachineDetect": "no"}
    for field in forbidden:
        assert not validator.is_valid({**data, field: extra[field]}), field


def test_agentless_create_needs_machine_detection_but_a_managed_id_does_not() -> None:
    """The platform needs enableMachineDetect to create an Agentless campaign and never
    returns it, so a file without `id` (it may create) must carry it; one with an id may not."""
    validator = campaign_validator()
    without = {k: v for k, v in _sample().items() if k != "enableMachineDetect"}
    assert not validator.is_valid(without)
    assert validator.is_valid({**without, "id": "cd-10c85a3-57a3-4d2d-aad4-b09344a00001"})
    assert validator.is_valid(_sample())
