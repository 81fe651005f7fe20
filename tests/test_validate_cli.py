"""`campsync validate` end to end through the CLI entry point: exit codes, where each
kind of output goes, JSON, GitHub annotations, several PATHs, missing PATHs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from campsync.campaign.report import github_annotation
from campsync.campaign.validation import Problem
from campsync.cli import main

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
CASES = sorted(
    [p for kind in ("invalid", "hostile") for p in (DATA / kind).iterdir() if p.is_dir()]
)


@pytest.fixture(autouse=True)
def _no_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def test_example_campaigns_pass_by_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "4 files valid\n"
    assert main(["validate", "campaigns"]) == 0


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_each_case_prints_its_located_lines_and_exits_1(
    case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(case)
    assert main(["validate", "."]) == 1
    out, err = capsys.readouterr()
    assert out == (case / "expected.txt").read_text(encoding="utf-8")
    assert err.count("\n") == 1 and " problem" in err
    assert "Traceback" not in out + err


def test_summary_counts_problems_and_files(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(DATA / "invalid" / "mixed-good-and-bad-files")
    assert main(["validate", "."]) == 1
    assert capsys.readouterr().err == "2 problems in 2 of 3 files\n"
    monkeypatch.chdir(DATA / "invalid" / "maxringtime-too-high")
    assert main(["validate", "."]) == 1
    assert capsys.readouterr().err == "1 problem in 1 of 1 file\n"


def test_reports_all_files_of_several_paths_sorted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(DATA)
    args = ["invalid/retry-zero", "invalid/day-unknown/campaign.yaml", "valid/preview.yaml"]
    assert main(["validate", *args]) == 1
    out, _ = capsys.readouterr()
    day, retry = "invalid/day-unknown/campaign.yaml", "invalid/retry-zero/campaign.yaml"
    same_name = "campaign name 'Product Feedback Voice Campaign' is also used in"
    assert out.splitlines() == [
        f"{day}:2:7: name: {same_name} {retry}:2:7 (names must be unique, ignoring case)",
        f"{day}:20:14: dialingStrategy.callingHours.days[0].day: "
        "'MON' is not one of 'MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'",
        f"{retry}:2:7: name: {same_name} {day}:2:7 (names must be unique, ignoring case)",
        f"{retry}:37:23: dialingStrategy.defaultRetryPeriod: 0 is less than the minimum of 1",
    ]


def test_cross_file_rules_span_all_paths_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    shutil.copy(ROOT / "campaigns" / "q4-renewals.yaml", tmp_path / "one" / "a.yaml")
    shutil.copy(ROOT / "campaigns" / "q4-renewals.yaml", tmp_path / "two" / "b.yml")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "one", "two/b.yml"]) == 1
    out, _ = capsys.readouterr()
    assert out.splitlines() == [
        "one/a.yaml:3:7: name: campaign name 'Q4 Subscription Renewals' is also used in "
        "two/b.yml:3:7 (names must be unique, ignoring case)",
        "two/b.yml:3:7: name: campaign name 'Q4 Subscription Renewals' is also used in "
        "one/a.yaml:3:7 (names must be unique, ignoring case)",
    ]
    # The same file named twice is one file, not a duplicate.
    assert main(["validate", "one", "one/a.yaml", "./one"]) == 0
    assert capsys.readouterr().err == "1 file valid\n"


def test_missing_path_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["validate", "campaigns", "no/such/dir"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "campsync: error: no/such/dir: no such file or directory\n"


def test_a_path_without_campaign_files_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10, item 8: a mistyped or empty PATH must not pass CI."""
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "notes.txt").write_text("not a campaign")
    (tmp_path / "campaigns" / ".hidden").mkdir()
    (tmp_path / "campaigns" / ".hidden" / "x.yaml").write_text("[broken")
    (tmp_path / "empty").mkdir()
    (tmp_path / "good").mkdir()
    shutil.copy(ROOT / "campaigns" / "product-feedback.yaml", tmp_path / "good")
    monkeypatch.chdir(tmp_path)
    for argv, shown in (
        (["validate"], "campaigns"),
        (["validate", "empty"], "empty"),
        (["validate", "good", "empty/"], "empty"),
        (["validate", "--format", "json", str(tmp_path / "empty")], f"{tmp_path}/empty"),
    ):
        assert main(argv) == 1, argv
        out, err = capsys.readouterr()
        assert out == ""
        assert err == f"campsync: error: no campaign files (*.yaml, *.yml) under {shown}\n"
    assert main(["validate", "good"]) == 0
    assert capsys.readouterr().err == "1 file valid\n"


def test_files_outside_the_working_directory_keep_the_given_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n")
    monkeypatch.chdir(ROOT)
    assert main(["validate", str(bad)]) == 1
    out, _ = capsys.readouterr()
    assert out == (
        f"{bad.as_posix()}:1:1: expected a mapping of campaign fields at the top level, "
        "not a list\n"
    )


def test_json_format_prints_only_the_list(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(DATA / "invalid" / "names-duplicate-ignoring-case")
    assert main(["validate", ".", "--format", "json"]) == 1
    out, _ = capsys.readouterr()
    problems = json.loads(out)
    assert problems[0] == {
        "file": "a.yaml",
        "line": 2,
        "column": 7,
        "path": "name",
        "message": "campaign name 'Product Feedback Voice Campaign' is also used in b.yaml:2:7 "
        "(names must be unique, ignoring case)",
    }
    assert [p["file"] for p in problems] == ["a.yaml", "b.yaml"]
    monkeypatch.chdir(ROOT)
    assert main(["validate", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_github_annotations_when_running_in_actions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.chdir(DATA / "invalid" / "maxringtime-too-high")
    assert main(["validate", "."]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "campaign.yaml:38:16: dialingStrategy.maxRingTime: 121 is greater than the maximum of 120",
        "::error file=campaign.yaml,line=38,col=16::"
        "dialingStrategy.maxRingTime: 121 is greater than the maximum of 120",
    ]
    assert main(["validate", ".", "--format", "json"]) == 1
    assert "::error" not in capsys.readouterr().out


def test_github_annotation_escaping() -> None:
    problem = Problem("odd,dir:x/a.yaml", 3, 4, "", "100% bad\nreally")
    assert github_annotation(problem) == (
        "::error file=odd%2Cdir%3Ax/a.yaml,line=3,col=4::100%25 bad%0Areally"
    )


def test_oversized_and_fifo_files_end_in_their_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    (tmp_path / "big.yaml").write_bytes(b"# " + b"x" * (1024 * 1024) + b"\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    shutil.copy(ROOT / "campaigns" / "q4-renewals.yaml", tmp_path / "ok.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "."]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "big.yaml:1:1: file is larger than the limit of 1 MiB",
        "pipe.yaml:1:1: not a regular file",
    ]
    assert err == "2 problems in 2 of 3 files\n"


def test_bad_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", "--format", "xml"])
    assert info.value.code == 1
