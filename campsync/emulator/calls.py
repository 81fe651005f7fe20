"""The platform's calls the emulator serves, one handler each: the campaign calls, start
and stop (trigger), the status call, the contact lists and the queues.

The gate (app.py) has already applied the faults, the rate limit and the auth headers
when a handler runs; a handler reads its query and body, checks them (rules, queries)
and answers from the store.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from campsync.emulator.context import emulator_of, json_body, success
from campsync.emulator.errors import Handler, json_response
from campsync.emulator.queries import (
    check_list_type,
    check_object_body,
    parse_list_query,
    parse_page,
    status_view,
)
from campsync.emulator.rules import (
    Refusal,
    check_campaign_body,
    check_campaign_type,
    check_create_type,
    check_same_type,
    check_update_type,
)

BASE = "/campaign/api/v2/public/{streamId}/campaign"
TRIGGER = "/api/v2/public/{streamId}/campaign/trigger/{campaignId}"
QUEUES = "/agentassist/api/v1/public/{streamId}/queues"
TRIGGERS = ("play", "stop")
NO_CONFIGURATION_SCOPE = (
    "Forbidden: the app's API scopes do not include Configuration, which the queues API needs"
)

log = logging.getLogger("campsync.emulator")


def _query_type(request: web.Request) -> str | None:
    return request.query.get("campaignType")


# ---- campaigns ----------------------------------------------------------------------


async def handle_get(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    campaign_id = request.match_info["campaignId"]
    check_same_type(campaign_id, store.campaign_type(campaign_id), _query_type(request))
    data = store.get_campaign(campaign_id)
    return success("Campaign details fetched successfully", data)


async def handle_list(request: web.Request) -> web.StreamResponse:
    query = parse_list_query(await json_body(request))
    query_type = _query_type(request)
    if query_type is not None and query_type != query.campaign_type:
        # Not documented for list (the body's `type` is); sent anyway, it must agree.
        raise Refusal(
            400, f"the campaignType query parameter ({query_type}) differs from the body's type"
        )
    data = emulator_of(request).store.list_campaigns(query)
    return success("Campaigns fetched successfully", data)


async def handle_create(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    campaign_type = check_campaign_type(_query_type(request))
    body = await json_body(request)
    check_create_type(campaign_type, body)
    problems = check_campaign_body(body, store.catalog)
    if problems:
        raise Refusal(400, *problems)
    record = store.create_campaign(body, campaign_type)
    return success(
        f"Campaign {record['name']} creation in progress",
        {"id": record["_id"], "status": record["status"]},
    )


async def handle_update(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    campaign_id = request.match_info["campaignId"]
    query_type = check_campaign_type(_query_type(request))
    body = await json_body(request)
    store.check_editable(campaign_id)
    own_type = store.campaign_type(campaign_id)
    check_update_type(campaign_id, own_type, body)
    problems = check_campaign_body(body, store.catalog, creating=False)
    if problems:
        raise Refusal(400, *problems)
    if query_type != own_type:
        log.warning(
            "update of %s campaign %s with campaignType=%s in the query: accepted, as the "
            "reference page's sample does it; send the campaign's own type",
            own_type,
            campaign_id,
            query_type,
        )
    data = store.update_campaign(campaign_id, body)
    return success(f"Campaign {data['name']} details updated successfully", data, id=campaign_id)


async def handle_delete(request: web.Request) -> web.StreamResponse:
    store = emulator_of(request).store
    campaign_id = request.match_info["campaignId"]
    query_type = check_campaign_type(_query_type(request))
    check_same_type(campaign_id, store.campaign_type(campaign_id), query_type)
    data = store.delete_campaign(campaign_id)
    return success(f"Campaign {data.get('name')} deleted successfully", data)


# ---- run state ----------------------------------------------------------------------


async def handle_trigger(request: web.Request) -> web.StreamResponse:
    """Start or stop: the answer is the docs' own shape (no `data`): `{status: "Active",
    message, totalCallsCompleted, updatedAt, campaignInstanceId}` for play, `{status:
    "Stopped", message, updatedAt, campaignInstanceId}` for stop."""
    store = emulator_of(request).store
    campaign_id = request.match_info["campaignId"]
    query_type = check_campaign_type(_query_type(request))
    action = request.query.get("trigger")
    if action not in TRIGGERS:
        raise Refusal(400, f"trigger must be one of: {', '.join(TRIGGERS)}")
    check_object_body(await json_body(request))
    check_same_type(campaign_id, store.campaign_type(campaign_id), query_type)
    return json_response(store.trigger(campaign_id, action))


async def handle_status(request: web.Request) -> web.StreamResponse:
    """The status call: `{status: "success", data: {id, status, name}}` (view=status)."""
    store = emulator_of(request).store
    campaign_id = request.match_info["campaignId"]
    status_view(request.query.get("view"))
    check_object_body(await json_body(request))
    check_same_type(campaign_id, store.campaign_type(campaign_id), _query_type(request))
    return json_response({"status": "success", "data": store.campaign_status(campaign_id)})


# ---- references ---------------------------------------------------------------------


async def handle_contact_lists(request: web.Request) -> web.StreamResponse:
    """getAllListDetails: every contact list at once (no pagination, as documented). Its
    body is not documented: none, or a JSON object (whose fields are ignored)."""
    check_list_type(request.query.get("type"))
    body = await json_body(request)
    if body is not None and not isinstance(body, Mapping):
        raise Refusal(400, "the request body must be a JSON object")
    data = emulator_of(request).store.contact_list_details()
    return success("Contact lists fetched successfully", data)


async def handle_queues(request: web.Request) -> web.StreamResponse:
    """The queues of the account, paged by page and limit: `{results, page, limit,
    hasMore, totalPages, totalResults}` as the docs show it (no status/data wrapper)."""
    emulator = emulator_of(request)
    if emulator.faults.queues_forbidden:
        raise Refusal(403, NO_CONFIGURATION_SCOPE)
    page = parse_page(request.query)
    return json_response(emulator.store.list_queues(page))


# The kind of each call, for the counters and the request log (GET /_emulator/stats).
KINDS: dict[Handler, str] = {
    handle_get: "get",
    handle_list: "list",
    handle_create: "create",
    handle_update: "update",
    handle_delete: "delete",
    handle_trigger: "trigger",
    handle_status: "status",
    handle_contact_lists: "contactLists",
    handle_queues: "queues",
}
# The calls whose documented URL carries no accountId query parameter.
NO_ACCOUNT_IN_QUERY = frozenset({"queues"})


def add_routes(router: web.UrlDispatcher) -> None:
    # No HEAD: the platform documents none, and a HEAD answer could not carry an error body.
    router.add_get(BASE + "/{campaignId}", handle_get, allow_head=False)
    router.add_put(BASE + "/{campaignId}", handle_update)
    router.add_delete(BASE + "/{campaignId}", handle_delete)
    router.add_post(BASE + "/getAllCampaignDetails", handle_list)
    router.add_post(BASE + "/contactList/getAllListDetails", handle_contact_lists)
    router.add_post(BASE + "/{campaignId}/status", handle_status)
    router.add_post(BASE, handle_create)
    router.add_post(TRIGGER, handle_trigger)
    router.add_get(QUEUES, handle_queues, allow_head=False)
