"""The admin routes under /_emulator/ (no auth, not counted, not rate limited): what a
test or a user's pipeline test needs to set the platform up and to look at it.

- GET stats, POST stats/reset, GET requests[?limit=N]: the counters and the request log;
- GET campaigns (raw), POST campaigns: seed campaigns (and lists and queues: seeding.py),
  bypassing the create rules (names must resolve), for odd platform states on purpose;
- POST campaigns/{id}/status `{"status": ...}`: any documented status;
- POST contactLists, POST queues: add lists and queues (a list of names or objects, or
  `{"contactLists": [...]}` / `{"queues": [...]}`); GET catalog: every name and its id;
- GET/POST faults: the fault options (and queues_forbidden);
- GET openapi.json: the description of the platform's calls.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import asdict
from functools import cache
from typing import Any

from aiohttp import web

from campsync.emulator.context import emulator_of, json_body
from campsync.emulator.errors import json_response
from campsync.emulator.rules import Refusal
from campsync.emulator.seeding import SeedError, seed_document

ADMIN_PREFIX = "/_emulator/"


async def admin_stats(request: web.Request) -> web.StreamResponse:
    return json_response(emulator_of(request).store.stats())


async def admin_stats_reset(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    store.reset_stats()
    return json_response(store.stats())


async def admin_campaigns(request: web.Request) -> web.StreamResponse:
    return json_response({"campaigns": emulator_of(request).store.raw_campaigns()})


async def admin_seed(request: web.Request) -> web.StreamResponse:
    """A campaign, a list of them, or `{"campaigns", "contactLists", "queues"}`; answers
    the new ids (`ids` of the campaigns, and of the lists and queues)."""
    try:
        seed = seed_document(await json_body(request), single_campaign=True)
    except SeedError as exc:
        raise Refusal(400, str(exc)) from None
    return json_response(emulator_of(request).store.seed_all(seed))


async def admin_status(request: web.Request) -> web.StreamResponse:
    body = await json_body(request)
    status = body.get("status") if isinstance(body, Mapping) else None
    record = emulator_of(request).store.set_status(request.match_info["campaignId"], status)
    return json_response(record)


def _items(body: Any, key: str) -> list[Any]:
    """A list, or an object holding one under `key`; Refusal(400) otherwise."""
    if isinstance(body, Mapping) and set(body) == {key}:
        body = body[key]
    if not isinstance(body, list):
        raise Refusal(400, f"expected a list of {key}, or {{{key!r}: [...]}}")
    return body


async def admin_contact_lists(request: web.Request) -> web.StreamResponse:
    items = _items(await json_body(request), "contactLists")
    return json_response(emulator_of(request).store.add_references(lists=items))


async def admin_queues(request: web.Request) -> web.StreamResponse:
    items = _items(await json_body(request), "queues")
    return json_response(emulator_of(request).store.add_references(queues=items))


async def admin_faults(request: web.Request) -> web.StreamResponse:
    faults = emulator_of(request).faults
    if request.method == "POST":
        faults.update(await json_body(request))
    return json_response(asdict(faults))


async def admin_catalog(request: web.Request) -> web.StreamResponse:
    return json_response(emulator_of(request).store.catalog.as_json())


async def admin_requests(request: web.Request) -> web.StreamResponse:
    raw = request.query.get("limit", "")
    # ASCII digits only, and few: str.isdigit() also takes "²", which int() refuses.
    limit = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else None
    return json_response({"requests": emulator_of(request).store.requests(limit)})


@cache
def openapi_text() -> str:
    """The OpenAPI description of the calls the emulator serves (shipped in the package)."""
    return (
        importlib.resources.files("campsync.emulator").joinpath("openapi.json").read_text("utf-8")
    )


async def admin_openapi(request: web.Request) -> web.StreamResponse:
    return web.Response(text=openapi_text(), content_type="application/json")


def add_routes(router: web.UrlDispatcher) -> None:
    admin = ADMIN_PREFIX
    router.add_get(admin + "openapi.json", admin_openapi)
    router.add_get(admin + "stats", admin_stats)
    router.add_post(admin + "stats/reset", admin_stats_reset)
    router.add_get(admin + "campaigns", admin_campaigns)
    router.add_post(admin + "campaigns", admin_seed)
    router.add_post(admin + "campaigns/{campaignId}/status", admin_status)
    router.add_post(admin + "contactLists", admin_contact_lists)
    router.add_post(admin + "queues", admin_queues)
    router.add_get(admin + "faults", admin_faults)
    router.add_post(admin + "faults", admin_faults)
    router.add_get(admin + "catalog", admin_catalog)
    router.add_get(admin + "requests", admin_requests)
