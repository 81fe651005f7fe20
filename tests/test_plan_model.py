"""The plan's value objects (campsync.sync.plan): order, counts, the contract JSON."""

from __future__ import annotations

import dataclasses
import json

import pytest

from campsync.campaign.model import request_body
from campsync.sync.plan import Change, FieldDiff, Plan
from tests.test_model import SAMPLE_REQUEST


def sample_plan() -> Plan:
    return Plan.of(
        changes=[
            Change("delete", "zeta", "cd-4", None, updated_at="2025-12-04T11:19:47.030Z"),
            Change(
                "blocked",
                "Busy",
                "cd-3",
                "campaigns/busy.yaml",
                diff=(FieldDiff("priority", "5", "1"),),
                reason="the campaign is Active and can't be edited",
                updated_at="2025-12-04T11:19:47.030Z",
            ),
            Change(
                "update",
                "beta",
                "cd-2",
                "campaigns/beta.yaml",
                diff=(FieldDiff("dialingStrategy.maxRingTime", 30, 45),),
                body=request_body(SAMPLE_REQUEST),
                updated_at="2025-12-04T11:19:47.030Z",
            ),
            Change("create", "New One", None, "campaigns/new.yaml", body={"name": "New One"}),
            Change(
                "update",
                "Alpha",
                "cd-1",
                "campaigns/alpha.yaml",
                diff=(FieldDiff("name", "alpha", "Alpha"),),
                body={"name": "Alpha"},
                updated_at="2025-12-04T11:19:47.030Z",
            ),
        ],
        unchanged=4,
        unmanaged=["legacy", "Another"],
        warnings=["campaign 'x': experienceFlowName 'y' is not comparable"],
    )


def test_changes_in_stable_order() -> None:
    plan = sample_plan()
    assert [(c.action, c.name) for c in plan.changes] == [
        ("create", "New One"),
        ("update", "Alpha"),
        ("update", "beta"),
        ("blocked", "Busy"),
        ("delete", "zeta"),
    ]
    assert plan.unmanaged == ("Another", "legacy")


def test_a_plan_is_frozen_and_keeps_its_order() -> None:
    plan = sample_plan()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.warnings = ()  # type: ignore[misc]
    assert isinstance(plan.changes, tuple) and isinstance(plan.warnings, tuple)
    # A later step adds to a plan by making a new one; the order stays.
    more = dataclasses.replace(plan, warnings=(*plan.warnings, "one more"))
    assert more.changes == plan.changes and more.warnings[-1] == "one more"
    assert plan.warnings == ("campaign 'x': experienceFlowName 'y' is not comparable",)
    # Only Plan.of sorts: a plan made of changes out of order is refused, not re-sorted.
    with pytest.raises(ValueError, match="in order"):
        Plan(tuple(reversed(plan.changes)))
    with pytest.raises(ValueError, match="in order"):
        Plan(unmanaged=("legacy", "Another"))
    with pytest.raises(TypeError, match="tuple"):
        Plan(list(plan.changes))  # type: ignore[arg-type]


def test_same_name_orders_by_file() -> None:
    plan = Plan.of(
        [
            Change("create", "Same", None, "campaigns/b.yaml"),
            Change("create", "Same", None, "campaigns/a.yaml"),
        ]
    )
    assert [c.file for c in plan.changes] == ["campaigns/a.yaml", "campaigns/b.yaml"]


def test_summary_counts() -> None:
    assert sample_plan().summary == {
        "create": 1,
        "stop": 0,
        "update": 2,
        "start": 0,
        "delete": 1,
        "blocked": 1,
        "unchanged": 4,
        "unmanaged": 2,
    }


def test_has_changes_counts_blocked() -> None:
    assert not Plan.of([], unchanged=3).has_changes
    blocked = Change("blocked", "b", "cd-1", None, reason="Active")
    assert Plan.of([blocked]).has_changes


def test_to_json_is_the_contract_shape() -> None:
    data = sample_plan().to_json()
    assert set(data) == {"format_version", "changes", "summary", "warnings"}
    assert data["format_version"] == 1
    assert data["summary"] == {
        "create": 1,
        "stop": 0,
        "update": 2,
        "start": 0,
        "delete": 1,
        "blocked": 1,
        "unchanged": 4,
        "unmanaged": 2,
    }
    update = data["changes"][1]
    assert update == {
        "action": "update",
        "id": "cd-1",
        "name": "Alpha",
        "file": "campaigns/alpha.yaml",
        "diff": [{"path": "name", "before": "alpha", "after": "Alpha"}],
    }
    blocked = data["changes"][3]
    assert blocked["reason"] == "the campaign is Active and can't be edited"
    assert all("reason" not in c for c in data["changes"] if c["action"] != "blocked")
    assert data["changes"][0]["id"] is None
    # no body, no updatedAt: those belong to the saved plan only
    assert "body" not in json.dumps(data)
    json.dumps(data)  # plain JSON


def test_blocked_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        Change("blocked", "b", "cd-1", None)


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="action"):
        Change("rename", "b", "cd-1", None)  # type: ignore[arg-type]


def test_diff_given_as_a_list_becomes_a_tuple() -> None:
    change = Change("update", "a", "cd-1", None, diff=[FieldDiff("name", "a", "b")])  # type: ignore[arg-type]
    assert change.diff == (FieldDiff("name", "a", "b"),)
