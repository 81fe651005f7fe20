"""The sync, in one place, and the one door of the commands into it: read the files, read the
platform, plan, check the plan, apply it (fresh or saved), save and load plans, pull.

Orchestration only (octoDNS's `Manager` is the model): every decision is made by the modules
it calls (campaign.reader, sync.planner, sync.applier, sync.planfile, sync.pull), every byte
on the wire goes through the client it is given. It never prints: it returns plans, results
and one-line warnings, and tells its caller what happens through `Hooks` (and how far a long
run is through a `Progress`), so that the commands only parse arguments and print. What the
commands need of the sync's values comes from here too (`__all__`).

One `Sync` belongs to one job (config.job.Job: one platform target) and keeps that target's
local cache; nothing here is process-wide, so that several run at once in one event loop
(one per environment). A fresh apply plans and writes with one client, so that one rate limit
covers both.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from campsync.campaign.reader import read_campaign_files
from campsync.campaign.validation import CampaignFile
from campsync.config.job import Job
from campsync.config.target import Credentials, Target
from campsync.errors import FilesInvalid
from campsync.kore.client import KoreClient
from campsync.kore.ratelimit import RateLimiter
from campsync.progress import Phase, Progress, WaitFn
from campsync.sync.account import overridden_paths, read_account
from campsync.sync.applier import (
    UNKNOWN_OUTCOME,
    ApplyResult,
    ResultCallback,
    Writer,
    apply_plan,
    check_fresh,
    writes_of,
)
from campsync.sync.cache import LocalCache, target_key
from campsync.sync.cache.sent import AccountLimiters
from campsync.sync.compare import AccountComparison, AccountView, compare_accounts
from campsync.sync.gitchanges import changes_since, text_then
from campsync.sync.inventory import ProgressFn, Reader, client_fetcher
from campsync.sync.journal import ApplyJournal, plan_key
from campsync.sync.plan import Change, Plan
from campsync.sync.planfile import PlanFile, SavedPlan, check_plan_path, save_plan
from campsync.sync.planner import Learnt, make_plan
from campsync.sync.prune import refuse_unread_folders
from campsync.sync.pull.puller import (
    PullFile,
    PullPlan,
    prepare_pull,
    write_pull,
    written_problems,
)
from campsync.sync.readiness import ReadyWaiter
from campsync.sync.references import NamesReader, check_references
from campsync.sync.results import results_of
from campsync.sync.safety import files_in_scope, raise_if_unsafe, refusal_of, refusal_warnings
from campsync.sync.scope import Scope
from campsync.sync.signing import PlanSigning
from campsync.sync.since import NOTHING, ChangedSince, config_then, config_touch
from campsync.sync.writer import RememberingWriter

__all__ = [
    "UNKNOWN_OUTCOME",
    "AccountComparison",
    "AccountLimiters",
    "AccountView",
    "Applied",
    "ApplyResult",
    "CampaignFile",
    "Change",
    "Hooks",
    "Plan",
    "PlanFile",
    "PullFile",
    "PullPlan",
    "ResultCallback",
    "SavedPlan",
    "Sync",
    "check_plan_path",
    "compare_accounts",
    "read_saved_plan",
    "refusal_warnings",
    "results_of",
    "show_saved_plan",
    "writes_of",
]


class Planner(Reader, NamesReader, Protocol):
    """What a plan reads of the platform: the campaigns, and the names they refer to."""


class Client(Planner, Writer, Protocol):
    """What a run needs of the platform client (campsync.kore.KoreClient)."""

    def stop_new_writes_on(self, event: asyncio.Event) -> None: ...

    def report_waits_to(self, on_wait: WaitFn | None) -> None: ...


class Connect(Protocol):
    """How a run gets its client (campsync.kore.KoreClient): for one target, as whom, and
    within which bounds (the rate limiter is the run's, shared with earlier runs)."""

    def __call__(
        self,
        target: Target,
        credentials: Credentials,
        *,
        parallelism: int,
        limiter: RateLimiter,
    ) -> AbstractAsyncContextManager[Client]: ...


@dataclass
class Hooks:
    """What the caller hears of an apply as it goes, and how it steers it.

    - `on_plan`: the plan, before anything is written (a fresh plan, or a saved plan found
      fresh);
    - `approve`: asked once there is something to write; None approves at once
      (--auto-approve, a saved plan); it may answer later (an awaitable: the applies of
      several environments wait for one answer given once every plan is in);
    - `on_result`: each write's outcome as soon as it is known;
    - `stop`: once set, no new write starts; `abandon`: once set, the writes in flight are
      not waited for either (see applier.apply_plan)."""

    on_plan: Callable[[Plan], None] | None = None
    approve: Callable[[Plan], bool | Awaitable[bool]] | None = None
    on_result: ResultCallback | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    abandon: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Applied:
    """The outcome of an apply: the plan it carried out, and what the writes did (None when
    nothing was written: nothing to change, or not approved)."""

    plan: Plan
    result: ApplyResult | None = None
    declined: bool = False


def read_saved_plan(plan: PlanFile, credentials: Credentials) -> SavedPlan:
    """A saved plan (its file read once: PlanFile.read), checked as apply checks it
    (checksum, layout, signature with the key of `credentials`, every field;
    sync.planfile): no request, no cache."""
    return plan.load(PlanSigning.of(credentials))


def show_saved_plan(plan: PlanFile, credentials: Credentials) -> tuple[SavedPlan, str]:
    """A saved plan to show (`campsync show`), and how its signature stands, in words: checked
    as apply checks it, except that a signature there is no key to check (no client secret),
    or none at all, is said, not refused; one that does not verify is PlanSignatureError. No
    request, no cache."""
    signing = PlanSigning.of(credentials)
    saved = plan.show(signing)
    return saved, signing.note(saved.signed)


async def _answer(answer: bool | Awaitable[bool]) -> bool:
    """An approval, given now or awaited."""
    return await answer if inspect.isawaitable(answer) else answer


class Sync:
    """One job (config.job.Job) against its platform target, with its local cache.

    Guard rails (`job.guard`): only what is in the scope (--only, --exclude, relative to the
    files' folder) is planned; `prune` turns the unmanaged campaigns in scope into deletes;
    an apply that crosses a safety threshold writes nothing and raises UnsafePlan unless
    `force`. Syncs run at once on one account share their rate limiter through the
    `limiters` they are given (one AccountLimiters for them all); by default a sync has its
    own."""

    def __init__(
        self,
        job: Job,
        *,
        refresh: bool = False,
        progress: Progress | None = None,
        connect: Connect = KoreClient,
        read_files: bool = True,
        limiters: AccountLimiters | None = None,
        since: str | None = None,
    ) -> None:
        self.job = job
        self.since = since  # plan --since REF: read_files asks git what changed since
        self.progress = progress
        self.connect = connect
        self.limiters = limiters or AccountLimiters()
        self.cache = LocalCache(
            job.cache_dir,
            job.target,
            job.credentials,
            environment=job.environment_name,
            refresh=refresh,
            files=read_files,
        )
        self.scope = Scope()  # read_files makes the job's, relative to the files' folder
        self.skipped: list[str] = []  # warnings for the folders read_files did not read
        self.changed_since: ChangedSince | None = None  # what read_files found, with `since`
        self.own_names: Mapping[str, str] = {}  # the name each file read gives itself
        self._finished_plan: str | None = None  # a saved plan applied, its mark to take away

    @property
    def signing(self) -> PlanSigning:
        """How saved plans are signed and checked (keyed from the client secret)."""
        return PlanSigning.of(self.job.credentials)

    def check_safe(self, plan: Plan) -> None:
        """UnsafePlan when the plan crosses a safety threshold, unless forced."""
        if not self.job.guard.force:
            raise_if_unsafe(plan, self.job.guard.safety)

    # -- the steps ----------------------------------------------------------------------------

    def read_files(self, path: Path) -> list[CampaignFile]:
        """The campaign files under `path`, validated (no network; campaign.reader). Raises
        FilesInvalid with every problem when any file has one, UsageError when a folder holds
        none, and UnreadablePath when a folder or file under it cannot be read. Files whose
        text passed before are not parsed again. With an environment: its files, merged with
        its overrides. A folder that is a symbolic link is not read: a warning of the plan,
        and pruning is refused (its campaigns would look unmanaged). The job's scope is made
        first (a bad pattern is refused before any file is read)."""
        guard = self.job.guard
        self.scope = Scope.build(guard.only, guard.exclude, path)
        environment = self.job.environment
        read = read_campaign_files(
            [path], environment, flows=self.job.flows.ids, memo=self.cache.files, require=True
        )
        if guard.prune:
            refuse_unread_folders(read.linked)
        self.skipped = read.warnings
        self.own_names = read.own_names
        self.cache.save_files()  # the valid files need no parsing next time, even if others fail
        if read.problems:
            raise FilesInvalid(tuple(str(problem) for problem in read.problems))
        if self.since is not None:
            self.changed_since = self._changed_since(self.since, path, read.own_names)
        return list(read.files)

    def _changed_since(self, ref: str, path: Path, own_names: dict[str, str]) -> ChangedSince:
        """What changed since `ref` (git, before any request: GitError when it cannot say),
        as the plan chooses by it (sync.since): the files, what the change of campsync.yaml
        reaches, and what the cache last saw of each campaign."""
        config, now = Path(self.job.config), self.job.flows.config.data
        changes = changes_since(ref, path, paths=[config])
        touch = NOTHING
        if changes.changed(config):
            then = text_then(changes, config)
            touch = config_touch(
                config_then(then.exists, then.text), now, self.job.environment_name
            )
        return ChangedSince(ref, changes.changed, touch, self.cache.seen_at, own_names)

    async def make_plan(self, client: Planner, files: Sequence[CampaignFile]) -> Plan:
        """Compare the files with the platform through `client` (read, then decide: the
        planner); the cache answers for the bodies and pairs it knows, and is told what the
        decision found worth remembering. When the plan writes (a create or an update), the
        names its bodies give are checked against the account's (sync.references)."""
        job = self.job
        decision = await make_plan(
            client,
            files,
            job.flows,
            fetch_full=self.cache.fetcher(client_fetcher(client, self._steps("read"))),
            on_listed=self.cache.forget_unlisted,
            same=self.cache.same,
            history=self.cache.history,
            agreed=self.cache.agreed,
            scope=self.scope,
            since=self.changed_since,
            prune=job.guard.prune,
            keep=job.guard.keep,
            restart=job.guard.restart,
            environment=job.environment_name,
            config=job.config,
        )
        self._remember(decision.learnt)
        plan = decision.plan
        self.scope.refuse_nothing(plan.existing + files_in_scope(plan))
        plan = await check_references(client, plan)
        if self.skipped:
            plan = replace(plan, warnings=(*plan.warnings, *self.skipped))
        # Last, on the plan as apply takes it: whether apply refuses it without --force.
        return replace(plan, refusal=refusal_of(plan, job.guard.safety))

    def _remember(self, learnt: Learnt) -> None:
        """For the next runs: the pairs found equal, the campaign each file matched, and the
        campaigns as agreed."""
        for key, warnings in learnt.equal:
            self.cache.same.remember(key, warnings)
        for file, campaign_id in learnt.matches:
            self.cache.history.remember_match(file, campaign_id)
        for agreed in learnt.agreed:
            body = self.cache.campaigns.held(agreed.campaign_id, agreed.updated_at)
            if body is not None:  # the body compared: read in this run, or from the cache
                self.cache.agreed.remember(
                    agreed.campaign_id,
                    agreed.updated_at,
                    body,
                    queue=agreed.queue,
                    campaign_type=agreed.campaign_type,
                )

    async def apply_plan(self, client: Client, plan: Plan, hooks: Hooks) -> ApplyResult:
        """The plan's writes; each update's answer is kept in the cache (and checked against
        the flow mapping: sync.writer), each create's id in the history (its file's campaign
        now). A start of a new or Preparing campaign waits for it to be Ready for at most
        the job's `wait` seconds (sync.readiness), told to the progress."""
        client.stop_new_writes_on(hooks.stop)
        cache = self.cache
        writer = RememberingWriter(
            client, cache.campaigns, cache.history, self.job.flows, cache.agreed
        )
        progress = self.progress
        ready = ReadyWaiter(
            writer,
            self.job.guard.wait,
            stop=hooks.stop,
            on_waiting=progress.preparing if progress is not None else None,
        )
        result = await apply_plan(
            writer,
            plan,
            stop=hooks.stop,
            abandon=hooks.abandon,
            on_result=self._counting(hooks.on_result, len(writes_of(plan))),
            ready=ready,
        )
        result.unsettled.extend(writer.wrong_flows)
        for change in result.applied:
            created = result.created_ids.get(change.file or "")
            if change.action == "create" and change.file and created:
                cache.history.remember_match(change.file, created)
        return result

    def _steps(self, what: Phase) -> ProgressFn | None:
        """The steps of one phase, for the parts that count (done, total)."""
        progress = self.progress
        if progress is None:
            return None
        return lambda done, total: progress.step(done, total, what)

    def _counting(self, on_result: ResultCallback | None, total: int) -> ResultCallback | None:
        """`on_result`, each result also counted as a step of the "applied" phase (after the
        caller heard of it, so that a progress line is drawn below the result's line)."""
        steps = self._steps("applied")
        if steps is None:
            return on_result
        done = 0
        steps(0, total)

        def counted(change: Change, error: str | None) -> None:
            nonlocal done
            done += 1
            if on_result is not None:
                on_result(change, error)
            steps(done, total)

        return counted

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[Client]:
        """A client for this job's target; its rate-limit waits go to the progress. Its
        limiter is the account's (shared with the syncs on it at once), which starts with
        the places earlier runs on this account still hold and records this run's
        (sync.cache.sent)."""
        job = self.job
        folder, check = job.cache_dir, self.cache.folder
        account = self.limiters.limiter(folder, check, job.target, job.rate_limit, self._warn)
        with account as limiter:
            connection = self.connect(
                job.target, job.credentials, parallelism=job.parallelism, limiter=limiter
            )
            async with connection as client:
                if self.progress is not None:
                    client.report_waits_to(self.progress.waiting)
                yield client

    def finish(self) -> list[str]:
        """Save what the run learnt; every warning of the run (cache problems), once."""
        self.cache.save()
        if self._finished_plan is not None:
            self._warn(self._journal().end(self._finished_plan))
            self._finished_plan = None
        return self.cache.take_warnings()

    # -- the runs -----------------------------------------------------------------------------

    async def plan(self, files: Sequence[CampaignFile]) -> Plan:
        async with self._connect() as client:
            return await self.make_plan(client, files)

    async def apply(self, files: Sequence[CampaignFile], hooks: Hooks) -> Applied:
        """Plan afresh, show it (`hooks.on_plan`), check it against the safety thresholds,
        and apply it once approved."""
        async with self._connect() as client:
            plan = await self.make_plan(client, files)
            if hooks.on_plan is not None:
                hooks.on_plan(plan)
            if not writes_of(plan):
                return Applied(plan)
            self.check_safe(plan)
            if hooks.approve is not None and not await _answer(hooks.approve(plan)):
                return Applied(plan, declined=True)
            return Applied(plan, await self.apply_plan(client, plan, hooks))

    def save_plan(self, path: Path, plan: Plan) -> list[str]:
        """Save the plan for `apply PATH` (sync.planfile: this job's target and environment,
        signed with its key); a warning when it cannot be signed (no client secret)."""
        job = self.job
        save_plan(path, plan, job.target, job.environment_name, signing=self.signing)
        note = self.signing.unsigned_note()
        return [note] if note else []

    def load_plan(self, plan: PlanFile) -> SavedPlan:
        """A saved plan, checked as apply takes it (read_saved_plan): no request."""
        return read_saved_plan(plan, self.job.credentials)

    async def apply_saved(self, saved: SavedPlan, hooks: Hooks) -> Applied:
        """Apply exactly a saved plan, or nothing: refused when it was made for another
        environment or target, when it crosses a safety threshold (from its own counts, before
        any request), or when a campaign it touches changed on the platform since (no write is
        sent)."""
        saved.require_for(self.job.target, self.job.environment_name)
        plan = saved.plan
        self.check_safe(plan)
        if not plan.changes:
            return Applied(plan)
        journal, key = self._journal(), plan_key(plan)
        async with self._connect() as client:
            await check_fresh(
                client,
                plan,
                memory=self.cache,
                experience_flows=self.job.flows.ids,
                interrupted=journal.begun(key),
            )
            if hooks.on_plan is not None:
                hooks.on_plan(plan)
            if writes_of(plan):
                # Marked on disk before the first write, taken away once the run has saved
                # what it learnt (finish): a run killed in between leaves the mark.
                self._warn(journal.begin(key))
                self._finished_plan = key
            return Applied(plan, await self.apply_plan(client, plan, hooks))

    def _journal(self) -> ApplyJournal:
        """The marks of saved plans being applied: a store of the cache folder, trusted as far
        as the folder is (check_folder), as every other store of it."""
        journal = ApplyJournal(self.job.cache_dir, target_key(self.job.target))
        journal.trust(self.cache.folder)
        self._warn(journal.load())
        return journal

    def _warn(self, warning: str | None) -> None:
        if warning:
            self.cache.warnings.append(warning)

    async def account(self, files: Sequence[CampaignFile]) -> AccountView:
        """What `compare` needs of this job's account (sync.account): each of `files` (as
        read_files read them) with the campaign it matches there and that campaign's full
        body, through the cache as a plan's bodies; the paths its overrides set. Reads only."""
        job = self.job
        async with self._connect() as client:
            return await read_account(
                client,
                job.environment_name or "",
                files,
                overrides=overridden_paths(job.environment, self.own_names),
                experience_flows=job.flows.ids,
                fetch_full=self.cache.fetcher(client_fetcher(client, self._steps("read"))),
                on_listed=self.cache.forget_unlisted,
            )

    async def pull(self, root: Path, *, overwrite: bool = False) -> PullPlan:
        """What `pull` would write under `root` (reads only; write_pull writes). The bodies
        come through the cache as a plan's do: a campaign it holds at its listed updatedAt is
        not read again, and what is read is kept. The files store remembers each valid file's
        check, so that write_pull's check of them again parses only the files it wrote."""
        async with self._connect() as client:
            return await prepare_pull(
                client,
                root,
                self.job.flows.ids,
                self.job.environment,
                overwrite=overwrite,
                fetch_full=self.cache.fetcher(
                    client_fetcher(client, self._steps("pulled")), vouched_only=True
                ),
                on_listed=self.cache.forget_unlisted,
                memo=self.cache.files,
            )

    def write_pull(
        self, pulled: PullPlan, root: Path, on_written: Callable[[PullFile], None] | None = None
    ) -> list[str]:
        """Write the files `pull` prepared (each atomically, `on_written` told of each); a
        warning for each problem of a written file but a missing flow name (which `pulled`
        tells apart), as the job's files: with an environment, merged with its overrides."""
        written = write_pull(pulled, root, on_written)
        problems = written_problems(
            written, pulled, root, self.job.environment, memo=self.cache.files
        )
        return [str(problem) for problem in problems]
