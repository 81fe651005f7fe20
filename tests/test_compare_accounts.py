"""Comparing two accounts (campsync.sync.compare, diffing.compare_live, overrides.overridden):
pure, over plain values: the same file under two environments, each matched in its own
account, and only what differs beyond the environments' overrides is a difference."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from campsync.campaign.overrides import merge, overridden
from campsync.sync.compare import (
    AccountView,
    FileView,
    Found,
    compare_accounts,
    without,
)
from campsync.sync.diffing import Live, compare_live
from campsync.sync.inventory import Listed
from campsync.sync.plan import FieldDiff
from tests.test_model import SAMPLE_REQUEST, platform_form_of

FLOWS_A = {"Voice Survey Entry Flow": "cf-aaaaaaaa-0000-4000-8000-000000000001"}
FLOWS_B = {"Voice Survey Entry Flow": "cf-bbbbbbbb-0000-4000-8000-000000000002"}
FILE = "campaigns/feedback.yaml"


def found(data: dict[str, Any], flows: dict[str, str], campaign_id: str) -> Found:
    """The campaign an account holds for `data`, in the platform's shapes (its own id and
    its own flow id)."""
    live, item = platform_form_of(data, flows)
    live["_id"] = item["_id"] = campaign_id
    entry = Listed(campaign_id, str(data["name"]), live["updatedAt"], "Ready", "voice", item)
    return Found(entry, live)


def view(
    file_data: dict[str, Any],
    overrides: dict[str, Any] | None = None,
    *,
    platform: dict[str, Any] | None = None,
    flows: dict[str, str] = FLOWS_A,
    campaign_id: str = "cd-a1",
    present: bool = True,
    file: str = FILE,
) -> FileView:
    """The file as an environment with these overrides (for every campaign) sees it, matched
    to a campaign that holds `platform` (default: exactly the merged file)."""
    layers = [("*", overrides)] if overrides else []
    merged = merge(file_data, layers).data
    held = merged if platform is None else platform
    return FileView(
        file,
        merged,
        overridden(layers),
        found(held, flows, campaign_id) if present else None,
    )


def accounts(a: FileView, b: FileView, **options: Any) -> Any:
    return compare_accounts(
        AccountView("staging", [a], experience_flows=FLOWS_A, **options),
        AccountView("production", [b], experience_flows=FLOWS_B),
    )


def edited(data: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(data)
    node = result
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return result


# --- the same campaign in both accounts ---------------------------------------------------


def test_accounts_holding_the_file_alike_are_the_same_despite_ids_and_flow_ids() -> None:
    a = view(SAMPLE_REQUEST, campaign_id="cd-a1")
    b = view(SAMPLE_REQUEST, flows=FLOWS_B, campaign_id="cd-b7")
    result = accounts(a, b)
    assert result.campaigns == ()
    assert result.same == 1
    assert not result.has_differences
    assert result.warnings == ()


def test_a_platform_edit_in_one_account_is_a_difference_with_both_values() -> None:
    edited_b = edited(SAMPLE_REQUEST, ("dialingStrategy", "maxRingTime"), 45)
    a = view(SAMPLE_REQUEST)
    b = view(SAMPLE_REQUEST, platform=edited_b, flows=FLOWS_B, campaign_id="cd-b7")
    result = accounts(a, b)
    assert result.has_differences
    (campaign,) = result.campaigns
    assert campaign.kind == "different"
    assert (campaign.name, campaign.file) == (SAMPLE_REQUEST["name"], FILE)
    assert (campaign.id_a, campaign.id_b) == ("cd-a1", "cd-b7")
    assert campaign.diff == (FieldDiff("dialingStrategy.maxRingTime", 30, 45),)
    assert result.same == 0


def test_what_an_override_sets_in_either_environment_is_not_compared() -> None:
    staging = {"dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}}}
    production = {"priority": 1}
    a = view(SAMPLE_REQUEST, staging)
    b = view(SAMPLE_REQUEST, production, flows=FLOWS_B, campaign_id="cd-b7")
    # each account holds its own environment's values: they differ on purpose
    assert a.data["dialingStrategy"]["callerId"] != b.data["dialingStrategy"]["callerId"]
    assert a.data["priority"] != b.data["priority"]
    assert accounts(a, b).campaigns == ()


def test_an_override_does_not_hide_the_fields_next_to_it() -> None:
    staging = {"dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}}}
    drifted = edited(
        merge(SAMPLE_REQUEST, [("*", staging)]).data, ("dialingStrategy", "dialingOrder"), "LIFO"
    )
    a = view(SAMPLE_REQUEST, staging, platform=drifted)
    b = view(SAMPLE_REQUEST, flows=FLOWS_B, campaign_id="cd-b7")
    (campaign,) = accounts(a, b).campaigns
    assert campaign.diff == (FieldDiff("dialingStrategy.dialingOrder", "LIFO", "FIFO"),)


def test_a_field_an_override_removes_in_one_environment_is_not_compared() -> None:
    a = view(SAMPLE_REQUEST, {"description": None})
    platform = edited(SAMPLE_REQUEST, ("description",), "edited by hand in production")
    b = view(SAMPLE_REQUEST, platform=platform, flows=FLOWS_B, campaign_id="cd-b7")
    assert accounts(a, b).campaigns == ()


def test_a_field_the_file_leaves_out_is_no_difference() -> None:
    file_data = {k: v for k, v in SAMPLE_REQUEST.items() if k != "description"}
    platform_a = {**file_data, "description": "one"}
    platform_b = {**file_data, "description": "two", "maxSkips": 5}
    a = view(file_data, platform=platform_a)
    b = view(file_data, platform=platform_b, flows=FLOWS_B, campaign_id="cd-b7")
    assert accounts(a, b).campaigns == ()


def test_values_compare_as_plan_compares_them() -> None:
    """Priority 5 equals "5", days in another order and "09:00 am" are the same days,
    contact lists are a set: no difference from spelling or order."""
    reshaped = copy.deepcopy(SAMPLE_REQUEST)
    reshaped["priority"] = 5
    days = reshaped["dialingStrategy"]["callingHours"]["days"]
    days.reverse()
    days[0]["start"] = "09:00 am"
    with_lists = {**SAMPLE_REQUEST, "contactLists": ["One", "Two"]}
    a = view(with_lists, platform={**with_lists, "contactLists": ["Two", "One"]})
    b = view(with_lists, platform={**reshaped, "contactLists": ["One", "Two"]}, flows=FLOWS_B)
    assert accounts(a, b).campaigns == ()


def test_a_day_added_on_one_platform_is_a_difference_keyed_by_day() -> None:
    extra = copy.deepcopy(SAMPLE_REQUEST)
    extra["dialingStrategy"]["callingHours"]["days"].append(
        {"day": "SA", "start": "10:00 AM", "end": "2:00 PM"}
    )
    a = view(SAMPLE_REQUEST, platform=extra)
    b = view(SAMPLE_REQUEST, flows=FLOWS_B, campaign_id="cd-b7")
    (campaign,) = accounts(a, b).campaigns
    (diff,) = campaign.diff
    assert diff.path == "dialingStrategy.callingHours.days[SA]"
    assert diff.before == {"day": "SA", "start": "10:00 AM", "end": "2:00 PM"}
    assert diff.after is None


def test_flows_compare_by_the_name_each_accounts_mapping_gives() -> None:
    other_flow = "Payment Reminder Flow"
    flows_b = {**FLOWS_B, other_flow: "cf-bbbbbbbb-0000-4000-8000-000000000003"}
    a = view(SAMPLE_REQUEST)
    moved = {**SAMPLE_REQUEST, "experienceFlowName": other_flow}
    b = view(SAMPLE_REQUEST, platform=moved, flows=flows_b, campaign_id="cd-b7")
    result = compare_accounts(
        AccountView("staging", [a], experience_flows=FLOWS_A),
        AccountView("production", [b], experience_flows=flows_b),
    )
    (campaign,) = result.campaigns
    assert campaign.diff == (
        FieldDiff("experienceFlowName", "Voice Survey Entry Flow", other_flow),
    )


def test_a_flow_one_mapping_lacks_is_not_compared_and_a_warning_says_so() -> None:
    a = view(SAMPLE_REQUEST)
    b = view(SAMPLE_REQUEST, flows=FLOWS_B, campaign_id="cd-b7")
    result = compare_accounts(
        AccountView("staging", [a], experience_flows=FLOWS_A),
        AccountView("production", [b], experience_flows={}),
    )
    assert result.campaigns == ()
    assert result.same == 1
    (warning,) = result.warnings
    assert "experienceFlowName 'Voice Survey Entry Flow' is not comparable" in warning


def test_the_queue_compares_by_the_listed_connection() -> None:
    progressive = {
        **{k: v for k, v in SAMPLE_REQUEST.items() if k != "experienceFlowName"},
        "dialingMode": "Progressive",
        "queue_name": "Collections Queue",
    }
    a = view(progressive, platform={**progressive, "queue_name": "Other Queue"})
    b = view(progressive, flows=FLOWS_B, campaign_id="cd-b7")
    (campaign,) = accounts(a, b).campaigns
    assert campaign.diff == (FieldDiff("queue_name", "Other Queue", "Collections Queue"),)


@settings(max_examples=60, deadline=None)
@given(
    field=st.sampled_from(["description", "priority", "dialingMode", "maxSkips"]),
    value_a=st.one_of(st.text(max_size=8), st.integers(1, 5)),
    value_b=st.one_of(st.text(max_size=8), st.integers(1, 5)),
)
def test_an_overridden_field_never_differs_whatever_the_accounts_hold(
    field: str, value_a: Any, value_b: Any
) -> None:
    file_data = {**SAMPLE_REQUEST, "maxSkips": 1}
    a = view(file_data, {field: value_a}, platform={**file_data, field: value_a})
    b = view(file_data, platform={**file_data, field: value_b}, flows=FLOWS_B)
    assert accounts(a, b).campaigns == ()


# --- campaigns in one account only, files in one environment only ----------------------------


def test_a_campaign_one_account_lacks_is_a_difference_saying_what_it_lacks() -> None:
    a = view(SAMPLE_REQUEST)
    b = view(SAMPLE_REQUEST, flows=FLOWS_B, present=False)
    (campaign,) = accounts(a, b).campaigns
    assert campaign.kind == "only_in_a"
    assert (campaign.id_a, campaign.id_b) == ("cd-a1", None)
    assert campaign.reason == (
        "no campaign named 'Product Feedback Voice Campaign-3.5' in 'production'"
    )
    reverse = accounts(view(SAMPLE_REQUEST, present=False), view(SAMPLE_REQUEST, flows=FLOWS_B))
    (campaign,) = reverse.campaigns
    assert campaign.kind == "only_in_b"
    assert campaign.reason is not None and campaign.reason.endswith("in 'staging'")


def test_an_environment_naming_an_id_its_account_lacks_says_the_id() -> None:
    a = view(SAMPLE_REQUEST)
    b = view(SAMPLE_REQUEST, {"id": "cd-missing"}, flows=FLOWS_B, present=False)
    (campaign,) = accounts(a, b).campaigns
    assert campaign.reason == "no campaign with id cd-missing in 'production'"


def test_a_campaign_in_neither_account_and_a_file_of_one_environment_are_not_compared() -> None:
    nowhere_a = view(SAMPLE_REQUEST, present=False, file="campaigns/new.yaml")
    nowhere_b = view(SAMPLE_REQUEST, flows=FLOWS_B, present=False, file="campaigns/new.yaml")
    staging_only = view({**SAMPLE_REQUEST, "name": "Staging Only"}, file="staging/x.yaml")
    production_only = view({**SAMPLE_REQUEST, "name": "Prod Only"}, file="production/y.yaml")
    result = compare_accounts(
        AccountView("staging", [nowhere_a, staging_only], unmanaged=["Zed", "alpha"]),
        AccountView("production", [nowhere_b, production_only], unmanaged=["Legacy"]),
    )
    assert not result.has_differences
    assert [(item.file, item.reason) for item in result.not_compared] == [
        ("campaigns/new.yaml", "no campaign in either account (apply would create it in both)"),
        ("production/y.yaml", "only environment 'production' has this file (its campaigns: globs)"),
        ("staging/x.yaml", "only environment 'staging' has this file (its campaigns: globs)"),
    ]
    assert result.unmanaged_a == ("alpha", "Zed")
    assert result.unmanaged_b == ("Legacy",)


def test_differences_come_in_kind_then_name_order() -> None:
    def pair(name: str, kind: str) -> tuple[FileView, FileView]:
        data = {**SAMPLE_REQUEST, "name": name}
        file = f"campaigns/{name}.yaml"
        changed = {**data, "description": "drifted"}
        return (
            view(data, file=file, present=kind != "b", platform=changed if kind == "~" else None),
            view(data, file=file, flows=FLOWS_B, present=kind != "a"),
        )

    pairs = [pair("delta", "a"), pair("Charlie", "~"), pair("bravo", "b"), pair("alpha", "~")]
    result = compare_accounts(
        AccountView("staging", [a for a, _ in pairs], experience_flows=FLOWS_A),
        AccountView("production", [b for _, b in pairs], experience_flows=FLOWS_B),
    )
    assert [(c.kind, c.name) for c in result.campaigns] == [
        ("different", "alpha"),
        ("different", "Charlie"),
        ("only_in_a", "delta"),
        ("only_in_b", "bravo"),
    ]
    assert result.summary == {
        "different": 2,
        "only_in_a": 1,
        "only_in_b": 1,
        "same": 0,
        "not_compared": 0,
    }


# --- the JSON ---------------------------------------------------------------------------------


def test_the_json_shape() -> None:
    a = view(SAMPLE_REQUEST, platform={**SAMPLE_REQUEST, "priority": "2"})
    b = view(SAMPLE_REQUEST, flows=FLOWS_B, campaign_id="cd-b7")
    gone_a = view({**SAMPLE_REQUEST, "name": "Gone"}, file="campaigns/gone.yaml")
    gone_b = view(
        {**SAMPLE_REQUEST, "name": "Gone"}, flows=FLOWS_B, present=False, file="campaigns/gone.yaml"
    )
    result = compare_accounts(
        AccountView("staging", [a, gone_a], unmanaged=["Old"], experience_flows=FLOWS_A),
        AccountView("production", [b, gone_b], experience_flows=FLOWS_B),
    )
    document = json.loads(json.dumps(result.to_json()))
    assert document == {
        "format_version": 1,
        "environments": {"a": "staging", "b": "production"},
        "campaigns": [
            {
                "kind": "different",
                "name": SAMPLE_REQUEST["name"],
                "file": FILE,
                "ids": {"a": "cd-a1", "b": "cd-b7"},
                "diff": [{"path": "priority", "a": "2", "b": "5"}],
            },
            {
                "kind": "only_in_a",
                "name": "Gone",
                "file": "campaigns/gone.yaml",
                "ids": {"a": "cd-a1", "b": None},
                "diff": [],
                "reason": "no campaign named 'Gone' in 'production'",
            },
        ],
        "summary": {"different": 1, "only_in_a": 1, "only_in_b": 0, "same": 0, "not_compared": 0},
        "not_compared": [],
        "unmanaged": {"a": ["Old"], "b": []},
        "warnings": [],
    }


# --- the pieces -------------------------------------------------------------------------------


def test_overridden_is_every_value_the_layers_set_or_remove() -> None:
    layers = [
        ("*", {"dialingStrategy": {"callerId": {"phoneNumber": "+1"}}, "priority": 2}),
        ("Feedback", {"priority": 3, "description": None, "schedule": {}}),
    ]
    assert overridden(layers) == {
        ("dialingStrategy", "callerId", "phoneNumber"),
        ("priority",),
        ("description",),
        ("schedule",),
    }
    assert overridden([]) == frozenset()


def test_without_removes_the_paths_and_the_mappings_they_empty() -> None:
    data = {"a": 1, "b": {"c": {"d": 2}}, "e": {"f": 3, "g": 4}}
    result = without(data, {("b", "c", "d"), ("e", "f"), ("missing",), ("a", "x")})
    assert result == {"a": 1, "e": {"g": 4}}
    assert data["b"] == {"c": {"d": 2}}  # the input is left alone


def test_compare_live_gives_a_as_before_and_b_as_after() -> None:
    live_a, item_a = platform_form_of({**SAMPLE_REQUEST, "description": "a"}, FLOWS_A)
    live_b, item_b = platform_form_of({**SAMPLE_REQUEST, "description": "b"}, FLOWS_B)
    comparison = compare_live(
        SAMPLE_REQUEST,
        Live(live_a, item_a, "voice", FLOWS_A),
        Live(live_b, item_b, "voice", FLOWS_B),
    )
    assert comparison.diffs == (FieldDiff("description", "a", "b"),)
