"""Where a difference came from (campsync.sync.origin), over real comparisons: a record of
the campaign when it agreed with its file (diffing.agreed_form), then a file edit, a
platform edit, both, or no record at all."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from campsync.sync.diffing import agreed_form, compare, listed_queue
from campsync.sync.origin import ORIGINS, Agreed, Origins, combined, diff_origin, origins_of
from campsync.sync.plan import FieldDiff
from tests.fixtures_emulator import progressive_body
from tests.test_model import FLOW_ID, FLOWS, SAMPLE_REQUEST, platform_form_of

THEN = "2025-12-04T11:19:47.030Z"
NOW = "2025-12-05T08:00:00.000Z"


def changed(data: dict[str, Any], *path: str, to: Any) -> dict[str, Any]:
    """A deep copy of `data` with the value at `path` set to `to` (None: removed)."""
    result = copy.deepcopy(data)
    *parents, last = path
    holder = result
    for key in parents:
        holder = holder[key]
    if to is None:
        del holder[last]
    else:
        holder[last] = to
    return result


def record(platform: dict[str, Any], flows: dict[str, str] = FLOWS) -> Agreed:
    """What campsync records of a campaign holding `platform`'s data, found equal at THEN."""
    live, item = platform_form_of(platform, flows)
    return Agreed(THEN, agreed_form(live, queue=listed_queue(item), campaign_type="voice"))


def diffs_of(
    file: dict[str, Any], platform: dict[str, Any], flows: dict[str, str] = FLOWS
) -> tuple[FieldDiff, ...]:
    """The differences a plan finds, with the mapping `flows` (the platform's flow ids are
    FLOWS' or, for a name only `flows` has, that one's)."""
    live, item = platform_form_of(platform, {**flows, **FLOWS})
    return compare(file, live, item, experience_flows=flows, listed_type="voice").diffs


def origins(
    file: dict[str, Any],
    platform: dict[str, Any],
    agreed: Agreed | None,
    *,
    updated_at: str | None = NOW,
    flows: dict[str, str] = FLOWS,
) -> Origins:
    diffs = diffs_of(file, platform, flows)
    assert diffs, "the test needs a difference"
    return origins_of(diffs, agreed, updated_at, flows)


BASE = SAMPLE_REQUEST
AGREED = record(BASE)


def test_a_record_of_an_equal_pair_finds_nothing_to_explain() -> None:
    assert diffs_of(BASE, BASE) == ()
    assert AGREED.form["experienceFlowName"] == FLOW_ID  # the flow by its id


def test_without_a_record_the_origin_is_unknown() -> None:
    found = origins(changed(BASE, "priority", to="1"), BASE, None)
    assert found == Origins("unknown", ("unknown",))


def test_a_platform_edit_is_the_platforms() -> None:
    platform = changed(BASE, "dialingStrategy", "maxRingTime", to=45)
    found = origins(BASE, platform, AGREED)
    assert found == Origins("platform", ("platform",))


def test_a_file_edit_is_the_files() -> None:
    file = changed(BASE, "dialingStrategy", "maxRingTime", to=45)
    assert origins(file, BASE, AGREED) == Origins("files", ("files",))


def test_while_updated_at_has_not_moved_every_difference_is_the_files() -> None:
    """The platform has not changed since the record (any write moves updatedAt): the
    values are not even looked at."""
    nonsense = Agreed(THEN, {"dialingStrategy": {"maxRingTime": 99}})
    file = changed(BASE, "dialingStrategy", "maxRingTime", to=45)
    assert origins(file, BASE, nonsense, updated_at=THEN) == Origins("files", ("files",))


def test_edits_on_both_sides_make_both() -> None:
    file = changed(BASE, "priority", to="1")
    platform = changed(BASE, "dialingStrategy", "maxRingTime", to=45)
    found = origins(file, platform, AGREED)
    by_path = dict(zip((d.path for d in diffs_of(file, platform)), found.diffs, strict=True))
    assert by_path == {"priority": "files", "dialingStrategy.maxRingTime": "platform"}
    assert found.change == "both"


def test_one_field_edited_on_both_sides_is_both() -> None:
    file = changed(BASE, "dialingStrategy", "maxRingTime", to=45)
    platform = changed(BASE, "dialingStrategy", "maxRingTime", to=60)
    assert origins(file, platform, AGREED) == Origins("both", ("both",))


def test_a_field_the_file_starts_to_manage_is_the_files() -> None:
    """The record holds every field of the campaign, not only those the file set then:
    the platform's maxSkips is still what it was, so the difference is the file's."""
    file = {**BASE, "maxSkips": 3}
    assert origins(file, BASE, AGREED) == Origins("files", ("files",))
    platform = {**BASE, "maxSkips": 2}  # ... unless the platform's moved too
    assert origins(file, platform, AGREED) == Origins("both", ("both",))


def test_part_of_an_object_is_compared_with_the_part_the_file_sets() -> None:
    """The file sets one key of schedule; the record holds the platform's two."""
    file = changed(BASE, "schedule", to={"isSchedulingEnabled": True})
    assert origins(file, BASE, AGREED) == Origins("files", ("files",))


