"""The safe YAML loader: plain builtins, locations, and a located refusal for every
hostile input; never anything but YamlLoadError, whatever the bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campsync.campaign.yamlio import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    YamlLoadError,
    decode_utf8,
    load_yaml_file,
    load_yaml_text,
    read_text,
)

TAGS = "YAML tags are not allowed (found '{}'); write the value without it, in quotes if it is text"


def load(text: str) -> object:
    document = load_yaml_text(text)
    assert document is not None
    return document.data


def refusal(text: str) -> YamlLoadError:
    with pytest.raises(YamlLoadError) as info:
        load_yaml_text(text)
    return info.value


def test_plain_builtins_only() -> None:
    data = load("a: {b: [1, 2.5, true, null, text]}\n")
    assert data == {"a": {"b": [1, 2.5, True, None, "text"]}}
    assert type(data) is dict
    inner = data["a"]  # type: ignore[index]
    assert type(inner) is dict and type(inner["b"]) is list


def test_dates_and_times_stay_strings() -> None:
    data = load(
        "d: 2025-12-04\nt: 2025-12-04T09:51:32.985Z\nclock: 9:00\nspaced: 2025-12-04 10:00\n"
    )
    assert data == {
        "d": "2025-12-04",
        "t": "2025-12-04T09:51:32.985Z",
        "clock": "9:00",
        "spaced": "2025-12-04 10:00",
    }


def test_yaml_1_2_words_stay_strings() -> None:
    assert load("a: yes\nb: no\nc: on\nd: off\ne: y\nf: true\n") == {
        "a": "yes", "b": "no", "c": "on", "d": "off", "e": "y", "f": True,
    }  # fmt: skip


def test_empty_and_comment_only_documents_are_none() -> None:
    assert load_yaml_text("") is None
    assert load_yaml_text("# only a comment\n\n") is None


def test_locate_values_and_keys() -> None:
    document = load_yaml_text("top:\n  list:\n    - x\n    - key: value\n")
    assert document is not None
    assert document.locate(["top"]) == (2, 3)
    assert document.locate(["top"], key=True) == (1, 1)
    assert document.locate(["top", "list", 1, "key"]) == (4, 12)
    assert document.locate(["top", "list", 1, "key"], key=True) == (4, 7)
    assert document.locate(["top", "list", 0]) == (3, 7)
    # A path that leaves the tree stops at the deepest node it reached.
    assert document.locate(["top", "missing", 3]) == (2, 3)
    assert document.locate(["top", "list", 9]) == (3, 5)


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        ("a: &x 1\nb: 2\n", 1, 4, "YAML anchors are not allowed (found '&x')"),
        ("a: [1]\nb: *x\n", 2, 4, "YAML aliases are not allowed (found '*x')"),
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first defined on line 1)"),
        ("a:\n  b: 1\n  'b': 2\n", 3, 3, "duplicate key 'b' (first defined on line 2)"),
        (
            "a: 1\n---\nb: 2\n",
            2,
            1,
            "more than one YAML document; a campaign file holds exactly one",
        ),
        ("a: !!python/name:os.system x\n", 1, 4, TAGS.format("!!python/name:os.system")),
        ("a: !!set {x}\n", 1, 4, TAGS.format("!!set")),
        ("a: !!omap [x: 1]\n", 1, 4, TAGS.format("!!omap")),
        ("a: !local x\n", 1, 4, TAGS.format("!local")),
        # core tags too: editors read `!!float 30` as the text '30', ruamel as 30.0
        ("a: !!float 30\n", 1, 4, TAGS.format("!!float")),
        ("a:\n  - !!str 5\n", 2, 5, TAGS.format("!!str")),
        ("a: ! 5\n", 1, 4, TAGS.format("!")),
        ("a: !!map {b: 1}\n", 1, 4, TAGS.format("!!map")),
        ("? !!str a\n: 1\n", 1, 3, TAGS.format("!!str")),
        ("<<: {a: 1}\n", 1, 1, "YAML merge keys ('<<') are not allowed"),
        ("1: a\n", 1, 1, "mapping key '1' must be text; put it in quotes"),
        ("? {a: 1}\n: b\n", 1, 3, "mapping keys must be plain text"),
        ("a: !!int twelve\n", 1, 4, TAGS.format("!!int")),
        ("a: b\x07\n", 1, 5, "YAML syntax error: character U+0007 is not allowed in YAML"),
    ],
)
def test_located_refusals(text: str, line: int, column: int, reason: str) -> None:
    error = refusal(text)
    assert (error.line, error.column, error.reason) == (line, column, reason)
    assert str(error) == f"{line}:{column}: {reason}"


def test_nesting_is_capped_without_recursion_errors() -> None:
    allowed = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert load_yaml_text(allowed) is not None
    for depth in (MAX_DEPTH + 1, 5000):
        error = refusal("a: " + "[" * depth + "]" * depth + "\n")
        assert error.reason == f"nesting deeper than {MAX_DEPTH} levels"
        assert error.line == 1


def test_number_of_values_is_capped() -> None:
    # The document mapping, the key, the list and its items: MAX_NODES in all is fine.
    fits = "a: [" + ",".join(["1"] * (MAX_NODES - 3)) + "]\n"
    assert load_yaml_text(fits) is not None
    error = refusal("a: [" + ",".join(["1"] * (MAX_NODES - 2)) + "]\n")
    assert error.reason == f"more than {MAX_NODES} YAML values; a campaign file is far smaller"
    assert (error.line, error.column) == (1, 4 + 2 * (MAX_NODES - 3) + 1)


def test_billion_laughs_is_refused_at_the_first_anchor() -> None:
    rows = ['a: &a ["lol","lol"]'] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]"
        for i in range(8)
    ]
    error = refusal("\n".join(rows) + "\n")
    assert (error.line, error.column) == (1, 4)
    assert "anchors are not allowed" in error.reason


def test_strict_utf8_with_bom_allowed() -> None:
    assert decode_utf8(b"\xef\xbb\xbfname: caf\xc3\xa9\n") == "name: café\n"
    with pytest.raises(YamlLoadError) as info:
        decode_utf8(b"a: 1\nname: caf\xe9\n")
    assert (info.value.line, info.value.column) == (2, 10)
    assert info.value.reason == "not valid UTF-8 (byte 0xe9)"


def test_size_cap_names_the_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(YamlLoadError) as info:
        read_text(big)
    assert info.value.reason == "file is larger than the limit of 1 MiB"
    small = tmp_path / "small.yaml"
    small.write_text("a: 12345\n")
    with pytest.raises(YamlLoadError) as info:
        read_text(small, max_bytes=5)
    assert info.value.reason == "file is larger than the limit of 5 bytes"
    document = load_yaml_file(small)
    assert document is not None and document.data == {"a": 12345}


def test_a_fifo_is_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(YamlLoadError) as info:
        read_text(fifo)
    assert info.value.reason == "not a regular file"


def test_unreadable_path_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(YamlLoadError) as info:
        read_text(tmp_path / "missing.yaml")
    assert info.value.reason.startswith("cannot read file: ")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_text_loads_or_is_refused_cleanly(text: str) -> None:
    try:
        load_yaml_text(text)
    except YamlLoadError as error:
        assert error.line >= 1 and error.column >= 1
        assert "\n" not in str(error)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_load_or_are_refused_cleanly(raw: bytes) -> None:
    try:
        load_yaml_text(decode_utf8(raw))
    except YamlLoadError as error:
        assert error.line >= 1 and error.column >= 1
        assert "\n" not in str(error)


YAMLISH = st.text(alphabet=st.sampled_from(list("ab:-[]{},&*!|>'\"#?%@ \n\t\\0.~<")), max_size=120)


@settings(max_examples=100, deadline=None)
@given(YAMLISH)
def test_yaml_punctuation_soup_loads_or_is_refused_cleanly(text: str) -> None:
    try:
        load_yaml_text(text)
    except YamlLoadError as error:
        assert error.line >= 1 and error.column >= 1
        assert "\n" not in str(error)
