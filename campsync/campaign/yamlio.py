"""Safe, located YAML loading for campaign files (and any other YAML campsync reads).

One pass: ruamel's pure-Python safe composer builds the node tree (which keeps line and
column of every key and value); we turn it into plain builtins ourselves. Doing the
conversion here, rather than with a constructor, lets every refusal carry a location:
- aliases and anchors are refused outright (no "billion laughs"),
- duplicate keys, non-string keys and explicit tags (`!!float` too) are errors,
- nesting depth, the number of values and the file size are capped; files must be
  strict UTF-8 (a BOM is allowed), and no text may hold a surrogate (an escaped
  `"\ud800"`: it cannot be sent as UTF-8),
- timestamps and dates stay the strings they were written as; YAML 1.2 rules otherwise
  (`yes`, `no`, `on`, `off` are strings), and a `%YAML` directive other than 1.2 is refused,
- a plain value that ruamel (this reader, and check-jsonschema's) and YAML 1.2's core
  schema (editors' YAML library) read differently is refused: `1_000`, `0b11110`, `+0o5`,
  `-0x1F` are numbers to ruamel and text to the core schema, `.5e3` the other way round.
So every value is what the other tools that judge a campaign file read too.
The tree is kept in the returned `Document` so callers can locate any data path.

Speed: when ruamel.yaml.clib (libyaml) is installed, an ordinary campaign file is parsed by
the C parser (about 8 times faster) and converted by the same checks. Only small files
without any character that could start an anchor, alias, tag or directive take that path,
and any problem sends the file to the careful pure-Python loader, so that every refusal
and error message is exactly the careful loader's.

Fastest: `load_plain` reads libyaml's events straight into plain data, with no node tree,
and resolves each distinct plain scalar once (a campaign repeats the same few); it gives
the data and where each top-level value starts, which is all a valid file needs. It
takes only the files the libyaml path would, and gives up (None) at anything unusual.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from sys import intern
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import Scanner

try:
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency
    CParser = None

from campsync.errors import CampsyncError
from campsync.fsutil import FileRefused, FileTooLarge, read_bounded
from campsync.text import clip, one_line, quoted

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 10_000  # a campaign has about a hundred; bounds parse time of hostile files
FAST_MAX_CHARS = 16 * 1024  # larger files always take the careful path
# Characters that can start an anchor, alias, tag, directive or merge key (and NUL, BOM):
# a file containing any of them (or a tab or a Unicode line break: libyaml and ruamel
# read some of those differently) takes the careful path.
_NOT_FAST = frozenset("&*!%<\0\ufeff\t\x85\u2028\u2029")

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null"))
_STR, _INT, _FLOAT = _CORE + "str", _CORE + "int", _CORE + "float"
_TIMESTAMP = _CORE + "timestamp"
_VALUE = _CORE + "value"  # ruamel's '=' (YAML 1.1's value key); text to the core schema

# YAML 1.2's core schema (spec 1.2.2, section 10.3.2), as editors' YAML library reads it:
# only these plain scalars are numbers (bool and null read the same in ruamel).
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_NUMBER_START = frozenset("+-.0123456789")  # every number of either reader starts so
_SURROGATE = re.compile(r"[\ud800-\udfff]")

PathItem = str | int
T = TypeVar("T")


class YamlLoadError(CampsyncError):
    """A file that cannot be read as a safe YAML mapping. line/column are 1-based."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(f"{line}:{column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Document:
    """A loaded YAML document: plain data, and the node tree to locate parts of it."""

    data: Any
    root: Node

    def locate(self, path: Sequence[PathItem], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `path` (of its key when `key` is true
        and the last step is a mapping key). A path that leaves the tree stops at the
        deepest node reached, so every path has a location."""
        node = self.root
        for index, step in enumerate(path):
            last = index == len(path) - 1
            child: Node | None = None
            if isinstance(node, MappingNode) and isinstance(step, str):
                for key_node, value_node in node.value:
                    if isinstance(key_node, ScalarNode) and key_node.value == step:
                        child = key_node if (key and last) else value_node
                        break
            elif (
                isinstance(node, SequenceNode)
                and isinstance(step, int)
                and 0 <= step < len(node.value)
            ):
                child = node.value[step]
            if child is None:
                break
            node = child
        return _position(node)


def _position(item: Any) -> tuple[int, int]:
    """1-based (line, column) where a node or an event starts."""
    mark = item.start_mark
    return mark.line + 1, mark.column + 1


class _StrictScanner(Scanner):
    """Refuses every directive but `%YAML 1.2` where it is written: ruamel would read the
    file by YAML 1.1's rules after `%YAML 1.1` (`yes` true, `010` eight, `1:05` 65), where
    check-jsonschema reads YAML 1.2 whatever the file says."""

    def scan_directive(self) -> Any:
        token = super().scan_directive()
        if token.name == "YAML" and tuple(token.value) == (1, 2):
            return token
        if token.name == "YAML":
            shown = "%YAML {}.{}".format(*token.value)
        elif token.name == "TAG":
            shown = "%TAG {} {}".format(*token.value)
        else:
            shown = "%" + token.name
        raise YamlLoadError(
            f"YAML directive {quoted(shown)} is not allowed: a campaign file is read as "
            "YAML 1.2 (remove the line)",
            *_position(token),
        )


class _StrictComposer(Composer):
    """Refuses anchors, aliases and tags where they are written, before anything is built."""

    nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlLoadError(
                f"more than {MAX_NODES} YAML values; a campaign file is far smaller",
                *_position(event),
            )
        if isinstance(event, AliasEvent):
            raise YamlLoadError(
                f"YAML aliases are not allowed (found {quoted('*' + str(event.anchor))})",
                *_position(event),
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlLoadError(
                f"YAML anchors are not allowed (found {quoted('&' + str(anchor))})",
                *_position(event),
            )
        tag = getattr(event, "tag", None)
        if tag is not None:  # explicit: even a core tag (`!!float 30`) is read otherwise by editors
            raise YamlLoadError(
                f"YAML tags are not allowed (found {quoted(_shown_tag(tag))}); write the value "
                "without it, in quotes if it is text",
                *_position(event),
            )
        return super().compose_node(parent, index)


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _new_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Scanner = _StrictScanner
    yaml.Composer = _StrictComposer
    yaml.max_depth = MAX_DEPTH + 1  # ruamel stops runaway recursion; _to_plain names the cap
    return yaml


def read_text(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a file as strict UTF-8 text, refusing non-regular files (a FIFO would hang)
    and files over `max_bytes` (fsutil.read_bounded). Raises YamlLoadError (located at 1:1
    or the bad byte)."""
    try:
        raw = read_bounded(path, max_bytes)
    except FileTooLarge as large:
        raise YamlLoadError(f"file is {large.reason}") from None
    except (FileRefused, IsADirectoryError):
        raise YamlLoadError("not a regular file") from None
    except OSError as exc:
        raise YamlLoadError(f"cannot read file: {exc.strerror or exc}") from None
    return decode_utf8(raw)


def decode_utf8(raw: bytes) -> str:
    """Strict UTF-8 (a leading BOM is dropped); the error names the bad byte's place."""
    bom = b"\xef\xbb\xbf"
    body = raw[len(bom) :] if raw.startswith(bom) else raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = body.rfind(b"\n", 0, exc.start) + 1
        line = body.count(b"\n", 0, exc.start) + 1
        column = len(body[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise YamlLoadError(
            f"not valid UTF-8 (byte 0x{body[exc.start]:02x})", line, column
        ) from None


def load_yaml_text(text: str) -> Document | None:
    """Parse one YAML document into plain builtins. None for an empty document (only
    comments or nothing). Raises YamlLoadError with a 1-based location."""
    fast = _load_fast(text)
    if fast is not None:
        return fast
    return load_yaml_text_carefully(text)


def _fast_candidate(text: str) -> bool:
    return CParser is not None and len(text) <= FAST_MAX_CHARS and _NOT_FAST.isdisjoint(text)


def _load_fast(text: str) -> Document | None:
    """The libyaml path for an ordinary file; None when the file is not one, or has any
    problem at all (the careful loader then reports it)."""
    return _with_libyaml(text, _FastLoader, _document)


def _document(loader: Any) -> Document | None:
    root = loader.get_single_node()
    if root is None:
        return None
    converter = _Converter(loader)
    data = converter.convert(root, 0)
    if converter.nodes > MAX_NODES:
        return None
    return Document(data, root)


def _with_libyaml(text: str, start: Callable[[str], Any], read: Callable[[Any], T]) -> T | None:
    """`read(start(text))`: libyaml's parser (warnings silenced, always disposed) on an
    ordinary file; None for any other file, or at any problem (the careful loader then
    says what it is)."""
    if not _fast_candidate(text):
        return None
    parser = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser = start(text)
            return read(parser)
    except Exception:  # any problem: the careful loader says what it is
        return None
    finally:
        if parser is not None:
            parser.dispose()


if CParser is not None:

    class _FastLoader(CParser, SafeConstructor, VersionedResolver):  # type: ignore[misc]
        """libyaml's parser and composer with ruamel's safe resolver (YAML 1.2) and
        constructor (used for scalars only)."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            VersionedResolver.__init__(self, version=None, loadumper=self)


@dataclass(frozen=True)
class Plain:
    """A file's data as plain builtins, and the 1-based (line, column) where the value of
    each top-level key starts (what Document.locate([key]) gives), unless it is empty."""

    data: Any
    positions: dict[str, tuple[int, int]]


def load_plain(text: str) -> Plain | None:
    """The fastest safe path: an ordinary file's data, exactly as load_yaml_text gives
    it; None for any other file (or any problem), which load_yaml_text then reads."""
    return _with_libyaml(text, CParser, _plain_from_events)


_NO_KEY: Any = object()
_BLOCK_STYLES = frozenset("|>")
_CONTAINER_START = (MappingStartEvent, SequenceStartEvent)


def _plain_from_events(parser: Any) -> Plain | None:
    get = parser.get_event
    get()  # StreamStart
    if type(get()) is not DocumentStartEvent:
        return None  # no document: the careful loader says it is empty
    positions: dict[str, tuple[int, int]] = {}
    stack: list[Any] = []  # open containers, innermost last
    keys: list[Any] = []  # per open container: the key waiting for its value (mappings)
    nodes = 0
    root: Any = _NO_KEY
    while root is _NO_KEY:
        event = get()
        kind = type(event)
        if kind is MappingEndEvent or kind is SequenceEndEvent:
            value = stack.pop()
            keys.pop()
        elif kind is ScalarEvent or kind in _CONTAINER_START:
            nodes += 1
            if event.anchor is not None or event.tag is not None or nodes > MAX_NODES // 2:
                return None
            if kind is ScalarEvent and event.style in _BLOCK_STYLES:
                return None  # libyaml and ruamel end some block scalars differently
            if kind is ScalarEvent:
                value = event.value
                if event.implicit[0]:
                    value = _plain_scalar(value)
                elif not value.isascii() and _SURROGATE.search(value):
                    return None  # the careful loader refuses it
                elif len(value) <= _SHARED_MAX:
                    value = intern(value)  # keys, days, times: one object for all files
            else:
                if len(stack) >= MAX_DEPTH:
                    return None
                if stack and type(stack[-1]) is dict and keys[-1] is _NO_KEY:
                    return None  # a mapping or list as a key
                if len(stack) == 1 and type(stack[0]) is dict:
                    positions[keys[0]] = _position(event)
                stack.append({} if kind is MappingStartEvent else [])
                keys.append(_NO_KEY)
                continue
        else:
            return None  # an alias, or an event no plain file has
        if not stack:
            root = value
            break
        parent = stack[-1]
        if type(parent) is list:
            parent.append(value)
        elif keys[-1] is _NO_KEY:
            if type(value) is not str or value in parent:
                return None  # a key that is not text, or written twice
            keys[-1] = value
        else:
            if len(stack) == 1 and kind is ScalarEvent and event.value:
                # (an empty value has no place of its own: libyaml and ruamel differ)
                positions[keys[-1]] = _position(event)
            parent[keys[-1]] = value
            keys[-1] = _NO_KEY
    if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
        return None  # more than one document
    return Plain(root, positions)


_SHARED_MAX = 32  # quoted scalars this short are shared (interned) between files
_PLAIN_SCALARS: dict[str, Any] = {}
_PLAIN_SCALARS_MAX = 4096


def _plain_scalar(text: str) -> Any:
    """A plain (unquoted) scalar as the careful loader reads it, remembered: files repeat
    the same few (`FIFO`, `30`, `false`), and each costs a resolver's regex search."""
    value = _PLAIN_SCALARS.get(text, _NO_KEY)
    if value is _NO_KEY:
        value = _resolve_plain(text)
        if type(value) is str and len(value) <= _SHARED_MAX:
            value = intern(value)
        if len(_PLAIN_SCALARS) < _PLAIN_SCALARS_MAX:
            _PLAIN_SCALARS[text] = value
    return value


def _resolve_plain(text: str) -> Any:
    yaml = _scalar_yaml()  # the careful loader's resolver and constructor
    node = ScalarNode(yaml.resolver.resolve(ScalarNode, text, (True, False)), text)
    return _Converter(yaml.constructor)._scalar(node)  # YamlLoadError: careful path decides


@cache
def _scalar_yaml() -> YAML:
    return _new_yaml()


def load_yaml_text_carefully(text: str) -> Document | None:
    """load_yaml_text with ruamel's pure-Python parser only (every check, every message)."""
    yaml = _new_yaml()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root = yaml.compose(text)
            if root is None:
                return None
            return Document(_Converter(yaml.constructor).convert(root, 0), root)
    except YamlLoadError:
        raise
    except MarkedYAMLError as exc:
        raise _from_marked(exc) from None
    except ReaderError as exc:
        line, column = _offset_position(text, exc.position)
        raise YamlLoadError(f"YAML syntax error: {_reader_reason(exc)}", line, column) from None
    except YAMLError as exc:
        raise YamlLoadError(f"YAML syntax error: {clip(one_line(str(exc)), 200)}") from None
    except RecursionError:
        raise YamlLoadError(f"nesting deeper than {MAX_DEPTH} levels") from None


def load_yaml_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Document | None:
    """read_text + load_yaml_text."""
    return load_yaml_text(read_text(path, max_bytes=max_bytes))


def _from_marked(exc: MarkedYAMLError) -> YamlLoadError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    reason = clip(one_line(str(problem)), 200)
    if "single document" in str(exc.context):
        reason = "more than one YAML document; a campaign file holds exactly one"
    elif "maximum depth" in reason:
        reason = f"nesting deeper than {MAX_DEPTH} levels"
    else:
        reason = f"YAML syntax error: {reason}"
    if mark is None:
        return YamlLoadError(reason)
    return YamlLoadError(reason, mark.line + 1, mark.column + 1)


def _reader_reason(exc: ReaderError) -> str:
    character = exc.character
    if isinstance(character, int):
        return f"character U+{character:04X} is not allowed in YAML"
    return clip(one_line(str(exc.reason)), 200)


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _Converter:
    """Node tree -> plain builtins, with located refusals."""

    def __init__(self, constructor: Any) -> None:
        self._constructor = constructor
        self.nodes = 0

    def convert(self, node: Node, depth: int) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH:
            line, column = _position(node)
            raise YamlLoadError(f"nesting deeper than {MAX_DEPTH} levels", line, column)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            self._check_tag(node, _CORE + "seq")
            return [self.convert(item, depth + 1) for item in node.value]
        if isinstance(node, MappingNode):
            self._check_tag(node, _CORE + "map")
            return self._mapping(node, depth)
        raise YamlLoadError("unsupported YAML node", *_position(node))

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlLoadError("mapping keys must be plain text", *_position(key_node))
            key = self._scalar(key_node)
            if not isinstance(key, str):
                raise YamlLoadError(
                    f"mapping key {quoted(str(key_node.value))} must be text; put it in quotes",
                    *_position(key_node),
                )
            if key in first_seen:
                first_line, _ = _position(first_seen[key])
                raise YamlLoadError(
                    f"duplicate key {quoted(key)} (first defined on line {first_line})",
                    *_position(key_node),
                )
            first_seen[key] = key_node
            result[key] = self.convert(value_node, depth + 1)
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        tag = str(node.tag)
        text = str(node.value)
        if not node.style and (text[:1] in _NUMBER_START or tag == _VALUE):
            _check_core_reading(node, tag, text)
        if tag in (_TIMESTAMP, _STR):  # dates and times stay as written
            if not text.isascii():  # (free: most text is ASCII, and Python knows it)
                _check_no_surrogate(node, text)
            return text
        self._check_tag(node, *_SCALAR_TAGS)
        try:
            return self._constructor.construct_object(node, deep=True)
        except (YAMLError, ValueError, TypeError, ArithmeticError) as exc:
            raise YamlLoadError(
                f"cannot read {quoted(text)} as {tag.removeprefix(_CORE)}: "
                f"{clip(one_line(str(exc)), 100)}",
                *_position(node),
            ) from None

    @staticmethod
    def _check_tag(node: Node, *allowed: str) -> None:
        tag = str(node.tag)
        if tag == _CORE + "merge":
            raise YamlLoadError("YAML merge keys ('<<') are not allowed", *_position(node))
        if tag not in allowed:
            raise YamlLoadError(
                f"YAML tag {quoted(_shown_tag(tag))} is not allowed here", *_position(node)
            )


def _core_kind(text: str) -> str:
    """What YAML 1.2's core schema makes of a plain scalar: int, float or str."""
    if _CORE_INT.fullmatch(text):
        return _INT
    if _CORE_FLOAT.fullmatch(text):
        return _FLOAT
    return _STR


def _check_core_reading(node: ScalarNode, tag: str, text: str) -> None:
    """Refuse a plain scalar that ruamel resolved to `tag` and the core schema reads as
    another kind (a number one way, text the other; where both read a number, they read
    the same one)."""
    ours = _STR if tag == _TIMESTAMP else tag
    if ours == _VALUE:
        raise YamlLoadError(
            f"{quoted(text)} is not text to every YAML reader; put it in quotes",
            *_position(node),
        )
    if ours in (_INT, _FLOAT, _STR) and _core_kind(text) != ours:
        raise YamlLoadError(
            f"{quoted(text)} is a number to some YAML readers and text to others; write a "
            "plain decimal number, or put text in quotes",
            *_position(node),
        )


def _check_no_surrogate(node: ScalarNode, text: str) -> None:
    """Refuse text holding a UTF-16 surrogate (an escaped "\\ud800"): UTF-8 cannot carry it."""
    found = _SURROGATE.search(text)
    if found is not None:
        raise YamlLoadError(
            f"text holds U+{ord(found.group()):04X}, half of a UTF-16 surrogate pair, which "
            "cannot be sent as UTF-8; write the character itself (or an 8-digit escape such "
            "as \\U0001F600)",
            *_position(node),
        )
