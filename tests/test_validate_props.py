"""Property tests: random mutations of a valid campaign, at the data level and at the
text level, always end in a list of located one-line problems, never an exception."""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from campsync.campaign.reader import read_campaign_files
from campsync.campaign.validation import Problem, ValidationResult

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "campaigns").glob("*.yaml"))
TEXTS = [p.read_text(encoding="utf-8") for p in EXAMPLES]


def _data(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _dump(data: Any) -> str:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


def read_texts(texts: Sequence[tuple[str, str]]) -> ValidationResult:
    """The (file name, text) pairs as the campaign files of a folder, read as `validate`
    reads a folder (each file, then the rules across them)."""
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        for name, text in texts:
            Path(name).write_text(text, encoding="utf-8", newline="")
        return read_campaign_files([Path(".")])


def _assert_well_formed(result: ValidationResult, text: str) -> None:
    lines = text.count("\n") + 2
    for problem in result.problems:
        assert isinstance(problem, Problem)
        assert 1 <= problem.line <= lines, problem
        assert problem.column >= 1
        assert "\n" not in str(problem)
        assert problem.message


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.sampled_from(["9:00 AM", "6:00 PM", "MO", "Agentless", "Preview", "5", "cd-1", "UTC"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_campaigns(draw: st.DrawFn) -> str:
    data = copy.deepcopy(_data(draw(st.sampled_from(TEXTS))))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        else:
            parent.append(draw(values))
    return _dump(data)


@settings(max_examples=80, deadline=None)
@given(mutated_campaigns())
def test_data_mutations_never_raise(text: str) -> None:
    result = read_texts([("mutant.yaml", text)])
    _assert_well_formed(result, text)


@st.composite
def edited_texts(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        cut = draw(st.integers(min_value=0, max_value=8))
        insert = draw(st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"# \n\tx9")), max_size=6))
        text = text[:at] + insert + text[at + cut :]
    return text


@settings(max_examples=80, deadline=None)
@given(edited_texts())
def test_text_edits_never_raise(text: str) -> None:
    result = read_texts([("edited.yaml", text)])
    _assert_well_formed(result, text)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(TEXTS), min_size=2, max_size=4))
def test_same_names_across_files_are_always_reported(texts: list[str]) -> None:
    result = read_texts([(f"f{i}.yaml", t) for i, t in enumerate(texts)])
    names = [_data(t)["name"].casefold() for t in texts]
    duplicated = {f"f{i}.yaml" for i, n in enumerate(names) if names.count(n) > 1}
    assert {p.file for p in result.problems if p.path == "name"} == duplicated
    assert {p.file for p in result.problems} == duplicated


def test_unmutated_examples_are_valid() -> None:
    result = read_texts([(p.name, t) for p, t in zip(EXAMPLES, TEXTS, strict=True)])
    assert result.problems == []
    assert len(result.files) == len(EXAMPLES)


def test_control_characters_and_huge_values_stay_on_one_short_line() -> None:
    text = TEXTS[0].replace(
        "campaignType: voice",
        'campaignType: voice\n"odd\\nkey\\u0007": 1\n"' + "k" * 900 + '": 2',
    )
    twin = text.replace("schedule:", 'id: "cd-\\n"\nschedule:')
    result = read_texts([("a.yaml", text), ("b.yaml", twin)])
    assert result.problems
    for problem in result.problems:
        assert "\n" not in str(problem) and "\x07" not in str(problem)
        assert len(str(problem)) < 400
    assert any("unknown field 'odd\\nkey\\u0007'" in p.message for p in result.problems)


def test_file_names_with_control_characters_are_escaped(tmp_path: Path) -> None:
    odd = tmp_path / "new\nline.yaml"
    odd.write_text("[not, a, mapping]\n")
    result = read_campaign_files([odd])
    assert [str(p) for p in result.problems] == [
        f"{tmp_path.as_posix()}/new\\nline.yaml:1:1: expected a mapping of campaign fields "
        "at the top level, not a list"
    ]
