"""The admin routes under /_emulator/ (no auth, not counted, not rate limited): what a
test or a user's pipeline test needs to set the platform up and to look at it.

- GET stats, POST stats/reset, GET requests[?limit=N]: the counters and the request log;
- GET campaigns (raw), POST campaigns: seed campaigns (and lists and queues: seeding.py),
  bypassing the create rules (names must resolve), for odd platform states on purpose;
- POST campaigns/{id} `{field: value, ...}`: an edit as someone in the web UI makes it;
- POST campaigns/{id}/status `{"status": ...}`: any documented status;
- POST contactLists, POST queues: add lists and queues (a list of names or objects, or
  `{"contactLists": [...]}` / `{"queues": [...]}`); GET catalog: every name and its id;
- GET/POST faults: the fault options (and queues_forbidden);
- GET openapi.json: the description of the platform's calls.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Mapping
from dataclasses import asdict
from functools import cache

from aiohttp import web

from campsync.emulator.context import emulator_of, json_body
from campsync.emulator.errors import Handler, json_response
from campsync.emulator.rules import Refusal
from campsync.emulator.seeding import Seed, SeedError, seed_document

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


@cache
def editable() -> tuple[str, ...]:
    """The fields an edit may set: the request body's (openapi.json's CampaignRequest), but
    the type, which a campaign keeps."""
    fields = json.loads(openapi_text())["components"]["schemas"]["CampaignRequest"]["properties"]
    return tuple(name for name in fields if name != "campaignType")


async def admin_edit(request: web.Request) -> web.StreamResponse:
    """An edit as someone in the web UI makes it: `{field: value, ...}` (store.edit_campaign)."""
    fields = await json_body(request)
    if not isinstance(fields, Mapping) or not fields:
        raise Refusal(400, "an edit is an object of the campaign fields to set")
    allowed = editable()
    others = sorted(str(key) for key in fields if key not in allowed)
    if others:
        raise Refusal(400, f"not editable: {', '.join(others)} (editable: {', '.join(allowed)})")
    store = emulator_of(request).store
    return json_response(store.edit_campaign(request.match_info["campaignId"], fields))


async def admin_contact_lists(request: web.Request) -> web.StreamResponse:
    return await _add_references(request, "contactLists")


async def admin_queues(request: web.Request) -> web.StreamResponse:
    return await _add_references(request, "queues")


async def _add_references(request: web.Request, key: str) -> web.StreamResponse:
    """Add contact lists or queues (`key`): a list of them, or `{key: [...]}`."""
    body = await json_body(request)
    if isinstance(body, Mapping) and set(body) == {key}:
        body = body[key]
    if not isinstance(body, list):
        raise Refusal(400, f"expected a list of {key}, or {{{key!r}: [...]}}")
    seed = Seed(contact_lists=body) if key == "contactLists" else Seed(queues=body)
    return json_response(emulator_of(request).store.seed_all(seed))


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


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "openapi.json", admin_openapi),
    ("GET", "stats", admin_stats),
    ("POST", "stats/reset", admin_stats_reset),
    ("GET", "requests", admin_requests),
    ("GET", "campaigns", admin_campaigns),
    ("POST", "campaigns", admin_seed),
    ("POST", "campaigns/{campaignId}", admin_edit),
    ("POST", "campaigns/{campaignId}/status", admin_status),
    ("POST", "contactLists", admin_contact_lists),
    ("POST", "queues", admin_queues),
    ("GET", "catalog", admin_catalog),
    ("GET", "faults", admin_faults),
    ("POST", "faults", admin_faults),
)


def add_routes(router: web.UrlDispatcher) -> None:
    for method, path, handler in ROUTES:
        router.add_route(method, ADMIN_PREFIX + path, handler)
