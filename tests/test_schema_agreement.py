"""The schema is the single definition of a valid file (issue 10, item 6; issue 14).

Every campaign file of tests/data (valid, invalid and hostile) goes through:
- campsync (`read_campaign_files` of its case folder, cross-file rules included);
- a plain JSON Schema validator, as check-jsonschema runs one: ruamel's safe loader with
  dates kept as strings, jsonschema's Draft202012Validator with `pattern` evaluated by
  regress (ECMA-262), the schema file as it is in the repository;
- the real check-jsonschema command, once over all the files;
- the real YAML language server, as editors run it (VS Code's YAML extension), once over
  all the files (tests/language_server.py; `make test` installs the pinned version);
- jsonschema-rs, campsync's fast validator, next to jsonschema, its reference.

The plain validator or the editor and campsync may disagree only on files that break a
rule of `rules.BEYOND_SCHEMA`, where campsync is the stricter, and each such file names
its rule in its case folder's `beyond-schema.txt` (`file: rule-key` lines); every file so
marked is one they disagree on. The fast and the reference validator may never disagree.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import regress
import ruamel.yaml
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend

from campsync.campaign.discovery import find_campaign_files
from campsync.campaign.reader import read_campaign_files
from campsync.campaign.rules import BEYOND_SCHEMA, text_limits
from campsync.campaign.schema import campaign_validator, fast_is_valid
from campsync.campaign.validation import check_text
from campsync.campaign.yamlio import (
    YamlLoadError,
    load_yaml_text,
    load_yaml_text_carefully,
    read_text,
)
from tests import language_server
from tests.language_server import LanguageServer, editor_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SCHEMA_FILE = ROOT / "schemas" / "campaign.schema.json"
MARKERS = "beyond-schema.txt"


def case_folders() -> list[Path]:
    folders = [DATA / "valid"]
    for kind in ("invalid", "hostile"):
        folders.extend(sorted(p for p in (DATA / kind).iterdir() if p.is_dir()))
    return folders


def campaign_files(folder: Path) -> list[Path]:
    """The files campsync checks in the folder (hidden ones are not campaign files)."""
    return sorted(found.path for found in find_campaign_files([folder]).files)


ALL_FILES = [file for folder in case_folders() for file in campaign_files(folder)]


def shown(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


@cache
def campsync_valid() -> dict[str, bool]:
    verdicts: dict[str, bool] = {}
    for folder in case_folders():
        with contextlib.chdir(folder):
            bad = {problem.file for problem in read_campaign_files([Path(".")]).problems}
        for file in campaign_files(folder):
            verdicts[shown(file)] = file.relative_to(folder).as_posix() not in bad
    return verdicts


# --- a plain JSON Schema validator, as check-jsonschema runs it ------------------------


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not regress.Regex(pattern, flags="u").find(
        instance
    ):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def plain_validator() -> Any:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return extend(Draft202012Validator, validators={"pattern": _ecma_pattern})(schema)


def plain_yaml(pure: bool) -> ruamel.yaml.YAML:
    yaml = ruamel.yaml.YAML(typ="safe", pure=pure)

    class Constructor(ruamel.yaml.SafeConstructor):  # type: ignore[misc]
        pass  # per instance, so the timestamp change below stays here

    yaml.Constructor = Constructor
    constructors = yaml.constructor.yaml_constructors
    constructors["tag:yaml.org,2002:timestamp"] = constructors["tag:yaml.org,2002:str"]
    return yaml


def _normalize(data: Any, done: dict[int, Any] | None = None) -> Any:
    """Keys as text, as check-jsonschema makes them; an aliased value is converted once
    and stays shared (check-jsonschema converts each use: exponential on billion-laughs)."""
    done = {} if done is None else done
    if id(data) in done:
        return done[id(data)]
    result: Any = data
    if isinstance(data, dict):
        result = {str(k): _normalize(v, done) for k, v in data.items()}
    elif isinstance(data, list):
        result = [_normalize(v, done) for v in data]
    done[id(data)] = result
    return result


_UNPARSED = object()


def plain_load(path: Path) -> Any:
    """As check-jsonschema loads a file: libyaml's parser, and ruamel's pure-Python one when
    that fails (it reads some files libyaml refuses, such as an escaped "\\ud800")."""
    return plain_read(path.read_bytes())


def plain_read(raw: bytes | str, loaders: tuple[ruamel.yaml.YAML, ...] = ()) -> Any:
    for loader in loaders or (plain_yaml(pure=False), plain_yaml(pure=True)):
        try:
            return _normalize(loader.load(raw))
        except ruamel.yaml.YAMLError:
            continue
        except Exception:  # check-jsonschema reports any such file as failing to parse
            break
    return _UNPARSED


@cache
def plain_valid() -> dict[str, bool]:
    verdicts: dict[str, bool] = {}
    for file in ALL_FILES:
        data = plain_load(file)
        verdicts[shown(file)] = data is not _UNPARSED and plain_validator().is_valid(data)
    return verdicts


def marked() -> dict[str, str]:
    """file -> rule key, from the beyond-schema.txt files."""
    found: dict[str, str] = {}
    for folder in case_folders():
        markers = folder / MARKERS
        if markers.exists():
            for line in markers.read_text(encoding="utf-8").splitlines():
                name, _, key = line.partition(": ")
                found[shown(folder / name)] = key
    return found


# --- the tests --------------------------------------------------------------------------


def test_the_test_data_has_every_kind_of_file() -> None:
    verdicts = campsync_valid()
    assert len(verdicts) >= 100
    assert sum(verdicts.values()) >= 20
    assert sum(not ok for ok in verdicts.values()) >= 80


def beyond_the_schema(other: dict[str, bool]) -> set[str]:
    """The files another reader judges otherwise than campsync, each checked to be one
    that breaks a rule beyond the schema, where campsync is the stricter."""
    ours, found = campsync_valid(), marked()
    keys = {rule.key for rule in BEYOND_SCHEMA}
    differing = {file for file in ours if ours[file] != other[file]}
    for file in differing:
        assert file in found, f"{file}: campsync says {ours[file]}, the other {other[file]}"
        assert found[file] in keys, (file, found[file])
        # campsync is only ever stricter than the schema, never more lenient
        assert other[file] and not ours[file], file
    return differing


def test_a_plain_validator_agrees_except_for_the_rules_beyond_the_schema() -> None:
    assert beyond_the_schema(plain_valid())


# check-jsonschema expands the aliases of this file as it converts the data (exponential
# time): what campsync refuses anchors and aliases for. The plain validator above judges it.
TOO_SLOW_FOR_CHECK_JSONSCHEMA = {"hostile/billion-laughs/campaign.yaml"}


def test_the_real_check_jsonschema_gives_the_plain_verdicts() -> None:
    files = [file for file in ALL_FILES if shown(file) not in TOO_SLOW_FOR_CHECK_JSONSCHEMA]
    command = [
        str(Path(sys.executable).with_name("check-jsonschema")),
        "--schemafile", str(SCHEMA_FILE), "--force-filetype", "yaml", "-o", "json",
        "--", *(str(file) for file in files),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    report = json.loads(done.stdout)
    failing = {
        shown(Path(item["filename"]))
        for item in report.get("errors", []) + report.get("parse_errors", [])
    }
    plain = {shown(file): plain_valid()[shown(file)] for file in files}
    assert failing == {file for file, ok in plain.items() if not ok}
    assert done.returncode == (1 if failing else 0)


def test_jsonschema_rs_and_jsonschema_agree_on_every_file() -> None:
    """Issue 14: the fast validator decides validity, so it must give the reference's
    verdict, on the data as campsync loads it and as a plain loader loads it."""
    compared = 0
    for file in ALL_FILES:
        candidates = [plain_load(file)]
        with contextlib.suppress(YamlLoadError):
            document = load_yaml_text_carefully(read_text(file))
            if document is not None:
                candidates.append(document.data)
        for index, data in enumerate(candidates):
            if data is _UNPARSED:
                continue
            reference = bool(campaign_validator().is_valid(data))
            fast = fast_is_valid(data)
            if fast is None and index == 0:
                continue  # a value no campaign file can hold (bytes from !!binary): no verdict
            assert fast is reference, shown(file)
            compared += 1
    assert compared >= 150


def test_the_rules_beyond_the_schema_are_listed_in_the_readme_and_the_schema() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    description = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["description"]
    for rule in BEYOND_SCHEMA:
        assert rule.text in readme, rule.key
        assert rule.text in description, rule.key


def test_every_length_the_schema_limits_is_counted_in_utf16_units() -> None:
    """The rule beyond the schema names the fields, and text_limits finds every maxLength."""
    text = SCHEMA_FILE.read_text(encoding="utf-8")
    limited = [field for field, _ in text_limits()]
    assert len(limited) == text.count('"maxLength"') >= 2
    (rule,) = [rule for rule in BEYOND_SCHEMA if rule.key == "utf16-lengths"]
    assert all(field in rule.text for field in limited)


# --- the YAML language server, as editors run it ------------------------------------------


@pytest.fixture(scope="module")
def editor() -> Iterator[LanguageServer]:
    """One server for the module; when it cannot run, the tests that need it fail."""
    why = language_server.missing()
    if why is not None:
        pytest.fail(why)
    with language_server.running(SCHEMA_FILE) as server:
        yield server


@pytest.fixture(scope="module")
def editor_valid(editor: LanguageServer) -> dict[str, bool]:
    texts = [editor_text(file.read_bytes()) for file in ALL_FILES]
    return {
        shown(file): not errors
        for file, errors in zip(ALL_FILES, editor.errors(texts), strict=True)
    }


def test_the_yaml_language_server_agrees_except_for_the_rules_beyond_the_schema(
    editor_valid: dict[str, bool],
) -> None:
    by_editor = beyond_the_schema(editor_valid)
    assert by_editor
    # and every marked file is one campsync judges otherwise than the schema's readers
    assert by_editor | beyond_the_schema(plain_valid()) == set(marked())


def test_the_yaml_language_server_checks_the_texts_it_is_given(editor: LanguageServer) -> None:
    """Else the agreement above could hold by an editor that finds nothing anywhere."""
    (errors,) = editor.errors(["name: 5\n"])
    assert 'Incorrect type. Expected "string".' in errors
    assert any("Missing property" in error for error in errors)


# --- the whole-file snippets editors offer ------------------------------------------------

TAB_STOP = re.compile(r"\$(\d+)|\$\{(\d+)([:|}])")
PLACEHOLDER = re.compile(r"\$\{\d+:([^{}$]*)\}")


def tab_stops(snippet: str) -> list[int]:
    return [int(plain or braced) for plain, braced, _ in TAB_STOP.findall(snippet)]


def expanded(snippet: str) -> str:
    """The text a snippet gives when every tab stop is left as offered."""
    text = PLACEHOLDER.sub(lambda found: found.group(1), snippet)
    assert "$" not in text, f"a tab stop without a placeholder: {snippet!r}"
    return text


def whole_file_snippets(editor: LanguageServer) -> dict[str, str]:
    """label -> snippet, for each completion of an empty file that writes a whole campaign
    (the schema's per-mode snippets, and the skeleton the server builds itself)."""
    items = editor.completions("\n", 1, 0)
    return {
        item["label"]: item["insertText"]
        for item in items
        if all(f"\n{key}:" in "\n" + item.get("insertText", "") for key in ("name", "campaignType"))
    }


def test_each_whole_file_snippet_has_a_tab_stop_per_field(editor: LanguageServer) -> None:
    snippets = whole_file_snippets(editor)
    for label, snippet in snippets.items():
        stops = tab_stops(snippet)
        assert stops, label
        assert len(stops) == len(set(stops)), f"{label}: a tab stop used twice: {snippet}"
    assert len(snippets) == 4  # a snippet per dialing mode, and the server's own skeleton


def test_a_file_made_from_a_dialing_mode_snippet_is_valid(editor: LanguageServer) -> None:
    made: dict[str, str] = {}
    for snippet in whole_file_snippets(editor).values():
        mode = re.search(r"^dialingMode: (\w+)$", snippet, re.MULTILINE)  # written out
        if mode is not None:
            made[mode.group(1)] = expanded(snippet)
    assert set(made) == {"Agentless", "Progressive", "Preview"}
    for mode, text in made.items():
        check = check_text(text, f"{mode}.yaml")
        assert not check.problems, [str(problem) for problem in check.problems]
        assert editor.errors([text]) == [[]], mode


# --- plain values, as each reader takes them ----------------------------------------------

# Every plain value of up to 3 of these characters, and of 4 of the fewer, and some longer:
# numbers in any form either reader knows (signs, bases, underscores, exponents, dots).
SHORT, FEWER = "019+-._xobeE", "0+-._xoe"
LONGER = (
    "1_000", "0b11110", "+0o5", "-0x1F", "0x1F", "0o17", "-0o17", "0o18", "0x_1F", "1_0.5",
    ".5e3", "-.5E+3", "1.5e-3", "1e+10", "12e03", "+.inf", "-.Inf", ".INF", ".nan", ".NaN",
    "-.nan", "+.NAN", "1:05", "2024-01-02", "=", "~", "null", "Null", "true", "False", "yes",
)  # fmt: skip


def plain_values() -> list[str]:
    short = ("".join(p) for n in (1, 2, 3) for p in itertools.product(SHORT, repeat=n))
    fewer = ("".join(p) for p in itertools.product(FEWER, repeat=4))
    values = {*short, *fewer, *LONGER}
    return sorted(v for v in values if v not in ("-", "---") and not v.startswith("- "))


UNREAD = ("unread",)


def reading(value: Any) -> Any:
    """A value as JSON (and so the schema) sees it: every number a float, NaN as text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        number = float(value)
        return ("number", "nan" if math.isnan(number) else number)
    return UNREAD


EDITOR_READS = r"""
const yaml = require(require.resolve("yaml", {paths: [process.argv[1]]}));
const texts = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((text) => {
  const document = yaml.parseDocument(text, {version: "1.2"});
  if (document.errors.length) return null;
  const value = document.toJS().v;
  if (typeof value !== "number") return [value === null ? "NoneType" : typeof value, value];
  return ["number", Number.isNaN(value) ? "nan" : Number.isFinite(value) ? value : String(value)];
})));
"""


def editor_readings(texts: list[str]) -> list[Any]:
    """What the language server's own YAML library (the `yaml` package it pins) reads."""
    command = ["node", "-e", EDITOR_READS, str(language_server.INSTALLED.parent)]
    done = subprocess.run(
        command, input=json.dumps(texts), capture_output=True, text=True, check=True, timeout=60
    )
    found = []
    for item in json.loads(done.stdout):
        if item is None:
            found.append(UNREAD)
            continue
        kind, value = item
        kind = {"string": "str", "boolean": "bool"}.get(kind, kind)
        if kind == "number" and value in ("Infinity", "-Infinity"):
            value = math.copysign(math.inf, -1 if value.startswith("-") else 1)
        found.append((kind, value if kind != "number" or value == "nan" else float(value)))
    return found


def test_a_plain_value_is_read_exactly_when_check_jsonschema_and_editors_read_it_alike(
    editor: LanguageServer,
) -> None:
    """campsync reads a plain value only when the two readers of the schema read it alike,
    and then reads that: the set refused is exactly where they differ (item 25)."""
    values = plain_values()
    texts = [f"v: {value}\n" for value in values]
    by_editor = editor_readings(texts)
    loaders = (plain_yaml(pure=False), plain_yaml(pure=True))  # no directives: one of each
    refused = 0
    for value, text, theirs in zip(values, texts, by_editor, strict=True):
        loaded = plain_read(text, loaders)
        ours_plain = reading(loaded["v"]) if isinstance(loaded, dict) else UNREAD
        try:
            document = load_yaml_text(text)
        except YamlLoadError:
            ours = UNREAD
        else:
            assert document is not None
            ours = reading(document.data["v"])
        if ours_plain == theirs != UNREAD:
            assert ours == theirs, value
        else:
            assert ours == UNREAD, (value, ours_plain, theirs)
            refused += 1
    assert len(values) > 5000 and refused > 100
