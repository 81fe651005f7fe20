"""`campsync plan` end to end: the CLI in-process against a real emulator on 127.0.0.1.

Covers matching (id, name, create, unknown id, two files on one campaign), every
normalisation rule (no spurious diff), blocked campaigns, unmanaged campaigns, the output
formats, --out and the exit codes. The helpers here are also used by test_apply.py.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from typing import Any

import pytest

from campsync.cli import main
from campsync.sync.runstate import REASON_ACTIVE, REASON_PREPARING
from tests.fixtures_emulator import (
    REFERENCE_SAMPLE_BODY,
    campaign_body,
    emulator_token,
    progressive_body,
)
from tests.fixtures_workspace import Workspace

# The reference sample as sent, with its masked caller id (which the schema rightly refuses)
# replaced by a whole number.
REFERENCE_SAMPLE_TEXT = REFERENCE_SAMPLE_BODY.replace("+148465xxxxx", "+14846552187")


def reference_sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE_SAMPLE_TEXT)
    return data


def flow_id(ws: Workspace, name: str) -> str:
    return str(ws.store.catalog.experience_flows[name])


def paths_of(change: dict[str, Any]) -> list[str]:
    return [d["path"] for d in change["diff"]]


# --- matching ------------------------------------------------------------------------


def test_reference_sample_is_applied_as_an_update_and_then_the_plan_is_empty(
    ws: Workspace,
) -> None:
    sample = reference_sample()
    (cid,) = ws.seed(campaign_body(sample["name"].upper(), enableMachineDetect="no"))
    # The sample is an update body: with the campaign's id (without it, the validator asks
    # for the enableMachineDetect a create of an Agentless campaign needs).
    ws.write("feedback.yaml", REFERENCE_SAMPLE_TEXT.replace("{", f'{{\n    "id": "{cid}",', 1))

    plan = ws.plan_json()
    (change,) = plan["changes"]
    assert change["action"] == "update" and change["id"] == cid
    assert change["file"] == "campaigns/feedback.yaml"
    assert "dialingStrategy.callingHours.timezone" in paths_of(change)

    assert ws.cli("apply", "--auto-approve").code == 0
    stored = ws.stored(cid)
    assert stored["name"] == sample["name"]
    assert stored["dialingStrategy"]["callingHours"]["timezone"] == "Asia/Kolkata"
    assert stored["experienceFlow"] == flow_id(ws, "Voice Survey Entry Flow")

    ws.store.reset_stats()
    again = ws.cli("plan", "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "No changes" in again.out
    assert ws.writes() == 0


def test_files_without_id_match_by_name_case_insensitively(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("SPRING renewals"))
    (change,) = ws.plan_json()["changes"]
    assert (change["action"], change["id"]) == ("update", cid)
    assert change["diff"] == [
        {"path": "name", "before": "Spring Renewals", "after": "SPRING renewals"}
    ]


def test_a_file_whose_id_is_not_on_the_platform_is_blocked(ws: Workspace) -> None:
    ws.write("ghost.yaml", {"id": "cd-00000000-dead", **campaign_body("Ghost")})
    result = ws.cli("plan", "--json", "--detailed-exitcode")
    assert result.code == 2
    (change,) = json.loads(result.out)["changes"]
    assert change["action"] == "blocked"
    assert change["reason"] == (
        "no campaign with id cd-00000000-dead on the platform (remove the id to create it)"
    )


def test_two_files_resolving_to_one_campaign_is_a_one_line_error(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("a.yaml", {"id": cid, **campaign_body("Renamed")})
    ws.write("b.yaml", campaign_body("spring renewals"))
    result = ws.cli("plan")
    assert result.code == 1
    assert result.out == ""
    (line,) = result.err.strip().splitlines()
    assert "campaigns/a.yaml" in line and "campaigns/b.yaml" in line and cid in line


def test_unmanaged_campaigns_are_counted_named_and_never_touched(ws: Workspace) -> None:
    managed, other = ws.seed(campaign_body("Managed One"), campaign_body("Somebody Elses"))
    before = ws.stored(other)
    ws.write("managed.yaml", campaign_body("Managed One", description="New words."))

    result = ws.cli("plan")
    assert result.code == 0
    assert "1 unmanaged campaign" in result.out and '"Somebody Elses"' in result.out
    assert ws.plan_json()["summary"]["unmanaged"] == 1

    assert ws.cli("apply", "--auto-approve").code == 0
    assert ws.stored(managed)["description"] == "New words."
    assert ws.stored(other) == before
    # Listed, but never read in full nor written.
    assert ws.requests_about(other) == []


# --- normalisation: semantically equal is no change -----------------------------------


def test_equal_forms_are_no_change(ws: Workspace) -> None:
    body = campaign_body(
        "Spring Renewals",
        dialingStrategy={
            "callerId": {"phoneNumber": "+14155550100"},
            "callingHours": {
                "frequency": "WEEKLY",
                "timezone": "America/New_York",
                "days": [
                    {"day": "MO", "start": "9:00 AM", "end": "5:00 PM"},
                    {"day": "WE", "start": "10:00 AM", "end": "4:00 PM"},
                ],
            },
            "dialingOrder": "FIFO",
            "maxAttemptsPerRecord": 3,
            "defaultRetryPeriod": 60,
            "maxRingTime": 30,
        },
        maxSkips=4,
    )
    (cid,) = ws.seed(body)
    # Keys in another order, days reversed, priority a number, maxSkips and schedule left out.
    ws.write(
        "spring.yaml",
        f"""\
