"""The local cache: what campsync saw last time, so that the next run does less.

Four stores, each one JSON file under the cache folder (`settings.cache_dir`, default
`.campsync/cache`), which holds a `.gitignore` of `*` so it never ends up in a repository:

- `CampaignCache`: the platform's full get-one bodies, keyed by campaign id and `updatedAt`,
  one file per platform target (host + stream + account, hashed into the file name, and
  checked again inside the file: a cache for one account never serves another). A plan
  fetches only the campaigns whose listed `updatedAt` it has no body for. Bodies are kept
  without their `status`: a status can change without moving `updatedAt` (Preparing ->
  Ready), so it is never taken from the cache (the list gives it afresh every run).
- `FileCache`: the validated data of campaign files that had no problem, keyed by the
  file's name and a SHA-256 of its text, and by a fingerprint of the validation code and
  schema (so a newer campsync never trusts an older one's verdict).
- `HistoryCache`: what no listing tells again, per target: the campaign each file matched
  last time (so that a renamed file without an `id` can point at its old campaign), and,
  when an update's answer contradicted the `experienceFlows` mapping, the flow the platform
  set (so that plans after it can say which entry is wrong).
- `SameCache`: the file/campaign pairs found equal (file text, campaign id and updatedAt,
  listed type and queue, flow mapping: `planner.pair_key`), under a fingerprint of the
  comparison code. A warm plan of unchanged campaigns neither reads their bodies (the
  `CampaignCache` file is opened only when some campaign must be compared) nor compares.

Only response bodies and file data are stored, never a header, token or secret. Files are
written atomically and owner-only (folders 0700). A missing, corrupt or unreadable cache is
an empty one: `load` returns a one-line warning instead of raising, and `save` returns a
one-line warning when it cannot write. No printing here.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TypeVar

from campsync.campaign.validation import CampaignFile, FileCheck
from campsync.config.settings import Settings
from campsync.fsutil import write_atomic, write_atomic_parts
from campsync.sync.inventory import FetchFull, Keep, Listed

FORMAT = 1
GITIGNORE = "*\n"


class _Entry(Protocol):
    """What pruning needs of a listed campaign (inventory.Listed)."""

    @property
    def id(self) -> str: ...

    @property
    def updated_at(self) -> str | None: ...


T = TypeVar("T")


def target_key(host: str, stream_id: str, account_id: str) -> str:
    """A stable, non-reversible name for one platform target."""
    raw = "\0".join((host.rstrip("/").lower(), stream_id, account_id)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def ensure_folder(folder: Path) -> None:
    """Create the cache folder owner-only, with a .gitignore that ignores everything."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        write_atomic(ignore, GITIGNORE)


def _read_json(path: Path) -> tuple[Any, str | None]:
    """The file's JSON (None when it does not exist) and a warning when it is unusable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cache {path} ignored: cannot read it ({exc.strerror or exc})"
    try:
        return json.loads(raw), None
    except (ValueError, RecursionError):
        return None, f"cache {path} ignored: it is not valid JSON"


_compact = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)


def _document_parts(
    head: dict[str, Any], key: str, entries: Iterable[tuple[str, str]]
) -> Iterator[str]:
    """The text of `{**head, key: {name: value, ...}}` exactly as one compact json.dumps
    writes it, from the entries' names and their values' JSON text, in parts of one entry
    each: a store of 10,000 campaign bodies is written without ever being one string
    (json's own iterencode would do that in pure Python, several times slower than its C
    encoder used per entry)."""
    opening = _compact({**head, key: {}})
    yield opening[:-2]  # up to the entries' "{"
    comma = ""
    for name, value in entries:
        yield f"{comma}{_compact(name)}:{value}"
        comma = ","
    yield "}}"


def _write_json(
    folder: Path, path: Path, head: dict[str, Any], key: str, entries: Iterable[tuple[str, str]]
) -> str | None:
    try:
        ensure_folder(folder)
        write_atomic_parts(path, _document_parts(head, key, entries), private=True)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"cannot write the cache {path}: {reason}"
    return None


def _as_text(body: dict[str, Any]) -> str | dict[str, Any]:
    """A body as the compact JSON text it is saved as; as it is when it has no such text
    (not plain JSON data), so that saving it fails as it always did."""
    try:
        return _compact(body)
    except (TypeError, ValueError):
        return body


def without_status(body: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of a campaign body without `status`: a status never comes from the
    cache, since it changes without moving `updatedAt` (a new campaign: Preparing -> Ready)."""
    return {key: value for key, value in body.items() if key != "status"}


