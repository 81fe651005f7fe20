"""Signed saved plans: made with a client secret, a plan file carries an HMAC keyed from it;
`apply PLANFILE` refuses, before any request, a plan whose signature does not verify (an
edit with a recomputed checksum included), an unsigned plan when it has a secret, and a
signed plan when it has none to check it with. The secret and the key never enter the file.
(More tamperings: test_hostile_planfile.py; the whole-run secret scan: test_secrets.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from campsync.config.settings import load_settings
from campsync.config.target import Target
from campsync.errors import PlanSignatureError
from campsync.sync.planfile import canonical, checksum_of, load_plan, read_plan, save_plan
from campsync.sync.signing import PlanSigning, derive_key
from tests.fixtures_emulator import TEST_CLIENT_SECRET
from tests.fixtures_guard import change_files, error_line, fleet, prod_environment, ready_jwt, sent
from tests.fixtures_workspace import Workspace
from tests.test_plan_model import sample_plan

SIGNATURE = re.compile(r"hmac-sha256:[0-9a-f]{64}")


@pytest.fixture
def planned(ws: Workspace) -> Path:
    """A plan saved with the client secret: one update."""
    fleet(ws, ["Spring Renewals"])
    change_files(ws, ["Spring Renewals"])
    result = ws.cli("plan", "--out", "p.json")
    assert result.code == 0 and "signed" not in result.err
    ws.store.reset_stats()
    return ws.root / "p.json"


def edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    change(document)
    document["checksum"] = checksum_of(canonical(document))  # as one without the secret can
    path.write_text(json.dumps(document))


def test_a_plan_is_signed_and_applies(ws: Workspace, planned: Path) -> None:
    text = planned.read_text()
    document = json.loads(text)
    assert SIGNATURE.fullmatch(document["signature"])
    assert TEST_CLIENT_SECRET not in text
    assert derive_key(TEST_CLIENT_SECRET).hex() not in text
    result = ws.cli("apply", str(planned))
    assert result.code == 0, result.err
    assert sent(ws) == {"update": 1}


@pytest.mark.parametrize(
    ("case", "change", "expected"),
    [
        (
            "body-edited",
            lambda d: d["changes"][0]["campsync"]["body"].update(description="Slipped in."),
            "the signature does not verify: the plan was altered after it was made, or made "
            "with another client secret than KORE_CLIENT_SECRET; make the plan again",
        ),
        (
            "signature-removed",
            lambda d: d.pop("signature"),
            "the plan is not signed, and with KORE_CLIENT_SECRET set only a plan signed with "
            "it is applied; make the plan again with KORE_CLIENT_SECRET set",
        ),
        (
            "signature-garbled",
            lambda d: d.update(signature="hmac-sha256:\u00e9" + "0" * 63),
            "the signature does not verify",
        ),
        ("signature-not-a-string", lambda d: d.update(signature=7), "does not verify"),
    ],
)
def test_a_plan_that_does_not_verify_is_refused_before_any_request(
    ws: Workspace, planned: Path, case: str, change: Any, expected: str
) -> None:
    edit(planned, change)
    result = ws.cli("apply", str(planned))
    assert result.code == 1
    line = error_line(result.err)
    assert line.startswith(f"campsync: error: plan file {planned}: ")
    assert expected in line
    assert result.err.count("\n") == 1
    assert ws.store.stats()["total"] == 0
    assert ws.stored_by_name("Spring Renewals")["description"] != "Slipped in."


def test_a_plan_signed_with_another_secret_is_refused(
    ws: Workspace, planned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same account, another secret: the plan cannot have been made by this one.
    monkeypatch.setenv("KORE_CLIENT_SECRET", "another-secret-that-is-long-enough-0123456789")
    result = ws.cli("apply", str(planned))
    assert result.code == 1 and "made with another client secret" in error_line(result.err)
    assert ws.store.stats()["total"] == 0


def test_without_a_secret_a_plan_is_saved_unsigned_and_said_so(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet(ws, ["Spring Renewals"])
    change_files(ws, ["Spring Renewals"])
    monkeypatch.setenv("KORE_JWT", ready_jwt(ws))
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    result = ws.cli("plan", "--out", "p.json")
    assert result.code == 0
    assert (
        "campsync: warning: the saved plan is not signed (KORE_CLIENT_SECRET is not set); "
        "apply will check only its checksum"
    ) in result.err.splitlines()
    assert "signature" not in json.loads((ws.root / "p.json").read_text())
    ws.store.reset_stats()

    # With a secret, an unsigned plan is refused (removing a signature must not pass).
    monkeypatch.setenv("KORE_CLIENT_SECRET", TEST_CLIENT_SECRET)
    refused = ws.cli("apply", "p.json")
    assert refused.code == 1 and "the plan is not signed" in error_line(refused.err)
    assert ws.store.stats()["total"] == 0

    # Without one, there is nothing to check it with: its checksum is all there is.
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    applied = ws.cli("apply", "p.json")
    assert applied.code == 0, applied.err
    assert sent(ws) == {"update": 1}


def test_a_signed_plan_without_the_secret_to_check_it_is_refused(
    ws: Workspace, planned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KORE_JWT", ready_jwt(ws))
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    result = ws.cli("apply", str(planned))
    assert result.code == 1
    assert error_line(result.err) == (
        f"campsync: error: plan file {planned}: the plan is signed, and without "
        "KORE_CLIENT_SECRET the signature cannot be checked; set KORE_CLIENT_SECRET (the "
        "client secret the plan was made with)"
    )
    assert ws.store.stats()["total"] == 0


def test_an_environment_signs_with_its_own_secret_variable(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod_environment(ws, monkeypatch)
    fleet(ws, ["Spring Renewals"])
    change_files(ws, ["Spring Renewals"])
    assert ws.cli("plan", "--env", "prod", "--out", "p.json").code == 0
    key = derive_key(TEST_CLIENT_SECRET)
    document = json.loads((ws.root / "p.json").read_text())
    assert document["signature"] == PlanSigning(key).sign(canonical(document))
    monkeypatch.delenv("PROD_SECRET")
    monkeypatch.setenv("KORE_JWT", ready_jwt(ws))
    refused = ws.cli("apply", "p.json", "--env", "prod")
    assert refused.code == 1 and "set PROD_SECRET" in error_line(refused.err)


# --- the module itself ---------------------------------------------------------------------


def test_signing_unit(tmp_path: Path) -> None:
    target = Target("https://platform.kore.ai", "st-1", "acc-1")
    signing = PlanSigning(derive_key("s3cret-value"))
    assert "s3cret" not in repr(signing) and repr(signing).startswith("PlanSigning(signs=True")
    path = tmp_path / "plan.json"
    save_plan(path, sample_plan(), target, signing=signing)
    plan = load_plan(path, signing=signing).plan
    assert plan.to_json() == sample_plan().to_json()
    with pytest.raises(PlanSignatureError, match="cannot be checked"):
        load_plan(path)
    other = PlanSigning(derive_key("another"))
    with pytest.raises(PlanSignatureError, match="does not verify"):
        load_plan(path, signing=other)
    # The key is bound to its label: it is not the secret's plain HMAC-SHA256 of the plan.
    assert derive_key("s3cret-value") != derive_key("s3cret-value ")
    assert len(derive_key("x")) == 32


def test_a_plan_read_to_be_shown_says_how_its_signature_stands(tmp_path: Path) -> None:
    """What `show` reads: a plan it cannot check, or an unsigned one, is read all the same
    and said so; one whose signature does not verify is refused as for apply."""
    target = Target("https://platform.kore.ai", "st-1", "acc-1")
    signing = PlanSigning(derive_key("s3cret-value"), "KORE_STAGING_CLIENT_SECRET")
    signed, unsigned = tmp_path / "signed.json", tmp_path / "unsigned.json"
    save_plan(signed, sample_plan(), target, signing=signing)
    save_plan(unsigned, sample_plan(), target)
    no_key = PlanSigning()

    read = read_plan(signed, signing=signing)
    assert (read.signed, read.target) == ("verified", target)
    assert read.plan.to_json() == sample_plan().to_json()
    assert signing.note("verified") == (
        "the plan's signature verifies with KORE_STAGING_CLIENT_SECRET"
    )
    assert read_plan(signed, signing=no_key).signed == "unchecked"
    assert no_key.note("unchecked") == (
        "the plan is signed; without KORE_CLIENT_SECRET its signature was not checked"
    )
    assert read_plan(unsigned, signing=no_key).signed == "unsigned"
    assert read_plan(unsigned, signing=signing).signed == "unsigned"
    assert no_key.note("unsigned") == "the plan is not signed (it was made without a client secret)"
    assert signing.note("unsigned").endswith(
        "; apply refuses it while KORE_STAGING_CLIENT_SECRET is set"
    )
    with pytest.raises(PlanSignatureError, match="does not verify"):
        read_plan(signed, signing=PlanSigning(derive_key("another")))
    # apply, from the same files: only what it may apply
    with pytest.raises(PlanSignatureError, match="not signed"):
        load_plan(unsigned, signing=signing)
    with pytest.raises(PlanSignatureError, match="cannot be checked"):
        load_plan(signed, signing=no_key)


def test_no_secret_nor_key_in_a_signed_file(tmp_path: Path) -> None:
    secret = "s3cr3t-client-secret-value"
    (tmp_path / "campsync.yaml").write_text("{}\n")
    settings = load_settings(
        env={
            "KORE_CLIENT_ID": "cs-client",
            "KORE_CLIENT_SECRET": secret,
            "KORE_STREAM_ID": "st-9",
            "KORE_ACCOUNT_ID": "acc-9",
        },
        config_path=tmp_path / "campsync.yaml",
    )
    signing = PlanSigning.of(settings.credentials)
    assert signing.key is not None and signing.unsigned_note() is None
    path = tmp_path / "plan.json"
    save_plan(path, sample_plan(), settings.target(), signing=signing)
    text = path.read_text()
    assert secret not in text and derive_key(secret).hex() not in text
    assert "cs-client" not in text
