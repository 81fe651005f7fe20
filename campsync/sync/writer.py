"""The writes of an apply as the engine sends them: through the client, each update's answer
kept in the cache (it is the campaign as now stored, under its new updatedAt), so that the
plan after an apply is free.

The answer is also the campaign as the files' body made it: it is recorded as agreed
(cache.AgreedCache), so that a later plan can tell an edit on the platform from one in the
files (sync.origin).

The answer also tells which flow id the platform set for the `experienceFlowName` sent: when
the experienceFlows mapping gives that name another id, the comparison can never agree (the
same change would show after every apply). That collects in `wrong_flows`, one line each
naming the entry to fix, and is kept in the history for later plans. No printing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campsync.config.job import Flows
from campsync.kore.protocol import Trigger, Triggered
from campsync.sync.applier import Writer
from campsync.sync.cache import AgreedCache, CampaignCache, HistoryCache
from campsync.sync.diffing import flow_id_of, wrong_flow_entry


class RememberingWriter:
    """The client's writes (applier.Writer), each update's answer remembered (see above)."""

    def __init__(
        self,
        client: Writer,
        cache: CampaignCache,
        history: HistoryCache,
        flows: Flows,
        agreed: AgreedCache | None = None,
    ) -> None:
        self._client = client
        self._cache = cache
        self._history = history
        self._flows = flows
        self._agreed = agreed
        self.wrong_flows: list[str] = []

    async def update_campaign(
        self, campaign_id: str, body: dict[str, Any], campaign_type: str = "voice"
    ) -> dict[str, Any]:
        data = await self._client.update_campaign(campaign_id, body, campaign_type)
        self._cache.remember_answer(campaign_id, data)
        self._record(campaign_id, body, campaign_type, data)
        self._check_flow(campaign_id, body, data)
        return data

    def _record(
        self, campaign_id: str, body: Mapping[str, Any], campaign_type: str, answer: Any
    ) -> None:
        """The answer as agreed (as the bodies' store keeps it), when it is that campaign with
        a stamp (else no record: the one before this write no longer stands for the
        campaign). The queue is the one sent (an answer does not show it, the list does)."""
        if self._agreed is None:
            return
        stamp = answer.get("updatedAt") if isinstance(answer, Mapping) else None
        kept = self._cache.held(campaign_id, stamp) if isinstance(stamp, str) else None
        if kept is None:
            self._agreed.forget(campaign_id)
            return
        queue = body.get("queue_name")
        self._agreed.remember(campaign_id, stamp, kept, queue=queue, campaign_type=campaign_type)

    def _check_flow(self, campaign_id: str, body: Mapping[str, Any], answer: Any) -> None:
        name = body.get("experienceFlowName")
        set_id = flow_id_of(answer)
        flows = self._flows
        warning = wrong_flow_entry(name, set_id, flows.ids, flows.entry) if set_id else None
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

    async def trigger(
        self,
        campaign_id: str,
        action: Trigger,
        campaign_type: str = "voice",
        *,
        name: str | None = None,
    ) -> Triggered:
        # Nothing to remember: the answer has no body, and the body cached at the earlier
        # updatedAt is not the campaign's any more (a trigger moves it).
        return await self._client.trigger(campaign_id, action, campaign_type, name=name)

    async def campaign_status(self, campaign_id: str, *, name: str | None = None) -> str:
        return await self._client.campaign_status(campaign_id, name=name)
