"""`pull`: platform campaigns -> campaign files. Orchestrates the reads, maps each campaign to
file data, chooses safe file names and renders the YAML; the CLI layer prints.

Two steps, so that the command can show what it is about to do before anything is written:
`prepare_pull` reads the platform and the existing files and returns a `PullPlan`;
`write_pull` writes it, each file atomically.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, ScalarString

from campsync.campaign.model import (
    CALLING_HOURS_ORDER,
    DAY_ORDER,
    DIALING_STRATEGY_ORDER,
    TOP_LEVEL_ORDER,
)
from campsync.campaign.schema import load_schema
from campsync.campaign.validation import CampaignFile, display_name, find_campaign_files
from campsync.campaign.yamlio import YamlLoadError, load_yaml_file, load_yaml_text
from campsync.errors import CampsyncError, UsageError
from campsync.fsutil import write_atomic
from campsync.settings import Settings
from campsync.sync.inventory import DEFAULT_TYPE, Listed, Reader, client_fetcher, list_platform
from campsync.sync.planner import match_files

SCHEMA_PATH = Path("schemas") / "campaign.schema.json"
SCHEMA_COMMENT = "# yaml-language-server: $schema="
QUEUE_MODES = frozenset({"Progressive", "Preview"})
MAX_STEM = 60
FALLBACK_STEM = "campaign"
# Names Windows refuses as file names whatever the extension; a pulled repository may be
# checked out there.
_RESERVED_STEMS = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)

# Key order of a written file: campsync's `id` first, then the request body's order.
FILE_ORDER: tuple[str, ...] = ("id", *TOP_LEVEL_ORDER)
_NESTED_ORDER: dict[str, tuple[str, ...]] = {
    "dialingStrategy": DIALING_STRATEGY_ORDER,
    "callingHours": CALLING_HOURS_ORDER,
    "days": DAY_ORDER,
    "schedule": ("isSchedulingEnabled", "isRecurrenceEnabled"),
    "dncLists": ("name",),
    "callerId": ("phoneNumber",),
}


class PullError(CampsyncError):
    """Pull cannot go on (an unreadable campaign file, PATH not a folder, ...)."""


# ---------------------------------------------------------------------------------------------
# Platform campaign -> file data


@dataclass(frozen=True)
class PulledCampaign:
    """One platform campaign as campaign-file data (plain builtins, in file order)."""

    id: str
    name: str
    data: dict[str, Any]
    unmapped_flow: str | None = None  # the cf- id when no experienceFlows name maps it


def campaign_data(
    live: Mapping[str, Any],
    listed: Listed,
    *,
    flow_names: Mapping[str, str],
    existing: Mapping[str, Any] | None = None,
) -> PulledCampaign:
    """The file data of one platform campaign.

    `live` is the get-one `data`, `listed` its list entry (which alone holds the queue, as
    `connection`, and the type the campaign was listed under); `flow_names` maps flow ids to
    names (campsync.yaml `experienceFlows`, inverted). `existing`, the data of a file being
    overwritten, asks to also write the optional fields that file already manages, so that a
    plan after the pull still shows no change for them.
    """
    existing = existing or {}
    data: dict[str, Any] = {"id": listed.id}
    name = live.get("name", listed.item.get("name", listed.name))
    data["name"] = name
    for key in ("description", "contactLists"):
        if key in live:
            data[key] = live[key]
    dnc = live.get("dncLists")
    if isinstance(dnc, Mapping):
        data["dncLists"] = {"name": dnc.get("name")}
    elif dnc is not None:
        data["dncLists"] = dnc  # not the documented shape: written as is, validate will say
    if "priority" in live:
        data["priority"] = _priority(live["priority"])
    mode = live.get("dialingMode", listed.item.get("dialingMode"))
    if mode is not None:
        data["dialingMode"] = mode
    if "dialingStrategy" in live:
        data["dialingStrategy"] = live["dialingStrategy"]
    schedule = live.get("schedule", listed.item.get("schedule"))
    if isinstance(schedule, Mapping):
        data["schedule"] = _schedule(schedule, existing.get("schedule"))

    unmapped: str | None = None
    flow_id = live.get("experienceFlow")
    if isinstance(flow_id, str) and flow_id:
        flow_name = flow_names.get(flow_id)
        if flow_name is not None:
            data["experienceFlowName"] = flow_name
        else:
            unmapped = flow_id

    connection = listed.item.get("connection")
    if (
        isinstance(connection, str)
        and connection
        and (mode in QUEUE_MODES or "queue_name" in existing)
    ):
        data["queue_name"] = connection
    if "maxSkips" in live and (mode == "Preview" or "maxSkips" in existing):
        data["maxSkips"] = live["maxSkips"]
    data["campaignType"] = listed.campaign_type

    cleaned = _order(_known_only(data, _schema_fields()), FILE_ORDER)
    return PulledCampaign(id=listed.id, name=str(name), data=cleaned, unmapped_flow=unmapped)


def _priority(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _schedule(schedule: Mapping[str, Any], existing: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if "isSchedulingEnabled" in schedule:
        result["isSchedulingEnabled"] = schedule["isSchedulingEnabled"]
    recurrence = schedule.get("isRecurrenceEnabled")
    file_sets_it = isinstance(existing, Mapping) and "isRecurrenceEnabled" in existing
    if recurrence is True or (recurrence is not None and file_sets_it):
        result["isRecurrenceEnabled"] = recurrence
    return result


@dataclass(frozen=True)
class _Fields:
    """The keys a file may hold at one level of the schema, and the levels below."""

    keys: frozenset[str]
    children: Mapping[str, _Fields]


@cache
def _schema_fields() -> _Fields:
    return _fields_of(load_schema())


def _fields_of(node: Mapping[str, Any]) -> _Fields:
    if node.get("type") == "array" and isinstance(node.get("items"), Mapping):
        return _fields_of(node["items"])
    props = node.get("properties")
    if not isinstance(props, Mapping):
        return _Fields(frozenset(), {})
    children = {
        key: _fields_of(sub)
        for key, sub in props.items()
        if isinstance(sub, Mapping) and sub.get("type") in ("object", "array")
    }
    return _Fields(frozenset(props), children)


def _known_only(value: Any, fields: _Fields) -> Any:
    """Drop every key the schema does not allow (server fields such as _id, lname, status,
    useSystemMappings, and whatever else the platform adds): a pulled file must validate."""
    if isinstance(value, Mapping):
        return {
            key: _known_only(item, fields.children[key]) if key in fields.children else item
            for key, item in value.items()
            if key in fields.keys
        }
    if isinstance(value, list):
        return [_known_only(item, fields) for item in value]
    return value


def _order(value: Any, order: Sequence[str]) -> Any:
    """A copy with mapping keys in file order (known keys first, others as they came)."""
    if isinstance(value, list):
        return [_order(item, order) for item in value]
    if not isinstance(value, Mapping):
        return value
    result: dict[str, Any] = {}
    for key in [*(k for k in order if k in value), *(k for k in value if k not in order)]:
        result[key] = _order(value[key], _NESTED_ORDER.get(key, ()))
    return result


# ---------------------------------------------------------------------------------------------
# File names


def safe_stem(name: str) -> str:
    """A file name stem from a campaign name: lower-case ASCII letters, digits and single
    dashes only (so no path separator, no `..`, no control or hidden character can get
    through), at most MAX_STEM characters, never empty and never a reserved device name."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    stem = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(stem) > MAX_STEM:
        cut = stem[:MAX_STEM]
        stem = (cut.rsplit("-", 1)[0] if "-" in cut[MAX_STEM // 2 :] else cut).strip("-")
    if not stem:
        return FALLBACK_STEM
    if stem in _RESERVED_STEMS:
        return f"{stem}-campaign"
    return stem


def choose_path(folder: Path, name: str, taken: set[str]) -> Path:
    """A new file in `folder` for campaign `name`: `<stem>.yaml`, or `<stem>-2.yaml`,
    `<stem>-3.yaml`, ... when the stem is taken by an existing entry of the folder (any
    suffix, compared case-insensitively for case-insensitive file systems) or by a file
    chosen earlier in this run. Adds the chosen stem to `taken`."""
    base = safe_stem(name)
    stem = base
    number = 1
    while stem.casefold() in taken:
        number += 1
        stem = f"{base}-{number}"
    taken.add(stem.casefold())
    return folder / f"{stem}.yaml"


def taken_stems(folder: Path) -> set[str]:
    """Stems of the entries already in `folder` (files and folders alike)."""
    if not folder.is_dir():
        return set()
    stems: set[str] = set()
    for entry in folder.iterdir():
        stems.add(entry.name.casefold())
        stem, dot, _ = entry.name.rpartition(".")
        if dot and stem:
            stems.add(stem.casefold())
    return stems


def schema_reference(folder: Path) -> str:
    """The `$schema` reference of a file written in `folder`: the relative path from it to
    schemas/campaign.schema.json, found in the nearest folder above it that has one (the
    repository's), else the working directory's."""
    folder = folder.absolute()
    target = Path.cwd() / SCHEMA_PATH
    for candidate in (folder, *folder.parents):
        if (candidate / SCHEMA_PATH).is_file():
            target = candidate / SCHEMA_PATH
            break
    return Path(os.path.relpath(target, folder)).as_posix()


# ---------------------------------------------------------------------------------------------
# YAML text


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
        if key not in target:
            target.insert(_insert_at(target, key, order), key, _styled(value, key))
            continue
        current = target[key]
        if isinstance(current, CommentedMap) and isinstance(value, Mapping):
            _merge_map(current, value, _NESTED_ORDER.get(key, ()))
        elif isinstance(current, CommentedSeq) and isinstance(value, list):
            _merge_seq(current, value, key)
        elif not _same(current, value, key):
            target[key] = _like(current, _styled(value, key))


def _merge_seq(target: CommentedSeq, source: list[Any], key: str) -> None:
    if len(target) != len(source):
        target[:] = [_styled(item, key) for item in source]
        return
    for index, value in enumerate(source):
        current = target[index]
        if isinstance(current, CommentedMap) and isinstance(value, Mapping):
            _merge_map(current, value, _NESTED_ORDER.get(key, ()))
        elif not _same(current, value, key):
            target[index] = _like(current, _styled(value, key))


def _same(current: Any, value: Any, key: str) -> bool:
    if key == "priority":  # 5 and "5" are the same priority: keep the user's spelling
        return bool(_priority(current) == _priority(value))
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


# ---------------------------------------------------------------------------------------------
# Orchestration


@dataclass(frozen=True)
class PullFile:
    """One file pull will write."""

    path: Path
    display: str  # as shown to the user: posix, relative when under the working directory
    campaign: PulledCampaign
    text: str
    overwrite: bool  # an existing file describing the campaign, rewritten in place


@dataclass
class PullPlan:
    files: list[PullFile] = field(default_factory=list)  # to write, new ones first
    already_described: int = 0  # platform campaigns a file describes (left alone)
    unchanged: int = 0  # with --overwrite: described campaigns whose file is already current

    @property
    def new_files(self) -> list[PullFile]:
        return [f for f in self.files if not f.overwrite]

    @property
    def overwrites(self) -> list[PullFile]:
        return [f for f in self.files if f.overwrite]

    flow_gaps: list[tuple[str, str]] = field(default_factory=list)  # (flow id, file) pairs

    def unmapped_flows(self) -> dict[str, list[str]]:
        """Flow id -> the pulled files (display paths) that lack experienceFlowName because
        campsync.yaml has no name for that id."""
        result: dict[str, list[str]] = {}
        for flow_id, shown in sorted(self.flow_gaps):
            result.setdefault(flow_id, []).append(shown)
        return result


def read_existing(root: Path) -> list[tuple[Path, CampaignFile]]:
    """The campaign files under `root`, valid or not (a file pulled without its flow name
    still describes its campaign). One that cannot be read as a mapping stops the pull: what
    it describes is unknown, and pulling could write that campaign a second time."""
    found: list[tuple[Path, CampaignFile]] = []
    for path in find_campaign_files([root]):
        shown = display_name(path)
        try:
            document = load_yaml_file(path)
        except YamlLoadError as exc:
            raise PullError(
                f"{shown}:{exc.line}:{exc.column}: {exc.reason} "
                "(pull reads every file to know which campaigns they describe)"
            ) from None
        if document is None:
            continue  # an empty file describes nothing
        if not isinstance(document.data, dict):
            raise PullError(f"{shown}:1:1: expected a campaign (a mapping of fields)")
        found.append((path, CampaignFile(file=shown, data=document.data)))
    return found


def _check_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: not a folder")


async def prepare_pull(
    client: Reader,
    root: Path,
    settings: Settings,
    *,
    overwrite: bool = False,
    campaign_types: Iterable[str] = (DEFAULT_TYPE,),
) -> PullPlan:
    """Read the platform and the files under `root`; decide what to write. Reads only:
    one list (every page) per campaign type and one get-one per campaign to write."""
    _check_root(root)
    existing = read_existing(root) if root.is_dir() else []
    listed = await list_platform(client, campaign_types)
    matching = match_files([cf for _, cf in existing], listed)
    paths = {cf.file: path for path, cf in existing}

    rewrite = [(paths[cf.file], cf, entry) for cf, entry in matching.matched] if overwrite else []
    new = sorted(matching.unmanaged, key=lambda e: (e.name.casefold(), e.name, e.id))
    wanted = [*new, *(entry for _, _, entry in rewrite)]
    full = await client_fetcher(client)(wanted)

    flow_names: dict[str, str] = {}
    for flow_name, flow_id in settings.experience_flows.items():
        flow_names.setdefault(flow_id, flow_name)

    plan = PullPlan(already_described=len(matching.matched))
    taken = taken_stems(root)
    schema_ref = schema_reference(root)  # every new file goes straight into root
    for entry in new:
        pulled = campaign_data(full[entry.id], entry, flow_names=flow_names)
        path = choose_path(root, pulled.name, taken)
        text = render_new(pulled.data, schema_ref)
        shown = display_name(path)
        if pulled.unmapped_flow is not None:
            plan.flow_gaps.append((pulled.unmapped_flow, shown))
        plan.files.append(PullFile(path, shown, pulled, text, overwrite=False))
    for path, cf, entry in sorted(rewrite, key=lambda r: r[1].file):
        pulled = campaign_data(full[entry.id], entry, flow_names=flow_names, existing=cf.data)
        old_text = path.read_text(encoding="utf-8-sig")
        try:
            text = render_update(old_text, pulled.data)
        except PullError as exc:
            raise PullError(f"{cf.file}: {exc}") from None
        # A flow name the file already holds is kept; only a file without one lacks it.
        missing = None if "experienceFlowName" in cf.data else pulled.unmapped_flow
        if missing is not None:
            plan.flow_gaps.append((missing, cf.file))
        if text == old_text:
            plan.unchanged += 1
            continue
        plan.files.append(PullFile(path, cf.file, pulled, text, overwrite=True))
    return plan


def write_pull(
    plan: PullPlan, root: Path, on_written: Callable[[PullFile], None] | None = None
) -> list[PullFile]:
    """Write the files of `plan`, each atomically (temp file, then rename): an interrupted
    pull leaves whole files only. A new file never replaces one that appeared meanwhile."""
    resolved_root = root.resolve()
    written: list[PullFile] = []
    for pulled in plan.files:
        if not pulled.overwrite:
            if pulled.path.parent.resolve() != resolved_root:  # names cannot do this; be sure
                raise PullError(f"{pulled.display}: refusing to write outside {root}")
            if pulled.path.exists() or pulled.path.is_symlink():
                raise PullError(f"{pulled.display}: the file appeared meanwhile; pull again")
        write_atomic(pulled.path, pulled.text)
        written.append(pulled)
        if on_written is not None:
            on_written(pulled)
    return written
