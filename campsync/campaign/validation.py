"""Campaign file validation: orchestrates loading (yamlio), the schema (schema), the rules
JSON Schema cannot say (rules), and the cross-file rules. Pure: returns data, never prints.

Two paths give one result (issue 14). The quick path decides that a file is valid:
jsonschema-rs and the window rule, on the data of the fastest loader that reads the file
(yamlio.load_plain for an ordinary file, else the located loader). A file they do not
pass takes the careful path: jsonschema for every error, and the messages with their
lines and columns. A valid file's outcome is the same either way, and an invalid one's
is the careful path's own. With enough files,
the files' checks are spread over the machine's cores (parallel.WorkerPool).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from campsync.campaign import rules
from campsync.campaign.messages import schema_problems, show
from campsync.campaign.parallel import WorkerPool, usable_cores
from campsync.campaign.schema import campaign_validator, fast_is_valid
from campsync.campaign.yamlio import (
    Document,
    YamlLoadError,
    load_plain,
    load_yaml_text,
    read_text,
)
from campsync.errors import UnreadablePath, UsageError
from campsync.text import clip, quoted, shorten

YAML_SUFFIXES = (".yaml", ".yml")
# Below this many files to check, starting worker processes (a fresh interpreter each,
# about 0.2 s, and the results' transfer) costs more than it saves. Measured on a 2-core
# machine: at 10,000 files the parent with 2 workers took 3.6-5.5 s, the parent alone
# 2.9-3.8 s (it reads every file and takes every result in itself), hence
# default_workers().
PARALLEL_MIN_FILES = 2_000
# Per task sent to a worker (few round trips, still even shares), and per batch checked
# in one process while the rest are read (a file at a time was measurably slower).
CHUNK_FILES = 250


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file. line and column are 1-based."""

    file: str
    line: int
    column: int
    path: str
    message: str

    @property
    def detail(self) -> str:
        """`path: message`, or the message alone when the problem is not at a path."""
        return f"{self.path}: {self.message}" if self.path else self.message

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.detail}"


@dataclass(frozen=True, slots=True)
class CampaignFile:
    file: str
    data: dict[str, Any]
    # SHA-256 of the file's text ("" when unknown): lets a plan recall that this exact file
    # was already found equal to the platform. Not part of equality.
    digest: str = field(default="", compare=False)


