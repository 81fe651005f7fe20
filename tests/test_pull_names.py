"""File names from campaign names: always safe, always inside the folder, never a clash."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from campsync.sync.pull.names import MAX_STEM, choose_path, safe_stem, taken_stems

STEM = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@given(st.text())
def test_any_name_gives_a_safe_stem(name: str) -> None:
    stem = safe_stem(name)
    assert STEM.fullmatch(stem), stem
    assert len(stem) <= MAX_STEM


@given(st.lists(st.text(max_size=80), max_size=20))
def test_chosen_paths_are_unique_and_inside_the_folder(names: list[str]) -> None:
    folder = Path("campaigns")
    taken: set[str] = {"existing"}
    paths = [choose_path(folder, name, taken) for name in names]
    assert len({p.name for p in paths}) == len(paths)
    assert all(p.parent == folder and p.suffix == ".yaml" for p in paths)
    assert folder / "existing.yaml" not in paths


def test_examples() -> None:
    assert safe_stem("Q4 Subscription Renewals") == "q4-subscription-renewals"
    assert safe_stem("Ümfrage: Kündigung / Rückruf") == "umfrage-kundigung-ruckruf"
    assert safe_stem("../../etc/passwd") == "etc-passwd"
    assert safe_stem("..") == "campaign"
    assert safe_stem("日本語") == "campaign"
    assert safe_stem("NUL") == "nul-campaign"
    long = safe_stem("word " * 40)
    assert len(long) <= MAX_STEM and not long.endswith("-")


def test_existing_entries_of_any_suffix_and_case_are_taken(tmp_path: Path) -> None:
    (tmp_path / "Renewals.YML").write_text("")
    (tmp_path / "spring").mkdir()
    taken = taken_stems(tmp_path)
    assert choose_path(tmp_path, "renewals", taken).name == "renewals-2.yaml"
    assert choose_path(tmp_path, "Spring", taken).name == "spring-2.yaml"
    assert choose_path(tmp_path, "Renewals", taken).name == "renewals-3.yaml"


def test_pull_reads_the_flow_id_as_plan_does_an_id_or_an_object_with_one() -> None:
    """The docs give `experienceFlow` as an id; an answer with an object holding the id is
    read by plan (diffing.flow_id_of), so pull names the flow from it too."""
    from campsync.sync.inventory import Listed
    from campsync.sync.pull.mapping import campaign_data

    listed = Listed("cd-1", "One", "t1", "Ready", "voice", {"_id": "cd-1", "name": "One"})
    names = {"cf-1": "Survey Flow"}
    for flow in ("cf-1", {"id": "cf-1", "name": "ignored"}):
        live = {"_id": "cd-1", "name": "One", "dialingMode": "Agentless", "experienceFlow": flow}
        pulled = campaign_data(live, listed, flow_names=names)
        assert pulled.data["experienceFlowName"] == "Survey Flow" and pulled.unmapped_flow is None
