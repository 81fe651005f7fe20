"""The safety thresholds' arithmetic (campsync.sync.safety), on plans built by hand; end to
end against the emulator in test_guard_thresholds.py."""

from __future__ import annotations

import pytest

from campsync.config.settings import Safety
from campsync.errors import UnsafePlan
from campsync.sync.plan import Change, Plan
from campsync.sync.safety import (
    check_safe,
    files_in_scope,
    raise_if_unsafe,
    refusal_of,
    refusal_warnings,
)


def change(action: str, n: int, *, file: bool = True) -> Change:
    return Change(
        action=action,  # type: ignore[arg-type]
        name=f"{action} {n}",
        id=None if action == "create" else f"cd-{action}-{n}",
        file=f"campaigns/{action}-{n}.yaml" if file and action != "delete" else None,
        reason="Active" if action == "blocked" else None,
    )


def plan_of(existing: int, *, update: int = 0, delete: int = 0, **more: int) -> Plan:
    changes = [change("update", n) for n in range(update)]
    changes += [change("delete", n) for n in range(delete)]
    changes += [change("create", n) for n in range(more.get("create", 0))]
    changes += [change("blocked", n) for n in range(more.get("blocked", 0))]
    return Plan.of(changes, unchanged=more.get("unchanged", 0), existing=existing)


DEFAULTS = Safety()


def test_defaults_are_octodns() -> None:
    assert (DEFAULTS.max_update_percent, DEFAULTS.max_delete_percent) == (30, 30)
    assert DEFAULTS.min_existing == 10


@pytest.mark.parametrize(
    ("existing", "updates", "crossed"),
    [
        (10, 3, False),  # exactly 30%: not more than
        (10, 4, True),
        (20, 6, False),
        (20, 7, True),
        (9, 9, False),  # below minExisting: no threshold
        (0, 0, False),
        (1000, 301, True),
        (1000, 300, False),
    ],
)
def test_update_threshold(existing: int, updates: int, crossed: bool) -> None:
    reasons = check_safe(plan_of(existing, update=updates, unchanged=1), DEFAULTS)
    assert bool(reasons) is crossed


def test_the_message_names_the_threshold_the_numbers_and_the_setting() -> None:
    (reason,) = check_safe(plan_of(20, update=12, unchanged=8), DEFAULTS)
    assert reason == "updates 12 of 20 campaigns (60%) > maxUpdatePercent 30"
    (reason,) = check_safe(plan_of(1000, delete=301, unchanged=699), DEFAULTS)
    assert reason == "deletes 301 of 1000 campaigns (30.1%) > maxDeletePercent 30"
    (reason,) = check_safe(plan_of(3, update=1, unchanged=2), Safety(min_existing=0))
    assert "(33%)" in reason
    (reason,) = check_safe(plan_of(10, update=3, unchanged=7), Safety(max_update_percent=29.5))
    assert reason == "updates 3 of 10 campaigns (30%) > maxUpdatePercent 29.5"
    # the contract's own example
    (reason,) = check_safe(plan_of(13, update=4, unchanged=9), DEFAULTS)
    assert reason == "updates 4 of 13 campaigns (31%) > maxUpdatePercent 30"


def test_creates_and_blocked_changes_do_not_count() -> None:
    plan = plan_of(10, update=3, create=50, blocked=5, unchanged=2)
    assert check_safe(plan, DEFAULTS) == []


def test_both_thresholds_and_minexisting_boundary() -> None:
    safety = Safety(max_update_percent=50, max_delete_percent=10, min_existing=4)
    assert len(check_safe(plan_of(4, update=3, delete=1, unchanged=1), safety)) == 2
    assert check_safe(plan_of(3, update=3, delete=0, unchanged=1), safety) == []


def test_deleting_with_no_file_in_scope_is_unsafe_at_any_size() -> None:
    lone = plan_of(2, delete=2)
    assert files_in_scope(lone) == 0
    (reason,) = check_safe(lone, DEFAULTS)
    assert reason.startswith("deletes 2 campaigns and no campaign file is in scope")
    with pytest.raises(UnsafePlan) as caught:
        raise_if_unsafe(lone, DEFAULTS)
    assert str(caught.value).endswith("then apply with --force if that is meant")
    assert check_safe(plan_of(2, delete=1, unchanged=1), DEFAULTS) == []  # a file is in scope
    assert files_in_scope(plan_of(5, update=1, create=1, unchanged=2)) == 4


def test_refusal_and_warning_are_one_line_each() -> None:
    plan = plan_of(10, update=5, delete=5)
    with pytest.raises(UnsafePlan) as caught:
        raise_if_unsafe(plan, DEFAULTS)
    message = str(caught.value)
    assert "\n" not in message and len(caught.value.reasons) == 2
    assert "maxUpdatePercent" in message and "maxDeletePercent" in message
    assert message.endswith("apply with --force or raise the threshold (safety: in campsync.yaml)")
    warnings = refusal_warnings(refusal_of(plan, DEFAULTS))
    assert len(warnings) == 2
    assert warnings == [
        f"apply will refuse this plan without --force: {reason}" for reason in caught.value.reasons
    ]
    raise_if_unsafe(plan_of(10, update=3, unchanged=7), DEFAULTS)  # within: no error


def test_the_refusal_is_the_reasons_and_the_flag() -> None:
    plan = plan_of(10, update=5, delete=5)
    refusal = refusal_of(plan, DEFAULTS)
    assert refusal is not None
    assert refusal.reasons == tuple(check_safe(plan, DEFAULTS))
    assert refusal.to_json() == {
        "reasons": [
            "updates 5 of 10 campaigns (50%) > maxUpdatePercent 30",
            "deletes 5 of 10 campaigns (50%) > maxDeletePercent 30",
        ],
        "override": "--force",
    }
    assert refusal_of(plan_of(10, update=3, unchanged=7), DEFAULTS) is None
    assert refusal_of(plan_of(9, update=9), DEFAULTS) is None  # below minExisting
