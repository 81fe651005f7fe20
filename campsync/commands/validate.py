"""`campsync validate [PATH ...]`: check campaign files (and campsync.yaml); no network, no
credentials. With environments in campsync.yaml: the files of `--env NAME` merged with its
overrides (repeatable: each of them), or, without --env or with `--env all`, of every
environment (campsync.checking).

Problems go to stdout, one per line (`file:line:column: path: message`), so they can be
piped; with GITHUB_ACTIONS=true each is also a GitHub `::error` annotation. The
one-line summary goes to stderr. `--format json` prints only the JSON list on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from campsync.campaign.report import REPORTERS, summary
from campsync.checking import Checked, check_all
from campsync.commands.common import (
    DEFAULT_PATH,
    add_config_option,
    add_env_option,
    print_warnings,
)
from campsync.config.job import ALL_ENVIRONMENTS
from campsync.text import escape, plural, quoted


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
    add_config_option(parser)
    add_env_option(parser, several=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    paths: list[Path] = args.paths or [Path(DEFAULT_PATH)]
    given = list(dict.fromkeys(args.env or []))
    if ALL_ENVIRONMENTS in given:  # every environment, as without --env (CAMPSYNC_ENV aside)
        checked = check_all(paths, config_path=args.config, env={})
    else:
        checked = check_all(paths, config_path=args.config, environments=given)
    result = checked.result
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    REPORTERS[args.format](result, sys.stdout, annotate=annotate)
    for note in notes(checked):
        print(f"campsync: note: {note}", file=sys.stderr)
    print_warnings(checked.warnings)
    print(summary(result, checked.config) + environments_checked(checked), file=sys.stderr)
    return 0 if result.ok else 1


def notes(checked: Checked) -> list[str]:
    found: list[str] = []
    if checked.unchecked:
        names = ", ".join(quoted(name) for name in checked.unchecked)
        which = "environment" if len(checked.unchecked) == 1 else "environments"
        found.append(
            f"{which} {names} not checked: campsync.yaml has problems in "
            f"{'it' if len(checked.unchecked) == 1 else 'them'}; fix them first"
        )
    if checked.only_loaded:
        found.append(
            f"{plural(len(checked.only_loaded), 'file')} checked only as YAML, as no "
            "environment that could be checked includes them (campsync.yaml has problems)"
        )
    if checked.in_no_environment:
        files = ", ".join(escape(name) for name in checked.in_no_environment)
        found.append(
            f"{plural(len(checked.in_no_environment), 'file')} in no environment's "
            f"campaigns (checked without overrides, never planned): {files}"
        )
    return found


def environments_checked(checked: Checked) -> str:
    names = checked.environments
    if not names:
        return ""
    word = "environment" if len(names) == 1 else "environments"
    return f" ({word} {', '.join(quoted(name) for name in names)})"
