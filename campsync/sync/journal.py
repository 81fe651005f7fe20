"""Which saved plans were being applied when their run ended early: a mark set before a saved
plan's first write and taken away once the run has saved what it learnt. A run killed in
between (SIGKILL, a crash, a closed CI job) leaves the mark, so that applying the same plan
again can say that it was partly applied rather than that the platform changed.

One small store of the local cache folder, per target (sync.cache.store.JsonStore): plan
key -> when its apply began. Never a body, a header or a secret.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from campsync.sync.cache.store import JsonStore
from campsync.sync.plan import Plan


def plan_key(plan: Plan) -> str:
    """The same saved plan gives the same key (its writes: action, id, name, file and the
    updatedAt it was made against); another plan, another key."""
    writes = [(c.action, c.id, c.name, c.file, c.updated_at, c.campaign_type) for c in plan.changes]
    raw = json.dumps(writes, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return hashlib.sha256(raw).hexdigest()[:32]


class ApplyJournal(JsonStore):
    """Saved plans whose apply began and did not finish, for one target."""

    file_name = "applying-{target}.json"
    entries_key = "applying"

    def __init__(self, folder: Path, target: str) -> None:
        super().__init__(folder, target)
        self._begun: dict[str, str] = {}

    def load(self) -> str | None:
        stored, warning = self._read_entries()
        self._begun = {k: v for k, v in stored.items() if isinstance(v, str)}
        return warning

    def save(self) -> str | None:
        return self._write_entries(dict(self._begun))

    def begun(self, key: str) -> str | None:
        """When an apply of the plan `key` began that never finished (ISO time), or None."""
        return self._begun.get(key)

    def begin(self, key: str, now: datetime | None = None) -> str | None:
        """Mark the plan's apply as begun, on disk at once; a warning when it cannot be."""
        self._begun[key] = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        return self.save()

    def end(self, key: str) -> str | None:
        if self._begun.pop(key, None) is None:
            return None
        return self.save()