class JsonStore:
    """One store of the cache: a JSON document `{format, target, code, <entries>}` in one
    file. A document of another shape or target is ignored with a warning; one written by
    another format or another campsync (`code`: a fingerprint of the deciding code) is
    simply not used. Subclasses say what an entry is and when to write."""

    file_name = ""  # may use {target}
    entries_key = ""

    def __init__(self, folder: Path, target: str | None = None) -> None:
        self.folder = folder
        self.target = target
        self.path = folder / self.file_name.format(target=target)

    @property
    def code(self) -> str | None:
        """The fingerprint a document must carry to be used (None: any)."""
        return None

    def load(self) -> str | None:
        """Read the file; a one-line warning when it is unusable (the store is then empty)."""
        raise NotImplementedError

    def save(self) -> str | None:
        """Write the file when anything changed; a one-line warning when it cannot."""
        raise NotImplementedError

    def _read_entries(self) -> tuple[dict[str, Any], str | None]:
        """The stored entries ({} when none or unusable) and a warning when unusable."""
        document, warning = _read_json(self.path)
        if document is None:
            return {}, warning
        if (
            not isinstance(document, dict)
            or not isinstance(document.get(self.entries_key), dict)
            or document.get("target") != self.target
        ):
            return {}, f"cache {self.path} ignored: not a campsync cache of this format and target"
        if document.get("format") != FORMAT or document.get("code") != self.code:
            return {}, None
        return document[self.entries_key], None

    def _write_entries(self, entries: dict[str, Any]) -> str | None:
        return self._write_texts((name, _compact(value)) for name, value in entries.items())

    def _write_texts(self, entries: Iterable[tuple[str, str]]) -> str | None:
        """_write_entries of entries whose values are JSON text already."""
        head = {"format": FORMAT, "target": self.target, "code": self.code}
        return _write_json(self.folder, self.path, head, self.entries_key, entries)


# ---------------------------------------------------------------------------
# platform bodies


