"""The saved plan (`plan --out FILE`, then `apply FILE`).

The file is the contract's plan JSON (its `refusal` included, so that `show` and the GitHub
Action tell it as `plan` did) plus what apply needs to do exactly what was reviewed: each
change carries a `campsync` object (its campaign type, the request body to send, the
platform's `updatedAt` and status as read), and a `campsync` section holds the layout of
the file (`LAYOUT`), the target (host, stream, account), the environment of campsync.yaml it
was made for (null without environments), when the plan was made, the names of unmanaged
campaigns, how many campaigns in scope existed on the platform (for the safety thresholds at
apply), and what the names of its creates and updates were checked against (`references`:
`{"contactLists": "checked" | "not checked: <why>", "queues": ...}`, null when it has none;
apply does not read them again). A `checksum` (`sha256:` + hex) over the canonical JSON of
all the rest lets `load_plan` refuse a file altered after it was made; a `signature`
(sync.signing, keyed from the client secret) over the same JSON, one altered on purpose. A
file of an older layout is refused, saying to make the plan again.

It holds no secret, and must not: nothing but the target (config.target.Target: host,
stream, account) and the environment's name is written of the run (no credentials, no
token, no key).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from campsync.config.target import Target
from campsync.errors import PlanFileError
from campsync.fsutil import FileRefused, check_writable, read_bounded, write_atomic
from campsync.kore.protocol import is_campaign_id
from campsync.sync.origin import ORIGINS
from campsync.sync.plan import (
    ACTIONS,
    FORCE,
    FORMAT_VERSION,
    REASONS,
    Change,
    FieldDiff,
    InFull,
    Plan,
    Refusal,
    Since,
)
from campsync.sync.signing import PlanSigning, Signed
from campsync.text import escape

CHECKSUM_PREFIX = "sha256:"
# A plan of 10,000 creates of campaigns like the reference sample is about 48 MB; a larger
# file is refused before it is parsed (a 1.3 GB one took 8 GB of memory to refuse).
MAX_PLAN_BYTES = 128 * 1024 * 1024
SEALS = ("checksum", "signature")  # computed over the rest of the document
# The layout inside `format_version` 1 (the contract's plan JSON, which stays): 2 = each
# change carries its own `campsync` object (campsync 0.2 kept them in a list beside them).
LAYOUT = 2
OLDER = "make the plan again with 'campsync plan --out'"
CAMPAIGN_SUFFIXES = (".yaml", ".yml")  # what the campaign files are named


@dataclass(frozen=True)
class SavedPlan:
    """A saved plan as loaded: the plan, the platform target it was made for, the
    environment of campsync.yaml that names that target (None without environments), which
    it is applied to only, and how its signature stood with the key it was loaded with."""

    plan: Plan
    target: Target
    environment: str | None = None
    signed: Signed = "unsigned"

    def require_for(self, target: Target, environment: str | None) -> None:
        """PlanFileError (one line) unless the plan was made for `environment` and `target`:
        it is applied there only."""
        if self.environment is not None and self.environment != environment:
            raise PlanFileError.other_environment(self.environment, environment)
        differences = self.differences(target)
        if differences:
            raise PlanFileError(
                f"the plan was made for another platform target: {'; '.join(differences)}; "
                "nothing was applied"
            )

    def differences(self, target: Target) -> list[str]:
        """What differs between the plan's target and `target`, e.g.
        ["account_id 'a1' (now 'a2')"]; empty when both are the same target (hosts compared
        without a trailing slash)."""
        found: list[str] = []
        now = _target_json(target)
        for key, mine in _target_json(self.target).items():
            theirs = now[key]
            same = mine.rstrip("/") == theirs.rstrip("/") if key == "host" else mine == theirs
            if not same:
                found.append(f"{key} {mine!r} (now {theirs!r})")
        return found


def _target_json(target: Target) -> dict[str, str]:
    return {"host": target.host, "stream_id": target.stream_id, "account_id": target.account_id}


def save_plan(
    path: Path,
    plan: Plan,
    target: Target,
    environment: str | None = None,
    *,
    signing: PlanSigning | None = None,
    now: datetime | None = None,
) -> None:
    """Write the plan for `target` (and `environment`) to `path` atomically, owner-only
    (0600); signed when `signing` has a key."""
    document = plan.to_json()
    for entry, change in zip(document["changes"], plan.changes, strict=True):
        entry["campsync"] = {
            "campaign_type": change.campaign_type,
            "body": change.body,
            "updated_at": change.updated_at,
            "status": change.status,
        }
    document["campsync"] = {
        "layout": LAYOUT,
        "target": _target_json(target),
        "environment": environment,
        "created_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "existing": plan.existing,
        "unmanaged": list(plan.unmanaged),
        "references": None if plan.references is None else dict(plan.references),
    }
    sealed = canonical(document)  # both seals cover these bytes: encoded once
    signature = (signing or PlanSigning()).sign(sealed)
    if signature is not None:
        document["signature"] = signature
    document["checksum"] = checksum_of(sealed)
    text = json.dumps(document, indent=2, ensure_ascii=True) + "\n"
    try:
        # ASCII only: names with any character (even a lone surrogate) are written safely.
        write_atomic(Path(path), text, private=True)
    except OSError as error:
        raise _unwritable(path, error) from None


def check_plan_path(path: Path) -> None:
    """Refuse at once (before the plan is made) a path `save_plan` would refuse: anything
    but a regular file or a new path (a symbolic link, a FIFO, a device, a folder); and a
    .yaml or .yml name, which validate, plan and apply would read as a campaign file (under
    the campaign folder, the next plan would fail on it) and apply as a folder of them."""
    if Path(path).suffix.lower() in CAMPAIGN_SUFFIXES:
        raise PlanFileError(
            f"{escape(str(path))}: a saved plan is JSON, and a {Path(path).suffix} file is "
            "read as a campaign file; name it .json"
        )
    try:
        check_writable(Path(path))
    except OSError as error:
        raise _unwritable(path, error) from None


def _unwritable(path: Path, error: OSError) -> PlanFileError:
    hint = "; give a new path or a regular file" if isinstance(error, FileRefused) else ""
    reason = error.strerror or str(error)
    return PlanFileError(f"{escape(str(path))}: cannot write the plan: {reason}{hint}")


def canonical(document: dict[str, Any]) -> bytes:
    """What the checksum and the signature cover: the canonical JSON of `document` without
    either of them."""
    rest = {key: value for key, value in document.items() if key not in SEALS}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def checksum_of(sealed: bytes) -> str:
    """`sha256:<hex>` of `sealed`, a document's `canonical` JSON."""
    return CHECKSUM_PREFIX + hashlib.sha256(sealed).hexdigest()


