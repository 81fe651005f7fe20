"""The YAML text of pulled campaigns: a new file in the example files' style (read back to be
sure it holds exactly the data), or an existing file updated in place, keeping the user's
comments, key order and quoting."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, ScalarString

from campsync.campaign.model import priority_text
from campsync.campaign.yamlio import YamlLoadError, load_yaml_text
from campsync.errors import PullError
from campsync.sync.pull.mapping import FILE_ORDER, NESTED_ORDER

SCHEMA_COMMENT = "# yaml-language-server: $schema="


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long description
    yaml.preserve_quotes = True
    return yaml


_PLAIN_SAFE = re.compile(r"[A-Za-z][A-Za-z0-9 _.,&()/+'!?-]*")
# Words a YAML 1.1 reader (many editors and linters) would read as booleans or null.
_PLAIN_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
FOLD_WIDTH = 86  # the example files' line width
_FOLD_INDENT = 2


def _plain_ok(text: str) -> bool:
    return (
        bool(_PLAIN_SAFE.fullmatch(text))
        and not text.endswith(" ")
        and "  " not in text
        and text.casefold() not in _PLAIN_WORDS
    )


def _folded(text: str) -> FoldedScalarString | None:
    """A long one-line text as a `>-` block wrapped at FOLD_WIDTH, as the example files write
    descriptions; None when folding could change the text (leading, trailing or doubled
    spaces, line breaks, control characters)."""
    if (
        not text
        or text != text.strip()
        or "  " in text
        or any(unicodedata.category(ch).startswith("C") for ch in text)
    ):
        return None
    limit = FOLD_WIDTH - _FOLD_INDENT
    folds: list[int] = []
    line_start = 0
    last_space = -1
    for index, ch in enumerate(text):
        if ch == " ":
            if index - line_start > limit and last_space > line_start:
                folds.append(last_space)
                line_start = last_space + 1
            last_space = index
    if len(text) - line_start > limit and last_space > line_start:
        folds.append(last_space)
    scalar = FoldedScalarString(text)
    scalar.fold_pos = folds
    return cast(FoldedScalarString, scalar)


def _styled(value: Any, key: str | None = None, *, quote_all: bool = False) -> Any:
    """Plain data -> ruamel nodes in the example files' style: plain words stay plain;
    strings a reader could take for a number, a time, a boolean or YAML syntax (phone numbers,
    "9:00 AM", priority "5") are double-quoted; long descriptions are folded blocks."""
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        for sub_key, item in value.items():
            mapping[sub_key] = _styled(item, sub_key, quote_all=quote_all)
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq()
        seq.extend(_styled(item, key, quote_all=quote_all) for item in value)
        return seq
    if isinstance(value, str):
        if quote_all:
            return DoubleQuotedScalarString(value)
        if key == "description" and len(key) + 2 + len(value) > FOLD_WIDTH:
            folded = _folded(value)
            if folded is not None:
                return folded
        return value if _plain_ok(value) else DoubleQuotedScalarString(value)
    return value


def render_new(data: Mapping[str, Any], schema_ref: str) -> str:
    """The text of a new campaign file. The text is read back to be sure it holds exactly
    `data`; if the preferred style would change a value, every string is double-quoted."""
    for quote_all in (False, True):
        stream = io.StringIO()
        stream.write(f"{SCHEMA_COMMENT}{schema_ref}\n")
        _yaml().dump(_styled(data, quote_all=quote_all), stream)
        text = stream.getvalue()
        if _holds(text, data):
            return text
    raise PullError(
        f"campaign {data.get('name')!r}: cannot write it as YAML that reads back the same"
    )


def _holds(text: str, data: Mapping[str, Any]) -> bool:
    try:
        document = load_yaml_text(text)
    except YamlLoadError:
        return False
    return document is not None and document.data == data


def render_update(existing_text: str, data: Mapping[str, Any]) -> str:
    """`existing_text` with `data` merged in place: the user's comments, key order and
    quoting stay where ruamel.yaml keeps them; only values that differ are replaced."""
    yaml = _yaml()
    try:
        document = yaml.load(existing_text)
    except YAMLError as exc:  # yamlio read it already; a ruamel difference would land here
        raise PullError(f"cannot update the file in place: {' '.join(str(exc).split())}") from None
    if not isinstance(document, CommentedMap):
        raise PullError("cannot update the file in place: it does not hold a mapping")
    _merge_map(document, data, FILE_ORDER)
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def _merge_map(target: CommentedMap, source: Mapping[str, Any], order: Sequence[str]) -> None:
    for key, value in source.items():
        if key in target:
            _merge_item(target, key, value, key)
        else:
            target.insert(_insert_at(target, key, order), key, _styled(value, key))


def _merge_seq(target: CommentedSeq, source: list[Any], key: str) -> None:
    if len(target) != len(source):
        target[:] = [_styled(item, key) for item in source]
        return
    for index, value in enumerate(source):
        _merge_item(target, index, value, key)


def _merge_item(target: Any, at: str | int, value: Any, key: str) -> None:
    """Merge `value` into `target[at]` (a mapping key or a list index) of field `key`:
    mappings and lists in place, a scalar only when it differs, in the user's style."""
    current = target[at]
    if isinstance(current, CommentedMap) and isinstance(value, Mapping):
        _merge_map(current, value, NESTED_ORDER.get(key, ()))
    elif isinstance(current, CommentedSeq) and isinstance(value, list):
        _merge_seq(current, value, key)
    elif not _same(current, value, key):
        target[at] = _like(current, _styled(value, key))


def _same(current: Any, value: Any, key: str) -> bool:
    if key == "priority":  # 5 and "5" are the same priority: keep the user's spelling
        return bool(priority_text(current) == priority_text(value))
    return _kind(current) is _kind(value) and bool(current == value)


def _kind(value: Any) -> type:
    """The builtin a (possibly ruamel) scalar stands for; True is not 1."""
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind
    return type(value)


def _like(current: Any, new: Any) -> Any:
    """Keep the quoting style the user chose for a replaced string (a folded block is folded
    again to the new text's length)."""
    if isinstance(current, FoldedScalarString):
        return new
    if isinstance(current, ScalarString) and isinstance(new, str):
        return type(current)(str(new))
    if isinstance(current, str) and not isinstance(current, ScalarString) and isinstance(new, str):
        return str(new)
    return new


def _insert_at(target: CommentedMap, key: str, order: Sequence[str]) -> int:
    """Where a new key goes: after the last key that comes before it in file order."""
    if key not in order:
        return len(target)
    rank = order.index(key)
    position = 0
    for index, existing in enumerate(target):
        if existing in order and order.index(existing) < rank:
            position = index + 1
    return position