class CampaignCache(JsonStore):
    """Full campaign bodies of one platform target, by id, each valid for one updatedAt.

    A body kept in this run is held as the compact JSON text it is saved as, and parsed
    again when asked for: 10,000 bodies are some 14 MB of text, against 60 MB parsed
    (every key a string of its own), and their text is made once either way. The bodies
    read from the file stay as read (a run that needs one needs the file parsed)."""

    file_name = "campaigns-{target}.json"
    entries_key = "campaigns"

    def __init__(self, folder: Path, target: str) -> None:
        super().__init__(folder, target)
        self._entries: dict[str, tuple[str, str | dict[str, Any]]] = {}
        self._loaded = False  # read on first use: a plan that needs no body never reads it
        self._dirty = False
        self._keep: set[str] | None = None
        self.load_warning: str | None = None
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_target(cls, folder: Path, host: str, stream_id: str, account_id: str) -> CampaignCache:
        return cls(folder, target_key(host, stream_id, account_id))

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._entries)

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self.load_warning = self.load()
            self._prune()

    def mark_fresh(self) -> None:
        """Start empty without reading the file (--refresh); the next save rewrites it."""
        self._entries = {}
        self._loaded = True
        self._dirty = True

    def load(self) -> str | None:
        """Read the file; on any problem start empty and return a one-line warning."""
        self._loaded = True
        stored, warning = self._read_entries()
        self._entries = {}
        for cid, item in stored.items():
            if (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], dict)
            ):
                item[1].pop("status", None)  # written by an older campsync
                self._entries[cid] = (item[0], item[1])
        return warning

    def save(self) -> str | None:
        """Write the file atomically, owner-only, when anything changed; a one-line warning
        when it cannot."""
        if self._loaded:
            self._prune()
        if not self._dirty:
            return None
        entries = (
            (cid, f"[{_compact(stamp)},{body if isinstance(body, str) else _compact(body)}]")
            for cid, (stamp, body) in self._entries.items()
        )
        warning = self._write_texts(entries)
        self._dirty = warning is not None
        return warning

    def get(self, campaign_id: str, updated_at: str | None) -> dict[str, Any] | None:
        """The body seen for exactly this updatedAt, or None."""
        if updated_at is None:
            return None
        self._ensure_loaded()
        entry = self._entries.get(campaign_id)
        if entry is None or entry[0] != updated_at:
            return None
        body = entry[1]
        if isinstance(body, str):
            parsed: dict[str, Any] = json.loads(body)
            return parsed
        return body

    def put(self, campaign_id: str, updated_at: str, data: dict[str, Any]) -> None:
        """Keep a body for this updatedAt, without its status (the caller's body, read in
        this run, keeps it)."""
        self._hold(campaign_id, updated_at, _as_text(without_status(data)))

    def _hold(self, campaign_id: str, updated_at: str, body: str | dict[str, Any]) -> None:
        self._ensure_loaded()
        self._entries[campaign_id] = (updated_at, body)
        self._dirty = True

    def remember_answer(self, campaign_id: str, data: Any) -> None:
        """Keep an update's answer (the campaign as now stored, in the get-one shape) so the
        next plan need not read it again. Ignored unless it is that campaign with a stamp."""
        if not isinstance(data, dict):
            return
        stamp = data.get("updatedAt")
        if isinstance(stamp, str) and data.get("_id", data.get("id")) == campaign_id:
            self.put(campaign_id, stamp, data)

    def retain(self, campaign_ids: Iterable[str]) -> None:
        """Forget the campaigns that are no longer listed: at once when the bodies are read,
        else when they next are (a body of an unlisted campaign is never served anyway)."""
        self._keep = set(campaign_ids)
        if self._loaded:
            self._prune()

    def _prune(self) -> None:
        if self._keep is None:
            return
        kept = {cid: e for cid, e in self._entries.items() if cid in self._keep}
        self._dirty = self._dirty or len(kept) != len(self._entries)
        self._entries = kept

    def fetcher(self, inner: FetchFull, *, refresh: bool = False) -> FetchFull:
        """A fetcher that answers from the cache where the listed updatedAt matches (unless
        `refresh`), asks `inner` for the rest, and remembers what it got."""

        async def fetch(wanted: Sequence[Listed], keep: Keep[T]) -> dict[str, T]:
            found: dict[str, T] = {}
            missing: list[Listed] = []
            for entry in wanted:
                hit = None if refresh else self.get(entry.id, entry.updated_at)
                if hit is None:
                    missing.append(entry)
                else:
                    found[entry.id] = keep(entry, hit)
            self.hits += len(found)
            self.misses += len(missing)
            read: dict[str, tuple[str, str | dict[str, Any]]] = {}

            def remember(entry: Listed, data: dict[str, Any]) -> T:
                # Keyed by the body's own updatedAt when it has one: that is what it shows.
                stamp = data.get("updatedAt")
                stamp = stamp if isinstance(stamp, str) else entry.updated_at
                if stamp is not None:
                    read[entry.id] = (stamp, _as_text(without_status(data)))
                return keep(entry, data)

            fetched = await inner(missing, remember) if missing else {}
            for entry in missing:  # kept in the order asked for, not the order of arrival
                if entry.id in read:
                    self._hold(entry.id, *read[entry.id])
            found.update(fetched)
            return found

        return fetch


