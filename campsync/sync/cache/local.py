"""The local cache of one run: its stores, opened and saved together."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from campsync.config.target import Credentials, Target
from campsync.sync.cache.agreed import AgreedCache
from campsync.sync.cache.bodies import CampaignCache
from campsync.sync.cache.files import EnvironmentFileCache, FileCache, VerdictStore
from campsync.sync.cache.history import HistoryCache
from campsync.sync.cache.same import SameCache
from campsync.sync.cache.store import Entry, JsonStore, check_folder, target_key
from campsync.sync.inventory import FetchFull
from campsync.sync.signing import cache_key


class LocalCache:
    """The stores of one run against one target. Problems are never errors: they
    collect in `warnings` (one line each) for the caller to show.

    Implements applier.Memory."""

    def __init__(
        self,
        folder: Path,
        target: Target,
        credentials: Credentials,
        *,
        environment: str | None = None,
        refresh: bool = False,
        files: bool = True,
    ) -> None:
        """Load the stores of `target` in `folder` (on `refresh` only the history, which
        copies nothing of the platform: each use of it is checked against the list; the files
        store only when `files`: the plain files' or, with an `environment`, that
        environment's, else it is the run's memo alone, never saved; platform bodies only
        when first needed), once the folder is found
        trustworthy (store.check_folder). File data is signed with a key derived from the
        client secret of `credentials` (without one, no file data is recalled)."""
        key = cache_key(credentials)
        self.files: VerdictStore = (
            FileCache(folder, key=key)
            if environment is None
            else EnvironmentFileCache(folder, environment, key=key)
        )
        stored = target_key(target)
        self.campaigns = CampaignCache(folder, stored, key=key)
        self.same = SameCache(folder, stored, key=key)
        self.history = HistoryCache(folder, stored)
        self.agreed = AgreedCache(folder, stored)  # read on first use, as the bodies
        self.refresh = refresh
        self.keeps_files = files
        self.warnings: list[str] = []
        self.folder = checked = check_folder(folder)  # also what other stores of it trust
        if checked.warning:
            self.warnings.append(checked.warning)
        every: tuple[JsonStore, ...] = (
            self.files,
            self.campaigns,
            self.same,
            self.history,
            self.agreed,
        )
        for each in every:
            each.trust(checked)
        stores: tuple[JsonStore, ...] = (self.same, self.history)
        if refresh:
            self.campaigns.mark_fresh()
            stores = (self.history,)
        elif files:
            stores = (self.files, *stores)
        for store in stores:
            warning = store.load()
            if warning:
                self.warnings.append(warning)

    def forget_unlisted(self, listed: Sequence[Entry]) -> None:
        self.campaigns.retain(entry.id for entry in listed)
        self.agreed.retain(entry.id for entry in listed)
        self.history.retain(listed)

    def seen_at(self, campaign_id: str) -> str | None:
        """The updatedAt at which the cache last knew the campaign (None: it knows none): when
        it last agreed with its file (a campaign that differed since stays "moved" until it
        agrees again), else the body it holds."""
        if self.agreed.holds(campaign_id):
            return self.agreed.seen_at(campaign_id)
        return self.campaigns.seen_at(campaign_id)

    def known_body(self, campaign_id: str, updated_at: str | None) -> dict[str, Any] | None:
        """The body seen for exactly this updatedAt (an update's answer included), or None."""
        return self.campaigns.get(campaign_id, updated_at)

    def last_match(self, file: str) -> str | None:
        return self.history.last_match(file)

    def fetcher(self, inner: FetchFull, *, vouched_only: bool = False) -> FetchFull:
        """`inner` behind the platform-body store (bypassed, then rewritten, on refresh).
        `vouched_only`: for bodies that become file content (pull), the store answers only
        when its signature is the run's own (a client secret); otherwise every body is read
        afresh (and kept), since an unsigned cache is anybody's text."""
        bypass = self.refresh or (vouched_only and not self.campaigns.vouched)
        return self.campaigns.fetcher(inner, refresh=bypass)

    def save_files(self) -> None:
        """Write the files store when it changed (the files checked need no parsing next
        time, even when others have problems); a problem joins `warnings`."""
        if self.keeps_files:
            self._save(self.files)

    def save(self) -> None:
        """Write what changed; problems join `warnings`."""
        self.save_files()
        for store in (self.campaigns, self.same, self.history, self.agreed):
            self._save(store)

    def _save(self, store: JsonStore) -> None:
        warning = store.save()
        if warning:
            self.warnings.append(warning)

    def take_warnings(self) -> list[str]:
        """Every warning so far (the lazily read stores' first), once."""
        for store in (self.agreed, self.campaigns):
            if store.load_warning:
                self.warnings.insert(0, store.load_warning)
                store.load_warning = None
        taken, self.warnings = self.warnings, []
        return taken
