"""`campsync pull` against the emulator, in process (campsync.cli.main + cli_env)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from campsync.campaign.reader import read_campaign_files
from campsync.campaign.yamlio import load_yaml_file
from campsync.cli import main
from campsync.emulator.catalog import default_catalog
from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import campaign_body, progressive_body, seed_ready

REPO = Path(__file__).resolve().parent.parent
FLOWS = default_catalog().experience_flows
SAFE_FILE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*\.yaml")


def preview_body(name: str = "Webinar Callbacks", **changes: Any) -> dict[str, Any]:
    return progressive_body(
        name, dialingMode="Preview", queue_name="Support Queue", maxSkips=3, **changes
    )


def write_config(folder: Path, flows: dict[str, str] | None = None) -> None:
    flows = dict(FLOWS) if flows is None else flows
    lines = ["experienceFlows:"] + [f"  {name}: {flow_id}" for name, flow_id in flows.items()]
    (folder / "campsync.yaml").write_text("\n".join(lines) + "\n" if flows else "{}\n")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pull(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["pull", *args])
    out, err = capsys.readouterr()
    return code, out, err


def plan_exit(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    code = main(["plan", "--detailed-exitcode", *args])
    capsys.readouterr()
    return code


def data_of(path: Path) -> dict[str, Any]:
    document = load_yaml_file(path)
    assert document is not None
    assert isinstance(document.data, dict)
    return document.data


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# ---- round trip ------------------------------------------------------------------------------


def test_pull_every_dialing_mode_validates_and_plans_clean(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(workdir)
    schedule = {"isSchedulingEnabled": True, "isRecurrenceEnabled": True}
    ids = seed_ready(
        cli_env,
        campaign_body("Spring Renewals"),
        progressive_body("Collections Push", schedule=schedule),
        preview_body("Webinar Callbacks", priority="1"),
    )
    cli_env.store.reset_stats()

    code, out, err = pull(capsys)

    assert code == 0, err
    assert "wrote campaigns/spring-renewals.yaml (Spring Renewals)" in out
    assert "wrote campaigns/collections-push.yaml (Collections Push)" in out
    assert "wrote campaigns/webinar-callbacks.yaml (Webinar Callbacks)" in out
    assert "Pulled 3 campaign(s)" in out
    assert err == ""
    # One list (every page) and one get-one per campaign; nothing written on the platform.
    kinds = cli_env.store.stats()["by_kind"]
    assert kinds["get"] == 3
    assert kinds["list"] >= 1
    assert kinds["update"] == kinds["create"] == kinds["delete"] == 0

    result = read_campaign_files([workdir / "campaigns"])
    assert result.problems == []
    by_name = {cf.data["name"]: cf.data for cf in result.files}
    assert {d["id"] for d in by_name.values()} == set(ids)

    agentless = by_name["Spring Renewals"]
    assert agentless["experienceFlowName"] == "Payment Reminder Flow"
    assert "queue_name" not in agentless and "maxSkips" not in agentless
    assert "enableMachineDetect" not in agentless  # the platform does not return it
    assert agentless["dncLists"] == {"name": "Global DNC"}
    assert agentless["schedule"] == {"isSchedulingEnabled": False}
    assert "useSystemMappings" not in agentless["dialingStrategy"]
    for server_field in ("_id", "lname", "status", "createdAt", "updatedAt", "isFiltersEnabled"):
        assert server_field not in agentless

    progressive = by_name["Collections Push"]
    assert progressive["queue_name"] == "Collections Queue"
    assert "maxSkips" not in progressive  # the platform's default, not for Progressive
    assert progressive["schedule"] == schedule

    preview = by_name["Webinar Callbacks"]
    assert preview["queue_name"] == "Support Queue"
    assert preview["maxSkips"] == 3
    assert preview["priority"] == "1"
    assert preview["campaignType"] == "voice"

    assert plan_exit(capsys) == 0  # round trip: nothing to change


def test_pulled_file_is_written_like_the_example_campaigns(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = REPO / "campaigns" / "product-feedback.yaml"
    body = data_of(example)
    write_config(workdir)
    [campaign_id] = seed_ready(cli_env, body)

    code, _, err = pull(capsys)

    assert code == 0, err
    written = (workdir / "campaigns" / "product-feedback-voice-campaign.yaml").read_text()
    # The example file, minus its explanatory comment, plus the id after the schema comment,
    # minus enableMachineDetect (the platform never returns it; with an id it is optional).
    lines = example.read_text().splitlines(keepends=True)
    lines = [line for line in lines if not line.startswith("enableMachineDetect:")]
    expected = lines[0] + f"id: {campaign_id}\n" + "".join(lines[2:])
    assert written == expected


def test_schema_comment_points_at_the_schema_from_any_depth(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(workdir)
    seed_ready(cli_env, progressive_body("Deep One"))

    code, _, err = pull(capsys, "teams/sales")

    assert code == 0, err
    first = (workdir / "teams" / "sales" / "deep-one.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/campaign.schema.json"


# ---- existing files ---------------------------------------------------------------------------


def test_described_campaigns_are_not_pulled_and_files_are_never_overwritten(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(workdir)
    by_id, _by_name, new = seed_ready(
        cli_env,
        progressive_body("Renamed On The Platform"),
        progressive_body("Matched By Name"),
        progressive_body("Other"),
    )
    folder = workdir / "campaigns"
    (folder / "sub").mkdir(parents=True)
    files = {
        # describes `by_id` through its id, whatever its name says
        folder / "sub" / "a.yaml": f"id: {by_id}\nname: Old Name\n",
        # describes `by_name`, case-insensitively (and is not even valid)
        folder / "b.yml": "name: MATCHED BY NAME\n",
        # describes nothing on the platform, but takes the file name "other.yaml"
        folder / "other.yaml": "name: Some Campaign To Create\n",
    }
    for path, text in files.items():
        path.write_text(text)

    code, out, err = pull(capsys)

    assert code == 0, err
    assert out.splitlines()[0] == "wrote campaigns/other-2.yaml (Other)"
    assert "2 campaign(s) already described by a file" in out
    for path, text in files.items():
        assert path.read_text() == text
    assert data_of(folder / "other-2.yaml")["id"] == new
    assert all_files(folder) == ["b.yml", "other-2.yaml", "other.yaml", "sub/a.yaml"]

    # A second pull finds nothing left to pull.
    code, out, _ = pull(capsys)
    assert code == 0
    assert "Pulled 0 campaign(s)" in out
    assert all_files(folder) == ["b.yml", "other-2.yaml", "other.yaml", "sub/a.yaml"]


@pytest.mark.parametrize(
    "names",
    [
        ["a/b", "../../escape", "..", "/etc/passwd", "C:\\Windows\\evil"],
        ["bell\x07name", "esc\x1b[31mred", "tab\tand\nnewline", "nul\x00byte"],
        ["x" * 300, "日本語のキャンペーン", "!!!", "   ", "CON", "aux.txt"],
        ["Same Name", "same-name", "SAME_NAME!", "same name 2"],
    ],
)
def test_hostile_names_stay_inside_path_with_safe_unique_names(
    cli_env: RunningEmulator,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    names: list[str],
) -> None:
    write_config(workdir)
    ids = seed_ready(cli_env, *(progressive_body(name) for name in names))

    code, out, err = pull(capsys)

    assert code == 0, err
    folder = workdir / "campaigns"
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == len(names)
    assert all(SAFE_FILE.fullmatch(name) and len(name) <= 70 for name in written), written
    assert all(p.parent == folder for p in folder.rglob("*"))
    # Nothing anywhere else: only the config, the pulled folder (and campsync's cache).
    outside_cache = [f for f in all_files(workdir) if not f.startswith(".campsync/cache/")]
    assert outside_cache == sorted(["campsync.yaml", *(f"campaigns/{n}" for n in written)])
    assert not (workdir.parent / "escape.yaml").exists()
    # Every file holds its campaign, name and all, exactly.
    pulled = {data_of(folder / n)["id"]: data_of(folder / n)["name"] for n in written}
    assert pulled == dict(zip(ids, names, strict=True))
    # One line per file and the summary: a name cannot break a line or send escapes.
    assert len(out.splitlines()) == len(names) + 1
    assert not any(ch in out for ch in "\x00\x07\x1b\t")


# ---- experience flows ------------------------------------------------------------------------


def test_unmapped_flows_are_listed_and_overwrite_fills_them_in(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(workdir, flows={})
    seed_ready(
        cli_env,
        campaign_body("First Survey", experienceFlowName="Voice Survey Entry Flow"),
        campaign_body("Second Survey", experienceFlowName="Voice Survey Entry Flow"),
        campaign_body("Reminders", experienceFlowName="Payment Reminder Flow"),
    )
    survey_id = FLOWS["Voice Survey Entry Flow"]
    reminder_id = FLOWS["Payment Reminder Flow"]

    code, out, err = pull(capsys)

    assert code == 0
    assert "Pulled 3 campaign(s)" in out
    assert "3 pulled file(s) have no experienceFlowName" in err
    assert "Agentless" in err and "experienceFlows" in err
    assert f"  {survey_id}: campaigns/first-survey.yaml, campaigns/second-survey.yaml" in err
    assert f"  {reminder_id}: campaigns/reminders.yaml" in err
    folder = workdir / "campaigns"
    assert "experienceFlowName" not in data_of(folder / "reminders.yaml")
    problems = read_campaign_files([folder]).problems
    assert {p.file for p in problems} == {
        "campaigns/first-survey.yaml",
        "campaigns/second-survey.yaml",
        "campaigns/reminders.yaml",
    }

    # The files still describe their campaigns: pulling again writes nothing new.
    code, out, _ = pull(capsys)
    assert code == 0
    assert "Pulled 0 campaign(s)" in out

    write_config(workdir)
    code, out, err = pull(capsys, "--overwrite")

    assert code == 0, err
    assert "rewrote campaigns/reminders.yaml (Reminders)" in out
    assert err == ""
    assert data_of(folder / "reminders.yaml")["experienceFlowName"] == "Payment Reminder Flow"
    assert read_campaign_files([folder]).problems == []
    assert plan_exit(capsys) == 0


# ---- --overwrite -----------------------------------------------------------------------------


def test_overwrite_updates_values_in_place_and_keeps_comments(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(workdir)
    [campaign_id, _] = seed_ready(cli_env, progressive_body("Collections Push"), preview_body())
    assert pull(capsys)[0] == 0
    path = workdir / "campaigns" / "collections-push.yaml"
    text = path.read_text().replace(
        "  maxRingTime: 30\n", "  # ring long enough for voicemail to pick up\n  maxRingTime: 30\n"
    )
    text = text.replace("dialingOrder: FIFO", "dialingOrder: FIFO  # oldest records first")
    path.write_text(text)
    changed = progressive_body("Collections Push")
    changed["dialingStrategy"]["maxRingTime"] = 45
    changed["priority"] = "5"
    cli_env.store.update_campaign(campaign_id, changed)
    untouched = (workdir / "campaigns" / "webinar-callbacks.yaml").read_bytes()

    # Without --overwrite the file stays as it is.
    code, out, _ = pull(capsys)
    assert code == 0
    assert path.read_text() == text

    code, out, err = pull(capsys, "--overwrite")

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Overwriting 1 file(s) that describe platform campaigns:"
    assert lines[1] == "  campaigns/collections-push.yaml (Collections Push)"
    assert lines[2] == "rewrote campaigns/collections-push.yaml (Collections Push)"
    assert "1 already up to date" in out
    new_text = path.read_text()
    assert "  # ring long enough for voicemail to pick up\n  maxRingTime: 45\n" in new_text
    assert "dialingOrder: FIFO  # oldest records first" in new_text
    assert 'priority: "5"' in new_text
    assert new_text.startswith("# yaml-language-server: $schema=../schemas/campaign.schema.json\n")
    assert (workdir / "campaigns" / "webinar-callbacks.yaml").read_bytes() == untouched
    assert read_campaign_files([workdir / "campaigns"]).problems == []
    assert plan_exit(capsys) == 0


def test_overwrite_leaves_a_symlinked_file_alone(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file to rewrite that is a symbolic link is refused (the link would become a copy),
    before any file is written."""
    write_config(workdir)
    [campaign_id, _] = seed_ready(cli_env, progressive_body("Collections Push"), preview_body())
    assert pull(capsys)[0] == 0
    folder = workdir / "campaigns"
    (folder / "collections-push.yaml").rename(folder / "collections-push.txt")
    (folder / "collections-push.yaml").symlink_to("collections-push.txt")
    changed = progressive_body("Collections Push")
    changed["priority"] = "5"
    cli_env.store.update_campaign(campaign_id, changed)
    kept = (folder / "collections-push.txt").read_bytes()

    code, _, err = pull(capsys, "--overwrite")

    assert code == 1
    assert err == (
        "campsync: error: campaigns/collections-push.yaml: cannot write it: it is a symbolic "
        "link (nothing written)\n"
    )
    assert (folder / "collections-push.yaml").is_symlink()
    assert (folder / "collections-push.txt").read_bytes() == kept