id: {cid}
priority: 3
campaignType: voice
name: Spring Renewals
dialingStrategy:
  maxRingTime: 30
  defaultRetryPeriod: 60
  maxAttemptsPerRecord: 3
  dialingOrder: FIFO
  callingHours:
    days:
      - {{end: "4:00 PM", start: "10:00 AM", day: WE}}
      - {{day: MO, end: "5:00 PM", start: "9:00 AM"}}
    timezone: America/New_York
    frequency: WEEKLY
  callerId:
    phoneNumber: "+14155550100"
dialingMode: Agentless
dncLists:
  name: Global DNC
contactLists: [Q4 Renewals]
description: Calls customers whose plan renews this spring.
enableMachineDetect: detect
experienceFlowName: Payment Reminder Flow
""",
    )
    ws.config(
        f"experienceFlows:\n  Payment Reminder Flow: {flow_id(ws, 'Payment Reminder Flow')}\n"
    )
    result = ws.cli("plan", "--detailed-exitcode")
    assert result.code == 0, result.out
    assert "Warnings" not in result.out
    assert ws.plan_json()["summary"] == {
        "create": 0,
        "stop": 0,
        "update": 0,
        "start": 0,
        "delete": 0,
        "blocked": 0,
        "unchanged": 1,
        "unmanaged": 0,
    }


def test_a_real_change_among_equal_forms_is_the_only_diff(ws: Workspace) -> None:
    ws.seed(campaign_body("Spring Renewals"))
    data = campaign_body("Spring Renewals", priority=3)
    data["dialingStrategy"]["callingHours"]["days"][0]["end"] = "6:00 PM"
    ws.write("spring.yaml", data)
    (change,) = ws.plan_json()["changes"]
    assert change["diff"] == [
        {
            "path": "dialingStrategy.callingHours.days[MO].end",
            "before": "5:00 PM",
            "after": "6:00 PM",
        }
    ]


def test_experience_flow_unmapped_warns_and_mapped_compares(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals"))

    unmapped = ws.cli("plan", "--detailed-exitcode")
    assert unmapped.code == 0
    assert "experienceFlowName 'Payment Reminder Flow' is not comparable" in unmapped.out

    ws.config(
        "experienceFlows:\n"
        f"  Payment Reminder Flow: {flow_id(ws, 'Payment Reminder Flow')}\n"
        f"  Voice Survey Entry Flow: {flow_id(ws, 'Voice Survey Entry Flow')}\n"
    )
    mapped = ws.cli("plan", "--detailed-exitcode")
    assert mapped.code == 0 and "not comparable" not in mapped.out

    ws.write(
        "spring.yaml",
        campaign_body("Spring Renewals", experienceFlowName="Voice Survey Entry Flow"),
    )
    (change,) = ws.plan_json()["changes"]
    assert change["diff"] == [
        {
            "path": "experienceFlowName",
            "before": "Payment Reminder Flow",
            "after": "Voice Survey Entry Flow",
        }
    ]
    assert ws.cli("apply", "--auto-approve").code == 0
    assert ws.stored(cid)["experienceFlow"] == flow_id(ws, "Voice Survey Entry Flow")
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_queue_is_compared_through_the_lists_connection(ws: Workspace) -> None:
    (cid,) = ws.seed(progressive_body("Collections Push"))
    ws.write("push.yaml", progressive_body("Collections Push"))
    assert ws.cli("plan", "--detailed-exitcode").code == 0

    ws.write("push.yaml", progressive_body("Collections Push", queue_name="Sales Queue"))
    (change,) = ws.plan_json()["changes"]
    assert change["diff"] == [
        {"path": "queue_name", "before": "Collections Queue", "after": "Sales Queue"}
    ]
    assert ws.cli("apply", "--auto-approve").code == 0
    assert ws.stored(cid)["queue_name"] == "Sales Queue"
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_created_campaigns_converge_even_while_preparing(ws: Workspace) -> None:
    ws.write("a.yaml", campaign_body("Agentless New"))
    ws.write("p.yaml", progressive_body("Progressive New"))
    ws.write("v.yaml", progressive_body("Preview New", dialingMode="Preview", maxSkips=2))
    created = ws.cli("apply", "--auto-approve")
    assert created.code == 0, created.out + created.err
    for name in ("Agentless New", "Progressive New", "Preview New"):
        assert f'applied: create "{name}"' in created.out
    # Right after the create they are Preparing: equal, so simply unchanged.
    assert any(r["status"] == "Preparing" for r in ws.store.raw_campaigns())
    assert ws.cli("plan", "--detailed-exitcode").code == 0
    ws.wait_ready()
    assert ws.cli("plan", "--detailed-exitcode").code == 0
    assert ws.stored_by_name("Preview New")["maxSkips"] == 2


# --- blocked ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"), [("Active", REASON_ACTIVE), ("Preparing", REASON_PREPARING)]
)
def test_a_campaign_that_cannot_be_edited_is_blocked_when_it_differs(
    ws: Workspace, status: str, reason: str
) -> None:
    changed, same = ws.seed(campaign_body("Running"), campaign_body("Running Too"))
    ws.store.set_status(changed, status)
    ws.store.set_status(same, status)
    ws.write("running.yaml", campaign_body("Running", description="Changed."))
    ws.write("too.yaml", campaign_body("Running Too"))

    plan = ws.plan_json()
    (change,) = plan["changes"]
    assert change["action"] == "blocked" and change["reason"] == reason
    assert plan["summary"]["unchanged"] == 1
    text = ws.cli("plan", "--detailed-exitcode")
    assert text.code == 2 and reason in text.out
    assert text.out.startswith("campsync can't make these changes: every one is blocked.")

    ws.store.reset_stats()
    applied = ws.cli("apply", "--auto-approve")
    assert applied.code == 1
    assert ws.writes() == 0
    assert "blocked" in applied.out


# --- output, exit codes, settings -----------------------------------------------------


def test_json_output_is_only_the_plan_and_warnings_go_to_stderr(ws: Workspace) -> None:
    ws.seed(campaign_body("Spring Renewals"), campaign_body("Unmanaged"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Changed."))
    ws.write("new.yaml", campaign_body("Brand New"))
    result = ws.cli("plan", "--json")
    assert result.code == 0
    plan = json.loads(result.out)
    assert plan["format_version"] == 1
    assert [(c["action"], c["name"]) for c in plan["changes"]] == [
        ("create", "Brand New"),
        ("update", "Spring Renewals"),
    ]
    assert plan["summary"] == {
        "create": 1,
        "stop": 0,
        "update": 1,
        "start": 0,
        "delete": 0,
        "blocked": 0,
        "unchanged": 0,
        "unmanaged": 1,
    }
    assert "not comparable" in result.err
    assert ws.cli("plan", "--format", "json").out == result.out


def test_markdown_output(ws: Workspace) -> None:
    ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Changed."))
    result = ws.cli("plan", "--format", "markdown")
    assert result.code == 0
    assert result.out.startswith("### campsync plan")
    assert "| ~ | update | Spring Renewals |" in result.out


def test_on_a_terminal_progress_goes_to_stderr_and_colour_to_stdout(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campsync import terminal

    ws.seed(campaign_body("One"), campaign_body("Two"))
    ws.write("one.yaml", campaign_body("One", description="Changed."))
    ws.write("two.yaml", campaign_body("Two"))
    plain = ws.cli("plan")
    assert "\x1b[" not in plain.out and plain.err == ""

    monkeypatch.setattr(terminal, "is_tty", lambda stream: True)
    tty = ws.cli("plan", "--refresh")  # the first plan cached both: read them again
    assert tty.code == 0
    assert "read 2/2 campaigns" in tty.err and "2/2 campaigns" not in tty.out
    assert "\x1b[33m~ update" in tty.out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in ws.cli("plan").out


def test_a_dumb_terminal_gets_no_escape_sequences(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campsync import terminal

    ws.seed(*(campaign_body(f"Campaign {i}") for i in range(70)))
    for i in range(70):
        ws.write(f"c{i}.yaml", campaign_body(f"Campaign {i}", description="Changed."))
    monkeypatch.setattr(terminal, "is_tty", lambda stream: True)
    monkeypatch.setenv("TERM", "dumb")
    dumb = ws.cli("plan", "--refresh")
    assert dumb.code == 0
    assert "\x1b[" not in dumb.out + dumb.err and "\r" not in dumb.err
    assert "~ update" in dumb.out
    assert "campsync: read 70 of 70 campaigns" in dumb.err  # the log's lines instead
    monkeypatch.setenv("TERM", "xterm-256color")
    assert "\x1b[33m~ update" in ws.cli("plan", "--refresh").out


def test_a_missing_path_is_one_line(ws: Workspace) -> None:
    result = ws.cli("plan", "nowhere")
    assert result.code == 1 and result.err.count("\n") == 1 and "nowhere" in result.err


def test_with_no_campaign_file_validate_plan_and_apply_say_the_same(ws: Workspace) -> None:
    # Right after `campsync init` (issue 18, item 20): not "No changes" from plan.
    ws.seed(campaign_body("On The Platform"))
    for command in (["validate"], ["plan"], ["plan", "--json"], ["apply", "--auto-approve"]):
        result = ws.cli(*command)
        assert (result.code, result.out) == (1, ""), command
        assert result.err == (
            "campsync: error: no campaign files (*.yaml, *.yml) under campaigns\n"
        ), command
    assert ws.store.stats()["total"] == 0


def test_detailed_exitcode(ws: Workspace) -> None:
    ws.seed(campaign_body("Same"))
    ws.write("same.yaml", campaign_body("Same"))
    assert ws.cli("plan", "--detailed-exitcode").code == 0  # nothing to change
    ws.write("new.yaml", campaign_body("Brand New"))
    assert ws.cli("plan", "--detailed-exitcode").code == 2
    assert ws.cli("plan").code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--no-such-flag"],
        ["plan", "--json", "--format", "text"],
        ["plan", "--format", "yaml"],
        ["plan", "--parallelism", "0"],
        ["apply", "--nope"],
    ],
)
def test_bad_flags_exit_1(ws: Workspace, args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        code = main(args)
        raise SystemExit(code)
    assert info.value.code == 1
    assert ws.store.stats()["total"] == 0


def test_invalid_files_are_listed_and_nothing_is_read(ws: Workspace) -> None:
    ws.write("bad.yaml", "name: Bad\npriority: 9\nnoSuchField: 1\n")
    ws.write("good.yaml", campaign_body("Good"))
    result = ws.cli("plan")
    assert result.code == 1
    assert result.out == ""
    assert "campaigns/bad.yaml:3:1" in result.err
    assert result.err.strip().splitlines()[-1].startswith("campsync: error: ")
    assert ws.store.stats()["total"] == 0


def test_missing_credentials_or_ids_are_one_line_config_errors(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("new.yaml", campaign_body("Brand New"))
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    result = ws.cli("plan")
    assert (result.code, result.out) == (1, "")
    assert result.err.count("\n") == 1 and "KORE_CLIENT_SECRET" in result.err
    monkeypatch.setenv("KORE_CLIENT_SECRET", "x")
    monkeypatch.delenv("KORE_ACCOUNT_ID")
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 1 and result.err.count("\n") == 1 and "accountId" in result.err
    assert ws.store.stats()["total"] == 0


@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"]])
def test_a_ready_token_with_a_jti_is_refused_before_any_request(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """The platform accepts a token that carries jti only once: one request would work, the
    next fail as a replay (issue 10, item 9)."""
    ws.write("new.yaml", campaign_body("Brand New"))
    token = emulator_token(ws.emulator, jti="once-only")
    monkeypatch.setenv("KORE_JWT", token)
    result = ws.cli(*command)
    assert (result.code, result.out) == (1, "")
    assert result.err.count("\n") == 1
    assert "KORE_JWT carries a jti claim" in result.err and "KORE_CLIENT_SECRET" in result.err
    assert token not in result.err and token.split(".")[1] not in result.err
    assert ws.store.stats()["total"] == 0


def test_a_refused_call_is_one_line_and_no_partial_plan(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("new.yaml", campaign_body("Brand New"))
    monkeypatch.setenv("KORE_CLIENT_SECRET", "not-the-secret-but-long-enough-0123456789")
    result = ws.cli("plan", "--out", "p.json")
    assert result.code == 1
    assert result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("campsync: error: ")
    assert not (ws.root / "p.json").exists()


def test_out_saves_the_plan_privately_with_its_bodies(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", priority=5))
    result = ws.cli("plan", "--out", "p.json")
    assert result.code == 0
    assert "campsync apply p.json" in result.out
    saved = ws.root / "p.json"
    assert (saved.stat().st_mode & 0o777) == 0o600
    document = json.loads(saved.read_text())
    (extra,) = [change["campsync"] for change in document["changes"]]
    assert extra["body"]["priority"] == "5"
    assert "id" not in extra["body"]
    assert extra["updated_at"] == ws.stored(cid)["updatedAt"]
    # --json with --out: stdout stays pure JSON.
    quiet = ws.cli("plan", "--json", "--out", "q.json")
    assert json.loads(quiet.out)["changes"][0]["id"] == cid
    assert "q.json" in quiet.err


def test_an_unwritable_out_file_is_one_line(ws: Workspace) -> None:
    (ws.root / "taken").write_text("a file, not a folder")
    ws.write("new.yaml", campaign_body("Brand New"))
    result = ws.cli("plan", "--out", "taken/p.json")
    assert result.code == 1 and result.out == ""
    assert result.err.count("\n") == 1 and "cannot write the plan" in result.err


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_out_onto_anything_but_a_regular_file_is_refused_before_reading(
    ws: Workspace, kind: str
) -> None:
    """`--out` replaced a symbolic link (or a FIFO, or, as root, a device such as /dev/full)
    with the plan: only a regular file or a new path is written, and that is said before
    the platform is read."""
    ws.write("new.yaml", campaign_body("Brand New"))
    target = ws.root / "elsewhere.txt"
    target.write_text("not to be touched\n")
    out = ws.root / "p.json"
    if kind == "symlink":
        out.symlink_to(target)
        reason = "it is a symbolic link; give a new path or a regular file"
    elif kind == "fifo":
        os.mkfifo(out)
        reason = "it is not a regular file; give a new path or a regular file"
    else:
        out.mkdir()
        reason = "Is a directory"
    ws.store.reset_stats()
    result = ws.cli("plan", "--out", "p.json")
    assert result.code == 1 and result.out == ""
    assert result.err == f"campsync: error: p.json: cannot write the plan: {reason}\n"
    assert ws.store.stats()["total"] == 0  # refused before the first request
    assert target.read_text() == "not to be touched\n"
    assert out.is_symlink() if kind == "symlink" else not out.is_file()


@pytest.mark.parametrize("name", ["plan.yaml", "campaigns/plan.yml", "PLAN.YAML"])
def test_out_with_a_campaign_file_name_is_refused_before_reading(ws: Workspace, name: str) -> None:
    """A saved plan named .yaml or .yml would be read as a campaign file (under the campaign
    folder, the next plan fails on it), and `apply` takes such a name for campaign files."""
    ws.write("new.yaml", campaign_body("Brand New"))
    ws.store.reset_stats()
    result = ws.cli("plan", "--out", name)
    assert result.code == 1 and result.out == ""
    suffix = name.rsplit(".", 1)[1]
    assert result.err == (
        f"campsync: error: {name}: a saved plan is JSON, and a .{suffix} file is read as a "
        "campaign file; name it .json\n"
    )
    assert ws.store.stats()["total"] == 0  # refused before the first request
    assert not (ws.root / name).exists()


def test_a_saved_plan_given_to_validate_is_named_in_one_line(ws: Workspace) -> None:
    """Not a schema error for each of its fields: the file is a saved plan, and what to do."""
    ws.write("new.yaml", campaign_body("Brand New"))
    assert ws.cli("plan", "--out", "p.json").code == 0
    shutil.copy(ws.root / "p.json", ws.root / "campaigns" / "kept.yaml")
    for path, shown in (("p.json", "p.json"), ("campaigns", "campaigns/kept.yaml")):
        result = ws.cli("validate", path)
        assert result.code == 1
        assert result.out == (
            f"{shown}:1:1: a saved plan ('campsync plan --out'), not a campaign file: show it "
            "with 'campsync show FILE', apply it with 'campsync apply FILE', and keep it out of "
            "the campaign folder\n"
        )


def test_out_onto_a_regular_file_replaces_it(ws: Workspace) -> None:
    ws.write("new.yaml", campaign_body("Brand New"))
    (ws.root / "p.json").write_text("an older plan")
    assert ws.cli("plan", "--out", "p.json").code == 0
    assert json.loads((ws.root / "p.json").read_text())["summary"]["create"] == 1


def test_plan_reads_only(ws: Workspace) -> None:
    ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="x"))
    ws.write("new.yaml", campaign_body("Brand New"))
    before = copy.deepcopy(ws.store.raw_campaigns())
    assert ws.cli("plan").code == 0
    assert ws.writes() == 0
    assert ws.store.raw_campaigns() == before
    by_kind = ws.store.stats()["by_kind"]
    assert by_kind["get"] == 1  # only the campaign a file describes is read in full
