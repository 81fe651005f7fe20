"""The campaign files of a run, in one place: validate, plan, apply and pull read them here.

Given the PATHs and the chosen environment (None: the files as they are written), one walk
finds the files (campaign.discovery); each file read is read once, the digest of its text
asked of the memo (the cache's verdicts on problem-free files, behind `CheckMemo`: nothing
here knows the cache), and the others checked: as written (campaign.validation; spread over
worker processes when there are many) or with the environment's overrides merged over them
(campaign.merged); then the rules across the files (campaign.crossfile). One value comes
back, `CampaignFiles`: every file and every problem at once, and what the walk saw. Pure
apart from reading the files; no printing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from campsync.campaign.crossfile import cross_file_problems, in_config_problems
from campsync.campaign.discovery import Found, FoundFile, find_campaign_files, not_followed
from campsync.campaign.environment import Environment
from campsync.campaign.flows import flow_problems
from campsync.campaign.merged import check_merged, merged_digest
from campsync.campaign.parallel import WorkerPool, usable_cores
from campsync.campaign.validation import (
    FileCheck,
    Problem,
    ValidationResult,
    check_chunk,
    refused,
    warm,
)
from campsync.campaign.yamlio import YamlLoadError, read_text

# Below this many files to check, starting worker processes (a fresh interpreter each,
# about 0.2 s, and the results' transfer) costs more than it saves. Measured on a 2-core
# machine: at 10,000 files the parent with 2 workers took 3.6-5.5 s, the parent alone
# 2.9-3.8 s (it reads every file and takes every result in itself), hence
# default_workers().
PARALLEL_MIN_FILES = 2_000
# Per task sent to a worker (few round trips, still even shares), and per batch checked
# in one process while the rest are read (a file at a time was measurably slower).
CHUNK_FILES = 250


class CheckMemo(Protocol):
    """Remembers the outcome of checking a file's text, by file and digest (the stores of
    campsync.sync.cache: FileCache, EnvironmentFileCache)."""

    def recall(self, file: str, digest: str) -> FileCheck | None: ...

    def remember(self, file: str, digest: str, check: FileCheck) -> None: ...


@dataclass(frozen=True)
class CampaignFiles(ValidationResult):
    """The campaign files of a run. As a ValidationResult: `files`, every file read that
    loaded as a mapping (valid or not; merged with the environment's overrides), sorted by
    file, and `problems`, every problem (of the files, across them, and in campsync.yaml),
    sorted. And: `read`, the files read (every one found, or the environment's: its globs
    leave the others out); `linked`, the folders not entered (symbolic links); with an
    environment, `own_names`: the name each file gives itself, before the overrides (its
    override entry is found by it)."""

    read: list[FoundFile] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    own_names: dict[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """One line for each folder not read."""
        return [not_followed(folder) for folder in self.linked]


def read_campaign_files(
    paths: Sequence[Path],
    environment: Environment | None = None,
    *,
    flows: Collection[str] = (),
    memo: CheckMemo | None = None,
    quick: bool = True,
    workers: int | None = None,
    require: bool = False,
) -> CampaignFiles:
    """The campaign files under `paths`, checked (under `environment`, when given): one walk
    (`require`: a given folder without campaign files is a UsageError), then read_found."""
    found = find_campaign_files(paths, require=require)
    return read_found(found, environment, flows=flows, memo=memo, quick=quick, workers=workers)


def read_found(
    found: Found,
    environment: Environment | None = None,
    *,
    flows: Collection[str] = (),
    memo: CheckMemo | None = None,
    quick: bool = True,
    workers: int | None = None,
) -> CampaignFiles:
    """The files the walk `found`, checked: each file (with a `memo`, a file whose text was
    checked before is not parsed again), then the rules across them and the flow names
    (always: they depend on more than a file). `flows`: the flow names campsync.yaml maps,
    for files read without an environment (an environment brings its own); none: flow names
    are not checked. `quick=False` takes the careful path for every file (v0.1's way, for
    comparison); `workers`: processes to check plain files in (default: every core when at
    least PARALLEL_MIN_FILES files need checking, else none; 1: none); an environment's files
    are checked in this process. The outcome is the same whatever the path and the
    processes."""
    read = found.files
    if environment is not None:
        read = [file for file in read if environment.includes(file.relative)]
    checks = _check_files(read, environment, memo, quick, workers)
    problems = [problem for check in checks for problem in check.problems]
    problems.extend(cross_file_problems(checks, environment))
    problems.extend(_flow_problems(checks, read, environment, flows))
    files = sorted((c.campaign for c in checks if c.campaign is not None), key=lambda c: c.file)
    own_names = {
        check.campaign.file: check.name
        for check in checks
        if environment is not None and check.campaign is not None and check.name is not None
    }
    return CampaignFiles(files, sorted(set(problems)), read, list(found.linked), own_names)


def _flow_problems(
    checks: Sequence[FileCheck],
    read: Sequence[FoundFile],
    environment: Environment | None,
    flows: Collection[str],
) -> list[Problem]:
    paths = {file.shown: file.path for file in read}
    if environment is None:
        return flow_problems(checks, paths, flows)[0]
    in_files, in_config = flow_problems(checks, paths, environment.flows, environment)
    return [*in_files, *in_config_problems(environment.name, in_config)]


def default_workers(files: int) -> int:
    """Worker processes for checking `files` files: none below PARALLEL_MIN_FILES, and
    one per core but the parent's (which reads the files and takes the results in): on
    2 cores that is one worker, no faster than the parent alone (measured), so none."""
    workers = usable_cores() - 1
    return workers if workers >= 2 and files >= PARALLEL_MIN_FILES else 1


Pending = list[tuple[str, str, str]]  # (file, text, digest) to check


def _check_files(
    files: Sequence[FoundFile],
    environment: Environment | None,
    memo: CheckMemo | None,
    quick: bool,
    workers: int | None,
) -> list[FileCheck]:
    """Each file's outcome, in order: recalled by the memo, or checked (and remembered)."""
    if workers is None and (environment is not None or default_workers(len(files)) == 1):
        workers = 1  # fewer files can need checking than were found: no workers either
    # In one process, files are checked a chunk at a time as they are read: holding every
    # text until all are read (only workers need them together) would add 10,000 texts to
    # the peak memory, and their memory, freed amid what stays, is not used again.
    serial = workers is not None and workers <= 1
    checked: list[FileCheck | None] = []
    pending: Pending = []
    fresh: list[FileCheck] = []  # the outcomes of the files checked so far, in order
    for found in files:
        text_or_refusal = _read(found, environment)
        if isinstance(text_or_refusal, FileCheck):
            checked.append(text_or_refusal)
            continue
        text, digest = text_or_refusal
        known = memo.recall(found.shown, digest) if memo is not None else None
        checked.append(known)
        if known is None:
            pending.append((found.shown, text, digest))
            if serial and len(pending) >= CHUNK_FILES:
                fresh.extend(_checked(pending, environment, quick, 1, memo))
                pending = []
    if workers is None:
        workers = default_workers(len(pending))
    fresh.extend(_checked(pending, environment, quick, workers, memo))
    outcomes = iter(fresh)
    return [item if item is not None else next(outcomes) for item in checked]


def _read(found: FoundFile, environment: Environment | None) -> FileCheck | tuple[str, str]:
    """The file's text and its digest (of the text, and of the overrides with an
    environment), or its refusal when it cannot be read as text."""
    try:
        text = read_text(found.path)
    except YamlLoadError as exc:
        return refused(found.shown, exc.line, exc.column, exc.reason)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    if environment is None:
        return text, digest.hexdigest()
    return text, merged_digest(digest.digest(), environment)


def _checked(
    pending: Pending,
    environment: Environment | None,
    quick: bool,
    workers: int,
    memo: CheckMemo | None,
) -> list[FileCheck]:
    """The outcomes of checking the pending files, in order, each told to the memo."""
    if environment is None:
        fresh = _check_all(pending, quick, workers)
    else:
        fresh = [
            check_merged(text, file, environment, digest, quick=quick)
            for file, text, digest in pending
        ]
    if memo is not None:
        for (name, _, digest), outcome in zip(pending, fresh, strict=True):
            memo.remember(name, digest, outcome)
    return fresh


def _check_all(pending: Pending, quick: bool, workers: int) -> list[FileCheck]:
    if workers > 1 and len(pending) > 1:
        size = max(1, min(CHUNK_FILES, -(-len(pending) // workers)))
        chunks = [pending[i : i + size] for i in range(0, len(pending), size)]
        with WorkerPool(min(workers, len(chunks)), warm) as pool:
            spread = pool.map(check_chunk, chunks, quick)
        if spread is not None:
            return spread
    return check_chunk(pending, quick)
