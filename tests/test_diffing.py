"""The comparison rules (campsync.sync.diffing): for each rule, no spurious diff on data
the platform returns in its own shape, and a real difference reported with the
right path, before (platform) and after (file)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from campsync.sync.diffing import Comparison, compare, creation_diff
from campsync.sync.plan import FieldDiff
from tests.test_model import (
    FLOW_ID,
    FLOWS,
    SAMPLE_LIST_ITEM,
    SAMPLE_REQUEST,
    SAMPLE_RESPONSE_DATA,
    platform_form_of,
    sample_live,
)


def run(
    desired: dict[str, Any],
    live: dict[str, Any] | None = None,
    list_item: dict[str, Any] | None = None,
    *,
    flows: dict[str, str] | None = None,
    listed_type: str = "voice",
) -> Comparison:
    return compare(
        desired,
        sample_live() if live is None else live,
        SAMPLE_LIST_ITEM if list_item is None else list_item,
        experience_flows=FLOWS if flows is None else flows,
        listed_type=listed_type,
    )


def only(comparison: Comparison) -> FieldDiff:
    assert len(comparison.diffs) == 1, comparison.diffs
    return comparison.diffs[0]


def edited(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(data)
    result.update(changes)
    return result


def days_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    days: list[dict[str, Any]] = data["dialingStrategy"]["callingHours"]["days"]
    return days


# --- the reference samples ---------------------------------------------------------


def test_sample_request_against_its_platform_answer_is_no_change() -> None:
    result = run(SAMPLE_REQUEST)
    assert result == Comparison((), ())
    assert not result.diffs


def test_the_reference_pair_differs_only_in_the_description() -> None:
    diff = only(run(SAMPLE_REQUEST, SAMPLE_RESPONSE_DATA))
    assert diff.path == "description"
    assert diff.before == SAMPLE_RESPONSE_DATA["description"]
    assert diff.after == SAMPLE_REQUEST["description"]


def test_max_ring_time_change() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    desired["dialingStrategy"]["maxRingTime"] = 45
    assert only(run(desired)) == FieldDiff("dialingStrategy.maxRingTime", 30, 45)


def test_several_changes_come_in_field_order() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    desired["dialingStrategy"]["maxRingTime"] = 45
    desired["name"] = "Renamed"
    desired["schedule"]["isSchedulingEnabled"] = True
    days_of(desired)[4]["end"] = "5:00 PM"
    days_of(desired)[0]["end"] = "5:00 PM"
    paths = [d.path for d in run(desired).diffs]
    assert paths == [
        "name",
        "dialingStrategy.callingHours.days[MO].end",
        "dialingStrategy.callingHours.days[FR].end",
        "dialingStrategy.maxRingTime",
        "schedule.isSchedulingEnabled",
    ]


# --- fields the file leaves out are unmanaged ---------------------------------------


def test_field_left_out_is_no_change_whatever_the_platform_holds() -> None:
    live = sample_live()
    live["maxSkips"] = 7
    live["queue_name"] = "Some Queue"
    assert run(SAMPLE_REQUEST, live).diffs == ()


def test_field_the_file_sets_is_compared() -> None:
    assert only(run(edited(SAMPLE_REQUEST, maxSkips=2))) == FieldDiff("maxSkips", 1, 2)


def test_field_the_platform_lacks_is_reported_from_nothing() -> None:
    live = sample_live()
    del live["maxSkips"]
    assert only(run(edited(SAMPLE_REQUEST, maxSkips=2), live)) == FieldDiff("maxSkips", None, 2)


def test_nested_field_left_out_is_no_change() -> None:
    live = sample_live()
    live["schedule"]["isRecurrenceEnabled"] = True
    live["dialingStrategy"]["callerId"]["extension"] = "12"
    assert run(SAMPLE_REQUEST, live).diffs == ()


def test_nested_field_the_file_sets_is_compared() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    desired["schedule"]["isRecurrenceEnabled"] = True
    assert only(run(desired)) == FieldDiff("schedule.isRecurrenceEnabled", False, True)


def test_whole_object_missing_on_the_platform() -> None:
    live = sample_live()
    del live["schedule"]
    assert only(run(SAMPLE_REQUEST, live)) == FieldDiff(
        "schedule", None, {"isSchedulingEnabled": False}
    )


# --- server-managed fields ------------------------------------------------------------


def test_server_managed_fields_are_ignored() -> None:
    live = sample_live()
    live.update(
        _id="cd-other",
        id="cd-other",
        lname="something else",
        status="Completed",
        createdAt="2020-01-01T00:00:00Z",
        updatedAt="2030-01-01T00:00:00Z",
        isFiltersEnabled=True,
    )
    live["dialingStrategy"]["useSystemMappings"] = True
    for day in days_of(live):
        day["_id"] = "d-1"
    desired = edited(SAMPLE_REQUEST, id="cd-10c85a3-57a3-4d2d-aad4-b09344axxxxx")
    assert run(desired, live).diffs == ()


def test_server_managed_fields_do_not_hide_a_real_change() -> None:
    live = sample_live()
    live.update(status="Completed", updatedAt="2030-01-01T00:00:00Z")
    live["dialingStrategy"]["maxAttemptsPerRecord"] = 5
    diff = only(run(SAMPLE_REQUEST, live))
    assert diff == FieldDiff("dialingStrategy.maxAttemptsPerRecord", 5, 3)


def test_the_id_in_a_file_is_never_a_diff() -> None:
    assert run(edited(SAMPLE_REQUEST, id="cd-something-else")).diffs == ()


def test_the_run_state_in_a_file_is_never_a_diff() -> None:
    # Whatever the platform holds (its status, or a `state` of its own), `state` is compared
    # with the listed status by sync/runstate.py, never as a field.
    live = sample_live()
    live.update(status="Active", state="stopped")
    assert run(edited(SAMPLE_REQUEST, state="running"), live).diffs == ()
    assert run(edited(SAMPLE_REQUEST, state="stopped")).diffs == ()
    assert "state" not in [d.path for d in creation_diff(edited(SAMPLE_REQUEST, state="running"))]


# --- key order, days, times, numbers -------------------------------------------------


def test_key_order_is_no_change() -> None:
    desired = dict(reversed(list(copy.deepcopy(SAMPLE_REQUEST).items())))
    desired["dialingStrategy"] = dict(reversed(list(desired["dialingStrategy"].items())))
    assert run(desired).diffs == ()


def test_order_of_days_is_no_change() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    days_of(desired).reverse()
    days_of(desired).insert(0, days_of(desired).pop(2))
    assert run(desired).diffs == ()


def test_changed_day_end_is_keyed_by_day() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    days_of(desired)[1]["end"] = "8:00 PM"
    days_of(desired).reverse()  # and reordered: still only the one change
    assert only(run(desired)) == FieldDiff(
        "dialingStrategy.callingHours.days[TU].end", "6:00 PM", "8:00 PM"
    )


def test_added_day() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    saturday = {"day": "SA", "start": "10:00 AM", "end": "2:00 PM"}
    days_of(desired).append(saturday)
    assert only(run(desired)) == FieldDiff("dialingStrategy.callingHours.days[SA]", None, saturday)


def test_removed_day() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    days_of(desired).pop()  # FR
    assert only(run(desired)) == FieldDiff(
        "dialingStrategy.callingHours.days[FR]",
        {"start": "9:00 AM", "end": "6:00 PM", "day": "FR"},
        None,
    )


def test_two_blocks_on_one_day_in_any_order() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    live = sample_live()
    morning = {"day": "SA", "start": "9:00 AM", "end": "12:00 PM"}
    evening = {"day": "SA", "start": "4:00 PM", "end": "7:00 PM"}
    days_of(desired).extend([morning, evening])
    days_of(live).extend([dict(evening), dict(morning)])
    assert run(desired, live).diffs == ()
    days_of(desired)[-1]["end"] = "8:00 PM"
    diff = only(run(desired, live))
    assert diff.path.startswith("dialingStrategy.callingHours.days[SA")
    assert (diff.before, diff.after) == ("7:00 PM", "8:00 PM")


def test_times_compare_as_times() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    days_of(desired)[0]["start"] = "09:00 am"
    days_of(desired)[0]["end"] = "6:00 P.M."
    assert run(desired).diffs == ()
    days_of(desired)[0]["start"] = "09:30 am"
    assert only(run(desired)) == FieldDiff(
        "dialingStrategy.callingHours.days[MO].start", "9:00 AM", "9:30 AM"
    )


def test_numbers_compare_by_value() -> None:
    live = sample_live()
    live["dialingStrategy"]["maxRingTime"] = 30.0
    assert run(SAMPLE_REQUEST, live).diffs == ()
    live["dialingStrategy"]["maxRingTime"] = 30.5
    assert only(run(SAMPLE_REQUEST, live)) == FieldDiff("dialingStrategy.maxRingTime", 30.5, 30)


def test_boolean_is_not_a_number() -> None:
    desired = copy.deepcopy(SAMPLE_REQUEST)
    desired["schedule"]["isSchedulingEnabled"] = 0
    assert only(run(desired)) == FieldDiff("schedule.isSchedulingEnabled", False, 0)


# --- priority, dncLists, contactLists -------------------------------------------------


def test_priority_number_equals_string() -> None:
    assert run(edited(SAMPLE_REQUEST, priority=5)).diffs == ()
    live = sample_live()
    live["priority"] = 5
    assert run(SAMPLE_REQUEST, live).diffs == ()


def test_priority_change() -> None:
    assert only(run(edited(SAMPLE_REQUEST, priority=2))) == FieldDiff("priority", "5", "2")


def test_dnc_list_compared_by_name() -> None:
    assert run(SAMPLE_REQUEST).diffs == ()  # live has {id, name}, the file {name}
    desired = edited(SAMPLE_REQUEST, dncLists={"name": "DNC Other"})
    assert only(run(desired)) == FieldDiff("dncLists.name", "DNC CL Dec 4", "DNC Other")


def test_contact_lists_order_is_no_change() -> None:
    live = sample_live()
    live["contactLists"] = ["B list", "A list"]
    assert run(edited(SAMPLE_REQUEST, contactLists=["A list", "B list"]), live).diffs == ()


def test_changed_contact_lists_are_reported_whole() -> None:
    live = sample_live()
    live["contactLists"] = ["A list", "B list"]
    desired = edited(SAMPLE_REQUEST, contactLists=["A list", "C list", "B list"])
    assert only(run(desired, live)) == FieldDiff(
        "contactLists", ["A list", "B list"], ["A list", "C list", "B list"]
    )


# --- fields compared through what the platform returns --------------------------------


def test_queue_compared_with_the_list_connection() -> None:
    item = {**SAMPLE_LIST_ITEM, "connection": "Support Queue"}
    desired = edited(SAMPLE_REQUEST, queue_name="Support Queue", dialingMode="Progressive")
    live = edited(sample_live(), dialingMode="Progressive")
    assert run(desired, live, item).diffs == ()
    item["connection"] = "Sales Queue"
    assert only(run(desired, live, item)) == FieldDiff("queue_name", "Sales Queue", "Support Queue")


def test_queue_missing_from_the_list_item_is_a_diff() -> None:
    desired = edited(SAMPLE_REQUEST, queue_name="Support Queue")
    assert only(run(desired)) == FieldDiff("queue_name", None, "Support Queue")


def test_mapped_experience_flow_with_the_same_id_is_no_change() -> None:
    assert run(SAMPLE_REQUEST).warnings == ()
    assert run(SAMPLE_REQUEST).diffs == ()


def test_mapped_experience_flow_with_another_id_names_both() -> None:
    flows = {**FLOWS, "Callback Flow": "cf-callback"}
    desired = edited(SAMPLE_REQUEST, experienceFlowName="Callback Flow")
    assert only(run(desired, flows=flows)) == FieldDiff(
        "experienceFlowName", "Voice Survey Entry Flow", "Callback Flow"
    )


def test_mapped_experience_flow_against_an_unknown_id_shows_the_id() -> None:
    live = edited(sample_live(), experienceFlow="cf-unmapped")
    assert only(run(SAMPLE_REQUEST, live)) == FieldDiff(
        "experienceFlowName", "cf-unmapped", "Voice Survey Entry Flow"
    )
    del live["experienceFlow"]
    assert only(run(SAMPLE_REQUEST, live)) == FieldDiff(
        "experienceFlowName", None, "Voice Survey Entry Flow"
    )


def test_unmapped_experience_flow_is_a_warning_not_a_diff() -> None:
    live = edited(sample_live(), experienceFlow="cf-anything")
    result = run(SAMPLE_REQUEST, live, flows={})
    assert result.diffs == ()
    assert result.warnings == (
        "campaign 'Product Feedback Voice Campaign-3.5': experienceFlowName"
        " 'Voice Survey Entry Flow' is not comparable: add it to experienceFlows in"
        " campsync.yaml (name: cf-...)",
    )


def test_unmapped_experience_flow_does_not_hide_other_changes() -> None:
    desired = edited(SAMPLE_REQUEST, priority="1")
    result = run(desired, flows={})
    assert only(result) == FieldDiff("priority", "5", "1")
    assert len(result.warnings) == 1


def test_campaign_type_compared_with_the_listed_type() -> None:
    assert run(SAMPLE_REQUEST, listed_type="voice").diffs == ()
    assert only(run(SAMPLE_REQUEST, listed_type="sms")) == FieldDiff("campaignType", "sms", "voice")


def test_enable_machine_detect_is_not_compared() -> None:
    result = run(edited(SAMPLE_REQUEST, enableMachineDetect="disconnect"))
    assert result == Comparison((), ())


def test_a_file_without_the_flow_needs_no_mapping() -> None:
    desired = edited(SAMPLE_REQUEST)
    del desired["experienceFlowName"]
    assert run(desired, flows={}) == Comparison((), ())


# --- creation diff --------------------------------------------------------------------


def test_creation_diff_lists_every_field_from_nothing() -> None:
    diffs = creation_diff(edited(SAMPLE_REQUEST, id="cd-x", priority=5))
    paths = [d.path for d in diffs]
    assert all(d.before is None for d in diffs)
    assert "id" not in paths
    assert FieldDiff("priority", None, "5") in diffs
    assert FieldDiff("dncLists.name", None, "DNC CL Dec 4") in diffs
    assert FieldDiff("dialingStrategy.maxRingTime", None, 30) in diffs
    # every calling-hours day on a line of its own, keyed by day as in an update's diff
    assert (
        FieldDiff(
            "dialingStrategy.callingHours.days[TU]", None, {"start": "9:00 AM", "end": "6:00 PM"}
        )
        in diffs
    )
    assert [p for p in paths if "days[" in p] == [
        f"dialingStrategy.callingHours.days[{d}]" for d in ("MO", "TU", "WE", "TH", "FR")
    ]
    assert FieldDiff("contactLists", None, ["CL Only 2020 Dec 4"]) in diffs
    # the top-level order of the request is kept
    tops = list(dict.fromkeys(p.split(".")[0].split("[")[0] for p in paths))
    assert tops == [k for k in SAMPLE_REQUEST if k != "id"]


def test_field_diff_json() -> None:
    assert FieldDiff("a.b", 1, None).to_json() == {"path": "a.b", "before": 1, "after": None}


# --- properties -----------------------------------------------------------------------

hostile_text = st.text(max_size=40) | st.sampled_from(
    ["", "\n", "\x1b[31mred", "\u202eevil", "a|b`c", "ש" * 60, "\x00", "x" * 500]
)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)
day_codes = st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
times = st.sampled_from(["9:00 AM", "6:00 PM", "12:30 PM", "07:15 am"])
days = st.lists(
    st.fixed_dictionaries({"day": day_codes, "start": times, "end": times}),
    max_size=7,
    unique_by=lambda d: d["day"],
)
campaigns = st.fixed_dictionaries(
    {"name": hostile_text},
    optional={
        "id": st.just("cd-1"),
        "description": hostile_text,
        "contactLists": st.lists(hostile_text, max_size=3),
        "dncLists": st.fixed_dictionaries({"name": hostile_text}),
        "priority": st.integers(1, 5) | st.sampled_from(["1", "2", "3", "4", "5"]),
        "dialingMode": st.sampled_from(["Agentless", "Progressive", "Preview"]),
        "dialingStrategy": st.fixed_dictionaries(
            {},
            optional={
                "callerId": st.fixed_dictionaries({"phoneNumber": hostile_text}),
                "callingHours": st.fixed_dictionaries(
                    {},
                    optional={
                        "frequency": st.sampled_from(["WEEKLY", "DAILY"]),
                        "timezone": hostile_text,
                        "days": days,
                    },
                ),
                "maxRingTime": st.integers(5, 120),
                "dialingOrder": st.sampled_from(["FIFO", "LIFO"]),
            },
        ),
        "schedule": st.fixed_dictionaries(
            {"isSchedulingEnabled": st.booleans()},
            optional={"isRecurrenceEnabled": st.booleans()},
        ),
        "experienceFlowName": st.just("Voice Survey Entry Flow"),
        "queue_name": hostile_text,
        "maxSkips": st.integers(0, 10),
        "enableMachineDetect": st.sampled_from(["no", "detect"]),
        "campaignType": st.just("voice"),
    },
)


@settings(max_examples=50, deadline=None)
@given(campaigns)
def test_property_a_campaign_against_its_own_platform_form_is_no_change(
    data: dict[str, Any],
) -> None:
    live, item = platform_form_of(data)
    assert run(data, live, item) == Comparison((), ())


@settings(max_examples=50, deadline=None)
@given(campaigns, campaigns)
def test_property_two_campaigns_compare_without_raising(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    live, item = platform_form_of(b)
    result = run(a, live, item)
    for diff in result.diffs:
        assert isinstance(diff.path, str) and diff.path
        assert diff.before != diff.after


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(hostile_text, json_values, max_size=6), json_values, json_values)
def test_property_hostile_shapes_never_raise(desired: dict[str, Any], live: Any, item: Any) -> None:
    live = live if isinstance(live, dict) else {"dialingStrategy": live}
    item = item if isinstance(item, dict) else {"connection": item}
    result = compare(desired, live, item, experience_flows=FLOWS, listed_type="voice")
    assert isinstance(result, Comparison)


def test_flow_id_constant_matches_the_sample() -> None:
    assert SAMPLE_RESPONSE_DATA["experienceFlow"] == FLOW_ID


def test_round_trip_yaml_types_compare_as_builtins() -> None:
    from io import StringIO

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    text = StringIO()
    yaml.dump(SAMPLE_REQUEST, text)
    text.write("maxSkips: &skips 1\n")
    loaded = yaml.load(text.getvalue())
    assert type(loaded).__name__ == "CommentedMap"
    live = sample_live()
    live["dialingStrategy"]["maxRingTime"] = 30.0
    assert run(loaded, live) == Comparison((), ())
    loaded["dialingStrategy"]["maxRingTime"] = 45
    assert only(run(loaded, live)) == FieldDiff("dialingStrategy.maxRingTime", 30, 45)


def test_an_integer_valued_float_in_the_file_equals_the_platform_integer() -> None:
    """Issue 10, item 5: a file may write 45.0 (an integer to JSON Schema); the platform
    holds 45: no change. A create shows (and sends) 45."""
    desired = copy.deepcopy(SAMPLE_REQUEST)
    desired["dialingStrategy"]["maxRingTime"] = 45.0
    live = sample_live()
    live["dialingStrategy"]["maxRingTime"] = 45
    assert run(desired, live) == Comparison((), ())
    shown = {d.path: d.after for d in creation_diff(desired)}
    assert shown["dialingStrategy.maxRingTime"] == 45
    assert type(shown["dialingStrategy.maxRingTime"]) is int
    live["dialingStrategy"]["maxRingTime"] = 30
    assert only(run(desired, live)) == FieldDiff("dialingStrategy.maxRingTime", 30, 45)
