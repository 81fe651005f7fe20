"""What campsync's YAML reader refuses so that every reader of a campaign file reads the same
values (issue 18, items 16, 17 and 25): check-jsonschema (ruamel, YAML 1.2 whatever the file
declares), editors (the `yaml` library, YAML 1.2's core schema) and the platform (UTF-8 JSON).
Each refusal is located, on every loading path (tests/test_schema_agreement.py compares the
readers themselves)."""

from __future__ import annotations

import json

import pytest

from campsync.campaign.validation import check_text
from campsync.campaign.yamlio import YamlLoadError, load_plain, load_yaml_text
from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace

NUMBERS = (
    "'{}' is a number to some YAML readers and text to others; write a plain decimal "
    "number, or put text in quotes"
)
SURROGATE = (
    "text holds U+{}, half of a UTF-16 surrogate pair, which cannot be sent as UTF-8; "
    "write the character itself (or an 8-digit escape such as \\U0001F600)"
)


def refusal(text: str) -> YamlLoadError:
    with pytest.raises(YamlLoadError) as info:
        load_yaml_text(text)
    return info.value


def read(text: str) -> object:
    document = load_yaml_text(text)
    assert document is not None
    return document.data


# --- item 16: YAML 1.2, whatever a directive says ----------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("%YAML 1.1\n---\na: yes\nb: 010\nc: 1:05\n", "%YAML 1.1"),
        ("# read how?\n%YAML 1.1\n---\na: 1\n", "%YAML 1.1"),
        ("%YAML 1.3\n---\na: 1\n", "%YAML 1.3"),  # was an internal error (an assertion)
        ("%YAML 2.0\n---\na: 1\n", "%YAML 2.0"),
        ("%TAG !e! tag:example.com,2000:\n---\na: 1\n", "%TAG !e! tag:example.com,2000:"),
        ("%FOO bar\n---\na: 1\n", "%FOO"),  # libyaml refuses it, ruamel ignored it
        ("%YAML 1.2\n%YAML 1.1\n---\na: 1\n", "%YAML 1.1"),
    ],
)
def test_a_directive_other_than_yaml_1_2_is_refused_where_it_is_written(
    text: str, shown: str
) -> None:
    error = refusal(text)
    line = text.splitlines().index(next(r for r in text.splitlines() if r.startswith(shown))) + 1
    assert (error.line, error.column) == (line, 1)
    assert error.reason == (
        f"YAML directive '{shown}' is not allowed: a campaign file is read as YAML 1.2 "
        "(remove the line)"
    )
    assert load_plain(text) is None  # the fastest path gives up; the careful one refuses


def test_a_file_declared_yaml_1_2_reads_as_one_that_declares_nothing() -> None:
    body = "a: yes\nb: 010\nc: 1:05\nd: 0o17\n"
    expected = {"a": "yes", "b": 10, "c": "1:05", "d": 15}
    assert read("%YAML 1.2\n---\n" + body) == read(body) == expected


def test_a_yaml_1_1_file_is_refused_by_validate_on_every_path() -> None:
    text = "%YAML 1.1\n---\nname: Renewals\nschedule: {isSchedulingEnabled: no}\n"
    quick, careful = check_text(text, "f.yaml"), check_text(text, "f.yaml", quick=False)
    assert [str(p) for p in quick.problems] == [str(p) for p in careful.problems]
    assert [str(p) for p in quick.problems] == [
        "f.yaml:1:1: YAML directive '%YAML 1.1' is not allowed: a campaign file is read as "
        "YAML 1.2 (remove the line)"
    ]


# --- item 25: plain values the readers take differently ------------------------------------


@pytest.mark.parametrize(
    ("value", "ruamel_reads"),
    [
        ("1_000", 1000),  # underscores: ruamel's own extension
        ("3_0", 30),
        ("0b11110", 30),  # binary: YAML 1.1's
        ("+0o5", 5),  # a sign before an octal or hexadecimal number: ruamel's
        ("-0o5", -5),
        ("-0x1F", -31),
        ("+0x1F", 31),
        ("0x_1F", 31),
        ("1_000.5", 1000.5),
        ("._5", 0.5),
        (".5e3", ".5e3"),  # the core schema's float, ruamel's text
        ("-.5e3", "-.5e3"),
    ],
)
def test_a_plain_value_read_otherwise_by_the_core_schema_is_refused(
    value: str, ruamel_reads: object
) -> None:
    for text, line, column in ((f"a: {value}\n", 1, 4), (f"a:\n  - x\n  - {value}\n", 3, 5)):
        error = refusal(text)
        assert (error.line, error.column, error.reason) == (line, column, NUMBERS.format(value))
        assert load_plain(text) is None


