"""What earlier runs learnt that no listing tells again: the campaign each file matched, and
the flow the platform set when a write contradicted the mapping."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from campsync.sync.cache.store import Entry, JsonStore


class HistoryCache(JsonStore):
    """What earlier runs against one target learnt that the platform does not tell again:
    `files` (file -> the campaign id it matched or created last) and `flows` (campaign id ->
    [updatedAt after campsync's write, the flow name sent, the flow id the platform set],
    kept only while that id contradicts the experienceFlows mapping).

    Implements planner.History."""

    file_name = "history-{target}.json"
    entries_key = "history"

    def __init__(self, folder: Path, target: str) -> None:
        super().__init__(folder, target)
        self._files: dict[str, str] = {}
        self._flows: dict[str, tuple[str, str, str]] = {}
        self._dirty = False

    def load(self) -> str | None:
        stored, warning = self._read_entries()
        files, flows = stored.get("files"), stored.get("flows")
        if isinstance(files, dict):
            self._files = {k: v for k, v in files.items() if isinstance(v, str)}
        if isinstance(flows, dict):
            self._flows = {
                k: (v[0], v[1], v[2])
                for k, v in flows.items()
                if isinstance(v, list) and len(v) == 3 and all(isinstance(i, str) for i in v)
            }
        return warning

    def save(self) -> str | None:
        if not self._dirty:
            return None
        flows = {cid: list(record) for cid, record in self._flows.items()}
        warning = self._write_entries({"files": self._files, "flows": flows})
        self._dirty = warning is not None
        return warning

    def last_match(self, file: str) -> str | None:
        return self._files.get(file)

    def remember_match(self, file: str, campaign_id: str) -> None:
        if self._files.get(file) != campaign_id:
            self._files[file] = campaign_id
            self._dirty = True

    def flow_written(self, campaign_id: str, updated_at: str | None) -> tuple[str, str] | None:
        """(flow name sent, flow id set) of campsync's last write of the campaign, when that
        contradicted the mapping and the campaign has not changed since."""
        record = self._flows.get(campaign_id)
        if record is None or updated_at is None or record[0] != updated_at:
            return None
        return record[1], record[2]

    def remember_flow(self, campaign_id: str, updated_at: str, name: str, flow_id: str) -> None:
        self._flows[campaign_id] = (updated_at, name, flow_id)
        self._dirty = True

    def forget_flow(self, campaign_id: str) -> None:
        if self._flows.pop(campaign_id, None) is not None:
            self._dirty = True

    def retain(self, listed: Sequence[Entry]) -> None:
        """Forget campaigns no longer listed, and flow records of campaigns changed since."""
        stamps = {entry.id: entry.updated_at for entry in listed}
        files = {f: cid for f, cid in self._files.items() if cid in stamps}
        flows = {cid: r for cid, r in self._flows.items() if stamps.get(cid) == r[0]}
        if len(files) != len(self._files) or len(flows) != len(self._flows):
            self._files, self._flows, self._dirty = files, flows, True