def test_calling_hours_days_each_say_where_they_changed() -> None:
    days = BASE["dialingStrategy"]["callingHours"]["days"]
    later = [dict(day, start="10:00 AM") if day["day"] == "MO" else day for day in days]
    platform = changed(BASE, "dialingStrategy", "callingHours", "days", to=later)
    file = changed(BASE, "dialingStrategy", "callingHours", "days", to=days[1:])  # no MO
    found = origins(file, platform, AGREED)
    paths = [d.path for d in diffs_of(file, platform)]
    assert dict(zip(paths, found.diffs, strict=True)) == {
        "dialingStrategy.callingHours.days[MO]": "both"
    }
    found = origins(BASE, platform, AGREED)
    assert found == Origins("platform", ("platform",))
    weekend = [*days, {"day": "SA", "start": "9:00 AM", "end": "1:00 PM"}]
    platform = changed(BASE, "dialingStrategy", "callingHours", "days", to=weekend)
    assert origins(BASE, platform, AGREED) == Origins("platform", ("platform",))


def test_contact_lists_compare_as_a_set() -> None:
    """Recorded in one order, shown in another: only the new list is a change, the file's."""
    both = ["CL Only 2020 Dec 4", "Q4 Renewals"]
    agreed = record(changed(BASE, "contactLists", to=both))
    platform = changed(BASE, "contactLists", to=list(reversed(both)))
    file = changed(BASE, "contactLists", to=[*both, "Winback"])
    assert origins(file, platform, agreed) == Origins("files", ("files",))


def test_a_flow_compares_by_its_id() -> None:
    """A mapping edited in campsync.yaml is a file edit; another flow set on the platform is
    the platform's, whatever the mapping says now."""
    other = {"Voice Survey Entry Flow": "cf-another"}
    found = origins(BASE, BASE, AGREED, flows=other)  # the platform holds FLOW_ID still
    assert found == Origins("files", ("files",))
    platform = changed(BASE, "experienceFlowName", to="Payment Flow")
    flows = {**FLOWS, "Payment Flow": "cf-payment"}
    found = origins(BASE, platform, AGREED, flows=flows)
    assert found == Origins("platform", ("platform",))


def test_a_queue_changed_on_the_platform() -> None:
    body = progressive_body()
    agreed = record(body)
    assert agreed.form["queue_name"] == "Collections Queue"
    platform = {**body, "queue_name": "Overflow Queue"}
    assert origins(body, platform, agreed) == Origins("platform", ("platform",))
    assert origins(platform, body, agreed) == Origins("files", ("files",))


def test_the_recorded_form_holds_what_a_file_may_set_in_comparable_form() -> None:
    live, item = platform_form_of(progressive_body(priority=2))
    form = agreed_form(live, queue=listed_queue(item), campaign_type="voice")
    assert set(form) <= set(progressive_body()) | {"maxSkips"}
    assert "enableMachineDetect" not in form and "_id" not in form and "status" not in form
    assert form["priority"] == "2"
    assert form["dncLists"] == {"name": "Global DNC"}  # the platform's list id is no field
    assert set(form["dialingStrategy"]["callingHours"]["days"]) == {"MO"}
    assert "useSystemMappings" not in form["dialingStrategy"]
    assert form["campaignType"] == "voice"


def test_one_origin_for_several_differences() -> None:
    assert combined([]) == "unknown"
    assert combined(["files", "files"]) == "files"
    assert combined(["platform"]) == "platform"
    assert combined(["files", "platform"]) == "both"
    assert combined(["both", "files"]) == "both"
    assert combined(["both", "unknown"]) == "both"  # each side changed something, surely
    assert combined(["files", "platform", "unknown"]) == "both"
    assert combined(["files", "unknown"]) == "unknown"


def test_a_record_agreeing_with_both_sides_is_not_believed() -> None:
    """Both values as recorded, yet different: a tampered record proves nothing."""
    diff = FieldDiff("priority", "5", "1")
    assert diff_origin(diff, {"priority": ["5", "1"]}, {}) != "files"
    assert diff_origin(diff, {}, {}) == "both"  # neither side as (not) recorded


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(form=st.dictionaries(st.sampled_from([*sorted(BASE), "maxSkips", "x"]), _json))
def test_any_recorded_form_gives_an_origin_and_never_fails(form: dict[str, Any]) -> None:
    """The record is untrusted (the cache is restored across branches): whatever it holds,
    an origin comes out, and nothing else happens."""
    file = changed(BASE, "priority", to="1")
    platform = changed(BASE, "dialingStrategy", "maxRingTime", to=45)
    platform = changed(platform, "dialingStrategy", "callingHours", "days", to=[])
    found = origins(file, platform, Agreed(THEN, form))
    assert found.change in ORIGINS and all(origin in ORIGINS for origin in found.diffs)


def test_a_record_too_deep_to_compare_is_unknown() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    diff = FieldDiff("contactLists", ["a"], ["b"])
    assert diff_origin(diff, {"contactLists": deep}, {}) == "unknown"
