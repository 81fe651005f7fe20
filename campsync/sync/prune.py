"""Pruning (`--prune`, `prune: true`): platform campaigns in scope that no file describes
become `delete` changes. Pure: no I/O.

Never deleted: a campaign whose name matches a `keep:` pattern (it stays unmanaged, listed
as such) and an Active one (a `blocked` change with a reason: stop it first). The safety
thresholds (sync.safety) count the deletes.
"""

from __future__ import annotations

from collections.abc import Sequence

from campsync.sync.inventory import Listed
from campsync.sync.plan import Change
from campsync.sync.scope import matches_any, name_patterns

REASON_ACTIVE_DELETE = (
    "no file describes it, but the campaign is Active and can't be deleted; stop it first "
    "(or keep it: keep: in campsync.yaml)"
)


def prune_unmanaged(
    unmanaged: Sequence[Listed], keep: Sequence[str]
) -> tuple[list[Change], list[Listed]]:
    """The changes that delete (or are blocked from deleting) the unmanaged campaigns, and
    the campaigns kept by `keep` (still unmanaged)."""
    patterns = name_patterns(keep)
    changes: list[Change] = []
    kept: list[Listed] = []
    for entry in unmanaged:
        if matches_any(patterns, entry.name):
            kept.append(entry)
            continue
        active = entry.status == "Active"
        changes.append(
            Change(
                action="blocked" if active else "delete",
                name=entry.name,
                id=entry.id,
                file=None,
                reason=REASON_ACTIVE_DELETE if active else None,
                campaign_type=entry.campaign_type,
                # What the freshness check of a saved plan compares: deleting a campaign
                # that changed after the review is refused.
                updated_at=entry.updated_at,
            )
        )
    return changes, kept
