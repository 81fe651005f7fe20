"""A saved plan keeps where each difference came from and what `plan --since` compared in
full (so that a saved plan shows as its plan did), checked like every other field."""

from __future__ import annotations

from pathlib import Path

import pytest

from campsync.sync.plan import Change, FieldDiff, InFull, Plan, Since
from campsync.sync.planfile import load_plan, save_plan
from tests.test_planfile import NOW, TARGET, load_error, rewrite

PLAN = Plan.of(
    [
        Change(
            "update",
            "Both",
            "cd-1",
            "campaigns/both.yaml",
            (FieldDiff("priority", "5", "1", "files"), FieldDiff("maxSkips", 2, 1, "platform")),
            body={"name": "Both"},
            updated_at="t2",
            origin="both",
        ),
        Change(
            "update",
            "Plain",
            "cd-2",
            None,
            (FieldDiff("priority", "5", "1"),),
            body={"name": "Plain"},
            origin="unknown",
        ),
    ],
    unchanged=5,
    since=Since("origin/main", (InFull("Both", "campaigns/both.yaml", "file"),), on_list=5),
)


def saved(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    save_plan(path, PLAN, TARGET, now=NOW)
    return path


def test_origins_and_since_round_trip(tmp_path: Path) -> None:
    loaded = load_plan(saved(tmp_path)).plan
    assert loaded.changes == PLAN.changes
    assert loaded.to_json() == PLAN.to_json()
    assert loaded.since == PLAN.since


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d["changes"][0].update(origin="elsewhere"), "changes[0].origin: one of"),
        (
            lambda d: d["changes"][0]["diff"][1].update(origin=1),
            "changes[0].diff[1].origin: one of",
        ),
        (lambda d: d.update(since=3), "since: a string expected"),
        (lambda d: d.pop("compared_in_full"), "compared_in_full: missing"),
        (lambda d: d["compared_in_full"][0].update(reason="why"), "compared_in_full[0].reason"),
        (lambda d: d["compared_in_full"].append("x"), "compared_in_full[1]: an object expected"),
        (lambda d: d.update(compared_on_list=-1), "compared_on_list: a count"),
    ],
)
def test_a_malformed_origin_or_since_is_refused(tmp_path: Path, edit: object, reason: str) -> None:
    path = saved(tmp_path)
    rewrite(path, edit, fix_checksum=True)
    assert load_error(path).startswith(f"plan file {path}: not a campsync plan ({reason}")
