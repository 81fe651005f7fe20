"""The objects campaigns refer to by name: contact lists (DNC lists among them), queues and
experience flows.

The emulator starts with a fixed set (the reference page's sample names plus a few more,
with fixed ids, so that a user can map flow names to ids in campsync.yaml once and for
all); contact lists and queues can be added (admin routes, the seed file) and are kept in
the state file. Experience flows are fixed: no call lists them.

Names are looked up exactly (case-sensitive): the platform stores and answers them as
given and documents no case-insensitive lookup for lists or queues, so a pipeline that
relies on one fails here first. They are unique ignoring case, as campaign names are (the
platform's `lname`), so that no two objects differ by case alone. A DNC list is a contact
list (the docs offer no DNC create call); whether it must be flagged `isGlobalDNC` is not
documented, so a campaign's `contactLists` and `dncLists.name` may each name any contact list
of the account, as campsync's own reference check reads it (contract, "References").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

LIST_STATUSES = ("Ready", "Validated")
LIST_SOURCES = ("passiveApi", "localDrive")
LIST_TYPE = "call"
LIST_NAME_MAX = 48  # the contact list create call's limits
LIST_DESCRIPTION_MAX = 256
MAX_COUNT = 2**53 - 1
_LIST_KEYS = frozenset(
    {
        "_id",
        "id",
        "name",
        "description",
        "status",
        "source",
        "listType",
        "isGlobalDNC",
        "isDefault",
        "totalRecordCount",
    }
)
_QUEUE_KEYS = frozenset({"_id", "id", "name"})


class CatalogError(ValueError):
    """An object the catalog can't take; str() is the one-line reason."""


@dataclass(frozen=True)
class ContactList:
    """A contact list as getAllListDetails describes it (campaignInUse is computed)."""

    id: str
    name: str
    description: str = ""
    status: str = "Ready"
    source: str = "passiveApi"
    is_global_dnc: bool = False
    is_default: bool = False
    total_record_count: int = 0

    def as_json(self) -> dict[str, Any]:
        """The platform's item shape, without campaignInUse (the state file keeps this)."""
        return {
            "_id": self.id,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "source": self.source,
            "listType": LIST_TYPE,
            "isGlobalDNC": self.is_global_dnc,
            "isDefault": self.is_default,
            "totalRecordCount": self.total_record_count,
        }


@dataclass(frozen=True)
class Queue:
    id: str
    name: str

    def as_json(self) -> dict[str, Any]:
        return {"_id": self.id, "name": self.name}


@dataclass(frozen=True)
class Catalog:
    """Everything campaigns can name, at one moment (a new one replaces it on additions)."""

    lists: tuple[ContactList, ...] = ()
    queue_list: tuple[Queue, ...] = ()
    experience_flows: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def list_names(self) -> Mapping[str, str]:
        """Name -> id of every contact list, DNC lists included: what a campaign's
        `contactLists` and `dncLists.name` may name."""
        return {item.name: item.id for item in self.lists}

    @cached_property
    def contact_lists(self) -> Mapping[str, str]:
        """Name -> id of the lists not flagged isGlobalDNC."""
        return {item.name: item.id for item in self.lists if not item.is_global_dnc}

    @cached_property
    def dnc_lists(self) -> Mapping[str, str]:
        """Name -> id of the lists flagged isGlobalDNC."""
        return {item.name: item.id for item in self.lists if item.is_global_dnc}

    @cached_property
    def queues(self) -> Mapping[str, str]:
        return {item.name: item.id for item in self.queue_list}

    def adding(self, lists: Sequence[ContactList] = (), queues: Sequence[Queue] = ()) -> Catalog:
        """This catalog with more lists and queues; CatalogError for a name or an id in use
        (all or nothing)."""
        _check_unique("contact list", [*self.lists, *lists], len(self.lists))
        _check_unique("queue", [*self.queue_list, *queues], len(self.queue_list))
        return replace(self, lists=(*self.lists, *lists), queue_list=(*self.queue_list, *queues))

    def as_json(self) -> dict[str, Any]:
        """Names -> ids, as GET /_emulator/catalog shows them."""
        return {
            "contactLists": dict(self.contact_lists),
            "dncLists": dict(self.dnc_lists),
            "experienceFlows": dict(self.experience_flows),
            "queues": dict(self.queues),
        }


def _check_unique(what: str, items: Sequence[ContactList | Queue], known: int) -> None:
    """Refuse a new item (index >= known) whose id, or whose name ignoring case, is taken."""
    ids: set[str] = set()
    names: set[str] = set()
    for index, item in enumerate(items):
        if index >= known and item.id in ids:
            raise CatalogError(f"{what} id {item.id} is already in use")
        if index >= known and item.name.lower() in names:
            raise CatalogError(f"a {what} named {quoted(item.name)} already exists")
        ids.add(item.id)
        names.add(item.name.lower())