@dataclass(frozen=True)
class ValidationResult:
    """`files`: every file that loaded as a mapping (valid or not), sorted by file;
    `problems`: all problems of all files, sorted. Valid means no problems."""

    files: list[CampaignFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def file_count(self) -> int:
        return len(self.files) + len(self.unloadable)

    @property
    def unloadable(self) -> list[str]:
        loaded = {campaign.file for campaign in self.files}
        return sorted({p.file for p in self.problems if p.file not in loaded})

    @property
    def files_with_problems(self) -> list[str]:
        return sorted({p.file for p in self.problems})


@dataclass(frozen=True, slots=True)
class FileCheck:
    """One file's outcome: its data when it loaded as a mapping, its own problems, and
    where its name and id are written (for the cross-file rules)."""

    campaign: CampaignFile | None
    problems: list[Problem]
    name_at: tuple[int, int] | None
    id_at: tuple[int, int] | None


def display_name(path: Path, cwd: Path | None = None) -> str:
    """Relative to the working directory when under it, posix separators. (String work,
    as pathlib's absolute() and relative_to() would do it, without their cost per file.)"""
    base = os.path.join(os.getcwd(), cwd) if cwd is not None else os.getcwd()
    text = os.fspath(path)
    absolute = text if os.path.isabs(text) else os.path.join(base, text)
    prefix = base if base.endswith(os.sep) else base + os.sep
    if absolute.startswith(prefix) and len(absolute) > len(prefix):
        return clip(absolute[len(prefix) :].replace(os.sep, "/"))
    return clip(path.as_posix())


def find_campaign_files(paths: Sequence[Path]) -> list[Path]:
    """Every *.yaml / *.yml under the given folders (hidden folders and files skipped,
    folders that are symbolic links not followed: see `linked_folders`), plus the given
    files themselves; each once. Raises UsageError for a missing path, UnreadablePath for a
    folder under a given one that cannot be listed, or a file that is a symbolic link to
    outside the given folder (never read, so never echoed)."""
    found: dict[str, Path] = {}
    for given in paths:
        if given.is_dir():
            candidates: Iterable[Path] = _walk(given)
        elif given.exists() or given.is_symlink():
            candidates = [given]
        else:
            raise UsageError(f"{given.as_posix()}: no such file or directory")
        for candidate in candidates:
            found.setdefault(os.path.normcase(os.path.abspath(candidate)), candidate)
    return list(found.values())


def holds_campaign_files(folder: Path) -> bool:
    """Whether the folder holds at least one campaign file (the walk stops at the first)."""
    return next(iter(_walk(folder)), None) is not None


def require_campaign_files(path: Path) -> None:
    """UsageError when `path` is a folder that holds no campaign file: a mistyped or empty
    folder must not pass a pipeline as "nothing wrong" (validate) or "no changes" (plan)."""
    if path.is_dir() and not holds_campaign_files(path):
        raise UsageError(f"no campaign files (*.yaml, *.yml) under {clip(path.as_posix())}")


def linked_folders(paths: Sequence[Path]) -> list[str]:
    """The folders under the given ones that are symbolic links, as messages show them:
    never followed (a link may lead out of PATH, or in a loop), so the campaign files inside
    are not read. (A walk of the folders alone; UnreadablePath as _walk.)"""
    linked: list[str] = []
    pending = [os.fspath(given) for given in paths if given.is_dir()]
    while pending:
        for entry in _listing(pending.pop()):
            if entry.name.startswith("."):
                continue
            if _is_folder(entry):
                pending.append(entry.path)
            elif _is_linked_folder(entry):
                linked.append(_shown(entry.path))
    return sorted(linked)


def not_followed(folder: str) -> str:
    """The warning for a folder that is a symbolic link (as display_name shows it)."""
    return (
        f"{folder}: a symbolic link to a folder, not followed: the campaign files there are "
        "not read"
    )


def _walk(root: Path) -> Iterator[Path]:
    """The campaign files under `root`, top-down (a folder's files, then its subfolders in
    order), names sorted. A folder that cannot be listed stops the walk (UnreadablePath):
    skipping it would make its campaigns look unmanaged. A symbolic link to a folder is not
    entered (linked_folders names them); one to a file must resolve inside `root`."""
    inside: str | None = None  # root's real path, made when a link needs it
    pending = [os.fspath(root)]
    while pending:
        subfolders: list[str] = []
        for entry in sorted(_listing(pending.pop()), key=lambda entry: entry.name):
            name = entry.name
            if name.startswith("."):
                continue
            if _is_folder(entry):
                subfolders.append(entry.path)
                continue
            if not name.endswith(YAML_SUFFIXES) or _is_linked_folder(entry):
                continue
            if entry.is_symlink():
                inside = inside or os.path.realpath(root)
                if not _within(os.path.realpath(entry.path), inside):
                    raise UnreadablePath(
                        f"{_shown(entry.path)}: a symbolic link to a file outside "
                        f"{_shown(os.fspath(root))}; campsync reads only the files under the "
                        "folder it is given (put the file itself there)"
                    )
            yield Path(entry.path)
        pending.extend(reversed(subfolders))


def _listing(folder: str) -> list[os.DirEntry[str]]:
    """The folder's entries; UnreadablePath when it cannot be listed."""
    try:
        with os.scandir(folder) as listing:
            return list(listing)
    except OSError as exc:
        raise UnreadablePath(
            f"{_shown(folder)}: cannot read this folder ({exc.strerror or exc}); "
            "campsync stops rather than go on without its campaign files"
        ) from None


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """A folder itself (not a link to one)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError as exc:
        raise UnreadablePath(
            f"{_shown(entry.path)}: cannot read it ({exc.strerror or exc})"
        ) from None


def _is_linked_folder(entry: os.DirEntry[str]) -> bool:
    """A symbolic link to a folder (a broken link or a loop is none: read, it fails)."""
    return entry.is_symlink() and entry.is_dir()


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _shown(path: str) -> str:
    """A path for a one-line message: as display_name shows it, cut in the middle when it
    is very long (a path beyond PATH_MAX is one of the folders that cannot be read)."""
    return shorten(display_name(Path(path)), 160)


class CheckMemo(Protocol):
    """Remembers the outcome of checking a file's text (see campsync.sync.cache.FileCache)."""

    def recall(self, file: str, digest: str) -> FileCheck | None: ...

    def remember(self, file: str, digest: str, check: FileCheck) -> None: ...


def validate_paths(
    paths: Sequence[Path],
    *,
    memo: CheckMemo | None = None,
    quick: bool = True,
    workers: int | None = None,
) -> ValidationResult:
    """Validate every campaign file under `paths`, including the cross-file rules. With a
    `memo`, a file whose text was checked before is not parsed again (the cross-file rules
    always run). `quick=False` takes the careful path for every file (v0.1's way, for
    comparison); `workers`: processes to check the files in (default: every core when
    at least PARALLEL_MIN_FILES files need checking, else none; 1: none). The outcome
    is the same whatever the path and the processes."""
    found = find_campaign_files(paths)
    if workers is None and default_workers(len(found)) == 1:
        workers = 1  # fewer files can need checking than were found: no workers either
    # In one process, files are checked a chunk at a time as they are read: holding every
    # text until all are read (only workers need them together) would add 10,000 texts to
    # the peak memory, and their memory, freed amid what stays, is not used again.
    serial = workers is not None and workers <= 1
    cwd = Path.cwd()
    checked: list[FileCheck | None] = []
    pending: list[tuple[str, str, str]] = []  # (file, text, digest) to check
    fresh: list[FileCheck] = []  # the outcomes of the files checked so far, in order
    for path in found:
        name = display_name(path, cwd)
        text_or_refusal = _read(path, name)
        if isinstance(text_or_refusal, FileCheck):
            checked.append(text_or_refusal)
            continue
        text, digest = text_or_refusal
        known = memo.recall(name, digest) if memo is not None else None
        checked.append(known)
        if known is None:
            pending.append((name, text, digest))
            if serial and len(pending) >= CHUNK_FILES:
                fresh.extend(_checked(pending, quick, 1, memo))
                pending = []
    if workers is None:
        workers = default_workers(len(pending))
    fresh.extend(_checked(pending, quick, workers, memo))
    outcomes = iter(fresh)
    return _combine([item if item is not None else next(outcomes) for item in checked])


def _checked(
    pending: list[tuple[str, str, str]], quick: bool, workers: int, memo: CheckMemo | None
) -> list[FileCheck]:
    """The outcomes of checking the pending files, in order, each told to the memo."""
    fresh = _check_all(pending, quick, workers)
    if memo is not None:
        for (name, _, digest), outcome in zip(pending, fresh, strict=True):
            memo.remember(name, digest, outcome)
    return fresh


def default_workers(files: int) -> int:
    """Worker processes for checking `files` files: none below PARALLEL_MIN_FILES, and
    one per core but the parent's (which reads the files and takes the results in): on
    2 cores that is one worker, no faster than the parent alone (measured), so none."""
    workers = usable_cores() - 1
    return workers if workers >= 2 and files >= PARALLEL_MIN_FILES else 1


def _check_all(pending: list[tuple[str, str, str]], quick: bool, workers: int) -> list[FileCheck]:
    if workers > 1 and len(pending) > 1:
        size = max(1, min(CHUNK_FILES, -(-len(pending) // workers)))
        chunks = [pending[i : i + size] for i in range(0, len(pending), size)]
        with WorkerPool(min(workers, len(chunks)), warm) as pool:
            spread = pool.map(check_chunk, chunks, quick)
        if spread is not None:
            return spread
    return check_chunk(pending, quick)


def check_chunk(items: Sequence[tuple[str, str, str]], quick: bool = True) -> list[FileCheck]:
    """check_text for each (file, text, digest), in order. Module level: worker processes
    run it by name."""
    return [check_text(text, file, digest, quick=quick) for file, text, digest in items]


def warm() -> None:
    """Build what checking needs once, in a worker that has just started (imports, the
    fast validator), while the parent reads the files."""
    fast_is_valid({})


def validate_texts(texts: Sequence[tuple[str, str]]) -> ValidationResult:
    """Validate (display name, text) pairs as if they were files; for tests and tools."""
    return _combine([check_text(text, name) for name, text in texts])


def _read(path: Path, name: str) -> FileCheck | tuple[str, str]:
    """The file's text and its digest, or its refusal when it cannot be read as text."""
    try:
        text = read_text(path)
    except YamlLoadError as exc:
        return _refused(name, exc.line, exc.column, exc.reason)
    return text, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_text(text: str, file: str, digest: str = "", *, quick: bool = True) -> FileCheck:
    """One file's outcome (cross-file rules aside). `quick`: let jsonschema-rs and the
    window rule pass a valid file, on the data of the fastest loader that reads it; only
    a file they do not pass is checked by jsonschema, for its messages."""
    if quick:
        plain = load_plain(text)
        if plain is not None and passes_quickly(plain.data):
            at = plain.positions
            fields = plain.data
            name_at = at.get("name") if isinstance(fields.get("name"), str) else None
            id_at = at.get("id") if isinstance(fields.get("id"), str) else None
            return FileCheck(CampaignFile(file, fields, digest), [], name_at, id_at)
    try:
        document = load_yaml_text(text)
    except YamlLoadError as exc:
        return _refused(file, exc.line, exc.column, exc.reason)
    if document is None:
        return _refused(file, 1, 1, "file is empty; expected a campaign")
    if not isinstance(document.data, dict):
        message = (
            f"expected a mapping of campaign fields at the top level, not {_kind(document.data)}"
        )
        return _refused(file, *document.locate([]), message)
    data: dict[str, Any] = document.data
    problems = [] if quick and passes_quickly(data) else check_document(file, document)
    name_at = document.locate(["name"]) if isinstance(data.get("name"), str) else None
    id_at = document.locate(["id"]) if isinstance(data.get("id"), str) else None
    return FileCheck(CampaignFile(file, data, digest), problems, name_at, id_at)


def passes_quickly(data: Any) -> bool:
    """Valid to jsonschema-rs and the window rule: what check_document would find no
    problem in (tests/test_schema_agreement.py holds jsonschema-rs to jsonschema). For a
    campaign with overrides merged too (campaign.merged)."""
    return type(data) is dict and fast_is_valid(data) is True and not rules.check_campaign(data)


def _refused(file: str, line: int, column: int, message: str) -> FileCheck:
    """A file that did not load as a mapping: its one problem, no data."""
    return FileCheck(None, [Problem(file, line, column, "", message)], None, None)


def check_document(file: str, document: Document) -> list[Problem]:
    """Schema and single-file rules for one loaded document."""
    problems: list[Problem] = []
    for located in schema_problems(campaign_validator(), document.data):
        line, column = document.locate(located.target, key=located.at_key)
        problems.append(Problem(file, line, column, format_path(located.path), located.message))
    for finding in rules.check_campaign(document.data):
        line, column = document.locate(finding.path)
        problems.append(Problem(file, line, column, format_path(finding.path), finding.message))
    return sorted(set(problems))


def format_path(path: Sequence[str | int]) -> str:
    """Dotted from the top-level field, list items in brackets: a.b[2].c"""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            name = clip(step, 60)
            text += f".{name}" if text else name
    return text


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"a single value ({show(value)})"


def _combine(checked: list[FileCheck]) -> ValidationResult:
    problems = [problem for item in checked for problem in item.problems]
    problems.extend(_duplicates(checked, "name", lambda v: v.casefold()))
    problems.extend(_duplicates(checked, "id", lambda v: v))
    files = sorted((c.campaign for c in checked if c.campaign is not None), key=lambda c: c.file)
    return ValidationResult(files=files, problems=sorted(set(problems)))


def _duplicates(checked: list[FileCheck], key: str, normalise: Any) -> list[Problem]:
    groups: dict[str, list[tuple[str, tuple[int, int], str]]] = {}
    for item in checked:
        where = item.name_at if key == "name" else item.id_at
        if item.campaign is None or where is None:
            continue
        value = item.campaign.data[key]
        groups.setdefault(normalise(value), []).append((item.campaign.file, where, value))
    problems: list[Problem] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort()
        for file, (line, column), value in members:
            others = [(f, ln, col) for f, (ln, col), _ in members if f != file]
            problems.append(Problem(file, line, column, key, also_used(key, value, others)))
    return problems


def also_used(key: str, value: str, others: Iterable[tuple[str, int, int]]) -> str:
    """The message for a campaign name or id (`key`) that the `others` (file, line, column)
    write too."""
    places = ", ".join(f"{file}:{line}:{column}" for file, line, column in others)
    if key == "name":
        return (
            f"campaign name {quoted(value)} is also used in {places} "
            "(names must be unique, ignoring case)"
        )
    return f"campaign id {quoted(value)} is also used in {places}"
