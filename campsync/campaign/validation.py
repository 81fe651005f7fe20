"""One campaign file checked: the schema (schema), the rules JSON Schema cannot say (rules),
each problem located (messages); the values every checker of the files shares. Pure: returns
data, never prints. (The files of a run, and the rules across them: campaign.reader.)

Two paths give one outcome (issue 14). The quick path decides that a file is valid:
jsonschema-rs and the window rule, on the data of the fastest loader that reads the file
(yamlio.load_plain for an ordinary file, else the located loader). A file they do not
pass takes the careful path: jsonschema for every error, and the messages with their
lines and columns. A valid file's outcome is the same either way, and an invalid one's
is the careful path's own. `check_chunk` is what worker processes run (parallel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from campsync.campaign import rules
from campsync.campaign.messages import schema_problems, show
from campsync.campaign.schema import campaign_validator, fast_is_valid
from campsync.campaign.yamlio import Document, YamlLoadError, load_plain, load_yaml_text
from campsync.text import clip

EMPTY_FILE = "file is empty; expected a campaign"
# A file `campsync plan --out` wrote, given to validate (or kept under the campaign folder):
# one line, instead of a schema error for each of its keys.
SAVED_PLAN = (
    "a saved plan ('campsync plan --out'), not a campaign file: show it with 'campsync show "
    "FILE', apply it with 'campsync apply FILE', and keep it out of the campaign folder"
)


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
class InConfig:
    """A problem in a value that came from campsync.yaml (an override), and the campaign it
    was found in: the message is completed with the environment and every campaign sharing
    it once all are known (campaign.crossfile)."""

    problem: Problem
    campaign: str


@dataclass(frozen=True, slots=True)
class FileCheck:
    """One file's outcome: its data when it loaded as a mapping (with an environment's
    overrides merged over it), its own problems, where it writes its name and id (for the
    rules across files), the name it gives itself (its override entry is found by it), and
    the problems it showed in values that came from campsync.yaml."""

    campaign: CampaignFile | None
    problems: list[Problem]
    name_at: tuple[int, int] | None
    id_at: tuple[int, int] | None
    name: str | None = None
    in_config: tuple[InConfig, ...] = ()


def check_chunk(items: Sequence[tuple[str, str, str]], quick: bool = True) -> list[FileCheck]:
    """check_text for each (file, text, digest), in order. Module level: worker processes
    run it by name."""
    return [check_text(text, file, digest, quick=quick) for file, text, digest in items]


def warm() -> None:
    """Build what checking needs once, in a worker that has just started (imports, the
    fast validator), while the parent reads the files."""
    fast_is_valid({})


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
            return FileCheck(
                CampaignFile(file, fields, digest), [], name_at, id_at, own_name(fields)
            )
    try:
        document = load_yaml_text(text)
    except YamlLoadError as exc:
        return refused(file, exc.line, exc.column, exc.reason)
    if document is None:
        return refused(file, 1, 1, EMPTY_FILE)
    if not isinstance(document.data, dict):
        message = (
            f"expected a mapping of campaign fields at the top level, not {_kind(document.data)}"
        )
        return refused(file, *document.locate([]), message)
    data: dict[str, Any] = document.data
    if is_saved_plan(data):
        return refused(file, *document.locate([]), SAVED_PLAN)
    problems = [] if quick and passes_quickly(data) else check_document(file, document)
    name_at = document.locate(["name"]) if isinstance(data.get("name"), str) else None
    id_at = document.locate(["id"]) if isinstance(data.get("id"), str) else None
    return FileCheck(CampaignFile(file, data, digest), problems, name_at, id_at, own_name(data))


def is_saved_plan(data: dict[str, Any]) -> bool:
    """The top level of a saved plan (the plan JSON and its seals): a campaign file holds none
    of these fields, so nothing valid is ever taken for one."""
    return {"format_version", "changes", "checksum"} <= data.keys()


def own_name(data: dict[str, Any]) -> str | None:
    """The campaign's name as the file writes it (None: no text)."""
    name = data.get("name")
    return name if isinstance(name, str) else None


def passes_quickly(data: Any) -> bool:
    """Valid to jsonschema-rs and the window rule: what check_document would find no
    problem in (tests/test_schema_agreement.py holds jsonschema-rs to jsonschema). For a
    campaign with overrides merged too (campaign.merged)."""
    return type(data) is dict and fast_is_valid(data) is True and not rules.check_campaign(data)


def refused(file: str, line: int, column: int, message: str) -> FileCheck:
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
