"""The sync, in one place: read the files, read the platform, plan, check the plan, apply it.

Orchestration only (octoDNS's `Manager.sync` is the model): every decision is made by the
modules it calls (campaign.reader, sync.planner, sync.applier, sync.planfile), every
byte on the wire goes through the client it is given. It never prints: it returns plans,
results and one-line warnings, and tells its caller what happens through `Hooks` (and how
far a long run is through a `Progress`), so that the commands only parse arguments and print.

One run (`Sync`) belongs to one platform target and keeps that target's local cache. A
fresh apply plans and writes with one client, so that one rate limit covers both.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from campsync.campaign.reader import read_campaign_files
from campsync.campaign.validation import CampaignFile
from campsync.config.environments import environment_of
from campsync.config.settings import Settings
from campsync.config.target import Credentials, Target
from campsync.errors import FilesInvalid, PlanFileError
from campsync.kore.client import KoreClient
from campsync.kore.ratelimit import RateLimiter
from campsync.progress import Phase, Progress, WaitFn
from campsync.sync.applier import (
    ApplyResult,
    ResultCallback,
    Writer,
    apply_plan,
    check_fresh,
    writes_of,
)
from campsync.sync.cache import CampaignCache, HistoryCache, LocalCache, target_key
from campsync.sync.cache.sent import shared_limiter
from campsync.sync.diffing import flow_id_of, wrong_flow_entry
from campsync.sync.inventory import ProgressFn, Reader, client_fetcher
from campsync.sync.journal import ApplyJournal, plan_key
from campsync.sync.plan import Change, Plan
from campsync.sync.planfile import PlanTarget, require_environment
from campsync.sync.planner import Learnt, make_plan
from campsync.sync.prune import refuse_unread_folders
from campsync.sync.pull.puller import PullPlan, prepare_pull
from campsync.sync.safety import files_in_scope, raise_if_unsafe, unsafe_warnings
from campsync.sync.scope import Scope
from campsync.sync.signing import PlanSigning


def fewer_gc_pauses() -> None:
    """For the process that runs a sync (the commands call it first). A plan holds many small
    objects that live for the whole run (thousands of campaigns): collect the young generation
    less often, as mypy does, which saves about a third of the plan's CPU work at 10,000
    campaigns. Memory is unaffected: nothing here is garbage."""
    gc.set_threshold(100_000, 50, 100)


class Client(Reader, Writer, Protocol):
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
      (--auto-approve, a saved plan);
    - `on_result`: each write's outcome as soon as it is known;
    - `stop`: once set, no new write starts; `abandon`: once set, the writes in flight are
      not waited for either (see applier.apply_plan)."""

    on_plan: Callable[[Plan], None] | None = None
    approve: Callable[[Plan], bool] | None = None
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


