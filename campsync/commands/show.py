"""`campsync show PLANFILE`: a saved plan printed as `plan` printed it (text, JSON or Markdown),
offline: no request, no cache. Its signature is checked when the client secret is set, and
said when it cannot be (exit 0); one that does not verify is an error (exit 1)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from campsync.commands.common import (
    add_config_option,
    add_format_options,
    credentials_of,
    output_format,
    print_warnings,
)
from campsync.sync.engine import PlanFile, refusal_warnings, show_saved_plan
from campsync.sync.render import RENDERERS
from campsync.terminal import use_color


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "show",
        help="print a saved plan as 'plan' printed it (offline)",
        description=(
            "Print a plan saved by 'campsync plan --out' as plan printed it: the text plan, "
            "--json (the plan JSON, equal to plan's own) or --format markdown. No request is "
            "sent. The signature is checked with the client secret of the plan's environment "
            "when it is set, and said when it cannot be; one that does not verify exits 1."
        ),
    )
    parser.add_argument("planfile", type=Path, metavar="PLANFILE", help="a saved plan (.json)")
    add_format_options(parser)
    add_config_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    path: Path = args.planfile
    # The secret that signed the plan is its environment's (campsync.yaml's credentials).
    planfile = PlanFile.read(path)  # once: its environment now, its checks below
    credentials = credentials_of(args, (), saved_environment=planfile.environment)
    saved, signature = show_saved_plan(planfile, credentials)
    if saved.signed == "verified":
        print(f"campsync: {signature}", file=sys.stderr)
    else:
        print_warnings([signature])
    plan = saved.plan
    out = sys.stdout
    RENDERERS[fmt](plan, out, color=use_color(out))
    if fmt == "json":
        print_warnings(plan.warnings)  # stdout holds only the plan JSON, as for plan
    print_warnings(refusal_warnings(plan.refusal))  # last, as plan says it
    return 0
