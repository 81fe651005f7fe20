"""`campsync init [PATH]`: start a campaigns repository (campsync.yaml, campaigns/, the schemas,
pre-commit, a GitHub workflow, .gitignore). Never overwrites a file; says what it created, what
it kept, and what to do next."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from campsync.scaffold import CACHE_IGNORE, GITIGNORE, ignores_cache, scaffold
from campsync.text import escape

NEXT_STEPS = """\
Next:
  1. In campsync.yaml, set streamId and accountId (or KORE_STREAM_ID, KORE_ACCOUNT_ID) and
     name your experience flows under experienceFlows.
  2. Set KORE_CLIENT_ID and KORE_CLIENT_SECRET, then run 'campsync pull' to write a file
     for each campaign the app has, and 'campsync plan' (it should show no changes).
  3. In .github/workflows/campaigns.yml and .pre-commit-config.yaml, replace
     <your-org>/campsync with the repository you take campsync from.
  4. Commit and push, and give the GitHub repository the secrets KORE_CLIENT_ID and
     KORE_CLIENT_SECRET: every pull request then shows its plan."""


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "init",
        help="start a campaigns repository here (never overwrites a file)",
        description="Write what a campaigns repository needs into PATH: campsync.yaml "
        "(commented), campaigns/, the schemas (for editors), .pre-commit-config.yaml, a "
        "GitHub workflow (plan on pull requests, apply on merge) and .gitignore. Files that "
        "exist are kept as they are. Then 'campsync pull' adopts the app's campaigns.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        metavar="PATH",
        help="the repository's folder (default: the current one; created if missing)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = Path(args.path)
    written = scaffold(root)
    for entry in written:
        verb = "created" if entry.created else "kept   "
        print(f"{verb} {entry.path}")
    kept_ignore = any(e.path == GITIGNORE and not e.created for e in written)
    if kept_ignore and not ignores_cache(root):
        print(f"note: add {CACHE_IGNORE} to {GITIGNORE}: it is campsync's cache, not for Git")
    print()
    if root.resolve() != Path.cwd().resolve():
        print(f"First: cd {shlex.quote(escape(str(root)))}")
    print(NEXT_STEPS)
    return 0