class Sync:
    """One run against the target of `settings`, with its local cache.

    Guard rails: only what is in `scope` is planned; `prune` (None: settings.prune) turns the
    unmanaged campaigns in scope into deletes; an apply that crosses a safety threshold
    (settings.safety) writes nothing and raises UnsafePlan unless `force`."""

    def __init__(
        self,
        settings: Settings,
        *,
        refresh: bool = False,
        progress: Progress | None = None,
        connect: Connect = KoreClient,
        read_files: bool = True,
        scope: Scope | None = None,
        prune: bool | None = None,
        force: bool = False,
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.connect = connect
        self.environment = environment_of(settings)
        self.cache = LocalCache(settings, refresh=refresh, files=read_files)
        self.scope = scope or Scope()
        self.prune = settings.prune if prune is None else prune
        self.force = force
        self.skipped: list[str] = []  # warnings for the folders read_files did not read
        self._finished_plan: str | None = None  # a saved plan applied, its mark to take away

    @property
    def target(self) -> PlanTarget:
        return PlanTarget.from_settings(self.settings)

    @property
    def signing(self) -> PlanSigning:
        """How saved plans are signed and checked (keyed from the client secret)."""
        return PlanSigning.from_settings(self.settings)

    def unsafe(self, plan: Plan) -> list[str]:
        """One warning per safety threshold the plan crosses (what `plan` tells)."""
        return unsafe_warnings(plan, self.settings.safety)

    def check_safe(self, plan: Plan) -> None:
        """UnsafePlan when the plan crosses a safety threshold, unless forced."""
        if not self.force:
            raise_if_unsafe(plan, self.settings.safety)

    # -- the steps ----------------------------------------------------------------------------

    def read_files(self, path: Path) -> list[CampaignFile]:
        """The campaign files under `path`, validated (no network; campaign.reader). Raises
        FilesInvalid with every problem when any file has one, UsageError when a folder holds
        none, and UnreadablePath when a folder or file under it cannot be read. Files whose
        text passed before are not parsed again. With an environment: its files, merged with
        its overrides. A folder that is a symbolic link is not read: a warning of the plan,
        and pruning is refused (its campaigns would look unmanaged)."""
        read = read_campaign_files([path], self.environment, memo=self.cache.files, require=True)
        if self.prune:
            refuse_unread_folders(read.linked)
        self.skipped = read.warnings
        self.cache.save_files()  # the valid files need no parsing next time, even if others fail
        if read.problems:
            raise FilesInvalid(tuple(str(problem) for problem in read.problems))
        return list(read.files)

    async def make_plan(self, client: Reader, files: Sequence[CampaignFile]) -> Plan:
        """Compare the files with the platform through `client` (read, then decide: the
        planner); the cache answers for the bodies and pairs it knows, and is told what the
        decision found worth remembering."""
        decision = await make_plan(
            client,
            files,
            self.settings,
            fetch_full=self.cache.fetcher(client_fetcher(client, self._steps("read"))),
            on_listed=self.cache.forget_unlisted,
            same=self.cache.same,
            history=self.cache.history,
            scope=self.scope,
            prune=self.prune,
        )
        self._remember(decision.learnt)
        plan = decision.plan
        self.scope.refuse_nothing(plan.existing + files_in_scope(plan))
        if self.skipped:
            plan = replace(plan, warnings=(*plan.warnings, *self.skipped))
        return plan

    def _remember(self, learnt: Learnt) -> None:
        """For the next runs: the pairs found equal, and the campaign each file matched."""
        for key, warnings in learnt.equal:
            self.cache.same.remember(key, warnings)
        for file, campaign_id in learnt.matches:
            self.cache.history.remember_match(file, campaign_id)

    async def apply_plan(self, client: Client, plan: Plan, hooks: Hooks) -> ApplyResult:
        """The plan's writes; each update's answer is kept in the cache (and checked against
        the flow mapping), each create's id in the history (its file's campaign now)."""
        client.stop_new_writes_on(hooks.stop)
        writer = RememberingWriter(
            client,
            self.cache.campaigns,
            self.cache.history,
            self.settings.experience_flows,
            self.settings.flow_entry,
        )
        result = await apply_plan(
            writer,
            plan,
            stop=hooks.stop,
            abandon=hooks.abandon,
            on_result=self._counting(hooks.on_result, len(writes_of(plan))),
        )
        result.unsettled.extend(writer.wrong_flows)
        for change in result.applied:
            created = result.created_ids.get(change.file or "")
            if change.action == "create" and change.file and created:
                self.cache.history.remember_match(change.file, created)
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
        """A client for this run's target; its rate-limit waits go to the progress. Its
        limiter starts with the places earlier runs on this account still hold, and records
        this run's (sync.cache.sent)."""
        settings = self.settings
        target = settings.target()
        folder, check = settings.cache_dir, self.cache.folder
        with shared_limiter(folder, check, target, settings.rate_limit, self._warn) as limiter:
            connection = self.connect(
                target, settings.credentials, parallelism=settings.parallelism, limiter=limiter
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
            if hooks.approve is not None and not hooks.approve(plan):
                return Applied(plan, declined=True)
            return Applied(plan, await self.apply_plan(client, plan, hooks))

    async def apply_saved(self, plan: Plan, target: PlanTarget, hooks: Hooks) -> Applied:
        """Apply exactly a saved plan, or nothing: refused when it was made for another
        environment or target, when it crosses a safety threshold (from its own counts, before
        any request), or when a campaign it touches changed on the platform since (no write is
        sent)."""
        require_environment(target.environment, self.settings.environment)
        differences = target.differences(self.target)
        if differences:
            raise PlanFileError(
                f"the plan was made for another platform target: {'; '.join(differences)}; "
                "nothing was applied"
            )
        self.check_safe(plan)
        if not plan.changes:
            return Applied(plan)
        journal, key = self._journal(), plan_key(plan)
        async with self._connect() as client:
            await check_fresh(
                client,
                plan,
                memory=self.cache,
                experience_flows=self.settings.experience_flows,
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
        settings = self.settings
        target = target_key(settings.host, settings.stream_id or "", settings.account_id or "")
        journal = ApplyJournal(settings.cache_dir, target)
        self._warn(journal.load())
        return journal

    def _warn(self, warning: str | None) -> None:
        if warning:
            self.cache.warnings.append(warning)

    async def pull(self, root: Path, *, overwrite: bool = False) -> PullPlan:
        """What `pull` would write under `root` (reads only; pull.puller.write_pull writes)."""
        async with self._connect() as client:
            return await prepare_pull(
                client, root, self.settings, overwrite=overwrite, progress=self._steps("pulled")
            )


class RememberingWriter:
    """The client's writes, each update's answer kept in the cache (it is the campaign as
    now stored, under its new updatedAt), so that the plan after an apply is free.

    The answer also tells which flow id the platform set for the `experienceFlowName` sent:
    when the experienceFlows mapping gives that name another id, the comparison can never
    agree (the same change would show after every apply). That collects in `wrong_flows`,
    one line each naming the entry to fix, and is kept in the history for later plans."""

    def __init__(
        self,
        client: Writer,
        cache: CampaignCache,
        history: HistoryCache,
        experience_flows: Mapping[str, str],
        flow_entry: Callable[[str], str],
    ) -> None:
        self._client = client
        self._cache = cache
        self._history = history
        self._flows = experience_flows
        self._flow_entry = flow_entry
        self.wrong_flows: list[str] = []

    async def update_campaign(
        self, campaign_id: str, body: dict[str, Any], campaign_type: str = "voice"
    ) -> dict[str, Any]:
        data = await self._client.update_campaign(campaign_id, body, campaign_type)
        self._cache.remember_answer(campaign_id, data)
        self._check_flow(campaign_id, body, data)
        return data

    def _check_flow(self, campaign_id: str, body: Mapping[str, Any], answer: Any) -> None:
        name = body.get("experienceFlowName")
        set_id = flow_id_of(answer)
        warning = wrong_flow_entry(name, set_id, self._flows, self._flow_entry) if set_id else None
        stamp = answer.get("updatedAt") if isinstance(answer, Mapping) else None
        if warning is not None and isinstance(stamp, str) and isinstance(name, str):
            self._history.remember_flow(campaign_id, stamp, name, str(set_id))
        else:
            self._history.forget_flow(campaign_id)
        if warning is not None:
            self.wrong_flows.append(f"campaign {body.get('name')!r}: {warning}")

    async def create_campaign(self, body: dict[str, Any], campaign_type: str = "voice") -> str:
        return await self._client.create_campaign(body, campaign_type)

    async def delete_campaign(
        self, campaign_id: str, campaign_type: str = "voice"
    ) -> dict[str, Any]:
        return await self._client.delete_campaign(campaign_id, campaign_type)
