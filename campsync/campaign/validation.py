"""Campaign file validation: orchestrates loading (yamlio), the schema (schema), the rules
JSON Schema cannot say (rules), and the cross-file rules. Pure: returns data, never prints.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from campsync.campaign import rules
from campsync.campaign.messages import problems_from_schema_error
from campsync.campaign.schema import campaign_validator
from campsync.campaign.yamlio import Document, YamlLoadError, load_yaml_text, read_text
from campsync.errors import UsageError
from campsync.text import clip, quoted

YAML_SUFFIXES = (".yaml", ".yml")


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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class FileCheck:
    """One file's outcome: its data when it loaded as a mapping, its own problems, and
    where its name and id are written (for the cross-file rules)."""

    campaign: CampaignFile | None
    problems: list[Problem]
    name_at: tuple[int, int] | None
    id_at: tuple[int, int] | None


def display_name(path: Path, cwd: Path | None = None) -> str:
    """Relative to the working directory when under it, posix separators."""
    base = (cwd or Path.cwd()).absolute()
    absolute = path.absolute()
    try:
        return clip(absolute.relative_to(base).as_posix())
    except ValueError:
        return clip(path.as_posix())


def find_campaign_files(paths: Sequence[Path]) -> list[Path]:
    """Every *.yaml / *.yml under the given folders (hidden folders and files skipped),
    plus the given files themselves; each once. Raises UsageError for a missing path."""
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


def _walk(folder: Path) -> Iterable[Path]:
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.endswith(YAML_SUFFIXES):
                yield Path(directory, name)


class CheckMemo(Protocol):
    """Remembers the outcome of checking a file's text (see campsync.sync.cache.FileCache)."""

    def recall(self, file: str, digest: str) -> FileCheck | None: ...

    def remember(self, file: str, digest: str, check: FileCheck) -> None: ...


def validate_paths(paths: Sequence[Path], *, memo: CheckMemo | None = None) -> ValidationResult:
    """Validate every campaign file under `paths`, including the cross-file rules. With a
    `memo`, a file whose text was checked before is not parsed again (the cross-file rules
    always run)."""
    checked = [check_file(path, memo) for path in find_campaign_files(paths)]
    return _combine(checked)


def validate_texts(texts: Sequence[tuple[str, str]]) -> ValidationResult:
    """Validate (display name, text) pairs as if they were files; for tests and tools."""
    return _combine([check_text(text, name) for name, text in texts])


def check_file(path: Path, memo: CheckMemo | None = None) -> FileCheck:
    name = display_name(path)
    try:
        text = read_text(path)
    except YamlLoadError as exc:
        return _refused(name, exc.line, exc.column, exc.reason)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if memo is None:
        return check_text(text, name, digest)
    known = memo.recall(name, digest)
    if known is not None:
        return known
    checked = check_text(text, name, digest)
    memo.remember(name, digest, checked)
    return checked


def check_text(text: str, file: str, digest: str = "") -> FileCheck:
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
    problems = check_document(file, document)
    data: dict[str, Any] = document.data
    name_at = document.locate(["name"]) if isinstance(data.get("name"), str) else None
    id_at = document.locate(["id"]) if isinstance(data.get("id"), str) else None
    return FileCheck(CampaignFile(file, data, digest), problems, name_at, id_at)


def _refused(file: str, line: int, column: int, message: str) -> FileCheck:
    """A file that did not load as a mapping: its one problem, no data."""
    return FileCheck(None, [Problem(file, line, column, "", message)], None, None)


def check_document(file: str, document: Document) -> list[Problem]:
    """Schema and single-file rules for one loaded document."""
    problems: list[Problem] = []
    errors = list(campaign_validator().iter_errors(document.data))
    # A value of the wrong type fails its other keywords too; report only the type.
    type_paths = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in type_paths:
            continue
        for located in problems_from_schema_error(error, document.data):
            target = located.where if located.where is not None else located.path
            line, column = document.locate(target, key=located.at_key)
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
    return f"a single value ({value!r})"


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
            others = ", ".join(f"{f}:{ln}:{col}" for f, (ln, col), _ in members if f != file)
            if key == "name":
                message = (
                    f"campaign name {quoted(value)} is also used in {others} "
                    "(names must be unique, ignoring case)"
                )
            else:
                message = f"campaign id {quoted(value)} is also used in {others}"
            problems.append(Problem(file, line, column, key, message))
    return problems