# ---------------------------------------------------------------------------
# what earlier runs learnt


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

    def retain(self, listed: Sequence[_Entry]) -> None:
        """Forget campaigns no longer listed, and flow records of campaigns changed since."""
        stamps = {entry.id: entry.updated_at for entry in listed}
        files = {f: cid for f, cid in self._files.items() if cid in stamps}
        flows = {cid: r for cid, r in self._flows.items() if stamps.get(cid) == r[0]}
        if len(files) != len(self._files) or len(flows) != len(self._flows):
            self._files, self._flows, self._dirty = files, flows, True


# ---------------------------------------------------------------------------
# pairs found equal


def source_fingerprint(modules: Iterable[ModuleType], extra: bytes = b"") -> str:
    """A hash of these modules' source (and `extra`): a verdict cached by one campsync is
    not trusted by another whose deciding code differs."""
    digest = hashlib.sha256(extra)
    for module in modules:
        if module.__file__ is not None:
            digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def compare_fingerprint() -> str:
    """A hash of the code that decides whether a file and a campaign are equal."""
    from campsync.campaign import model
    from campsync.sync import diffing

    return source_fingerprint((diffing, model))


class SameCache(JsonStore):
    """File/campaign pairs found equal, by planner.pair_key, with that comparison's warnings:
    a warm plan needs neither the campaign's body nor a comparison for them. One file per
    platform target; pairs not seen in a run are dropped when it is written.

    Implements planner.SameMemo."""

    file_name = "same-{target}.json"
    entries_key = "pairs"

    def __init__(self, folder: Path, target: str) -> None:
        super().__init__(folder, target)
        self._known: dict[str, list[str]] = {}
        self._seen: dict[str, list[str]] = {}
        self._fingerprint: str | None = None
        self.hits = 0

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = compare_fingerprint()
        return self._fingerprint

    def load(self) -> str | None:
        stored, warning = self._read_entries()
        self._known = {
            key: value
            for key, value in stored.items()
            if isinstance(value, list) and all(isinstance(w, str) for w in value)
        }
        return warning

    def recall(self, key: str) -> tuple[str, ...] | None:
        warnings = self._known.get(key)
        if warnings is None:
            return None
        self.hits += 1
        self._seen[key] = warnings
        return tuple(warnings)

    def remember(self, key: str, warnings: tuple[str, ...]) -> None:
        self._seen[key] = list(warnings)

    def save(self) -> str | None:
        if self._seen == self._known:
            return None
        warning = self._write_entries(self._seen)
        if warning is None:
            self._known = dict(self._seen)
        return warning


# ---------------------------------------------------------------------------
# validated campaign files


def code_fingerprint() -> str:
    """A hash of the schema and of the code that decides whether a file is valid."""
    from campsync.campaign import messages, rules, schema, validation, yamlio

    modules = (rules, schema, validation, messages, yamlio)
    return source_fingerprint(modules, schema._schema_text().encode("utf-8"))


class VerdictStore(JsonStore):
    """Verdicts on campaign files that had no problem: by file name, an entry valid for one
    digest (the file's text, and whatever else the verdict depends on), pruned to the files
    seen in a run when written. Subclasses say what an entry holds (`width` items, the
    digest first and the file's data second)."""

    width = 0

    def __init__(self, folder: Path, target: str | None = None) -> None:
        super().__init__(folder, target)
        self._entries: dict[str, list[Any]] = {}
        self._seen: set[str] = set()
        self._dirty = True  # until a load shows the file holds what this run knows
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def load(self) -> str | None:
        stored, warning = self._read_entries()
        self._dirty = warning is not None or not self.path.exists()
        self._entries = {
            name: item
            for name, item in stored.items()
            if isinstance(item, list)
            and len(item) == self.width
            and isinstance(item[0], str)
            and isinstance(item[1], dict)
        }
        return warning

    def save(self) -> str | None:
        """Write the entries of the files seen in this run (others are pruned), when that
        changes anything."""
        files = {name: item for name, item in self._entries.items() if name in self._seen}
        if not self._dirty and len(files) == len(self._entries):
            return None
        warning = self._write_entries(files)
        if warning is None:
            self._entries = files
            self._dirty = False
        return warning

    def _recall(self, file: str, digest: str) -> list[Any] | None:
        """The entry of `file` when it was made for `digest`."""
        self._seen.add(file)
        item = self._entries.get(file)
        if item is None or item[0] != digest:
            self.misses += 1
            return None
        self.hits += 1
        return item

    def _remember(self, file: str, entry: list[Any] | None) -> None:
        """Keep `entry` for `file`, or forget the file (None: it had a problem)."""
        self._seen.add(file)
        self._dirty = True
        if entry is None:
            self._entries.pop(file, None)
        else:
            self._entries[file] = entry


