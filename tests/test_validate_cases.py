"""Data-driven: every folder under tests/data/invalid and tests/data/hostile holds one or
more campaign files and `expected.txt`, the exact problem lines `validate` must produce
(file names relative to the folder). tests/data/valid holds files that must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from campsync.campaign.reader import read_campaign_files

DATA = Path(__file__).parent / "data"
CASES = sorted(
    [p for kind in ("invalid", "hostile") for p in (DATA / kind).iterdir() if p.is_dir()]
)


def expected_lines(case: Path) -> list[str]:
    return (case / "expected.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_case_reports_exactly_its_expected_problems(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    result = read_campaign_files([Path(".")])
    assert [str(problem) for problem in result.problems] == expected_lines(case)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_every_case_has_located_problems(case: Path) -> None:
    lines = expected_lines(case)
    assert lines, f"{case} must expect at least one problem"
    for line in lines:
        file, row, column, rest = line.split(":", 3)
        assert (case / file).is_file()
        assert int(row) >= 1 and int(column) >= 1 and rest.startswith(" ")


def test_valid_files_have_no_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA / "valid")
    result = read_campaign_files([Path(".")])
    assert result.problems == []
    expected = sorted(
        p.relative_to(DATA / "valid").as_posix()
        for p in (DATA / "valid").rglob("*")
        if p.suffix in (".yaml", ".yml")
    )
    assert [f.file for f in result.files] == expected


@pytest.mark.parametrize("file", sorted((DATA / "valid").rglob("*.y*ml")), ids=lambda p: p.name)
def test_each_valid_file_passes_alone(file: Path) -> None:
    result = read_campaign_files([file])
    assert result.problems == []
    assert len(result.files) == 1


def test_example_campaigns_are_valid_and_cover_every_dialing_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = Path(__file__).parent.parent
    monkeypatch.chdir(root)
    result = read_campaign_files([Path("campaigns")])
    assert result.problems == []
    assert {c.data["dialingMode"] for c in result.files} == {"Agentless", "Progressive", "Preview"}
    for campaign in result.files:
        text = (root / campaign.file).read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=../schemas/campaign.schema.json\n")
        assert "id" not in campaign.data
        assert "xxxxx" not in text


def test_example_matches_the_reference_sample_request() -> None:
    """The reference page's sample body, with its masked phone number made real and
    the name and description tidied."""
    root = Path(__file__).parent.parent
    result = read_campaign_files([root / "campaigns" / "product-feedback.yaml"])
    data = result.files[0].data
    assert list(data) == [
        "name", "description", "contactLists", "dncLists", "priority", "dialingMode",
        "dialingStrategy", "schedule", "experienceFlowName", "enableMachineDetect",
        "campaignType",
    ]  # fmt: skip
    assert data["contactLists"] == ["CL Only 2020 Dec 4"]
    assert data["dncLists"] == {"name": "DNC CL Dec 4"}
    assert data["priority"] == "5"
    assert data["experienceFlowName"] == "Voice Survey Entry Flow"
    hours = data["dialingStrategy"]["callingHours"]
    assert hours["timezone"] == "Asia/Kolkata"
    assert [d["day"] for d in hours["days"]] == ["MO", "TU", "WE", "TH", "FR"]
    assert data["dialingStrategy"]["maxRingTime"] == 30
