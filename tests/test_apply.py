"""`campsync apply` end to end against the emulator: fresh plans (prompt, refusal without a
terminal, --auto-approve), saved plans (applied exactly, stale, tampered, other target),
partial failure, convergence, secrets, and SIGINT/SIGTERM in a subprocess."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.emulator.store import list_view
from campsync.sync.diffing import compare
from tests.fixtures_emulator import (
    TEST_CLIENT_SECRET,
    campaign_body,
    emulator_test_config,
    progressive_body,
    seed_ready,
    settled_stats,
    subprocess_env,
)
from tests.fixtures_workspace import TerminalInput, Workspace

REPO = Path(__file__).resolve().parent.parent
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*")


def holds_exactly(ws: Workspace, record: dict[str, Any], body: dict[str, Any]) -> bool:
    """The emulator's campaign holds every field of `body` (as the platform shows it: the DNC
    list with its id, the flow as an id, the queue in the list)."""
    live = ws.store.get_campaign(record["_id"])
    item = next(i for i in list_items(ws) if i["_id"] == record["_id"])
    flows = dict(ws.store.catalog.experience_flows)
    comparison = compare(body, live, item, experience_flows=flows, listed_type="voice")
    return comparison.diffs == () and comparison.warnings == ()


def list_items(ws: Workspace) -> list[dict[str, Any]]:
    return [list_view(r) for r in ws.store.raw_campaigns()]


# --- fresh plans ------------------------------------------------------------------------


def test_update_and_create_then_the_next_plan_is_empty(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", priority=5))
    ws.write("push.yaml", progressive_body("Collections Push"))
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 0, result.out + result.err
    assert 'applied: update "Spring Renewals"' in result.out
    assert 'applied: create "Collections Push"' in result.out
    assert "Apply complete: 2 applied." in result.out
    assert ws.stored(cid)["priority"] == "5"
    created = ws.stored_by_name("Collections Push")
    assert created["queue_name"] == "Collections Queue"
    assert ws.store.stats()["by_kind"]["update"] == 1
    assert ws.store.stats()["by_kind"]["create"] == 1

    ws.store.reset_stats()
    assert ws.cli("plan", "--detailed-exitcode").code == 0
    nothing = ws.cli("apply", "--auto-approve")
    assert nothing.code == 0 and "Nothing to apply" in nothing.out
    assert ws.writes() == 0


def test_a_single_yaml_file_is_a_path_not_a_plan(ws: Workspace) -> None:
    ws.write("new.yml", campaign_body("Brand New"))
    ws.write("other.yaml", campaign_body("Other New"))
    result = ws.cli("apply", "campaigns/new.yml", "--auto-approve")
    assert result.code == 0, result.err
    assert [r["name"] for r in ws.store.raw_campaigns()] == ["Brand New"]


def test_an_empty_saved_plan_applies_nothing(ws: Workspace) -> None:
    ws.seed(campaign_body("Same"))
    ws.write("same.yaml", campaign_body("Same"))
    assert ws.cli("plan", "--out", "p.json").code == 0
    result = ws.cli("apply", "p.json")
    assert result.code == 0 and "Nothing to apply" in result.out
    assert ws.writes() == 0


def test_without_a_terminal_and_without_auto_approve_apply_plans_then_refuses(
    ws: Workspace,
) -> None:
    ws.write("new.yaml", campaign_body("Brand New"))
    result = ws.cli("apply")
    assert result.code == 1
    assert '+ create "Brand New"' in result.out  # the plan, then the refusal
    (line,) = result.err.strip().splitlines()
    assert "--auto-approve" in line and "saved plan" in line and "nothing was changed" in line
    assert ws.writes() == 0


def test_without_a_terminal_nothing_to_change_is_success(ws: Workspace) -> None:
    """Issue 10, item 10: the refusal came before planning, even with nothing to change."""
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", {"id": cid, **campaign_body("Spring Renewals")})
    result = ws.cli("apply")
    assert (result.code, result.err) == (0, "")
    assert "Nothing to apply: the platform matches the campaign files." in result.out
    assert ws.writes() == 0


def test_without_a_terminal_a_missing_folder_or_bad_file_is_reported_first(ws: Workspace) -> None:
    """A mistyped PATH or an invalid file was reported as 'no terminal to confirm on':
    the user added --auto-approve only to learn of the real problem next."""
    missing = ws.cli("apply", "campaign")
    assert missing.code == 1
    assert "campaign: no such file or directory" in missing.err, missing.err
    ws.write("bad.yaml", {"name": "Bad", "descripton": "typo"})
    invalid = ws.cli("apply")
    assert invalid.code == 1
    assert "unknown field 'descripton'" in invalid.err and "terminal" not in invalid.err
    assert ws.store.stats()["total"] == 0


@pytest.mark.parametrize(("answer", "applied"), [("yes", True), ("y", False), ("YES ", False)])
def test_on_a_terminal_only_yes_applies(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, answer: str, applied: bool
) -> None:
    prompts: list[str] = []

    def fake_input(prompt: str) -> str:
        prompts.append(prompt)
        return answer

    monkeypatch.setattr(sys, "stdin", TerminalInput())
    monkeypatch.setattr("builtins.input", fake_input)
    ws.write("new.yaml", campaign_body("Brand New"))
    result = ws.cli("apply")
    assert prompts == ["Apply these changes? Only 'yes' is accepted: "]
    assert "+ create" in result.out  # the plan was shown before the question
    assert result.code == (0 if applied else 1)
    assert ws.writes() == (1 if applied else 0)


def test_a_failed_update_does_not_stop_the_others(ws: Workspace) -> None:
    ids = ws.seed(*(campaign_body(f"Campaign {n}") for n in "ABC"))
    ws.write("a.yaml", campaign_body("Campaign A", description="A, changed."))
    # An unknown flow (sent with B's change): valid for the schema, and no experienceFlows to
    # check it against (a contact list the account lacks is blocked before: sync.references).
    ws.write(
        "b.yaml",
        campaign_body("Campaign B", description="B, changed.", experienceFlowName="No Such Flow"),
    )
    ws.write("c.yaml", campaign_body("Campaign C", description="C, changed."))
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 1
    assert 'applied: update "Campaign A"' in result.out
    assert 'applied: update "Campaign C"' in result.out
    failed = [line for line in result.out.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1 and failed[0].startswith('failed: update "Campaign B": ')
    assert "No Such Flow" in failed[0]
    assert "Apply complete: 2 applied, 1 failed." in result.out
    assert 'Applied: update "Campaign A", update "Campaign C"' in result.out
    assert 'Not applied: update "Campaign B" (failed)' in result.out
    assert ws.stored(ids[0])["description"] == "A, changed."
    assert ws.stored(ids[1])["description"] == campaign_body()["description"]
    assert ws.stored(ids[2])["description"] == "C, changed."


# --- saved plans -------------------------------------------------------------------------


def test_a_saved_plan_is_applied_exactly_even_if_the_files_changed(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="As reviewed."))
    ws.write("new.yaml", progressive_body("Collections Push"))
    assert ws.cli("plan", "--out", "p.json").code == 0
    saved = json.loads((ws.root / "p.json").read_text())
    bodies = {c["name"]: c["campsync"]["body"] for c in saved["changes"]}

    # The files move on after the review; the saved plan must not.
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Not reviewed."))
    ws.write("new.yaml", progressive_body("Collections Push", priority="1"))
    ws.write("other.yaml", campaign_body("Not In The Plan"))

    result = ws.cli("apply", "p.json")  # never prompts, even without --auto-approve
    assert result.code == 0, result.out + result.err
    assert ws.writes() == 2
    spring = ws.stored(cid)
    assert spring["description"] == "As reviewed."
    pushed = ws.stored_by_name("Collections Push")
    assert pushed["priority"] == bodies["Collections Push"]["priority"] == "3"
    for record in (spring, pushed):
        assert holds_exactly(ws, record, bodies[record["name"]])
    assert "Not In The Plan" not in {r["name"] for r in ws.store.raw_campaigns()}


def test_a_plan_made_stale_by_a_platform_change_is_refused(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Reviewed."))
    assert ws.cli("plan", "--out", "p.json").code == 0
    ws.store.update_campaign(cid, campaign_body("Spring Renewals", maxSkips=7))
    ws.store.reset_stats()

    result = ws.cli("apply", "p.json")
    assert result.code == 1
    assert "Spring Renewals" in result.err and "nothing was applied" in result.err
    assert result.err.count("\n") == 1
    assert ws.writes() == 0
    assert ws.store.stats()["by_kind"]["get"] == 0  # the list's updatedAt is enough


def test_a_saved_plan_applied_twice_is_refused_as_already_applied(ws: Workspace) -> None:
    """Issue 10, item 11: it was refused as 'changed on the platform'."""
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Reviewed."))
    ws.write("new.yaml", campaign_body("Brand New"))
    assert ws.cli("plan", "--out", "p.json").code == 0
    assert ws.cli("apply", "p.json").code == 0
    new_id = ws.stored_by_name("Brand New")["_id"]
    ws.store.reset_stats()

    again = ws.cli("apply", "p.json")
    assert again.code == 1
    (line,) = again.err.splitlines()
    assert line == (
        "campsync: error: the plan was already applied: campaign 'Brand New' was created "
        f"({new_id}), campaign 'Spring Renewals' ({cid}) already holds its change; "
        "nothing was sent"
    )
    assert ws.store.stats()["by_kind"]["get"] == 0  # the cache recalls the update's answer
    assert ws.writes() == 0

    ws.store.update_campaign(cid, campaign_body("Spring Renewals", description="Someone else."))
    third = ws.cli("apply", "p.json")
    assert third.code == 1 and ws.writes() == 0
    assert f"campaign 'Spring Renewals' ({cid}) changed on the platform" in third.err
    assert "(campaign 'Brand New' was created" in third.err and "plan again" in third.err


def test_a_plan_whose_create_now_exists_is_refused(ws: Workspace) -> None:
    ws.write("new.yaml", campaign_body("Brand New"))
    assert ws.cli("plan", "--out", "p.json").code == 0
    seed_ready(ws.emulator, campaign_body("BRAND NEW"))
    ws.store.reset_stats()
    result = ws.cli("apply", "p.json")
    assert result.code == 1 and "campaign 'Brand New' was created on the platform" in result.err
    assert "already applied" not in result.err  # not created from this plan's file
    assert ws.writes() == 0


def test_a_tampered_plan_is_refused(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Reviewed."))
    assert ws.cli("plan", "--out", "p.json").code == 0
    path = ws.root / "p.json"
    document = json.loads(path.read_text())
    document["changes"][0]["campsync"]["body"]["description"] = "Slipped in."
    path.write_text(json.dumps(document))
    ws.store.reset_stats()

    result = ws.cli("apply", "p.json")
    assert result.code == 1
    assert "altered" in result.err and result.err.count("\n") == 1
    assert ws.store.stats()["total"] == 0
    assert ws.stored(cid)["description"] != "Slipped in."


def test_a_plan_for_another_account_is_refused(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("new.yaml", campaign_body("Brand New"))
    assert ws.cli("plan", "--out", "p.json").code == 0
    monkeypatch.setenv("KORE_ACCOUNT_ID", "another-account")
    result = ws.cli("apply", "p.json")
    assert result.code == 1 and "account_id" in result.err
    assert ws.writes() == 0


def test_a_file_that_is_not_a_plan_is_refused(ws: Workspace) -> None:
    (ws.root / "notes.json").write_text('{"hello": 1}')
    result = ws.cli("apply", "notes.json")
    assert result.code == 1 and "not a campsync plan" in result.err
    assert ws.store.stats()["total"] == 0


def test_blocked_changes_in_a_saved_plan_are_not_sent_and_exit_1(ws: Workspace) -> None:
    active, _ = ws.seed(campaign_body("Running"), campaign_body("Idle"))
    ws.store.set_status(active, "Active")
    ws.write("running.yaml", campaign_body("Running", description="Changed."))
    ws.write("idle.yaml", campaign_body("Idle", description="Changed."))
    assert ws.cli("plan", "--out", "p.json").code == 0
    ws.store.reset_stats()
    result = ws.cli("apply", "p.json")
    assert result.code == 1
    assert 'applied: update "Idle"' in result.out
    assert 'blocked: "Running": ' in result.out
    assert 'Not applied: "Running" (blocked)' in result.out
    assert ws.store.stats()["by_kind"]["update"] == 1
    assert ws.requests_about(active) == []


# --- secrets ------------------------------------------------------------------------------


def test_no_secret_in_any_output_or_plan_file(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Changed."))
    ws.write("bad.yaml", campaign_body("Broken", contactLists=["No Such List"]))
    outputs = [
        ws.cli("plan"),
        ws.cli("plan", "--json", "--out", "p.json"),
        ws.cli("plan", "--format", "markdown"),
        ws.cli("apply", "p.json"),
        ws.cli("apply", "--auto-approve"),
    ]
    monkeypatch.setenv("KORE_CLIENT_SECRET", "wrong-secret-but-long-enough-0123456789abcdef")
    outputs.append(ws.cli("plan"))
    texts = [r.out + r.err for r in outputs] + [(ws.root / "p.json").read_text()]
    for text in texts:
        assert TEST_CLIENT_SECRET not in text
        assert "wrong-secret" not in text
        assert not JWT_SHAPE.search(text), text


# --- signals -------------------------------------------------------------------------------


def interrupted_apply(
    emulator: RunningEmulator,
    tmp_path: Path,
    *,
    count: int,
    signum: signal.Signals,
    after_applied: int,
    parallelism: int,
    rate_limit: int = 100000,
    json_output: bool = False,
) -> tuple[int, str, str]:
    """`campsync apply --auto-approve` in a subprocess over `count` changed campaigns,
    sent `signum` once `after_applied` results reported 'applied' (on stdout, or with
    `json_output`, --json, on stderr); (exit code, out, err)."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    for n in range(count):
        body = campaign_body(f"Slow {n}", description=f"Changed {n}.")
        (folder / f"slow{n}.yaml").write_text(json.dumps(body))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "campsync",
            "apply",
            "--auto-approve",
            "--parallelism",
            f"{parallelism}",
            *(["--json"] if json_output else []),
        ],
        cwd=tmp_path,
        env=subprocess_env(emulator, rate_limit),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    timer = threading.Timer(30, process.kill)  # a bound, never reached when it works
    timer.start()
    try:
        told = process.stderr if json_output else process.stdout
        assert told is not None
        lines: list[str] = []
        for line in told:
            lines.append(line)
            if sum(x.startswith("applied: ") for x in lines) == after_applied:
                process.send_signal(signum)
                break
        out, err = process.communicate()
    finally:
        timer.cancel()
    if json_output:
        return process.returncode, out, "".join(lines) + err
    return process.returncode, "".join(lines) + out, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_new_writes_and_reports(tmp_path: Path, signum: signal.Signals) -> None:
    count = 5
    with start_in_thread(emulator_test_config(latency_ms=200)) as emulator:
        ids = seed_ready(emulator, *(campaign_body(f"Slow {n}") for n in range(count)))
        code, out, err = interrupted_apply(
            emulator, tmp_path, count=count, signum=signum, after_applied=1, parallelism=1
        )
        assert code == 1, out + err
        assert f"{signum.name} received" in err
        applied = [line for line in out.splitlines() if line.startswith("applied: ")]
        assert "Apply interrupted:" in out and "not started" in out
        assert 1 <= len(applied) < count
        # Every write that was started was completed and reported; no other was sent.
        assert emulator.store.stats()["by_kind"]["update"] == len(applied)
        changed = [
            i for i in ids if emulator.store.get_campaign(i)["description"].startswith("Changed")
        ]
        assert len(changed) == len(applied)


