"""What action.yml (the GitHub Action at the repository root) runs: campsync validate, plan or
apply, in this process, printing to the job's log.

action.yml hands its inputs over in the environment, never pasted into a shell line:
CAMPSYNC_ACTION_COMMAND (validate, plan or apply), CAMPSYNC_ACTION_PATH (default campaigns),
CAMPSYNC_ACTION_ENVIRONMENT (passed as --env NAME when not empty) and CAMPSYNC_ACTION_ARGS
(more arguments, split as a shell splits them). apply runs with --auto-approve: the pull
request was the review.

plan runs with --detailed-exitcode and saves the plan (--out); from that one plan it writes
- the Markdown plan to the job summary (GITHUB_STEP_SUMMARY; cut only where a job summary
  would refuse it), and to RUNNER_TEMP/campsync-plan[-ENVIRONMENT].md cut to fit a
  pull-request comment or an issue, with room left for a line of one's own;
- the outputs (GITHUB_OUTPUT): `changes` (true or false), `refused` (true when apply would
  refuse the plan without --force: the safety thresholds; the Markdown plan says why at its
  top), `plan-file` (that Markdown file) and `plan-json` (the saved plan: an artifact, or
  `campsync apply FILE` later).

Outside GitHub (the tests) GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP name temporary
files and folders. Exit code: campsync's, except that a plan with changes succeeds (0).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from campsync.cli import build_parser
from campsync.cli import main as campsync
from campsync.commands.common import credentials_of, environments_of
from campsync.errors import CampsyncError
from campsync.sync.engine import PlanFile, read_saved_plan
from campsync.sync.render import MARKDOWN_LIMIT, render_markdown

COMMANDS = ("validate", "plan", "apply")
# A comment or an issue holds 65,536 characters: leave room for a line of one's own.
COMMENT_LIMIT = MARKDOWN_LIMIT - 1_536
# A job summary holds 1 MiB per step; names may be wider than one byte a character.
SUMMARY_LIMIT = 400_000
PLAN_FILES = "campsync-plan"  # .md and .json, named after the environment when there is one


class InputError(Exception):
    pass


@dataclass(frozen=True)
class Inputs:
    command: str
    path: str
    environment: str
    args: tuple[str, ...]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Inputs:
        command = environ.get("CAMPSYNC_ACTION_COMMAND", "").strip()
        if command not in COMMANDS:
            raise InputError(f"command must be one of {', '.join(COMMANDS)}, not {command!r}")
        try:
            args = tuple(shlex.split(environ.get("CAMPSYNC_ACTION_ARGS", "")))
        except ValueError as exc:
            raise InputError(f"args: {exc}") from None
        return cls(
            command=command,
            path=environ.get("CAMPSYNC_ACTION_PATH", "").strip(),
            environment=environ.get("CAMPSYNC_ACTION_ENVIRONMENT", "").strip(),
            args=args,
        )


def campsync_argv(inputs: Inputs, plan_json: Path) -> list[str]:
    """The campsync command line the inputs ask for."""
    argv = [inputs.command]
    if inputs.path:
        argv.append(inputs.path)
    if inputs.environment:
        argv += ["--env", inputs.environment]
    if inputs.command == "plan":
        argv += ["--detailed-exitcode", "--out", str(plan_json)]
    elif inputs.command == "apply":
        argv.append("--auto-approve")
    return [*argv, *inputs.args]


def plan_files(inputs: Inputs, folder: Path) -> tuple[Path, Path]:
    """(the Markdown plan, the saved plan): one pair per environment, so that plans of two
    environments in one job do not overwrite each other."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", inputs.environment)  # campsync checks the name
    stem = f"{PLAN_FILES}-{safe}" if safe else PLAN_FILES
    return folder / f"{stem}.md", folder / f"{stem}.json"


def write_plan_outputs(
    argv: list[str], plan_json: Path, markdown: Path, environ: Mapping[str, str]
) -> bool:
    """The Markdown plan (file and job summary) and the outputs; True when it has changes.
    The saved plan is read back as `apply` would, its signature checked with the settings
    `argv` made it with."""
    args = build_parser().parse_args(argv)
    credentials = credentials_of(args, environments_of(args))  # the plan's one environment
    plan = read_saved_plan(PlanFile.read(plan_json), credentials).plan
    with markdown.open("w", encoding="utf-8") as out:
        render_markdown(plan, out, limit=COMMENT_LIMIT)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            render_markdown(plan, out, limit=SUMMARY_LIMIT, full_at="the plan artifact")
    outputs = {
        "changes": "true" if plan.has_changes else "false",
        "refused": "true" if plan.refusal is not None else "false",
        "plan-file": str(markdown),
        "plan-json": str(plan_json),
    }
    target = environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.writelines(f"{name}={value}\n" for name, value in outputs.items())
    return plan.has_changes


def main(environ: Mapping[str, str] = os.environ) -> int:
    try:
        inputs = Inputs.from_env(environ)
    except InputError as exc:
        print(f"campsync action: error: {exc}", file=sys.stderr)
        return 1
    folder = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    markdown, plan_json = plan_files(inputs, folder)
    argv = campsync_argv(inputs, plan_json)
    code = campsync(argv)
    sys.stdout.flush()
    if inputs.command != "plan" or code not in (0, 2):
        return code
    try:
        write_plan_outputs(argv, plan_json, markdown, environ)
    except (CampsyncError, OSError) as exc:
        print(f"campsync action: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
