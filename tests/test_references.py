"""sync/references.py: a create or update's names (contact lists, DNC list, queue) against
the names the account has, as plain values (issue 21, contract "Version 0.3 > References")."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from campsync.config.target import Credentials, Target
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.errors import AuthError, BadResponseError, ServerError, TransportError
from campsync.kore import KoreClient, RetryPolicy
from campsync.kore.protocol import Reference
from campsync.sync.plan import Action, Change, FieldDiff, Plan
from campsync.sync.references import (
    SUGGEST_AMONG,
    AccountNames,
    Known,
    check_references,
    missing_reason,
    names_queue,
    read_names,
    why_not,
)
from tests.fixtures_emulator import (
    EmulatorApi,
    campaign_body,
    emulator_test_config,
    platform_error,
    progressive_body,
)

LISTS = ["CL Only 2020 Dec 4", "Q4 Renewals", "Past Due Accounts", "DNC CL Dec 4", "Global DNC"]
QUEUES = ["Collections Queue", "Sales Queue", "Support Queue"]
ACCOUNT = AccountNames(Known.read(LISTS), Known.read(QUEUES))


def body(**changes: Any) -> dict[str, Any]:
    """A Progressive campaign's request body naming lists and a queue the account has."""
    names: dict[str, Any] = {
        "contactLists": ["Q4 Renewals", "Past Due Accounts"],
        "dncLists": {"name": "DNC CL Dec 4"},
        "queue_name": "Sales Queue",
    }
    return progressive_body("Collections Push", **{**names, **changes})


def test_a_body_whose_names_all_exist_is_not_blocked() -> None:
    assert missing_reason(body(), ACCOUNT) is None
    agentless = campaign_body("Spring", contactLists=["CL Only 2020 Dec 4"])
    assert missing_reason(agentless, ACCOUNT) is None


def test_a_misspelt_contact_list_names_the_field_the_name_and_the_closest() -> None:
    reason = missing_reason(body(contactLists=["Q4 Renewals", "Past Due Acounts"]), ACCOUNT)
    assert reason == (
        "the platform would refuse it: contactLists[1]: no contact list 'Past Due Acounts' "
        "on the account (closest: 'Past Due Accounts')"
    )


def test_a_misspelt_dnc_list_is_looked_up_among_all_contact_lists() -> None:
    reason = missing_reason(body(dncLists={"name": "DNC CL Dec 5"}), ACCOUNT)
    assert reason is not None
    assert reason.startswith("the platform would refuse it: dncLists.name: no contact list ")
    assert "'DNC CL Dec 5'" in reason and "closest: 'DNC CL Dec 4'" in reason
    # a DNC list need not be flagged isGlobalDNC, nor a contact list not be
    assert missing_reason(body(dncLists={"name": "Q4 Renewals"}), ACCOUNT) is None
    assert missing_reason(body(contactLists=["Global DNC"]), ACCOUNT) is None


def test_a_misspelt_queue_is_blocked_with_the_closest_queues() -> None:
    reason = missing_reason(body(queue_name="Sales Queu"), ACCOUNT)
    assert reason == (
        "the platform would refuse it: queue_name: no queue 'Sales Queu' on the account "
        "(closest: 'Sales Queue')"
    )


def test_at_most_three_closest_names_are_offered() -> None:
    many = AccountNames(Known.read(LISTS), Known.read([f"Sales Queue {c}" for c in "EDCBA"]))
    reason = missing_reason(body(), many)
    assert reason == (
        "the platform would refuse it: queue_name: no queue 'Sales Queue' on the account "
        "(closest: 'Sales Queue E', 'Sales Queue D', 'Sales Queue C')"  # difflib's order
    )


def test_names_match_exactly_and_a_case_only_difference_is_named_first() -> None:
    reason = missing_reason(body(queue_name="sales queue"), ACCOUNT)
    assert reason is not None
    assert "queue_name: no queue 'sales queue' on the account (names match exactly, case " in reason
    assert "closest: 'Sales Queue'" in reason