def test_a_signal_also_stops_writes_still_waiting_for_the_rate_limit(tmp_path: Path) -> None:
    """Writes queued for a place in the rate limit have not been sent: after Ctrl-C they must
    never be sent (not even once the window frees), and apply must not wait for the window."""
    count = 5
    with start_in_thread(emulator_test_config()) as emulator:
        seed_ready(emulator, *(campaign_body(f"Slow {n}") for n in range(count)))
        code, out, err = interrupted_apply(
            emulator,
            tmp_path,
            count=count,
            signum=signal.SIGINT,
            after_applied=2,
            parallelism=5,
            # the list, 5 reads, the contact lists (no queue is named) and 2 writes fit in the
            # window; 3 writes wait a minute
            rate_limit=1 + count + 1 + 2,
        )
        assert code == 1, out + err
        assert "Apply interrupted: 2 applied, 3 not started." in out, out + err
        assert emulator.store.stats()["by_kind"]["update"] == 2


def test_a_saved_plan_whose_apply_was_killed_says_it_was_partly_applied(tmp_path: Path) -> None:
    """The run applying a saved plan is killed after two of five writes (SIGKILL: it records
    nothing of them). Applied again, the plan is refused as partly applied, saying what to do,
    not as "changed on the platform after the plan was made"."""
    count = 5
    with start_in_thread(emulator_test_config(latency_ms=200)) as emulator:
        seed_ready(emulator, *(campaign_body(f"Slow {n}") for n in range(count)))
        folder = tmp_path / "campaigns"
        folder.mkdir()
        for n in range(count):
            body = campaign_body(f"Slow {n}", description=f"Changed {n}.")
            (folder / f"slow{n}.yaml").write_text(json.dumps(body))
        env = subprocess_env(emulator, 100000)

        def campsync(*args: str) -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, "-m", "campsync", *args],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

        planned = campsync("plan", "--out", "plan.json")
        planned.communicate(timeout=30)
        assert planned.returncode == 0
        applying = campsync("apply", "plan.json", "--parallelism", "1")
        timer = threading.Timer(30, applying.kill)  # a bound, never reached when it works
        timer.start()
        try:
            assert applying.stdout is not None
            applied = 0
            for line in applying.stdout:
                applied += line.startswith("applied: ")
                if applied == 2:
                    applying.kill()
                    break
            applying.communicate()
        finally:
            timer.cancel()
        # A third write may still be inside the emulator's latency: count once it is answered.
        written = settled_stats(emulator)["by_kind"]["update"]
        assert 2 <= written < count

        again = campsync("apply", "plan.json")
        out, err = again.communicate(timeout=30)

        assert again.returncode == 1, out + err
        assert err.startswith("campsync: error: the plan was partly applied: an apply of it begun ")
        assert "campaign 'Slow 0'" in err and "campaign 'Slow 1'" in err
        assert err.rstrip().endswith(
            "nothing was sent; make a new plan ('campsync plan --out FILE'), review what is "
            "left, and apply that"
        )
        assert emulator.store.stats()["by_kind"]["update"] == written  # nothing more sent