def test_an_equals_sign_is_refused_as_ruamel_reads_it_as_a_value_key() -> None:
    error = refusal("a: b\nc: =\n")
    assert (error.line, error.column) == (2, 4)
    assert error.reason == "'=' is not text to every YAML reader; put it in quotes"


def test_a_key_read_otherwise_is_refused_too() -> None:
    error = refusal("a: 1\n1_0: x\n")
    assert (error.line, error.column, error.reason) == (2, 1, NUMBERS.format("1_0"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30),
        ("-7", -7),
        ("010", 10),  # YAML 1.2: decimal, not octal
        ("0o17", 15),
        ("0x1F", 31),
        ("1e3", 1000.0),
        ("3.", 3.0),
        (".5", 0.5),
        ("-.5", -0.5),
        ("+.inf", float("inf")),
        ("1:05", "1:05"),  # YAML 1.2: text, not 65
        ("0b", "0b"),
        ("0o8", "0o8"),
        ("-.nan", "-.nan"),  # text to both (the core schema's NaN has no sign)
        ("'1_000'", "1_000"),
        ('"+0o5"', "+0o5"),
        ("2024-01-02", "2024-01-02"),
    ],
)
def test_values_every_reader_reads_alike_are_read(value: str, expected: object) -> None:
    assert read(f"a: {value}\n") == {"a": expected}
    plain = load_plain(f"a: {value}\n")
    assert plain is not None and plain.data == {"a": expected}


# --- item 17: text the platform's UTF-8 JSON can carry ------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "code"),
    [
        ('name: "Renewals \\ud800"\n', 1, 7, "D800"),
        ('a: 1\nname: "\\udfff"\n', 2, 7, "DFFF"),
        ('list:\n  - "\\ud83d\\udcde"\n', 2, 5, "D83D"),  # a pair is two halves all the same
        ('"key \\ud800": 1\n', 1, 1, "D800"),
        ('a: {b: ["\\uDBFF"]}\n', 1, 9, "DBFF"),
    ],
)
def test_a_surrogate_is_refused_where_it_is_written(
    text: str, line: int, column: int, code: str
) -> None:
    error = refusal(text)
    assert (error.line, error.column, error.reason) == (line, column, SURROGATE.format(code))
    assert load_plain(text) is None


def test_a_character_beyond_u_ffff_written_as_one_escape_is_read() -> None:
    assert read('name: "Renewals \\U0001F4DE"\n') == {"name": "Renewals \U0001f4de"}


def test_apply_refuses_a_lone_surrogate_at_its_place_instead_of_failing_inside(
    ws: Workspace,
) -> None:
    """It passed validate, then apply ended in "internal error" when encoding the body."""
    ws.write("renewals.yaml", campaign_body("Renewals \ud800"))  # JSON: "Renewals \ud800"
    assert '"name": "Renewals \\ud800"' in (ws.campaigns / "renewals.yaml").read_text()
    for command in (["validate"], ["apply", "--auto-approve"]):
        result = ws.cli(*command)
        assert result.code == 1, result
        shown = result.out + result.err
        assert f"campaigns/renewals.yaml:2:11: {SURROGATE.format('D800')}" in shown
        assert "internal error" not in shown
    assert ws.writes() == 0


def test_text_from_json_with_escaped_pairs_is_refused_in_config_too(ws: Workspace) -> None:
    """campsync.yaml is read by the same reader."""
    ws.write("renewals.yaml", campaign_body("Renewals"))
    ws.config(json.dumps({"keep": ["Legacy \ud83d\udcde"]}) + "\n")
    result = ws.cli("validate")
    assert result.code == 1
    assert f"campsync.yaml:1:11: {SURROGATE.format('D83D')}" in result.out + result.err
