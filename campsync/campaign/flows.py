"""A campaign's `experienceFlowName` against the flow names campsync.yaml maps
(`experienceFlows`, of the environment or the top level): when the mapping is not empty,
a name it lacks is a problem, placed where the name was written (the file, or the override
entry of campsync.yaml that set it) and offering the closest names. No call lists flows,
so this is the only check of a flow name there is before the platform refuses a write.

The flow names come in as a plain value (the reader is given them); nothing here knows how
campsync.yaml is read. Pure, apart from reading a file again to place a problem in it (the
checks of the files keep no positions of this field, and a problem is rare).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from campsync.campaign.environment import Environment
from campsync.campaign.messages import closest_several
from campsync.campaign.validation import FileCheck, InConfig, Problem
from campsync.campaign.yamlio import YamlLoadError, load_yaml_text, read_text
from campsync.text import quoted

FIELD = "experienceFlowName"
CLOSEST = 3


def flow_problems(
    checks: Sequence[FileCheck],
    paths: dict[str, Path],
    flows: Collection[str],
    environment: Environment | None = None,
) -> tuple[list[Problem], list[InConfig]]:
    """The flow names of the checked files (`paths`: each file as shown -> where it is) that
    `flows` lacks, when `flows` is not empty: the problems in the files, and those in
    campsync.yaml (an override set the name) for campaign.crossfile to name the environment
    and its campaigns in."""
    if not flows:
        return [], []
    known = sorted(flows)
    in_files: list[Problem] = []
    in_config: list[InConfig] = []
    for check in checks:
        campaign = check.campaign
        name = campaign.data.get(FIELD) if campaign is not None else None
        if campaign is None or not isinstance(name, str) or name in flows:
            continue
        message = unknown_flow(name, known)
        key = _override_key(check, environment)
        if environment is not None and key is not None:
            config, line, column = environment.position(key, (FIELD,))
            problem = Problem(config, line, column, FIELD, message)
            label = campaign.data.get("name")
            in_config.append(InConfig(problem, label if isinstance(label, str) else campaign.file))
        else:
            line, column = _position(paths.get(campaign.file))
            in_files.append(Problem(campaign.file, line, column, FIELD, message))
    return in_files, in_config


def unknown_flow(name: str, known: Sequence[str]) -> str:
    close = closest_several(name, known, count=CLOSEST, cutoff=0.6, longest=200)
    if close:
        hint = f"closest: {', '.join(quoted(flow) for flow in close)}"
    else:
        more = len(known) - CLOSEST
        hint = "it maps " + ", ".join(quoted(flow) for flow in known[:CLOSEST])
        hint += f" and {more} more" if more > 0 else ""
    return f"{quoted(name)} is not one of the flows experienceFlows maps in campsync.yaml ({hint})"


def _override_key(check: FileCheck, environment: Environment | None) -> str | None:
    """The override entry that set the campaign's flow name (the last that writes one), or
    None when the file did."""
    if environment is None:
        return None
    setting = [key for key, entry in environment.layers(check.name) if FIELD in entry]
    return setting[-1] if setting else None


def _position(path: Path | None) -> tuple[int, int]:
    """Where the file writes the flow name (1:1 if it can no longer be read as it was)."""
    if path is None:
        return 1, 1
    try:
        document = load_yaml_text(read_text(path))
    except YamlLoadError:
        return 1, 1
    if document is None or not isinstance(document.data, dict):
        return 1, 1
    return document.locate([FIELD])
