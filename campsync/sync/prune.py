"""Pruning (`--prune`, `prune: true`): platform campaigns in scope that no file describes
become `delete` changes. Pure: no I/O.

Never at all while a folder under PATH is a symbolic link (not followed, so its files are
not read): the campaigns they describe would look unmanaged (`refuse_unread_folders`).
Never deleted: a campaign whose name matches a `keep:` pattern (it stays unmanaged, listed
as such) and an Active one (a `blocked` change with a reason: stop it first). The safety
thresholds (sync.safety) count the deletes.
"""

from __future__ import annotations

from collections.abc import Sequence

from campsync.errors import UsageError
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


def refuse_unread_folders(folders: Sequence[str]) -> None:
    """UsageError, before anything is read from the platform, when pruning would run while
    campaign folders (symbolic links, never followed) are not read: their campaigns could not
    be told from unmanaged ones, and would be deleted."""
    if not folders:
        return
    listed = ", ".join(folders[:3]) + (f" and {len(folders) - 3} more" if len(folders) > 3 else "")
    what = "is a symbolic link" if len(folders) == 1 else "are symbolic links"
    raise UsageError(
        f"pruning refused: {listed} {what} to a folder, not followed, so the campaigns "
        "described there would look unmanaged and be deleted; put the folder itself under "
        "PATH, or plan without pruning (--no-prune)"
    )