def test_every_missing_name_is_in_the_one_reason() -> None:
    missing = body(
        contactLists=["Q4 Renewal", "Q4 Renewals", "Nothing Like It At All Really"],
        dncLists={"name": "Globl DNC"},
        queue_name="Collection Queue",
    )
    reason = missing_reason(missing, ACCOUNT)
    assert reason is not None
    parts = reason.removeprefix("the platform would refuse it: ").split("; ")
    assert [part.split(":")[0] for part in parts] == [
        "contactLists[0]",
        "contactLists[2]",
        "dncLists.name",
        "queue_name",
    ]
    assert (
        parts[1]
        == "contactLists[2]: no contact list 'Nothing Like It At All Really' on the account"
    )


def test_an_account_without_any_queue_says_so() -> None:
    empty = AccountNames(Known.read(LISTS), Known.read([]))
    reason = missing_reason(body(), empty)
    assert reason == (
        "the platform would refuse it: queue_name: no queue 'Sales Queue' on the account "
        "(it has none)"
    )


def test_a_kind_not_read_checks_nothing_of_that_kind() -> None:
    unread = AccountNames(
        Known.read(LISTS), Known.unread("the platform refused the queues call (403)")
    )
    assert missing_reason(body(queue_name="No Such Queue"), unread) is None
    reason = missing_reason(body(queue_name="No Such Queue", contactLists=["Nope"]), unread)
    assert reason is not None and "queue_name" not in reason and "contactLists[0]" in reason
    neither = AccountNames(Known.unread("x"), Known.unread("y"))
    assert missing_reason(body(contactLists=["Nope"], dncLists={"name": "Nope"}), neither) is None


def test_a_queue_is_checked_only_where_a_body_names_one() -> None:
    agentless = campaign_body("Spring")
    assert not names_queue(agentless) and names_queue(body())
    no_queues = AccountNames(Known.read(LISTS), Known.read([]))
    assert missing_reason(agentless, no_queues) is None


def test_names_from_files_and_platform_are_quoted_short_and_escaped() -> None:
    odd = "Evil\u202eName\n" + "x" * 300
    account = AccountNames(Known.read([*LISTS, "Evil\u202eName\n" + "y" * 300]), Known.read(QUEUES))
    reason = missing_reason(body(contactLists=[odd]), account)
    assert reason is not None
    assert "\n" not in reason and "\u202e" not in reason and "\\u202e" in reason
    assert len(reason) < 300


def test_bodies_of_unexpected_shapes_are_not_a_crash() -> None:
    for odd in (
        {},
        {"contactLists": "Q4 Renewals"},
        {"contactLists": [1, None, {"name": "x"}]},
        {"dncLists": "DNC"},
        {"dncLists": {"name": 5}},
        {"queue_name": None},
    ):
        assert missing_reason(odd, ACCOUNT) is None


def test_the_body_is_not_changed() -> None:
    given = body(queue_name="Sales Queu")
    kept = copy.deepcopy(given)
    missing_reason(given, ACCOUNT)
    assert given == kept


def test_what_was_checked_is_recorded_and_warned() -> None:
    assert ACCOUNT.record == {"contactLists": "checked", "queues": "checked"}
    assert ACCOUNT.warnings == []
    half = AccountNames(
        Known.read(LISTS), Known.unread("the platform refused the queues call (403)")
    )
    assert half.record == {
        "contactLists": "checked",
        "queues": "not checked: the platform refused the queues call (403)",
    }
    assert half.warnings == ["queues not checked: the platform refused the queues call (403)"]


@pytest.mark.parametrize(
    ("kind", "error", "expected"),
    [
        (
            "queues",
            AuthError(
                "reading the queues: the platform refused access (Forbidden): ...", status=403
            ),
            "the platform refused the queues call (403): the app may lack the Configuration scope",
        ),
        (
            "contactLists",
            AuthError(
                "reading the contact lists: the platform refused the credentials", status=401
            ),
            "the platform refused the contact lists call (401): the app's API scopes may not "
            "cover contact lists",
        ),
        (
            "queues",
            ServerError("reading the queues: the platform failed: busy", status=503),
            "the platform failed: busy (HTTP 503)",
        ),
        (
            "queues",
            BadResponseError(
                "reading the queues: page 2 brought no queue ... (the list repeats itself)"
            ),
            "page 2 brought no queue ... (the list repeats itself)",
        ),
        (
            "contactLists",
            TransportError(
                "reading the contact lists: could not reach host: timed out (6 attempts)"
            ),
            "could not reach host: timed out (6 attempts)",
        ),
    ],
)
def test_why_a_kind_was_not_read(kind: str, error: Any, expected: str) -> None:
    assert why_not(kind, error) == expected


