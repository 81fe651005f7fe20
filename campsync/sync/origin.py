"""Where an update's difference came from: the files, the platform, both, or unknown. Pure.

campsync records, per campaign, the platform's side when it last saw the campaign and its
file agree (a plan that found them equal, or an apply's answer): `Agreed`, the comparable
form of diffing.agreed_form at that `updatedAt`. They were equal then, so one form stands
for both sides. Against it, each difference of a later plan (`FieldDiff`: `before` the
platform's value, `after` the file's) tells where it came from:

- the platform's value is not the recorded one: the campaign was changed on the platform;
- the file's value is not the recorded one: the files changed;
- both: `both`. Without a record: `unknown` (never a guess).

When the campaign's `updatedAt` is still the recorded one, the platform has not changed
since (every write moves it): every difference is the files'. The record is untrusted (it
lives in the cache, which CI restores across branches): it only ever chooses the origin
shown, never what is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from campsync.sync.diffing import managed_part, path_parts, same_value, value_at
from campsync.sync.plan import FieldDiff

Origin = Literal["files", "platform", "both", "unknown"]
ORIGINS: tuple[str, ...] = get_args(Origin)


@dataclass(frozen=True, slots=True)
class Agreed:
    """A campaign as campsync last saw it agree with its file: its `updatedAt` then, and the
    platform side in comparable form (diffing.agreed_form)."""

    updated_at: str | None
    form: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Origins:
    """The origin of one update (`change`) and of each of its differences, in order."""

    change: Origin
    diffs: tuple[Origin, ...]


def origins_of(
    diffs: Sequence[FieldDiff],
    agreed: Agreed | None,
    updated_at: str | None,
    experience_flows: Mapping[str, str],
) -> Origins:
    """Where each difference of an update came from, and the update's own origin, given the
    record (None: no record) and the campaign's `updatedAt` now. The flow is compared by id
    through `experience_flows` (the mapping now)."""
    if agreed is None:
        each: tuple[Origin, ...] = tuple("unknown" for _ in diffs)
    elif updated_at is not None and updated_at == agreed.updated_at:
        each = tuple("files" for _ in diffs)
    else:
        each = tuple(diff_origin(diff, agreed.form, experience_flows) for diff in diffs)
    return Origins(combined(each), each)


def diff_origin(
    diff: FieldDiff, recorded: Mapping[str, Any], experience_flows: Mapping[str, str]
) -> Origin:
    """Where one difference came from, against the recorded form. The file's value is
    compared with the part of the recorded value it manages (a file setting some keys of an
    object says nothing of the others)."""
    parts = path_parts(diff.path)
    then = value_at(recorded, parts)
    try:
        platform_same = same_value(parts, diff.before, then, experience_flows)
        managed = managed_part(then, diff.after)
        files_same = same_value(parts, diff.after, managed, experience_flows)
    except RecursionError:  # a record nested deeper than any campaign
        return "unknown"
    if platform_same is None or files_same is None:
        return "unknown"
    if not platform_same and not files_same:
        return "both"
    if not platform_same:
        return "platform"
    if not files_same:
        return "files"
    return "unknown"  # each side as recorded, yet they differ: the record is not to be trusted


def combined(origins: Iterable[Origin]) -> Origin:
    """One origin for several differences: `both` as soon as each side changed something
    (then whatever else is unknown cannot change it), one side when every difference is
    that side's, `unknown` otherwise (none, or any unknown)."""
    found = set(origins)
    if "both" in found or {"files", "platform"} <= found:
        return "both"
    if len(found) == 1:
        (only,) = found
        return only
    return "unknown"
