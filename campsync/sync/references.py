"""What a campaign names, checked against what the account has (contract, "Version 0.3 >
References checked before anything is written"): the contact lists (`contactLists`), the DNC
list (`dncLists.name`) and the queue (`queue_name`) of a create or update's body. The names
are read once per plan (`read_names`: the client's `list_contact_lists` and `list_queues`,
or why they could not be) into a plain value, `AccountNames`; the rest is pure: a body's
verdict is a reason to block it, or None.

Matching is exact, case included: the platform stores names as given and documents no
case-insensitive lookup for lists or queues (the `lname` it keeps is the campaign's), and it
refuses a body whose names "must already exist" but don't. A name that differs only in case
is not found, and the reason offers the account's spelling first among the closest names.
`contactLists` and `dncLists.name` are both looked up among all the account's contact lists:
the docs offer no DNC create call and do not say whether a DNC list must be flagged
`isGlobalDNC`.

The check is advisory, and errs towards letting a change go on: a kind that was not read
(a refused call, an answer not of the documented shape) checks nothing and is a warning,
since the platform still refuses a missing name when apply writes; only a name missing from
names that were read blocks a change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from campsync.campaign.messages import closest_several
from campsync.errors import ApiError, AuthError, RepeatingListError
from campsync.kore.protocol import Reference
from campsync.sync.plan import Plan
from campsync.sync.runstate import block_edit
from campsync.text import quoted

CONTACT_LISTS = "contactLists"  # the kinds, as the saved plan records them
QUEUES = "queues"
KIND_NAMES = {CONTACT_LISTS: "contact lists", QUEUES: "queues"}
# Why a kind was refused, by kind: the API scope that call needs (the queues call is in the
# "Configuration" scope, not "Campaign Management": many apps lack it).
_SCOPES = {
    CONTACT_LISTS: "the app's API scopes may not cover contact lists",
    QUEUES: "the app may lack the Configuration scope",
}
CHECKED = "checked"
NOT_NEEDED_RECORD = "not needed: no create or update names one"
# How many of the account's names a reason offers, and the likeness difflib needs for one.
CLOSEST = 3
CUTOFF = 0.6
LONGEST = 200  # a name longer than this gets no suggestion (difflib is slow on long text)
# Above this many names of a kind, only a name that differs in case is offered: difflib over
# 100,000 names takes about 1.5 s a name (measured), the check is to save time.
SUGGEST_AMONG = 10_000


@dataclass(frozen=True)
class Known:
    """The names of one kind the account has, or why they were not read: `why_not` (a
    warning), or not `needed` (no create or update names one; no warning)."""

    names: frozenset[str] = frozenset()
    why_not: str | None = None
    needed: bool = True
    _closest: dict[str, tuple[str, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @classmethod
    def read(cls, names: Iterable[str]) -> Known:
        return cls(frozenset(names))

    @classmethod
    def unread(cls, why: str) -> Known:
        return cls(why_not=why)

    @property
    def record(self) -> str:
        """What a saved plan records: `checked`, `not checked: <why>`, or `not needed`."""
        if not self.needed:
            return NOT_NEEDED_RECORD
        return CHECKED if self.why_not is None else f"not checked: {self.why_not}"

    def lacks(self, name: str) -> bool:
        return self.needed and self.why_not is None and name not in self.names

    def closest(self, name: str) -> tuple[str, ...]:
        """The names `name` was most probably meant to be (CLOSEST at most), those that
        differ only in case first; once per name (many changes may name the same one)."""
        found = self._closest.get(name)
        if found is None:
            if len(self.names) > SUGGEST_AMONG:
                found = tuple(self._by_case.get(name.casefold(), ())[:CLOSEST])
            else:
                found = tuple(
                    closest_several(
                        name, self._ordered, count=CLOSEST, cutoff=CUTOFF, longest=LONGEST
                    )
                )
            self._closest[name] = found
        return found

    @cached_property
    def _ordered(self) -> tuple[str, ...]:
        """The names in one order, so that the closest names offered never vary."""
        return tuple(sorted(self.names))

    @cached_property
    def _by_case(self) -> dict[str, list[str]]:
        by_case: dict[str, list[str]] = {}
        for name in self._ordered:
            by_case.setdefault(name.casefold(), []).append(name)
        return by_case


@dataclass(frozen=True)
class AccountNames:
    """What the account has that campaigns name: its contact lists (DNC lists among them)
    and its queues, each read or not."""

    contact_lists: Known
    queues: Known

    @property
    def record(self) -> dict[str, str]:
        """What was checked, for a saved plan: `{"contactLists": "checked" | "not checked:
        <why>", "queues": ...}`."""
        return {CONTACT_LISTS: self.contact_lists.record, QUEUES: self.queues.record}

    @property
    def warnings(self) -> list[str]:
        """One line per kind not checked, naming why."""
        return [
            f"{KIND_NAMES[kind]} not checked: {known.why_not}"
            for kind, known in ((CONTACT_LISTS, self.contact_lists), (QUEUES, self.queues))
            if known.why_not is not None
        ]


NOT_NEEDED = Known(needed=False)
WRITES = ("create", "update")  # the changes that send a body naming lists and a queue


async def check_references(client: NamesReader, plan: Plan) -> Plan:
    """The plan, each create or update naming a list or queue the account lacks blocked
    (`missing_reason`; its campaign's start goes with it, and a restart's stop:
    runstate.block_edit), with a warning for each kind not checked and what was checked
    (`Plan.references`). A plan without a create or an update is returned as it is, and
    costs no request: an unchanged plan still costs only the list pages."""
    writes = [change for change in plan.changes if change.action in WRITES and change.body]
    if not writes:
        return plan
    queues = any(names_queue(change.body) for change in writes if change.body is not None)
    account = await read_names(client, queues=queues)
    changes = list(plan.changes)
    for change in writes:
        reason = missing_reason(change.body or {}, account)
        if reason is not None:
            changes = block_edit(changes, change, reason)
    return plan.revised(
        changes, warnings=(*plan.warnings, *account.warnings), references=account.record
    )


class NamesReader(Protocol):
    """What reading the names takes of the client (kore.KoreClient)."""

    async def list_contact_lists(self) -> list[Reference]: ...

    async def list_queues(self) -> list[Reference]: ...


async def read_names(client: NamesReader, *, queues: bool = True) -> AccountNames:
    """The account's contact lists and (when `queues`) its queues, read together through the
    client (its one gate and rate limit); a read that fails is that kind not checked, with
    why (`why_not`), never an error of the run. Without `queues`, they are not read: no
    change names one (an Agentless-only plan needs no Configuration scope). A list that
    repeats itself is the one failure that is the run's (RepeatingListError): a platform
    lying so ends every run, as the campaign list does (contract, "Trust boundaries")."""

    async def known(kind: str, read: Callable[[], Awaitable[list[Reference]]]) -> Known:
        try:
            return Known.read(item.name for item in await read())
        except RepeatingListError:
            raise
        except ApiError as error:
            return Known.unread(why_not(kind, error))

    if not queues:
        return AccountNames(await known(CONTACT_LISTS, client.list_contact_lists), NOT_NEEDED)
    lists, queue_names = await asyncio.gather(
        known(CONTACT_LISTS, client.list_contact_lists), known(QUEUES, client.list_queues)
    )
    return AccountNames(lists, queue_names)


def why_not(kind: str, error: ApiError) -> str:
    """Why the `kind` (CONTACT_LISTS or QUEUES) was not read, from the client's error: a
    refusal (401/403) names the scope the call needs; anything else (an error after
    retries, an answer not of the documented shape, a list that repeats itself) says what
    the client said."""
    if isinstance(error, AuthError):
        return f"the platform refused the {KIND_NAMES[kind]} call ({error.status}): {_SCOPES[kind]}"
    return str(error).removeprefix(f"reading the {KIND_NAMES[kind]}: ")


def names_queue(body: Mapping[str, Any]) -> bool:
    """Whether a body names a queue (Progressive and Preview campaigns: the schema allows
    `queue_name` with no other dialing mode)."""
    return isinstance(body.get("queue_name"), str)


def missing_reason(body: Mapping[str, Any], account: AccountNames) -> str | None:
    """Why a create or update with this request body must be blocked: each name it gives
    that the account lacks, with its field and the closest names the account has; None when
    every name it gives was found (or could not be checked)."""
    lacking = [
        _lacking(where, what, name, known)
        for where, what, name, known in _named(body, account)
        if known.lacks(name)
    ]
    if not lacking:
        return None
    return "the platform would refuse it: " + "; ".join(lacking)


def _named(body: Mapping[str, Any], account: AccountNames) -> list[tuple[str, str, str, Known]]:
    """Each name the body gives: (its field, what it names, the name, the names to find it
    in)."""
    found: list[tuple[str, str, str, Known]] = []
    lists = body.get("contactLists")
    if isinstance(lists, list):
        found += [
            (f"contactLists[{index}]", "contact list", name, account.contact_lists)
            for index, name in enumerate(lists)
            if isinstance(name, str)
        ]
    dnc = body.get("dncLists")
    if isinstance(dnc, Mapping) and isinstance(dnc.get("name"), str):
        found.append(("dncLists.name", "contact list", dnc["name"], account.contact_lists))
    if names_queue(body):
        found.append(("queue_name", "queue", body["queue_name"], account.queues))
    return found


def _lacking(where: str, what: str, name: str, known: Known) -> str:
    return f"{where}: no {what} {quoted(name)} on the account{_hint(name, known)}"


def _hint(name: str, known: Known) -> str:
    if not known.names:
        return " (it has none)"
    close = known.closest(name)
    if not close:
        return ""
    shown = ", ".join(quoted(choice) for choice in close)
    if close[0].casefold() == name.casefold():
        return f" (names match exactly, case included; closest: {shown})"
    return f" (closest: {shown})"
