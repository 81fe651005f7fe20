"""`pull`: platform campaigns -> campaign files. Orchestrates the reads, maps each campaign to
file data, chooses safe file names and renders the YAML; the CLI layer prints.

Two steps, so that the command can show what it is about to do before anything is written:
`prepare_pull` reads the platform and the existing files and returns a `PullPlan`;
`write_pull` writes it, each file atomically.

With an environment (`pull --env NAME`), files are written for other environments too: no
`id` (ids are per account; files match by name), and none of the values that the
environment's overrides supply (campaign.overrides.unmerge), so that one environment's caller
id or priority does not become every environment's. Only the environment's files (its
`campaigns:` globs), merged with its overrides, tell which campaigns are described already.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from campsync.campaign.discovery import display_name
from campsync.campaign.environment import Environment
from campsync.campaign.overrides import unmerge
from campsync.campaign.reader import CampaignFiles, CheckMemo, read_campaign_files
from campsync.campaign.validation import EMPTY_FILE, Problem
from campsync.errors import PullError, UsageError
from campsync.fsutil import check_writable, write_atomic
from campsync.sync.inventory import (
    DEFAULT_TYPE,
    FetchFull,
    Listed,
    ProgressFn,
    Reader,
    client_fetcher,
    list_platform,
    whole,
)
from campsync.sync.planner import match_files
from campsync.sync.pull.mapping import PulledCampaign, campaign_data
from campsync.sync.pull.names import choose_path, taken_stems
from campsync.sync.pull.yamltext import render_new, render_update
from campsync.sync.rules import lacks_machine_detect
from campsync.text import plural

SCHEMA_PATH = Path("schemas") / "campaign.schema.json"


def schema_reference(folder: Path) -> str:
    """The `$schema` reference of a file written in `folder`: the relative path from it to
    schemas/campaign.schema.json, found in the nearest folder above it that has one (the
    repository's), else the working directory's."""
    folder = folder.absolute()
    target = Path.cwd() / SCHEMA_PATH
    for candidate in (folder, *folder.parents):
        if (candidate / SCHEMA_PATH).is_file():
            target = candidate / SCHEMA_PATH
            break
    return Path(os.path.relpath(target, folder)).as_posix()


@dataclass(frozen=True)
class PullFile:
    """One file pull will write."""

    path: Path
    display: str  # as shown to the user: posix, relative when under the working directory
    campaign: PulledCampaign
    text: str
    overwrite: bool  # an existing file describing the campaign, rewritten in place


@dataclass
class PullPlan:
    files: list[PullFile] = field(default_factory=list)  # to write, new ones first
    already_described: int = 0  # platform campaigns a file describes (left alone)
    unchanged: int = 0  # with --overwrite: described campaigns whose file is already current

    @property
    def new_files(self) -> list[PullFile]:
        return [f for f in self.files if not f.overwrite]

    @property
    def overwrites(self) -> list[PullFile]:
        return [f for f in self.files if f.overwrite]

    flow_gaps: list[tuple[str, str]] = field(default_factory=list)  # (flow id, file) pairs
    # With an environment: new Agentless files without enableMachineDetect (the platform never
    # returns it; another environment needs it to create the campaign), and new files that
    # the environment's `campaigns:` globs leave out (display paths).
    machine_detect_gaps: list[str] = field(default_factory=list)
    outside_environment: list[str] = field(default_factory=list)
    # What reading the files under the root warned of (a linked folder not entered: a
    # campaign described only there is pulled as if no file described it).
    warnings: list[str] = field(default_factory=list)

    def unmapped_flows(self) -> dict[str, list[str]]:
        """Flow id -> the pulled files (display paths) that lack experienceFlowName because
        campsync.yaml has no name for that id."""
        result: dict[str, list[str]] = {}
        for flow_id, shown in sorted(self.flow_gaps):
            result.setdefault(flow_id, []).append(shown)
        return result


def read_existing(
    root: Path, environment: Environment | None, memo: CheckMemo | None = None
) -> CampaignFiles:
    """The campaign files under `root` (with an environment: its files, merged with its
    overrides), valid or not: a file pulled without its flow name still describes its
    campaign. One that cannot be read as a mapping stops the pull: what it describes is
    unknown, and pulling could write that campaign a second time. An empty one describes
    nothing. `memo` keeps each valid file's check (written_problems reads them again)."""
    existing = read_campaign_files([root], environment, memo=memo)
    loaded = {campaign.file for campaign in existing.files}
    read = {found.shown for found in existing.read}
    for problem in existing.problems:
        if problem.file in read and problem.file not in loaded and problem.message != EMPTY_FILE:
            raise PullError(
                f"{problem} (pull reads every file to know which campaigns they describe)"
            )
    return existing


def for_environment(
    pulled: PulledCampaign, environment: Environment, name: object
) -> PulledCampaign:
    """A pulled campaign as a file of several environments: no id, and none of the values the
    overrides of the campaign named `name` supply."""
    data = {key: value for key, value in pulled.data.items() if key != "id"}
    return replace(pulled, data=unmerge(data, environment.layers(name)))


def _check_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: not a folder")


async def prepare_pull(
    client: Reader,
    root: Path,
    experience_flows: Mapping[str, str],
    environment: Environment | None = None,
    *,
    overwrite: bool = False,
    campaign_types: Iterable[str] = (DEFAULT_TYPE,),
    progress: ProgressFn | None = None,
    fetch_full: FetchFull | None = None,
    on_listed: Callable[[Sequence[Listed]], None] | None = None,
    memo: CheckMemo | None = None,
) -> PullPlan:
    """Read the platform and the files under `root`; decide what to write. Reads only:
    one list (every page) per campaign type and the full body of each campaign to write,
    through `fetch_full` (the engine's answers from the body cache what it holds for the
    listed updatedAt, as a plan's does, and keeps what it reads; without it, one get-one
    each, told to `progress`). `on_listed` sees every listed campaign (the cache forgets the
    ones no longer there). With an `environment`, its files say what is described, and new
    files leave out what its overrides supply. `memo`: as read_existing's."""
    _check_root(root)
    existing = read_existing(root, environment, memo) if root.is_dir() else CampaignFiles()
    listed = await list_platform(client, campaign_types)
    if on_listed is not None:
        on_listed(listed)
    matching = match_files(existing.files, listed)
    paths = {found.shown: found.path for found in existing.read}

    rewrite = [(paths[cf.file], cf, entry) for cf, entry in matching.matched] if overwrite else []
    new = sorted(matching.unmanaged, key=lambda e: (e.name.casefold(), e.name, e.id))
    wanted = [*new, *(entry for _, _, entry in rewrite)]
    fetch = fetch_full if fetch_full is not None else client_fetcher(client, progress)
    full = await fetch(wanted, whole) if wanted else {}

    flow_names: dict[str, str] = {}
    for flow_name, flow_id in experience_flows.items():
        flow_names.setdefault(flow_id, flow_name)

    plan = PullPlan(already_described=len(matching.matched), warnings=existing.warnings)
    taken = taken_stems(root)
    schema_ref = schema_reference(root)  # every new file goes straight into root
    for entry in new:
        pulled = campaign_data(full[entry.id], entry, flow_names=flow_names)
        path = choose_path(root, pulled.name, taken)
        shown = display_name(path)
        if environment is not None:
            pulled = for_environment(pulled, environment, pulled.name)
            if not environment.includes((path.relative_to(root).as_posix(),)):
                plan.outside_environment.append(shown)
            if lacks_machine_detect(pulled.data):
                plan.machine_detect_gaps.append(shown)
        text = render_new(pulled.data, schema_ref)
        if pulled.unmapped_flow is not None:
            plan.flow_gaps.append((pulled.unmapped_flow, shown))
        plan.files.append(PullFile(path, shown, pulled, text, overwrite=False))
    for path, cf, entry in sorted(rewrite, key=lambda r: r[1].file):
        pulled = campaign_data(full[entry.id], entry, flow_names=flow_names, existing=cf.data)
        if environment is not None:
            pulled = for_environment(pulled, environment, existing.own_names.get(cf.file))
        old_text = path.read_text(encoding="utf-8-sig")
        try:
            text = render_update(old_text, pulled.data)
        except PullError as exc:
            raise PullError(f"{cf.file}: {exc}") from None
        # A flow name the file already holds is kept; only a file without one lacks it.
        missing = None if "experienceFlowName" in cf.data else pulled.unmapped_flow
        if missing is not None:
            plan.flow_gaps.append((missing, cf.file))
        if text == old_text:
            plan.unchanged += 1
            continue
        plan.files.append(PullFile(path, cf.file, pulled, text, overwrite=True))
    return plan


def write_pull(
    plan: PullPlan, root: Path, on_written: Callable[[PullFile], None] | None = None
) -> list[PullFile]:
    """Write the files of `plan`, each atomically (temp file, then rename): an interrupted
    pull leaves whole files only. A new file never replaces one that appeared meanwhile."""
    resolved_root = root.resolve()
    for pulled in plan.files:  # every file checked before the first is written
        try:
            check_writable(pulled.path)  # a file to rewrite that is a symlink is left alone
        except OSError as error:
            raise _unwritable(pulled, error, 0) from None
    written: list[PullFile] = []
    for pulled in plan.files:
        if not pulled.overwrite:
            if pulled.path.parent.resolve() != resolved_root:  # names cannot do this; be sure
                raise PullError(f"{pulled.display}: refusing to write outside {root}")
            if pulled.path.exists() or pulled.path.is_symlink():
                raise PullError(f"{pulled.display}: the file appeared meanwhile; pull again")
        try:
            write_atomic(pulled.path, pulled.text)
        except OSError as error:
            raise _unwritable(pulled, error, len(written)) from None
        written.append(pulled)
        if on_written is not None:
            on_written(pulled)
    return written


def written_problems(
    written: Sequence[PullFile],
    plan: PullPlan,
    root: Path,
    environment: Environment | None,
    memo: CheckMemo | None = None,
) -> list[Problem]:
    """The problems of the files just written, but for a missing flow name (the plan tells
    those apart, with the fix): a platform value the schema refuses, say, so that the user is
    not surprised later. With an environment, as its files: merged with its overrides, every
    one read again (the rules across files), those `memo` kept at prepare_pull and not
    written since not checked again."""
    if not written:
        return []
    flow_files = {shown for files in plan.unmapped_flows().values() for shown in files}
    if environment is not None:
        shown = {pulled.display for pulled in written}
        checked = read_campaign_files([root], environment, memo=memo).problems
        problems = [problem for problem in checked if problem.file in shown]
    else:
        problems = list(read_campaign_files([pulled.path for pulled in written]).problems)
    return [
        problem
        for problem in problems
        if not (problem.file in flow_files and "experienceFlowName" in str(problem))
    ]


def _unwritable(pulled: PullFile, error: OSError, written: int) -> PullError:
    reason = error.strerror or str(error)
    before = f"{plural(written, 'file')} written before it" if written else "nothing written"
    return PullError(f"{pulled.display}: cannot write it: {reason} ({before})")