def load_plan(path: Path, *, signing: PlanSigning | None = None) -> SavedPlan:
    """Read a saved plan to apply it; raise PlanFileError (one line) if it is unreadable, not
    a campsync plan, of another format version, or altered after it was made, and
    PlanSignatureError if its signature does not pass `signing` (no key: only an
    unsigned plan passes)."""
    return PlanFile.read(path).load(signing)


def read_plan(path: Path, *, signing: PlanSigning | None = None) -> SavedPlan:
    """Read a saved plan to show it: as load_plan, except that a plan whose signature cannot
    be checked (no key) or that is unsigned is read all the same, saying so (`signed`). A
    signature that does not verify is still PlanSignatureError."""
    return PlanFile.read(path).show(signing)


@dataclass(frozen=True)
class PlanFile:
    """A saved plan's file, read once (up to MAX_PLAN_BYTES): the environment it names is
    wanted before the settings that check it are chosen, and the checks come after; a file
    that cannot be read keeps its error for them (`environment` is then None)."""

    path: Path
    document: Any = None
    error: PlanFileError | None = None

    @classmethod
    def read(cls, path: Path) -> PlanFile:
        try:
            return cls(Path(path), _read_json(Path(path), _where(path)))
        except PlanFileError as error:
            return cls(Path(path), error=error)

    @property
    def environment(self) -> str | None:
        """The environment the plan names, unchecked (None when it names none or cannot be
        read: `load` then says why)."""
        extra = self.document.get("campsync") if isinstance(self.document, dict) else None
        found = extra.get("environment") if isinstance(extra, dict) else None
        return found if isinstance(found, str) and found else None

    def load(self, signing: PlanSigning | None = None) -> SavedPlan:
        """The plan to apply (load_plan)."""
        return self._check(signing or PlanSigning(), strict=True)

    def show(self, signing: PlanSigning | None = None) -> SavedPlan:
        """The plan to show (read_plan)."""
        return self._check(signing or PlanSigning(), strict=False)

    def _check(self, signing: PlanSigning, *, strict: bool) -> SavedPlan:
        if self.error is not None:
            raise self.error
        where, document = _where(self.path), self.document
        if not isinstance(document, dict):
            raise PlanFileError(f"{where}: not a campsync plan (not a JSON object)")
        if "format_version" not in document:
            raise PlanFileError(f"{where}: not a campsync plan (no format_version)")
        _require_version(document["format_version"], FORMAT_VERSION, "format_version", where)
        if not isinstance(document.get("checksum"), str):
            raise PlanFileError(f"{where}: not a campsync plan (no checksum)")
        sealed = canonical(document)  # what the checksum and the signature cover: encoded once
        if checksum_of(sealed) != document["checksum"]:
            raise PlanFileError(
                f"{where}: checksum mismatch: the plan was altered after it was made"
            )
        extra = document.get("campsync")
        if isinstance(extra, dict):
            _require_layout(extra, where)
        signed = signing.verify(document.get("signature"), sealed, where)
        if strict:
            signing.require(signed, where)
        try:
            return _parse(document, signed)
        except _Malformed as problem:
            raise PlanFileError(f"{where}: not a campsync plan ({problem})") from None