def test_among_very_many_names_only_a_case_only_difference_is_offered() -> None:
    many = [f"List {number}" for number in range(SUGGEST_AMONG)] + ["Sales"]
    account = AccountNames(Known.read(many), Known.read(QUEUES))
    reason = missing_reason(
        body(contactLists=["sales", "List 12x"], dncLists={"name": "List 7"}), account
    )
    assert reason == (
        "the platform would refuse it: contactLists[0]: no contact list 'sales' on the account "
        "(names match exactly, case included; closest: 'Sales'); contactLists[1]: no contact "
        "list 'List 12x' on the account"
    )


# ---- read_names: the client's reads, each kind checked or why not -------------------------


def client_of(running: RunningEmulator) -> KoreClient:
    config = running.config
    target = Target.of(running.url, config.stream_id, config.account_id)
    credentials = Credentials(client_id=config.client_id, client_secret=config.client_secret)
    return KoreClient(target, credentials, retry=RetryPolicy(base=0.001, cap=0.004))


async def test_the_names_are_read_once_each_and_check_a_body(emulator: RunningEmulator) -> None:
    async with client_of(emulator) as client:
        account = await read_names(client)
    assert account.record == {"contactLists": "checked", "queues": "checked"}
    assert account.warnings == []
    assert missing_reason(body(), account) is None
    reason = missing_reason(
        body(queue_name="Sales Queu", dncLists={"name": "DNC CL Dec 5"}), account
    )
    assert reason is not None and "closest: 'Sales Queue'" in reason and "'DNC CL Dec 4'" in reason
    assert client.stats.by_kind["contactLists"] == 1 and client.stats.by_kind["queues"] == 1
    assert client.stats.total == 2


async def test_a_forbidden_queues_call_is_a_warning_and_the_lists_are_still_checked() -> None:
    with start_in_thread(emulator_test_config(queues_forbidden=True)) as running:
        async with client_of(running) as client:
            account = await read_names(client)
    assert account.warnings == [
        "queues not checked: the platform refused the queues call (403): the app may lack "
        "the Configuration scope"
    ]
    assert account.record["queues"].startswith("not checked: the platform refused")
    assert missing_reason(body(queue_name="Anything"), account) is None
    reason = missing_reason(body(contactLists=["Q4 Renewal"]), account)
    assert reason is not None and "closest: 'Q4 Renewals'" in reason


async def test_queues_are_not_read_when_no_change_names_one(emulator: RunningEmulator) -> None:
    async with client_of(emulator) as client:
        account = await read_names(client, queues=False)
    assert emulator.store.stats()["by_kind"]["queues"] == 0
    assert account.record == {
        "contactLists": "checked",
        "queues": "not needed: no create or update names one",
    }
    assert account.warnings == []


async def test_an_answer_not_of_the_documented_shape_is_a_warning(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    stream = "st-1"

    async def lists(request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "success", "data": {"not": "a list"}})

    async def queues(request: web.Request) -> web.StreamResponse:
        return web.Response(status=502, text="<html>bad gateway</html>", content_type="text/html")

    app = web.Application()
    app.router.add_post(
        f"/campaign/api/v2/public/{stream}/campaign/contactList/getAllListDetails", lists
    )
    app.router.add_get(f"/agentassist/api/v1/public/{stream}/queues", queues)
    server = await aiohttp_server(app)
    target = Target.of(str(server.make_url("")).rstrip("/"), stream, "acc")
    credentials = Credentials(client_id="cs-app", client_secret="s" * 40)
    retry = RetryPolicy(base=0.001, cap=0.004)
    async with KoreClient(target, credentials, retry=retry) as client:
        account = await read_names(client)
    assert account.warnings == [
        "contact lists not checked: the platform's contact lists answer has no `data` list",
        "queues not checked: the platform failed: bad gateway; non-JSON body, text/html (HTTP 502)",
    ]
    assert missing_reason(body(contactLists=["Nope"], queue_name="Nope"), account) is None


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"contactLists": ["Q4 Renewals", "Past Due Acounts"]},
        {"contactLists": ["q4 renewals"]},
        {"contactLists": ["Global DNC"]},  # a DNC-flagged list as a contact list
        {"dncLists": {"name": "DNC CL Dec 5"}},
        {"dncLists": {"name": "Q4 Renewals"}},  # a contact list as the DNC list
        {"queue_name": "Sales Queu"},
        {"queue_name": "SALES QUEUE"},
    ],
)
async def test_what_the_check_blocks_is_what_the_emulator_refuses(
    emulator: RunningEmulator, api: EmulatorApi, changes: dict[str, Any]
) -> None:
    """The check reads names as the (strict) emulator does: a body it lets through is
    created, one it blocks is refused with a 400 naming the same name."""
    async with client_of(emulator) as client:
        account = await read_names(client)
    sent = body(**changes)
    reason = missing_reason(sent, account)
    status, answer = await api.create(sent)
    assert status == (200 if reason is None else 400), (reason, answer)
    if reason is not None:
        refused = " ".join(platform_error(answer, 400))
        missing = next(iter(changes.values()))
        name = missing["name"] if isinstance(missing, dict) else missing
        name = name[-1] if isinstance(name, list) else name
        assert name in refused and f"'{name}'" in reason


