"""`campsync show PLANFILE` against the emulator: a saved plan printed as `plan` printed it
(text, JSON, Markdown), with no request; its signature checked when the secret is there, said
when it cannot be (exit 0), refused when it does not verify (exit 1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from campsync.sync.planfile import canonical, checksum_of
from tests.fixtures_emulator import TEST_CLIENT_SECRET, campaign_body
from tests.fixtures_guard import change_files, error_line, fleet, prod_environment, ready_jwt
from tests.fixtures_workspace import Workspace
from tests.test_guard_thresholds import TEN, UPDATE_WARNING

VERIFIED = "campsync: the plan's signature verifies with KORE_CLIENT_SECRET"


@pytest.fixture
def changed(ws: Workspace) -> Workspace:
    """Campaigns on the emulator, files that update one, create one, and a warning."""
    fleet(ws, ["Spring Renewals", "Autumn Promo"])
    change_files(ws, ["Spring Renewals"])
    ws.write("new.yaml", campaign_body("Brand New", experienceFlowName="Unmapped Flow"))
    return ws


def saved_line(path: str) -> str:
    return f"Saved the plan to {path}; apply exactly this plan with: campsync apply {path}"


@pytest.mark.parametrize("fmt", ["json", "markdown", "text"])
def test_show_prints_what_plan_printed_and_sends_no_request(changed: Workspace, fmt: str) -> None:
    ws = changed
    planned = ws.cli("plan", "--format", fmt, "--out", "p.json")
    assert planned.code == 0, planned.err
    ws.store.reset_stats()
    shown = ws.cli("show", "p.json", "--format", fmt)
    assert shown.code == 0, shown.err
    expected = planned.out
    if fmt == "text":  # the saved-plan line follows a text plan on stdout
        expected = expected.removesuffix(saved_line("p.json") + "\n")
    assert shown.out == expected
    assert ws.store.stats()["total"] == 0
    assert shown.err.splitlines()[0] == VERIFIED


def test_show_json_equals_the_plans_own_json(changed: Workspace) -> None:
    """`--json` too: the plan JSON, byte for byte, its warnings on stderr as plan tells them."""
    ws = changed
    planned = ws.cli("plan", "--json", "--out", "p.json")
    shown = ws.cli("show", "--json", "p.json")
    assert shown.code == 0
    assert shown.out == planned.out
    document: dict[str, Any] = json.loads(shown.out)
    assert document["summary"]["update"] == 1 and document["summary"]["create"] == 1
    warnings = [f"campsync: warning: {warning}" for warning in document["warnings"]]
    assert warnings and shown.err.splitlines() == [VERIFIED, *warnings]


def test_a_refused_plan_is_shown_refused_in_every_form(ws: Workspace) -> None:
    fleet(ws, TEN)
    change_files(ws, TEN[:4])
    planned = ws.cli("plan", "--json", "--out", "p.json")
    assert UPDATE_WARNING in planned.err.splitlines()
    shown = ws.cli("show", "p.json", "--json")
    assert shown.out == planned.out
    assert json.loads(shown.out)["refusal"]["override"] == "--force"
    assert shown.err.splitlines()[-1] == UPDATE_WARNING  # last, as plan says it
    text = ws.cli("show", "p.json")
    assert text.out.startswith("apply will refuse this plan without --force:\n")
    markdown = ws.cli("show", "p.json", "--format", "markdown")
    assert "> [!CAUTION]" in markdown.out.splitlines()


def test_without_the_secret_the_signature_is_said_unchecked(
    changed: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = changed
    planned = ws.cli("plan", "--json", "--out", "p.json")
    monkeypatch.setenv("KORE_JWT", ready_jwt(ws))
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    shown = ws.cli("show", "p.json", "--json")
    assert shown.code == 0 and shown.out == planned.out
    assert shown.err.splitlines()[0] == (
        "campsync: warning: the plan is signed; without KORE_CLIENT_SECRET its signature was "
        "not checked"
    )


def test_an_unsigned_plan_is_said_unsigned(
    changed: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = changed
    monkeypatch.setenv("KORE_JWT", ready_jwt(ws))
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    assert ws.cli("plan", "--out", "p.json").code == 0
    alone = ws.cli("show", "p.json")
    assert alone.code == 0
    assert alone.err.splitlines()[0] == (
        "campsync: warning: the plan is not signed (it was made without a client secret)"
    )
    monkeypatch.setenv("KORE_CLIENT_SECRET", TEST_CLIENT_SECRET)
    with_secret = ws.cli("show", "p.json")
    assert with_secret.code == 0 and with_secret.out == alone.out
    assert with_secret.err.splitlines()[0].endswith(
        "; apply refuses it while KORE_CLIENT_SECRET is set"
    )


def test_a_signature_that_does_not_verify_is_an_error(changed: Workspace) -> None:
    ws = changed
    assert ws.cli("plan", "--out", "p.json").code == 0
    path = ws.root / "p.json"
    document = json.loads(path.read_text())
    document["signature"] = "hmac-sha256:" + "0" * 64
    path.write_text(json.dumps(document))
    shown = ws.cli("show", "p.json")
    assert shown.code == 1 and shown.out == ""
    assert "the signature does not verify" in error_line(shown.err)


def test_an_environments_plan_is_checked_with_its_own_secret(
    changed: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = changed
    prod_environment(ws, monkeypatch)
    assert ws.cli("plan", "--env", "prod", "--out", "p.json").code == 0
    shown = ws.cli("show", "p.json")  # no --env: the plan names its environment
    assert shown.code == 0
    assert shown.err.splitlines()[0] == ("campsync: the plan's signature verifies with PROD_SECRET")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        ("name: Spring Renewals\n", "not a campsync plan (not JSON"),
    ],
)
def test_what_is_not_a_saved_plan_is_one_line(
    ws: Workspace, content: str | None, reason: str
) -> None:
    if content is not None:
        (ws.root / "p.json").write_text(content)
    shown = ws.cli("show", "p.json")
    assert shown.code == 1 and shown.out == ""
    assert error_line(shown.err).startswith(f"campsync: error: plan file p.json: {reason}")


def test_show_is_offline(changed: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """No platform settings needed: a host nobody serves, no stream or account."""
    ws = changed
    planned = ws.cli("plan", "--json", "--out", "p.json")
    for name in ("KORE_HOST", "KORE_STREAM_ID", "KORE_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KORE_HOST", "https://platform.invalid")
    shown = ws.cli("show", "p.json", "--json")
    assert shown.code == 0 and shown.out == planned.out


def test_a_plan_without_changes_is_shown_as_plan_showed_it(ws: Workspace) -> None:
    fleet(ws, ["Spring Renewals"])
    planned = ws.cli("plan", "--out", "p.json")
    shown = ws.cli("show", "p.json")
    assert shown.out == planned.out.removesuffix(saved_line("p.json") + "\n")
    assert shown.out.startswith("No changes.")


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_saved_plans_warnings_and_reasons_reach_stderr_escaped(
    changed: Workspace, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A plan file is untrusted (an unsigned one is shown all the same): its warnings and its
    refusal's reasons, which show prints on stderr, have their control characters escaped
    there, as in the plan (a terminal never receives an escape sequence from a file)."""
    ws = changed
    monkeypatch.setenv("KORE_JWT", ready_jwt(ws))
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    assert ws.cli("plan", "--out", "p.json").code == 0
    path = ws.root / "p.json"
    document = json.loads(path.read_text())
    document["warnings"] = ["\x1b]0;owned\x07 a \x1b[2J warning\nsecond line"]
    document["refusal"] = {"reasons": ["\x1b[31mupdates everything\u202e"], "override": "--force"}
    document["checksum"] = checksum_of(canonical(document))
    path.write_text(json.dumps(document))
    shown = ws.cli("show", "p.json", "--format", fmt)
    assert shown.code == 0, shown.err
    assert not any(char in shown.err + shown.out for char in "\x1b\x07\u202e"), shown.err
    assert "--force: \\u001b[31mupdates everything\\u202e\n" in shown.err
    if fmt == "json":
        assert "campsync: warning: \\u001b]0;owned\\u0007 a \\u001b[2J warning\\nsecond line" in (
            shown.err.splitlines()
        )
