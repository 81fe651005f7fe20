"""Tampered saved plans, end to end: `campsync apply PLANFILE` refuses each in one line and
sends nothing at all. (An edited body: test_apply.py::test_a_tampered_plan_is_refused; the
signature's own cases: test_guard_signing.py.)"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from campsync.sync import planfile
from campsync.sync.planfile import canonical, checksum_of
from campsync.sync.signing import PlanSigning, derive_key
from tests.fixtures_emulator import TEST_CLIENT_SECRET, campaign_body
from tests.fixtures_workspace import Workspace

Edit = Callable[[dict[str, Any]], None]


def flip_checksum_digit(document: dict[str, Any]) -> None:
    value: str = document["checksum"]
    last = "0" if value[-1] != "0" else "1"
    document["checksum"] = value[:-1] + last


def recompute_checksum(edit: Edit) -> Edit:
    """The edit, with the checksum recomputed (as a careless tool, or an attacker, would)."""

    def edited(document: dict[str, Any]) -> None:
        edit(document)
        document["checksum"] = checksum_of(canonical(document))

    return edited


def resign(edit: Edit) -> Edit:
    """The edit, signed again with the client secret and the checksum recomputed (a tool that
    holds the secret): the plan's own structure checks must still refuse it."""

    def edited(document: dict[str, Any]) -> None:
        edit(document)
        signing = PlanSigning(derive_key(TEST_CLIENT_SECRET))
        document["signature"] = signing.sign(canonical(document))
        document["checksum"] = checksum_of(canonical(document))

    return edited


TAMPERINGS: dict[str, tuple[Edit, str]] = {
    "checksum-edited": (flip_checksum_digit, "checksum mismatch"),
    "checksum-removed": (lambda d: d.pop("checksum"), "no checksum"),
    "checksum-of-other-algorithm": (
        lambda d: d.update(checksum="md5:" + "0" * 32),
        "checksum mismatch",
    ),
    "action-turned-into-delete": (
        lambda d: d["changes"][0].update(action="delete"),
        "checksum mismatch",
    ),
    "target-edited": (
        lambda d: d["campsync"]["target"].update(account_id="another"),
        "checksum mismatch",
    ),
    "format-version-2": (resign(lambda d: d.update(format_version=2)), "format_version 2"),
    "format-version-string": (resign(lambda d: d.update(format_version="1")), "format_version"),
    "format-version-missing": (resign(lambda d: d.pop("format_version")), "no format_version"),
    "bodies-dropped": (
        resign(lambda d: d["changes"][0].pop("campsync")),
        "changes[0].campsync: missing",
    ),
    "layout-removed": (
        resign(lambda d: d["campsync"].pop("layout")),
        "made by an older campsync",
    ),
    "summary-inflated": (
        resign(lambda d: d["summary"].update(update=5)),
        "summary.update: does not match",
    ),
    "id-that-leaves-its-path-segment": (
        resign(lambda d: d["changes"][0].update(id="..")),
        "changes[0].id: a campaign id (cd-...) expected",
    ),
    "body-edited-checksum-recomputed": (
        recompute_checksum(
            lambda d: d["changes"][0]["campsync"]["body"].update(description="Slipped in.")
        ),
        "the signature does not verify",
    ),
    "existing-lowered-checksum-recomputed": (
        recompute_checksum(lambda d: d["campsync"].update(existing=0)),
        "the signature does not verify",
    ),
    "signature-removed": (
        recompute_checksum(lambda d: d.pop("signature")),
        "the plan is not signed",
    ),
    "signature-made-with-another-secret": (
        recompute_checksum(
            lambda d: d.update(
                signature=PlanSigning(derive_key("another-secret")).sign(canonical(d))
            )
        ),
        "made with another client secret",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERINGS))
def test_a_tampered_plan_is_refused_before_any_request(ws: Workspace, case: str) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Reviewed."))
    assert ws.cli("plan", "--out", "p.json").code == 0
    path = ws.root / "p.json"
    document = json.loads(path.read_text())
    edit, expected = TAMPERINGS[case]
    edit(document)
    path.write_text(json.dumps(document, indent=2))
    ws.store.reset_stats()

    result = ws.cli("apply", "p.json")

    assert result.code == 1
    assert result.err.count("\n") == 1 and result.err.startswith("campsync: error: plan file")
    assert expected in result.err, result.err
    assert ws.store.stats()["total"] == 0
    assert ws.stored(cid)["description"] != "Reviewed."


def test_a_huge_plan_file_is_refused_before_it_is_read(ws: Workspace) -> None:
    path = ws.root / "huge.json"
    with path.open("wb") as sparse:  # 1.3 GB that take no disk: refused by its size alone
        sparse.truncate(1_300_000_000)
    result = ws.cli("apply", "huge.json")
    assert result.code == 1
    assert result.err == "campsync: error: plan file huge.json: larger than the limit of 128 MiB\n"
    assert ws.store.stats()["total"] == 0


def test_a_plan_file_that_grows_past_the_limit_is_refused(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planfile, "MAX_PLAN_BYTES", 1024)
    (ws.root / "p.json").write_text(json.dumps({"x": "y" * 2000}))
    result = ws.cli("apply", "p.json")
    assert result.code == 1
    assert result.err == "campsync: error: plan file p.json: larger than the limit of 1024 bytes\n"


def test_a_fifo_is_no_plan_file(ws: Workspace) -> None:
    os.mkfifo(ws.root / "pipe.json")  # no writer: reading it would wait for ever
    result = ws.cli("apply", "pipe.json")
    assert result.code == 1
    assert result.err == "campsync: error: plan file pipe.json: not a regular file\n"
