"""The libyaml fast path of yamlio (issue 6, speed) gives exactly what the careful loader
gives: the same data, the same types, the same locations, and for any file with a problem
the careful loader's own error (the fast path falls back)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from campsync.campaign import yamlio
from campsync.campaign.yamlio import (
    Document,
    YamlLoadError,
    load_yaml_text,
    load_yaml_text_carefully,
    read_text,
)
from tests.fixtures_emulator import campaign_body

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    p
    for folder in (ROOT / "tests" / "data", ROOT / "campaigns")
    for p in folder.rglob("*")
    if p.is_file() and p.suffix in (".yaml", ".yml")
)


def outcome(load: Any, text: str) -> Any:
    try:
        document = load(text)
    except YamlLoadError as exc:
        return ("error", str(exc))
    if document is None:
        return None
    return ("ok", typed(document.data), positions(document, document.data, []))


def typed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value))


def positions(document: Document, value: Any, path: list[Any]) -> list[Any]:
    found = [(tuple(path), document.locate(path), document.locate(path, key=True))]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(positions(document, item, [*path, key]))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(positions(document, item, [*path, index]))
    return found


def test_the_fast_path_is_available_and_taken() -> None:
    text = json.dumps(campaign_body("Fast"), indent=2)
    assert yamlio._fast_candidate(text)
    assert yamlio._load_fast(text) is not None


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sample_file_loads_the_same(path: Path) -> None:
    try:
        text = read_text(path)
    except YamlLoadError:
        return  # refused before parsing: no loader involved
    assert outcome(load_yaml_text, text) == outcome(load_yaml_text_carefully, text)


@pytest.mark.parametrize(
    "text",
    [
        "a: yes\nb: no\nc: on\nd: 2024-01-02\ne: 0o17\nf: 1_000\ng: .inf\nh: ~\ni: 0x1F\n",
        "a: 1\na: 2\n",
        "a: [1, 2\n",
        "- 1\n- 2\n",
        "",
        "# only a comment\n",
        "a: 1\n---\nb: 2\n",
        "a: 'it''s'\nb: \"tab\\there\"\nc: |\n  block\n  text\nd: >-\n  folded\n  text\n",
        "? complex\n: value\n",
        "[1, 2]: list key\n",
        "a:\n" + "  " * 40 + "b: 1\n",
        "x: " + "[" * 40 + "]" * 40 + "\n",
        "x: [" + ", ".join("1" for _ in range(6000)) + "]\n",
        "{" + ", ".join(f"k{i}" for i in range(3000)) + "}\n",
        "\t- tab\n",
        "a: b: c\n",
        "a: 12e3\nb: -0.0\nc: 1.0\nd: +5\ne: 007\n",
    ],
)
def test_edge_cases_load_the_same(text: str) -> None:
    assert outcome(load_yaml_text, text) == outcome(load_yaml_text_carefully, text)


@pytest.mark.parametrize("marker", ["&a", "*a", "!!str", "%YAML 1.1", "<<", "\ufeff"])
def test_files_that_could_hold_anchors_tags_or_directives_take_the_careful_path(
    marker: str,
) -> None:
    assert yamlio._load_fast(f"name: x {marker}\n") is None
