"""`campsync pull [PATH]`: write a campaign file for each platform campaign no file describes.

Reads only from the platform: one list (every page) and one get-one per campaign written
that the local cache does not hold at its listed updatedAt (what is read is kept, as a plan's).
Prints a line per file written and a summary on stdout; warnings go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from campsync.commands.common import (
    DEFAULT_PATH,
    add_remote_options,
    environments_of,
    job_of,
    print_warnings,
    run_to_end,
)
from campsync.errors import UsageError
from campsync.sync.engine import PullFile, PullPlan, Sync
from campsync.terminal import ProgressReporter
from campsync.text import escape, quoted


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "pull",
        help="write a file for each platform campaign that no file describes yet (reads only)",
        description="Write one campaign file under PATH for every platform campaign that no "
        "file describes yet (matched as plan does: by id, else by name). Existing files are "
        "never replaced, unless --overwrite is given. With --env (environments in "
        "campsync.yaml), files are written for every environment: without ids, and without "
        "the values that environment's overrides supply.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        default=DEFAULT_PATH,
        metavar="PATH",
        help=f"the folder of campaign files (default: {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="also rewrite the files that already describe platform campaigns, updating their "
        "values in place (comments are kept where possible)",
    )
    add_remote_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = Path(args.path)
    names = environments_of(args)
    if len(names) > 1:  # `--env all` with several environments
        raise UsageError("pull writes the files of one environment: give one --env NAME")
    job = job_of(args, names)
    progress = ProgressReporter(sys.stderr, rate_limit=job.rate_limit)
    sync = Sync(job, read_files=False, progress=progress)
    # The bodies read are kept for the next pull or plan.
    plan = run_to_end(sync, progress, sync.pull(root, overwrite=args.overwrite))
    print_warnings(plan.warnings)  # before any file is written: why one may be a duplicate

    if plan.overwrites:
        print(f"Overwriting {len(plan.overwrites)} file(s) that describe platform campaigns:")
        for pulled in plan.overwrites:
            print(f"  {pulled.display} ({escape(pulled.campaign.name)})")

    def report(pulled: PullFile) -> None:
        verb = "rewrote" if pulled.overwrite else "wrote"
        print(f"{verb} {pulled.display} ({escape(pulled.campaign.name)})", flush=True)

    invalid = sync.write_pull(plan, root, on_written=report)
    print(summary(plan, root))
    warn_unmapped_flows(plan)
    if job.environment is not None:
        warn_environment(plan, job.environment.name)
    # A written file that does not validate for another reason than a missing flow name (a
    # platform value the schema refuses, say): said now, so that the user is not surprised.
    print_warnings(invalid)
    return 0


def warn_environment(plan: PullPlan, environment: str) -> None:
    if plan.machine_detect_gaps:
        print(
            f"campsync: note: {len(plan.machine_detect_gaps)} pulled Agentless campaign(s) "
            "have no enableMachineDetect: the platform never returns it, and another "
            "environment needs it to create them. Before promoting, set it (no, detect or "
            "disconnect) in each file, or in the target environment's overrides by campaign "
            "name:",
            file=sys.stderr,
        )
        for shown in plan.machine_detect_gaps:
            print(f"  {shown}", file=sys.stderr)
    if plan.outside_environment:
        print(
            f"campsync: warning: {len(plan.outside_environment)} pulled file(s) are not in "
            f"environment {quoted(environment)}'s campaigns (the globs in campsync.yaml): "
            "move them where they belong, or they describe nothing:",
            file=sys.stderr,
        )
        for shown in plan.outside_environment:
            print(f"  {shown}", file=sys.stderr)


def summary(plan: PullPlan, root: Path) -> str:
    new, rewritten = len(plan.new_files), len(plan.overwrites)
    parts = [f"Pulled {new} campaign(s) into new files under {root.as_posix()}"]
    if rewritten or plan.unchanged:
        parts.append(f"rewrote {rewritten} file(s), {plan.unchanged} already up to date")
    elif plan.already_described:
        parts.append(
            f"{plan.already_described} campaign(s) already described by a file "
            "(left alone; --overwrite rewrites them)"
        )
    return "; ".join(parts) + "."


def warn_unmapped_flows(plan: PullPlan) -> None:
    flows = plan.unmapped_flows()
    if not flows:
        return
    count = sum(len(files) for files in flows.values())
    print(
        f"campsync: warning: {count} pulled file(s) have no experienceFlowName: no name "
        "for their experience flow id in campsync.yaml. Agentless campaigns need "
        "experienceFlowName, so those files do not validate until it is added. Map each id "
        "under experienceFlows in campsync.yaml (Flow Name: cf-...) and run "
        "'campsync pull --overwrite', or add experienceFlowName to the files:",
        file=sys.stderr,
    )
    for flow_id, files in flows.items():
        shown = ", ".join(files)
        print(f"  {flow_id}: {shown}", file=sys.stderr)
