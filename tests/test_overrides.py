"""campaign.overrides (merge, provenance, unmerge) and campaign.globs: pure, no files."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campsync.campaign.globs import matches
from campsync.campaign.overrides import effective, layers_for, merge, unmerge

FILE: dict[str, Any] = {
    "name": "Q4 Renewals",
    "priority": 3,
    "contactLists": ["A", "B"],
    "dialingStrategy": {
        "callerId": {"phoneNumber": "+13125550188"},
        "maxRingTime": 30,
        "callingHours": {"timezone": "America/Chicago", "days": [{"day": "MO"}]},
    },
    "maxSkips": 2,
}


def test_mappings_merge_lists_replace_null_removes() -> None:
    merged = merge(
        FILE,
        [
            ("*", {"dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}}}),
            ("q4 renewals", {"contactLists": ["C"], "maxSkips": None, "priority": 1}),
        ],
    )
    data = merged.data
    assert data["dialingStrategy"] == {
        "callerId": {"phoneNumber": "+14845550100"},
        "maxRingTime": 30,
        "callingHours": {"timezone": "America/Chicago", "days": [{"day": "MO"}]},
    }
    assert data["contactLists"] == ["C"]
    assert "maxSkips" not in data
    assert data["priority"] == 1
    assert FILE["dialingStrategy"]["callerId"]["phoneNumber"] == "+13125550188"  # not shared


def test_the_campaigns_own_entry_wins_over_every_campaigns() -> None:
    merged = merge(FILE, [("*", {"priority": 5, "maxSkips": None}), ("Q4", {"maxSkips": 4})])
    assert merged.data["priority"] == 5
    assert merged.data["maxSkips"] == 4
    assert merged.origin(("maxSkips",)) == "Q4"
    assert merged.origin(("priority",)) == "*"


def test_origin_names_the_entry_each_value_came_from() -> None:
    merged = merge(
        FILE,
        [
            ("*", {"dialingStrategy": {"callerId": {"phoneNumber": "+1"}}, "schedule": {"a": 1}}),
            ("Q4", {"contactLists": ["C"], "description": None}),
        ],
    )
    assert merged.origin(("name",)) is None
    assert merged.origin(("dialingStrategy",)) is None  # merged key by key: the file's mapping
    assert merged.origin(("dialingStrategy", "maxRingTime")) is None
    assert merged.origin(("dialingStrategy", "callerId", "phoneNumber")) == "*"
    assert merged.origin(("schedule",)) == "*"  # introduced by the override
    assert merged.origin(("schedule", "isSchedulingEnabled")) == "*"  # missing inside it too
    assert merged.origin(("contactLists", 0)) == "Q4"
    assert merged.origin(("description",)) == "Q4"  # removed there


def test_a_later_layer_replacing_a_mapping_takes_its_whole_subtree() -> None:
    merged = merge(FILE, [("*", {"schedule": {"a": 1}}), ("Q4", {"schedule": 7})])
    assert merged.data["schedule"] == 7
    assert merged.origin(("schedule", "a")) == "Q4"


def test_a_null_inside_a_new_mapping_removes_nothing() -> None:
    merged = merge({"name": "x"}, [("*", {"schedule": {"isSchedulingEnabled": None, "b": 1}})])
    assert merged.data["schedule"] == {"b": 1}


def test_layers_for_matches_the_files_name_ignoring_case() -> None:
    overrides: dict[str, Any] = {"*": {"a": 1}, "q4 RENEWALS": {"b": 2}, "Other": {"c": 3}}
    assert layers_for("Q4 Renewals", overrides) == [("*", {"a": 1}), ("q4 RENEWALS", {"b": 2})]
    assert layers_for("Nobody", overrides) == [("*", {"a": 1})]
    assert layers_for(None, {"Other": {}}) == []


def test_unmerge_leaves_out_what_the_overrides_supply() -> None:
    platform = {
        "name": "Q4 Renewals",
        "priority": "1",
        "dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}, "maxRingTime": 30},
        "maxSkips": 2,
        "description": "staging's own",
    }
    layers = [
        ("*", {"dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}}}),
        ("Q4 Renewals", {"priority": 1, "maxSkips": None, "description": "other text"}),
    ]
    stripped = unmerge(platform, layers)
    assert stripped == {
        "name": "Q4 Renewals",
        "dialingStrategy": {"maxRingTime": 30},
        "description": "staging's own",  # differs from the override: the platform's value
    }
    # Merging the overrides back gives the platform's campaign where they agree with it.
    assert merge(stripped, layers).data == {
        "name": "Q4 Renewals",
        "priority": 1,
        "dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}, "maxRingTime": 30},
        "description": "other text",
    }


def test_effective_combines_layers_with_removals() -> None:
    combined = effective([("*", {"a": {"b": 1, "c": 2}, "d": None}), ("x", {"a": {"c": None}})])
    assert combined == {"a": {"b": 1, "c": None}, "d": None}


# Field-like keys and values, the way overrides are written.
_leaf = st.one_of(st.integers(0, 3), st.sampled_from(["a", "b"]), st.lists(st.integers(0, 2)))
_tree = st.recursive(
    _leaf, lambda inner: st.dictionaries(st.sampled_from("pqrs"), inner, max_size=3), max_leaves=8
)
_mapping = st.dictionaries(st.sampled_from("pqrs"), _tree, max_size=4)
_override = st.dictionaries(st.sampled_from("pqrs"), st.one_of(st.none(), _tree), max_size=3)


@given(_mapping, _override, _override)
def test_unmerge_then_merge_gives_back_what_the_overrides_agree_with(
    platform: dict[str, Any], every: dict[str, Any], own: dict[str, Any]
) -> None:
    layers = [("*", every), ("own", own)]
    target = merge(platform, layers).data  # a platform that holds every override's value
    assert merge(unmerge(target, layers), layers).data == target


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("common/a.yaml", ["common/**"], True),
        ("common/deep/a.yaml", ["common/**"], True),
        ("commons/a.yaml", ["common/**"], False),
        ("a.yaml", ["*.yaml"], True),
        ("team/a.yaml", ["*.yaml"], False),
        ("team/a.yaml", ["**/*.yaml"], True),
        ("a.yaml", ["**/a.yaml"], True),
        ("x/y/a.yaml", ["x/**/a.yaml"], True),
        ("x/a.yaml", ["x/**/a.yaml"], True),
        ("staging/b.yml", ["common/**", "staging/**"], True),
        ("production/b.yml", ["common/**", "staging/**"], False),
        ("q1.yaml", ["q[0-9].yaml"], True),
        ("qa.yaml", ["q[!0-9].yaml"], True),
        ("q1.yaml", ["q[!0-9].yaml"], False),
        ("a.yaml", ["?.yaml"], True),
        ("(a).yaml", ["(a).yaml"], True),
    ],
)
def test_globs(path: str, patterns: list[str], expected: bool) -> None:
    assert matches(path, patterns) is expected
