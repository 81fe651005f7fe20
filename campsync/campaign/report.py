"""Showing what `validate` found: each problem as a line `file:line:column: path: message`
(and, in GitHub Actions, as a workflow annotation on that line of the file), or every problem
as JSON; and the one-line summary. Each reporter writes to a text stream (as sync.render does
for plans); the command chooses the stream and prints nothing else of them.
"""

from __future__ import annotations

import json
from typing import Protocol, TextIO

from campsync.campaign.validation import Problem, ValidationResult
from campsync.text import plural


def report_text(result: ValidationResult, out: TextIO, *, annotate: bool = False) -> None:
    """One line per problem; with `annotate` (running in GitHub Actions), each followed by its
    `::error` annotation."""
    for problem in result.problems:
        out.write(f"{problem}\n")
        if annotate:
            out.write(f"{github_annotation(problem)}\n")


def report_json(result: ValidationResult, out: TextIO, *, annotate: bool = False) -> None:
    """A JSON list of {file, line, column, path, message} (never annotated: the list is all)."""
    items = [
        {"file": p.file, "line": p.line, "column": p.column, "path": p.path, "message": p.message}
        for p in result.problems
    ]
    json.dump(items, out, indent=2)
    out.write("\n")


class Reporter(Protocol):
    """A reporter of `validate --format`."""

    def __call__(
        self, result: ValidationResult, out: TextIO, *, annotate: bool = False
    ) -> None: ...


REPORTERS: dict[str, Reporter] = {
    "text": report_text,
    "json": report_json,
}


def github_annotation(problem: Problem) -> str:
    """The problem as a GitHub workflow command, which shows it on that line of the file."""
    return (
        f"::error file={_escape_property(problem.file)},line={problem.line},"
        f"col={problem.column}::{_escape_data(problem.detail)}"
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def summary(result: ValidationResult, config: str | None = None) -> str:
    """`4 files valid`, `3 problems in 2 of 5 files`; problems of campsync.yaml (`config`)
    are counted apart: `3 problems: 2 in campsync.yaml, 1 in 1 of 5 files`."""
    in_config = [p for p in result.problems if config is not None and p.file == config]
    total = result.file_count - (1 if in_config else 0)
    files = plural(total, "file")
    if result.ok:
        return f"{files} valid" if total else "no campaign files found"
    bad = len(result.files_with_problems) - (1 if in_config else 0)
    in_files = len(result.problems) - len(in_config)
    if not in_config:
        return f"{plural(in_files, 'problem')} in {bad} of {files}"
    head = f"{plural(len(result.problems), 'problem')}"
    if not in_files:
        return f"{head} in {config}"
    return f"{head}: {len(in_config)} in {config}, {in_files} in {bad} of {files}"