def at(value: tuple[int, int] | None) -> list[int] | None:
    """A position as stored (a list), None kept."""
    return list(value) if value else None


class FileCache(VerdictStore):
    """The outcome of validating a problem-free file, by its name and text digest.

    Implements validation.CheckMemo."""

    file_name = "files.json"
    entries_key = "files"
    width = 4  # digest, data, where the name is written, where the id is

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self._fingerprint: str | None = None

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = code_fingerprint()
        return self._fingerprint

    def recall(self, file: str, digest: str) -> FileCheck | None:
        item = self._recall(file, digest)
        if item is None:
            return None
        campaign = CampaignFile(file, item[1], digest)
        return FileCheck(campaign, [], position(item[2]), position(item[3]))

    def remember(self, file: str, digest: str, check: FileCheck) -> None:
        if check.campaign is None or check.problems:
            self._remember(file, None)
        else:
            entry = [digest, check.campaign.data, at(check.name_at), at(check.id_at)]
            self._remember(file, entry)


def position(value: Any) -> tuple[int, int] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return value[0], value[1]
    return None


# ---------------------------------------------------------------------------
# the cache of one run


class LocalCache:
    """The four stores of one run against one target. Problems are never errors: they
    collect in `warnings` (one line each) for the caller to show.

    Implements applier.Memory."""

    def __init__(self, settings: Settings, *, refresh: bool = False, files: bool = True) -> None:
        """Load the stores (on `refresh` only the history, which copies nothing of the
        platform: each use of it is checked against the list; the files store only when
        `files`; platform bodies only when first needed)."""
        folder = settings.cache_dir
        target = target_key(settings.host, settings.stream_id or "", settings.account_id or "")
        self.files = FileCache(folder)
        self.campaigns = CampaignCache(folder, target)
        self.same = SameCache(folder, target)
        self.history = HistoryCache(folder, target)
        self.refresh = refresh
        self.save_files = files
        self.warnings: list[str] = []
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

    def forget_unlisted(self, listed: Sequence[_Entry]) -> None:
        self.campaigns.retain(entry.id for entry in listed)
        self.history.retain(listed)

    def known_body(self, campaign_id: str, updated_at: str | None) -> dict[str, Any] | None:
        """The body seen for exactly this updatedAt (an update's answer included), or None."""
        return self.campaigns.get(campaign_id, updated_at)

    def last_match(self, file: str) -> str | None:
        return self.history.last_match(file)

    def fetcher(self, inner: FetchFull) -> FetchFull:
        """`inner` behind the platform-body store (bypassed, then rewritten, on refresh)."""
        return self.campaigns.fetcher(inner, refresh=self.refresh)

    def save(self) -> None:
        """Write what changed; problems join `warnings`."""
        stores = (self.campaigns, self.same, self.history)
        for store in (self.files, *stores) if self.save_files else stores:
            warning = store.save()
            if warning:
                self.warnings.append(warning)

    def take_warnings(self) -> list[str]:
        """Every warning so far (the lazily read body store's first), once."""
        if self.campaigns.load_warning:
            self.warnings.insert(0, self.campaigns.load_warning)
            self.campaigns.load_warning = None
        taken, self.warnings = self.warnings, []
        return taken
