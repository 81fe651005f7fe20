"""What each campaign was when campsync last saw it agree with its file, or applied it: the
record that tells where a later difference came from (sync.origin)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campsync.sync.cache.same import compare_fingerprint
from campsync.sync.cache.stamped import StampedStore, text_of
from campsync.sync.cache.store import compact_json
from campsync.sync.origin import Agreed

# Bumped when what a record holds changes meaning (beside the comparison code's fingerprint).
_RECORD_VERSION = b"agreed 1"


class AgreedCache(StampedStore):
    """Per platform target, by campaign id: `[updatedAt, form]`, the campaign's comparable
    form (diffing.agreed_form) when campsync last found it equal to its file (a plan) or
    wrote the file's body (an apply's answer), and its updatedAt then.

    Read on first use, as the bodies are: a plan that has no update and learns nothing new
    never opens the file (a warm plan of unchanged campaigns neither reads nor writes it).
    Written under a fingerprint of the comparison code: a form made by other rules is not
    compared with this code's. Untrusted, as the whole cache is, and not signed: a record
    only ever chooses which origin a plan shows, never what is sent; an entry of another
    shape is dropped.

    Implements planner.Agreements."""

    file_name = "agreed-{target}.json"
    entries_key = "campaigns"
    _fingerprint: str | None = None

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = compare_fingerprint(_RECORD_VERSION)
        return self._fingerprint

    def accept(self, stamp: Any, value: Any) -> bool:
        return (stamp is None or isinstance(stamp, str)) and isinstance(value, dict)

    def recall(self, campaign_id: str) -> Agreed | None:
        """The record of this campaign, or None."""
        entry = self._entry(campaign_id)
        return None if entry is None else Agreed(*entry)

    def remember(
        self, campaign_id: str, updated_at: str | None, form: Mapping[str, Any] | str
    ) -> None:
        """Record the campaign as now agreed (replacing any earlier record): `form` as
        diffing.agreed_form made it, or its compact JSON text (origin.form_text)."""
        self._ensure_loaded()
        text = form if isinstance(form, str) else compact_json(form)
        known = self._entries.get(campaign_id)
        if known is None or known[0] != updated_at or text_of(known[1]) != text:
            self._hold(campaign_id, updated_at, text)