def test_overwrite_adds_the_id_to_a_file_matched_by_name(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(workdir)
    body = progressive_body("Collections Push")
    [campaign_id] = seed_ready(cli_env, body)
    folder = workdir / "campaigns"
    folder.mkdir()
    path = folder / "mine.yaml"
    path.write_text("# my campaign\nname: collections push\n")

    code, _out, err = pull(capsys, "--overwrite")

    assert code == 0, err
    text = path.read_text()
    assert text.startswith("# my campaign\nid: " + campaign_id + "\nname: Collections Push\n")
    assert all_files(folder) == ["mine.yaml"]


def test_pull_writes_no_run_state_and_overwrite_keeps_the_files_own(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `state` is the files' word, not the platform's: a pulled file never says it (the
    # platform's status is a fact of the moment), and a file that says it keeps it.
    write_config(workdir)
    bodies = [progressive_body("Collections Push"), preview_body()]
    [running_id, stopped_id] = cli_env.store.seed(
        [{**bodies[0], "status": "Active"}, {**bodies[1], "status": "Stopped"}]
    )
    assert pull(capsys)[0] == 0
    folder = workdir / "campaigns"
    for name in ("collections-push.yaml", "webinar-callbacks.yaml"):
        assert "state" not in data_of(folder / name)
        assert "state:" not in (folder / name).read_text()
    path = folder / "collections-push.yaml"
    text = path.read_text().replace(f"id: {running_id}\n", f"id: {running_id}\nstate: running\n")
    path.write_text(text)
    cli_env.store.set_status(running_id, "Stopped")  # as someone in the web UI: an edit
    cli_env.store.update_campaign(running_id, progressive_body("Collections Push", priority="5"))
    cli_env.store.set_status(running_id, "Active")

    code, _out, err = pull(capsys, "--overwrite")

    assert code == 0, err
    new_text = path.read_text()
    assert f"id: {running_id}\nstate: running\nname: Collections Push\n" in new_text
    assert 'priority: "5"' in new_text
    assert data_of(path)["state"] == "running"
    assert "state" not in data_of(folder / "webinar-callbacks.yaml")
    assert cli_env.store.get_campaign(stopped_id)["status"] == "Stopped"  # pull reads only


# ---- safety ----------------------------------------------------------------------------------


def test_files_are_written_atomically(
    cli_env: RunningEmulator,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(workdir)
    seed_ready(cli_env, *(progressive_body(f"Campaign {n}") for n in range(3)))
    real_fsync = os.fsync
    calls = 0

    def interrupted_fsync(fd: int) -> None:
        nonlocal calls
        if "/campaigns/" in os.readlink(f"/proc/self/fd/{fd}"):  # not the cache's files
            calls += 1
        if calls == 2:  # the second file's data is in its temp file, not yet renamed
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr("campsync.fsutil.os.fsync", interrupted_fsync)

    code, out, err = pull(capsys)

    assert code == 1
    assert "interrupted" in err
    folder = workdir / "campaigns"
    # One whole file, no half-written one, no temp file left behind.
    assert all_files(folder) == ["campaign-0.yaml"]
    assert out.splitlines() == ["wrote campaigns/campaign-0.yaml (Campaign 0)"]
    assert read_campaign_files([folder]).problems == []

    monkeypatch.setattr("campsync.fsutil.os.fsync", real_fsync)
    code, out, _ = pull(capsys)
    assert code == 0
    assert all_files(folder) == ["campaign-0.yaml", "campaign-1.yaml", "campaign-2.yaml"]


def test_an_unreadable_file_stops_the_pull(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_ready(cli_env, progressive_body("Collections Push"))
    folder = workdir / "campaigns"
    folder.mkdir()
    (folder / "broken.yaml").write_text("name: [unclosed\n")

    code, out, err = pull(capsys)

    assert code == 1
    assert out == ""
    assert err.startswith("campsync: error: campaigns/broken.yaml:2:1: ")
    assert len(err.splitlines()) == 1
    assert all_files(folder) == ["broken.yaml"]


def test_path_must_be_a_folder(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "campaigns.yaml").write_text("name: x\n")

    code, _out, err = pull(capsys, "campaigns.yaml")

    assert code == 1
    assert err == "campsync: error: campaigns.yaml: not a folder\n"


def test_missing_credentials_is_a_one_line_error(
    cli_env: RunningEmulator,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KORE_CLIENT_SECRET")

    code, _out, err = pull(capsys)

    assert code == 1
    assert err.startswith("campsync: error: no credentials")
    assert len(err.splitlines()) == 1
    assert not (workdir / "campaigns").exists()
