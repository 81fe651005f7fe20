"""`campsync validate [PATH ...]`: check campaign files; no network, no credentials.

Problems go to stdout, one per line (`file:line:column: path: message`), so they can be
piped; with GITHUB_ACTIONS=true each is also a GitHub `::error` annotation. The
one-line summary goes to stderr. `--format json` prints only the JSON list on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from campsync.campaign.validation import (
    Problem,
    ValidationResult,
    holds_campaign_files,
    validate_paths,
)
from campsync.errors import UsageError
from campsync.text import clip, plural

DEFAULT_PATH = "campaigns"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "validate",
        help="check campaign files against the schema and the cross-file rules",
        description="Check every *.yaml/*.yml under each PATH (default: campaigns). "
        "Reports every problem of every file, then exits 1 if there were any, or if a "
        "PATH holds no campaign file.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="folders or single files (default: campaigns)",
    )
    parser.add_argument(
        "--format",
        choices=sorted(REPORTERS),
        default="text",
        help="text (default) or json (a list of {file, line, column, path, message})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    paths: list[Path] = args.paths or [Path(DEFAULT_PATH)]
    for path in paths:
        if path.is_dir() and not holds_campaign_files(path):
            # A mistyped or empty folder must not pass a pipeline as "nothing wrong".
            shown = clip(path.as_posix())
            raise UsageError(f"no campaign files (*.yaml, *.yml) under {shown}")
    result = validate_paths(paths)
    REPORTERS[args.format](result, sys.stdout)
    print(summary(result), file=sys.stderr)
    return 0 if result.ok else 1


def report_text(result: ValidationResult, out: TextIO) -> None:
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    for problem in result.problems:
        print(problem, file=out)
        if annotate:
            print(github_annotation(problem), file=out)


def report_json(result: ValidationResult, out: TextIO) -> None:
    items = [
        {"file": p.file, "line": p.line, "column": p.column, "path": p.path, "message": p.message}
        for p in result.problems
    ]
    json.dump(items, out, indent=2)
    out.write("\n")


REPORTERS: dict[str, Callable[[ValidationResult, TextIO], None]] = {
    "text": report_text,
    "json": report_json,
}


def github_annotation(problem: Problem) -> str:
    return (
        f"::error file={_escape_property(problem.file)},line={problem.line},"
        f"col={problem.column}::{_escape_data(problem.detail)}"
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def summary(result: ValidationResult) -> str:
    total = result.file_count
    files = plural(total, "file")
    if result.ok:
        return f"{files} valid" if total else "no campaign files found"
    bad = len(result.files_with_problems)
    return f"{plural(len(result.problems), 'problem')} in {bad} of {files}"