def _where(path: Path) -> str:
    return f"plan file {escape(str(path))}"


def _require_layout(extra: dict[str, Any], where: str) -> None:
    """A file of another layout is refused, saying what to do (nothing is guessed)."""
    if "existing" not in extra:
        # campsync 0.1 saved no count of the campaigns in scope: no safety check is possible.
        raise PlanFileError(
            f"{where}: made by an older campsync (it holds no safety counts); {OLDER}"
        )
    if "layout" not in extra:
        # campsync 0.2 kept each change's body in a list beside the changes.
        raise PlanFileError(
            f"{where}: made by an older campsync (its changes keep their bodies apart); {OLDER}"
        )
    _require_version(extra["layout"], LAYOUT, "campsync.layout", where, f"; {OLDER}")


def _require_version(value: Any, supported: int, what: str, where: str, fix: str = "") -> None:
    if isinstance(value, bool) or value != supported:
        shown = escape(json.dumps(value))[:40]
        raise PlanFileError(
            f"{where}: {what} {shown} is not supported (this campsync reads {supported}){fix}"
        )


def _read_json(path: Path, where: str) -> Any:
    try:
        text = read_bounded(path, MAX_PLAN_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise PlanFileError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise PlanFileError(f"{where}: is a directory") from None
    except UnicodeDecodeError:
        raise PlanFileError(f"{where}: not a campsync plan (not UTF-8 text)") from None
    except FileRefused as refused:
        raise PlanFileError(f"{where}: {refused.reason}") from None
    except OSError as error:
        raise PlanFileError(f"{where}: cannot read it ({error.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"{where}: not a campsync plan (not JSON: {error.msg} at line {error.lineno}"
            f" column {error.colno})"
        ) from None
    except RecursionError:
        raise PlanFileError(f"{where}: not a campsync plan (nested too deeply)") from None


class _Malformed(Exception):
    """A structural problem; str = "field: what is wrong"."""


def _field(
    container: dict[str, Any], key: str, kind: type, where: str, *, optional: bool = False
) -> Any:
    if key not in container:
        raise _Malformed(f"{where}{key}: missing")
    value = container[key]
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Malformed(f"{where}{key}: {_kind_name(kind)} expected")
    return value


def _kind_name(kind: type) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string", int: "an integer"}
    return names.get(kind, "another type")


def _parse(document: dict[str, Any], signed: Signed) -> SavedPlan:
    changes = _field(document, "changes", list, "")
    summary = _field(document, "summary", dict, "")
    warnings = _field(document, "warnings", list, "")
    extra = _field(document, "campsync", dict, "")
    target_data = _field(extra, "target", dict, "campsync.")
    target = Target(
        host=_field(target_data, "host", str, "campsync.target."),
        stream_id=_field(target_data, "stream_id", str, "campsync.target."),
        account_id=_field(target_data, "account_id", str, "campsync.target."),
    )
    # Plans saved before environments existed have none.
    environment = (
        _field(extra, "environment", str, "campsync.", optional=True)
        if "environment" in extra
        else None
    )
    _field(extra, "created_at", str, "campsync.")
    existing = _field(extra, "existing", int, "campsync.")
    if existing < 0:
        raise _Malformed("campsync.existing: a count (0 or more) expected")
    unmanaged = _field(extra, "unmanaged", list, "campsync.")
    if not all(isinstance(item, str) for item in [*warnings, *unmanaged]):
        raise _Malformed("warnings and campsync.unmanaged: strings expected")
    plan = Plan.of(
        [_change(entry, index) for index, entry in enumerate(changes)],
        unchanged=_field(summary, "unchanged", int, "summary."),
        unmanaged=unmanaged,
        warnings=warnings,
        existing=existing,
        refusal=_refusal(document["refusal"]) if "refusal" in document else None,
        references=_references(extra),
        since=_since(document),
    )
    for key, count in plan.summary.items():
        if key in summary and summary[key] != count:
            raise _Malformed(f"summary.{key}: does not match the changes")
    return SavedPlan(plan, target, environment, signed)


def _refusal(entry: Any) -> Refusal:
    if not isinstance(entry, dict):
        raise _Malformed("refusal: an object expected")
    reasons = _field(entry, "reasons", list, "refusal.")
    if not reasons or not all(isinstance(reason, str) and reason for reason in reasons):
        raise _Malformed("refusal.reasons: a list of reasons expected")
    if _field(entry, "override", str, "refusal.") != FORCE:
        raise _Malformed(f"refusal.override: {FORCE} expected")
    return Refusal(tuple(reasons))


def _references(extra: dict[str, Any]) -> dict[str, str] | None:
    """What the plan's names were checked against (sync.references): absent or null when
    nothing was; else each kind's word, as saved."""
    if extra.get("references") is None:
        return None
    found = _field(extra, "references", dict, "campsync.")
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in found.items()):
        raise _Malformed("campsync.references: strings expected")
    return dict(found)


def _change(entry: Any, index: int) -> Change:
    where = f"changes[{index}]."
    if not isinstance(entry, dict):
        raise _Malformed(f"changes[{index}]: an object expected")
    more = _field(entry, "campsync", dict, where)
    action = _field(entry, "action", str, where)
    if action not in ACTIONS:
        raise _Malformed(f"{where}action: one of {', '.join(ACTIONS)} expected")
    reason = entry.get("reason")
    if action == "blocked" and not (isinstance(reason, str) and reason):
        raise _Malformed(f"{where}reason: a blocked change needs one")
    diffs = []
    for number, item in enumerate(_field(entry, "diff", list, where)):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise _Malformed(f"{where}diff[{number}]: an object with a path expected")
        if "before" not in item or "after" not in item:
            raise _Malformed(f"{where}diff[{number}]: before and after expected")
        origin = _origin(item, f"{where}diff[{number}].")
        diffs.append(FieldDiff(item["path"], item["before"], item["after"], origin))
    ident = _field(entry, "id", str, where, optional=True)
    if ident is not None and not is_campaign_id(ident):  # it goes into a request path
        raise _Malformed(f"{where}id: a campaign id (cd-...) expected")
    extra = f"{where}campsync."
    return Change(
        action=action,
        name=_field(entry, "name", str, where),
        id=ident,
        file=_field(entry, "file", str, where, optional=True),
        diff=tuple(diffs),
        reason=reason if action == "blocked" else None,
        campaign_type=_field(more, "campaign_type", str, extra),
        body=_field(more, "body", dict, extra, optional=True),
        updated_at=_field(more, "updated_at", str, extra, optional=True),
        # Absent from plans saved before starts and stops existed: none is then planned.
        status=_field(more, "status", str, extra, optional=True) if "status" in more else None,
        origin=_origin(entry, where),
    )


def _origin(entry: dict[str, Any], where: str) -> str | None:
    """The `origin` of a change or a diff (sync.origin), when it has one."""
    if "origin" not in entry:
        return None
    origin = entry["origin"]
    if origin not in ORIGINS:
        raise _Malformed(f"{where}origin: one of {', '.join(ORIGINS)} expected")
    return str(origin)


def _since(document: dict[str, Any]) -> Since | None:
    """What `plan --since` compared in full, when the plan was made with it."""
    if "since" not in document:
        return None
    ref = _field(document, "since", str, "")
    in_full = []
    for number, item in enumerate(_field(document, "compared_in_full", list, "")):
        where = f"compared_in_full[{number}]."
        if not isinstance(item, dict):
            raise _Malformed(f"compared_in_full[{number}]: an object expected")
        reason = _field(item, "reason", str, where)
        if reason not in REASONS:
            raise _Malformed(f"{where}reason: one of {', '.join(REASONS)} expected")
        name = _field(item, "name", str, where)
        in_full.append(InFull(name, _field(item, "file", str, where, optional=True), reason))
    on_list = _field(document, "compared_on_list", int, "")
    if on_list < 0:
        raise _Malformed("compared_on_list: a count (0 or more) expected")
    return Since(ref, tuple(in_full), on_list)
