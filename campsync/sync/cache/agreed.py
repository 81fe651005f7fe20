"""What each campaign was when campsync last saw it agree with its file, or applied it: the
record that tells where a later difference came from (sync.origin)."""

from __future__ import annotations

from typing import Any

from campsync.sync.cache.stamped import Held, StampedStore
from campsync.sync.diffing import agreed_form
from campsync.sync.origin import Agreed

# Bumped when what a record holds changes meaning. (A record holds the platform's body, not
# a form of the comparison code's: it is put in comparable form by the code that recalls it.)
RECORD_VERSION = "agreed 1"


class AgreedCache(StampedStore):
    """Per platform target, by campaign id: `[updatedAt, body, queue, type]`, the campaign's
    platform body (without status) when campsync last found it equal to its file (a plan)
    or wrote the file's body (an apply's answer), with its listed queue and type then.

    The body is the one the bodies' store holds for that updatedAt (cache.CampaignCache):
    the same text, shared in memory and not encoded twice, so that recording every campaign
    a cold plan finds equal costs next to nothing; a record is put in comparable form
    (diffing.agreed_form) only when recalled, for an update. Read on first use, as the
    bodies are: a plan that has no update and learns nothing new never opens the file (a
    warm plan of unchanged campaigns neither reads nor writes it). A record stays good across
    versions of campsync (it is the platform's body, compared by the code that recalls it)
    unless RECORD_VERSION changes.

    Untrusted, as the whole cache is, and not signed: a record only ever chooses which origin
    a plan shows, never what is sent; an entry of another shape is dropped, and one that
    cannot be put in comparable form is no record.

    Implements planner.Agreements."""

    file_name = "agreed-{target}.json"
    entries_key = "campaigns"
    extra = 2  # the queue and the type

    @property
    def code(self) -> str:
        return RECORD_VERSION

    def accept(self, stamp: Any, value: Any, extra: tuple[Any, ...]) -> bool:
        return (stamp is None or isinstance(stamp, str)) and isinstance(value, dict)

    def recall(self, campaign_id: str) -> Agreed | None:
        """The record of this campaign, in comparable form, or None."""
        entry = self._entry(campaign_id)
        if entry is None:
            return None
        stamp, body, (queue, campaign_type) = entry
        try:
            return Agreed(stamp, agreed_form(body, queue=queue, campaign_type=campaign_type))
        except RecursionError:  # nested deeper than any campaign: no record
            return None

    def remember(
        self,
        campaign_id: str,
        updated_at: str | None,
        body: Held,
        *,
        queue: Any,
        campaign_type: str,
    ) -> None:
        """Record the campaign as agreed at `updated_at`: its platform body then (as the
        bodies' store holds it), its listed queue and type. A record at the same updatedAt,
        queue and type stands (the platform has not changed since)."""
        self._ensure_loaded()
        extra = (queue, campaign_type)
        known = self._entries.get(campaign_id)
        if known is None or known[0] != updated_at or known[2] != extra:
            self._hold(campaign_id, updated_at, body, extra)
