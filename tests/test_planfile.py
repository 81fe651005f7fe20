"""The saved plan (campsync.sync.planfile): round trip, 0600, checksum, format version,
one-line reasons for every bad file, and no secret inside."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campsync.config.settings import load_settings
from campsync.config.target import Target
from campsync.errors import PlanFileError
from campsync.sync.plan import Change, FieldDiff, Plan, Refusal
from campsync.sync.planfile import (
    PlanFile,
    SavedPlan,
    canonical,
    checksum_of,
    load_plan,
    save_plan,
)
from tests.test_plan_model import sample_plan

TARGET = Target("https://platform.kore.ai", "st-1234", "acc-5678")
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def saved(tmp_path: Path, plan: Plan | None = None) -> Path:
    path = tmp_path / "plan.json"
    save_plan(path, plan or sample_plan(), TARGET, now=NOW)
    return path


def rewrite(path: Path, edit: Any, *, fix_checksum: bool) -> None:
    document = json.loads(path.read_text())
    edit(document)
    if fix_checksum:
        document["checksum"] = checksum_of(canonical(document))
    path.write_text(json.dumps(document))


def load_error(path: Path) -> str:
    with pytest.raises(PlanFileError) as caught:
        load_plan(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_round_trip(tmp_path: Path) -> None:
    plan = sample_plan()
    saved_plan = load_plan(saved(tmp_path, plan))
    loaded, target = saved_plan.plan, saved_plan.target
    assert target == TARGET
    assert loaded.to_json() == plan.to_json()
    assert loaded.changes == plan.changes  # bodies, updated_at, campaign_type included
    assert loaded.unmanaged == plan.unmanaged
    assert loaded.warnings == plan.warnings
    assert loaded.unchanged == plan.unchanged


def test_the_plan_names_its_environment(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(path, sample_plan(), TARGET, "production", now=NOW)
    assert json.loads(path.read_text())["campsync"]["environment"] == "production"
    assert load_plan(path).environment == "production" and load_plan(path).target == TARGET
    assert PlanFile.read(path).environment == "production"
    missing = PlanFile.read(tmp_path / "missing.json")
    assert missing.environment is None
    with pytest.raises(PlanFileError, match="no such file"):
        missing.load()  # the error of the one read, kept for the checks
    # Plans saved before environments existed have none, and still load.
    rewrite(path, lambda d: d["campsync"].pop("environment"), fix_checksum=True)
    assert load_plan(path).environment is None
    rewrite(path, lambda d: d["campsync"].update(environment=7), fix_checksum=True)
    assert "campsync.environment: a string expected" in load_error(path)


def test_file_holds_the_plan_json_and_what_apply_needs(tmp_path: Path) -> None:
    document = json.loads(saved(tmp_path).read_text())
    assert set(document) == {
        "format_version",
        "changes",
        "summary",
        "warnings",
        "campsync",
        "checksum",
    }
    assert document["format_version"] == 1
    assert document["checksum"].startswith("sha256:") and len(document["checksum"]) == 71
    extra = document["campsync"]
    assert set(extra) == {
        *("layout", "target", "environment", "created_at", "existing", "unmanaged"),
        "references",
    }
    assert extra["layout"] == 2
    assert extra["references"] is None  # the sample plan's names were not checked
    assert extra["environment"] is None  # no environments in campsync.yaml
    assert extra["target"] == {
        "host": "https://platform.kore.ai",
        "stream_id": "st-1234",
        "account_id": "acc-5678",
    }
    assert extra["created_at"] == "2026-01-02T03:04:05+00:00"
    update = document["changes"][2]["campsync"]  # beta, after create and Alpha: its own
    assert document["changes"][2]["name"] == "beta"
    assert update["updated_at"] == "2025-12-04T11:19:47.030Z"
    assert update["body"]["dialingStrategy"]["maxRingTime"] == 30
    assert update["campaign_type"] == "voice"


def test_written_owner_only_and_atomically(tmp_path: Path) -> None:
    path = saved(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["plan.json"]  # no temp file left behind
    save_plan(path, Plan.of([], unchanged=1), TARGET)  # replaces an existing plan
    assert load_plan(path).plan.summary["unchanged"] == 1


def test_no_secret_in_the_file(tmp_path: Path) -> None:
    secret, jwt = "s3cr3t-client-secret-value", "eyJhbGciOiJIUzI1NiJ9.e30.sig"
    config = tmp_path / "campsync.yaml"
    config.write_text("experienceFlows:\n  Voice Survey Entry Flow: cf-1\n")
    settings = load_settings(
        env={
            "KORE_CLIENT_ID": "cs-client",
            "KORE_CLIENT_SECRET": secret,
            "KORE_JWT": jwt,
            "KORE_STREAM_ID": "st-9",
            "KORE_ACCOUNT_ID": "acc-9",
        },
        config_path=config,
    )
    target = settings.target()
    assert target == Target(settings.host, "st-9", "acc-9")
    path = tmp_path / "plan.json"
    save_plan(path, sample_plan(), target)
    text = path.read_text()
    assert secret not in text and jwt not in text and "cs-client" not in text


def test_checksum_mismatch(tmp_path: Path) -> None:
    path = saved(tmp_path)

    def louder(document: dict[str, Any]) -> None:
        document["changes"][2]["campsync"]["body"]["dialingStrategy"]["maxRingTime"] = 120

    rewrite(path, louder, fix_checksum=False)
    assert load_error(path) == (
        f"plan file {path}: checksum mismatch: the plan was altered after it was made"
    )


def test_reformatting_is_not_an_alteration(tmp_path: Path) -> None:
    path = saved(tmp_path)
    document = json.loads(path.read_text())
    path.write_text(json.dumps(dict(reversed(list(document.items())))))  # other order, no indent
    assert load_plan(path).plan.to_json() == sample_plan().to_json()


def test_other_format_version(tmp_path: Path) -> None:
    path = saved(tmp_path)
    rewrite(path, lambda d: d.update(format_version=2), fix_checksum=True)
    assert load_error(path) == (
        f"plan file {path}: format_version 2 is not supported (this campsync reads 1)"
    )
    rewrite(path, lambda d: d.update(format_version=True), fix_checksum=True)
    assert "format_version true is not supported" in load_error(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "not a campsync plan (not JSON: Expecting value at line 1 column 1)"),
        ("{oops", "not a campsync plan (not JSON: "),
        ("[1, 2]", "not a campsync plan (not a JSON object)"),
        ('{"changes": []}', "not a campsync plan (no format_version)"),
        ('{"format_version": 1}', "not a campsync plan (no checksum)"),
        ("\udcff", "not a campsync plan (not UTF-8 text)"),
    ],
)
def test_not_a_plan(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert load_error(path).startswith(f"plan file {path}: {reason}")


def test_unreadable(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nope.json") == f"plan file {tmp_path / 'nope.json'}: no such file"
    assert load_error(tmp_path) == f"plan file {tmp_path}: is a directory"


REFUSAL = Refusal(("updates 4 of 13 campaigns (31%) > maxUpdatePercent 30",))


def test_a_refused_plan_keeps_its_refusal(tmp_path: Path) -> None:
    plan = replace(sample_plan(), refusal=REFUSAL)
    path = saved(tmp_path, plan)
    assert json.loads(path.read_text())["refusal"] == {
        "reasons": ["updates 4 of 13 campaigns (31%) > maxUpdatePercent 30"],
        "override": "--force",
    }
    loaded = load_plan(path).plan
    assert loaded.refusal == REFUSAL
    assert loaded.to_json() == plan.to_json()
    # A plan apply would not refuse has no refusal, saved or loaded.
    assert "refusal" not in json.loads(saved(tmp_path).read_text())
    assert load_plan(saved(tmp_path)).plan.refusal is None


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d.update(refusal=["too many"]), "refusal: an object expected"),
        (lambda d: d.update(refusal={"override": "--force"}), "refusal.reasons: missing"),
        (lambda d: d.update(refusal={"reasons": [], "override": "--force"}), "refusal.reasons"),
        (lambda d: d.update(refusal={"reasons": [""], "override": "--force"}), "refusal.reasons"),
        (lambda d: d.update(refusal={"reasons": ["x"]}), "refusal.override: missing"),
        (
            lambda d: d.update(refusal={"reasons": ["x"], "override": "--yes"}),
            "refusal.override: --force expected",
        ),
    ],
)
def test_a_malformed_refusal_is_refused(tmp_path: Path, edit: Any, reason: str) -> None:
    path = saved(tmp_path)
    rewrite(path, edit, fix_checksum=True)
    assert load_error(path).startswith(f"plan file {path}: not a campsync plan ({reason}")


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d.pop("changes"), "changes: missing"),
        (lambda d: d.update(changes={}), "changes: a list expected"),
        (lambda d: d["changes"][0].pop("name"), "changes[0].name: missing"),
        (lambda d: d["changes"][0].update(action="rename"), "changes[0].action: one of"),
        (lambda d: d["changes"][3].pop("reason"), "changes[3].reason: a blocked change needs one"),
        (lambda d: d["changes"][1]["diff"][0].pop("after"), "changes[1].diff[0]: before and after"),
        (lambda d: d["changes"][1].pop("campsync"), "changes[1].campsync: missing"),
        (
            lambda d: d["campsync"]["target"].pop("account_id"),
            "campsync.target.account_id: missing",
        ),
        (
            lambda d: d["changes"][1]["campsync"].update(body=[1]),
            "changes[1].campsync.body: an object",
        ),
        (lambda d: d["summary"].update(update=7), "summary.update: does not match the changes"),
        (lambda d: d["summary"].update(unchanged="4"), "summary.unchanged: an integer expected"),
        (lambda d: d.pop("campsync"), "campsync: missing"),
    ],
)
def test_malformed_but_consistent_plan(tmp_path: Path, edit: Any, reason: str) -> None:
    path = saved(tmp_path)
    rewrite(path, edit, fix_checksum=True)
    assert load_error(path).startswith(f"plan file {path}: not a campsync plan ({reason}")


def test_hostile_path_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "evil\nname\x1b.json"
    assert "\n" not in load_error(path) and "\x1b" not in load_error(path)


def test_target_differences() -> None:
    saved = SavedPlan(sample_plan(), TARGET)
    assert saved.differences(Target("https://platform.kore.ai/", "st-1234", "acc-5678")) == []
    assert saved.differences(Target("https://platform.kore.ai", "st-1234", "acc-0")) == [
        "account_id 'acc-5678' (now 'acc-0')"
    ]


hostile = st.text(max_size=60)
# An id goes into a request path: a plan holds only ids of the platform's shape (load_plan
# refuses others), and any text everywhere else.
campaign_ids = st.from_regex(r"cd-[A-Za-z0-9-]{1,40}", fullmatch=True)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hostile,
    hostile,
    st.dictionaries(hostile, hostile | st.integers(), max_size=3),
    st.none() | campaign_ids,
)
def test_property_any_plan_round_trips(
    tmp_path: Path, name: str, text: str, body: dict[str, Any], ident: str | None
) -> None:
    plan = Plan.of(
        [
            Change(
                "update",
                name,
                ident,
                text or None,
                diff=(FieldDiff(text, name, body),),
                body=body,
                updated_at=text,
            ),
            Change("blocked", text, ident, None, reason=name or "r"),
        ],
        unchanged=2,
        unmanaged=[name, text],
        warnings=[text],
        refusal=Refusal((name or "r", text or "s")),
    )
    path = tmp_path / "p.json"
    save_plan(path, plan, Target(text, name, text))
    saved_plan = load_plan(path)
    loaded, target = saved_plan.plan, saved_plan.target
    assert loaded.to_json() == plan.to_json()
    assert loaded.changes == plan.changes
    assert target == Target(text, name, text)


def as_campsync_0_2_saved_it(document: dict[str, Any]) -> None:
    """The layout of campsync 0.2: no layout mark, each change's campaign type, body and
    updatedAt in a list beside the changes."""
    del document["campsync"]["layout"]
    document["campsync"]["changes"] = [change.pop("campsync") for change in document["changes"]]


def test_a_plan_saved_by_campsync_0_2_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = saved(tmp_path)
    rewrite(path, as_campsync_0_2_saved_it, fix_checksum=True)  # valid as 0.2 wrote it
    assert load_error(path) == (
        f"plan file {path}: made by an older campsync (its changes keep their bodies apart); "
        "make the plan again with 'campsync plan --out'"
    )
    path = saved(tmp_path)
    rewrite(path, lambda d: d["campsync"].update(layout=3), fix_checksum=True)
    assert load_error(path) == (
        f"plan file {path}: campsync.layout 3 is not supported (this campsync reads 2); "
        "make the plan again with 'campsync plan --out'"
    )


def test_a_plan_saved_by_campsync_0_1_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    save_plan(path, sample_plan(), TARGET)
    document = json.loads(path.read_text())
    as_campsync_0_2_saved_it(document)
    del document["campsync"]["existing"], document["campsync"]["environment"]
    # as 0.1 wrote it: valid, without the counts
    document["checksum"] = checksum_of(canonical(document))
    path.write_text(json.dumps(document))
    with pytest.raises(PlanFileError, match=r"made by an older campsync .* plan --out"):
        load_plan(path)


def test_what_the_names_were_checked_against_is_saved_and_loaded(tmp_path: Path) -> None:
    checked = {"contactLists": "checked", "queues": "not checked: the platform refused (403)"}
    path = tmp_path / "plan.json"
    save_plan(path, replace(sample_plan(), references=checked), TARGET, now=NOW)
    assert json.loads(path.read_text())["campsync"]["references"] == checked
    assert load_plan(path).plan.references == checked
    # Plans saved before references were checked have none, and still load.
    rewrite(path, lambda d: d["campsync"].pop("references"), fix_checksum=True)
    assert load_plan(path).plan.references is None
    rewrite(path, lambda d: d["campsync"].update(references=["checked"]), fix_checksum=True)
    assert "campsync.references: an object expected" in load_error(path)
    rewrite(path, lambda d: d["campsync"].update(references={"queues": 1}), fix_checksum=True)
    assert "campsync.references: strings expected" in load_error(path)
    # Covered by the checksum like the rest.
    save_plan(path, replace(sample_plan(), references=checked), TARGET, now=NOW)
    rewrite(
        path, lambda d: d["campsync"].update(references={"queues": "checked"}), fix_checksum=False
    )
    assert "checksum" in load_error(path)