# ---- check_references: a plan in, a plan out ----------------------------------------------


class Names:
    """The account's names at hand, counting the reads (the client's two calls)."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    async def list_contact_lists(self) -> list[Reference]:
        self.reads.append("contactLists")
        return [Reference(f"cl-{n}", name) for n, name in enumerate(LISTS)]

    async def list_queues(self) -> list[Reference]:
        self.reads.append("queues")
        return [Reference(f"qu-{n}", name) for n, name in enumerate(QUEUES)]


def change(action: Action, name: str, body: dict[str, Any] | None, **more: Any) -> Change:
    ident = more.pop("id", None)
    return Change(action, name, ident, f"campaigns/{name}.yaml", body=body, **more)


async def test_a_plan_without_creates_or_updates_is_not_checked() -> None:
    names = Names()
    plan = Plan.of(
        [change("delete", "Old", None, id="cd-1"), change("blocked", "Busy", None, reason="x")],
        unchanged=3,
    )
    assert await check_references(names, plan) is plan
    assert names.reads == []


async def test_the_plan_comes_back_with_the_missing_names_blocked_in_order() -> None:
    names = Names()
    diff = (FieldDiff("queue_name", "Sales Queue", "Sales Queu"),)
    plan = Plan.of(
        [
            change("create", "A New", body(contactLists=["Nope"])),
            change("create", "B New", body()),
            change(
                "update",
                "C Edit",
                body(queue_name="Sales Queu"),
                id="cd-3",
                diff=diff,
                updated_at="2025-01-01T00:00:00Z",
            ),
            change("update", "D Edit", campaign_body("D Edit"), id="cd-4"),
        ],
        unchanged=2,
        unmanaged=["Legacy"],
        warnings=["an earlier warning"],
        existing=7,
    )
    checked = await check_references(names, plan)
    assert names.reads == ["contactLists", "queues"]
    assert [(c.name, c.action) for c in checked.changes] == [
        ("B New", "create"),
        ("D Edit", "update"),
        ("A New", "blocked"),
        ("C Edit", "blocked"),
    ]
    created, updated = checked.changes[2], checked.changes[3]
    assert created.body is None and created.diff == () and "contactLists[0]" in str(created.reason)
    assert updated.body is None and updated.diff == diff and updated.id == "cd-3"
    assert updated.updated_at == "2025-01-01T00:00:00Z"  # still checked for freshness
    assert (checked.unchanged, checked.unmanaged, checked.existing) == (2, ("Legacy",), 7)
    assert checked.warnings == ("an earlier warning",)
    assert checked.references == {"contactLists": "checked", "queues": "checked"}


async def test_queues_are_read_only_for_a_plan_whose_writes_name_one() -> None:
    names = Names()
    plan = Plan.of([change("update", "Spring", campaign_body("Spring"), id="cd-1")])
    checked = await check_references(names, plan)
    assert names.reads == ["contactLists"]
    assert checked.references == {
        "contactLists": "checked",
        "queues": "not needed: no create or update names one",
    }
    assert checked.changes == plan.changes and checked.warnings == ()