def parse_contact_list(item: Any) -> ContactList:
    """A contact list given to the emulator (admin route, seed file, state file): a name,
    or an object in the platform's item shape (all but `name` optional). CatalogError
    names the problem."""
    item, name, where = _named_object(item, "contact list", _LIST_KEYS, LIST_NAME_MAX)
    description = item.get("description", "")
    if not isinstance(description, str) or len(description) > LIST_DESCRIPTION_MAX:
        raise CatalogError(
            f"{where}: description must be a text of at most {LIST_DESCRIPTION_MAX} characters"
        )
    status = _choice(item, "status", LIST_STATUSES, where)
    source = _choice(item, "source", LIST_SOURCES, where)
    if item.get("listType", LIST_TYPE) != LIST_TYPE:
        raise CatalogError(f"{where}: listType must be {LIST_TYPE}")
    flags = {key: item.get(key, False) for key in ("isGlobalDNC", "isDefault")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise CatalogError(f"{where}: {key} must be true or false")
    count = item.get("totalRecordCount", 0)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        raise CatalogError(f"{where}: totalRecordCount must be a whole number of 0 or more")
    return ContactList(
        id=_id(item, "cl", where),
        name=name,
        description=description,
        status=status,
        source=source,
        is_global_dnc=flags["isGlobalDNC"],
        is_default=flags["isDefault"],
        total_record_count=count,
    )


def parse_queue(item: Any) -> Queue:
    """A queue given to the emulator: a name, or an object with `name` (and `_id`/`id`)."""
    item, name, where = _named_object(item, "queue", _QUEUE_KEYS, None)
    return Queue(id=_id(item, "qu", where), name=name)


def parse_all(lists: Iterable[Any], queues: Iterable[Any]) -> tuple[list[ContactList], list[Queue]]:
    return [parse_contact_list(item) for item in lists], [parse_queue(item) for item in queues]


def _named_object(
    item: Any, what: str, keys: frozenset[str], limit: int | None
) -> tuple[Mapping[str, Any], str, str]:
    """A name (as `{"name": ...}`) or an object with a name and only `keys`: the object,
    its name, and how a message names it."""
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping):
        raise CatalogError(f"each {what} must be a name or an object")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"each {what} needs a name")
    where = f"{what} {quoted(name)}"
    if limit is not None and len(name) > limit:
        raise CatalogError(f"{where}: a name has at most {limit} characters")
    unknown = sorted(str(key) for key in set(item) - keys)
    if unknown:
        raise CatalogError(f"{where}: unknown field(s): {', '.join(unknown)}")
    return item, name, where


def _choice(item: Mapping[str, Any], key: str, choices: tuple[str, ...], where: str) -> str:
    value = item.get(key, choices[0])
    if value not in choices:
        raise CatalogError(f"{where}: {key} must be one of: {', '.join(choices)}")
    return str(value)


def _id(item: Mapping[str, Any], prefix: str, where: str) -> str:
    """The id given (any non-empty text: tests imitate odd platform data with it), or a
    new `prefix-<uuid>`."""
    value = item.get("_id", item.get("id"))
    if value is None:
        return f"{prefix}-{uuid.uuid4()}"
    if not isinstance(value, str) or not value:
        raise CatalogError(f"{where}: the id must be a non-empty text")
    return value


def quoted(name: str) -> str:
    """A name for a one-line message: in double quotes, cut at 60 characters, anything
    unprintable (line breaks, lone surrogates) as a \\u escape."""
    text = name if len(name) <= 60 else name[:57] + "..."
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text) + '"'


def _ids(prefix: str, names: tuple[str, ...], tag: str) -> dict[str, str]:
    return {
        name: f"{prefix}-ecfa3927-eabc-52c4-8373-8a0b75d{tag}{index:04d}"
        for index, name in enumerate(names, start=1)
    }


CONTACT_LISTS = ("CL Only 2020 Dec 4", "Q4 Renewals", "Past Due Accounts", "Webinar Signups")
DNC_LISTS = ("DNC CL Dec 4", "Global DNC")
EXPERIENCE_FLOWS = ("Voice Survey Entry Flow", "Payment Reminder Flow")
QUEUES = ("Collections Queue", "Sales Queue", "Support Queue")


def default_catalog() -> Catalog:
    """The objects the emulator starts with: the reference sample's contact list, DNC list
    and flow, and a few more of each, with a queue for every queue name the examples use."""
    lists = [
        ContactList(list_id, name, description=f"{name} (a sample list of the emulator)")
        for name, list_id in _ids("cl", CONTACT_LISTS, "1").items()
    ]
    lists += [
        ContactList(list_id, name, description=f"{name} (a sample DNC list)", is_global_dnc=True)
        for name, list_id in _ids("cl", DNC_LISTS, "2").items()
    ]
    queues = [Queue(queue_id, name) for name, queue_id in _ids("qu", QUEUES, "3").items()]
    return Catalog(
        lists=tuple(lists),
        queue_list=tuple(queues),
        experience_flows=_ids("cf", EXPERIENCE_FLOWS, "0"),
    )
