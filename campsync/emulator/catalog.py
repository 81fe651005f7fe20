"""The objects campaigns refer to by name: contact lists, DNC lists, experience flows, queues.

The platform offers no public call to create them, so the emulator starts with a fixed
set: the names of the reference page's sample plus a few more. Ids are fixed so that a
user can map flow names to ids in campsync.yaml once and for all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _ids(prefix: str, names: tuple[str, ...], tag: str) -> dict[str, str]:
    return {
        name: f"{prefix}-ecfa3927-eabc-52c4-8373-8a0b75d{tag}{index:04d}"
        for index, name in enumerate(names, start=1)
    }


CONTACT_LISTS = ("CL Only 2020 Dec 4", "Q4 Renewals", "Past Due Accounts", "Webinar Signups")
DNC_LISTS = ("DNC CL Dec 4", "Global DNC")
EXPERIENCE_FLOWS = ("Voice Survey Entry Flow", "Payment Reminder Flow")
QUEUES = ("Collections Queue", "Sales Queue", "Support Queue")


@dataclass(frozen=True)
class Catalog:
    """Names the platform knows, each with its id. Lookups are by exact name."""

    contact_lists: Mapping[str, str] = field(default_factory=dict)
    dnc_lists: Mapping[str, str] = field(default_factory=dict)
    experience_flows: Mapping[str, str] = field(default_factory=dict)
    queues: Mapping[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "contactLists": dict(self.contact_lists),
            "dncLists": dict(self.dnc_lists),
            "experienceFlows": dict(self.experience_flows),
            "queues": dict(self.queues),
        }


def default_catalog() -> Catalog:
    return Catalog(
        contact_lists=_ids("cl", CONTACT_LISTS, "1"),
        dnc_lists=_ids("cl", DNC_LISTS, "2"),
        experience_flows=_ids("cf", EXPERIENCE_FLOWS, "0"),
        queues=_ids("qu", QUEUES, "3"),
    )
