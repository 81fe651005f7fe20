"""The emulator's HTTP face: the platform's campaign routes, its auth, rate limit and
error shape, the fault options, and the admin routes under /_emulator/."""

from __future__ import annotations

import asyncio
import importlib.resources
import logging
import math
import random
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from aiohttp import web

from campsync.emulator.auth import JwtVerifier
from campsync.emulator.bodies import read_json
from campsync.emulator.catalog import Catalog, default_catalog
from campsync.emulator.config import EmulatorConfig, check_rate, finite
from campsync.emulator.errors import (
    DROPPED,
    Handler,
    Unanswered,
    answer,
    error_response,
    json_response,
)
from campsync.emulator.limits import SlidingWindowLimiter
from campsync.emulator.rules import (
    Refusal,
    check_campaign_body,
    check_campaign_type,
    check_create_type,
    check_same_type,
    check_update_type,
    parse_list_query,
)
from campsync.emulator.store import Store
from campsync.errors import UsageError

RATE_LIMIT_MESSAGE = (
    "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
)
ADMIN_PREFIX = "/_emulator/"
WRITE_KINDS = frozenset({"update", "create", "delete", "trigger"})
BASE = "/campaign/api/v2/public/{streamId}/campaign"
TRIGGER = "/api/v2/public/{streamId}/campaign/trigger/{campaignId}"
HTML_ERROR = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>\n"
SERVER_ERRORS = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Unavailable",
}

log = logging.getLogger("campsync.emulator")


@dataclass
class Faults:
    """Injected failures, changeable at run time through POST /_emulator/faults."""

    fail_rate: float = 0
    drop_rate: float = 0
    lost_write_rate: float = 0
    latency_ms: float = 0

    def update(self, changes: Any) -> None:
        if not isinstance(changes, Mapping):
            raise Refusal(400, "faults: expected an object")
        unknown = sorted(set(changes) - set(asdict(self)))
        if unknown:
            raise Refusal(400, f"faults: unknown setting(s): {', '.join(unknown)}")
        updated = Faults(**{**asdict(self), **changes})
        try:
            for name in ("fail_rate", "drop_rate", "lost_write_rate"):
                check_rate(name.replace("_", "-"), getattr(updated, name))
            if not finite(updated.latency_ms) or updated.latency_ms < 0:
                raise UsageError("latency_ms must be 0 or more")
        except UsageError as exc:
            raise Refusal(400, f"faults: {exc}") from None
        for key, value in asdict(updated).items():
            setattr(self, key, value)


class Emulator:
    """Everything one running emulator holds: settings, state, auth, limits, faults."""

    def __init__(self, config: EmulatorConfig, catalog: Catalog | None = None) -> None:
        config.check()
        self.config = config
        self.store = Store(
            catalog or default_catalog(),
            ready_after=config.ready_after,
            state_file=config.state_file,
            log_size=config.request_log_size,
        )
        self.store.load(config.seed_file)
        self.verifier = JwtVerifier(config.client_id, config.client_secret)
        self.limiter = SlidingWindowLimiter(config.rate_limit, config.rate_window)
        self.faults = Faults(
            config.fail_rate, config.drop_rate, config.lost_write_rate, config.latency_ms
        )
        self.random = random.Random(config.random_seed)

    def check_headers(self, request: web.Request) -> None:
        """auth, accountid and iid, as the platform checks them, and the accountId query
        parameter; Refusal(401/403/400)."""
        self.verifier.verify(request.headers.get("auth"))
        config = self.config
        account = request.headers.get("accountid")
        iid = request.headers.get("iid")
        if not account:
            raise Refusal(401, "the accountid header is required")
        if not iid:
            raise Refusal(401, "the iid header is required")
        if account != config.account_id:
            raise Refusal(403, f"no access to account {account}")
        # Every documented call carries ?accountId= in its URL (the query tables forget
        # it, the endpoints and samples never do): a client that leaves it out has a bug
        # the platform's own routing may not forgive, so it is refused here.
        query_account = request.query.get("accountId")
        if not query_account:
            raise Refusal(400, "the accountId query parameter is required")
        if query_account != config.account_id:
            raise Refusal(403, f"no access to account {query_account}")
        stream = request.match_info.get("streamId")
        if iid != stream:
            raise Refusal(403, "the iid header does not match the streamId of the URL")
        if stream != config.stream_id:
            raise Refusal(403, f"the app has no access to stream {stream}")


EMULATOR = web.AppKey("emulator", Emulator)


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection with no answer at all (the client sees a disconnect)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return Unanswered(DROPPED)


async def _json_body(request: web.Request) -> Any:
    """The request's JSON body (None when empty), read within the emulator's body timeout
    (bodies.read_json: Refusal or ClientClosed otherwise)."""
    return await read_json(request, request.app[EMULATOR].config.body_timeout)


def _success(message: str, data: Any, **extra: Any) -> web.Response:
    return json_response({"status": "success", "message": message, **extra, "data": data})


# ---- the platform's routes -----------------------------------------------------------


async def handle_get(request: web.Request) -> web.StreamResponse:
    store = request.app[EMULATOR].store
    campaign_id = request.match_info["campaignId"]
    check_same_type(campaign_id, store.campaign_type(campaign_id), _query_type(request))
    data = store.get_campaign(campaign_id)
    return _success("Campaign details fetched successfully", data)


async def handle_list(request: web.Request) -> web.StreamResponse:
    query = parse_list_query(await _json_body(request))
    query_type = _query_type(request)
    if query_type is not None and query_type != query.campaign_type:
        # Not documented for list (the body's `type` is); sent anyway, it must agree.
        raise Refusal(
            400, f"the campaignType query parameter ({query_type}) differs from the body's type"
        )
    data = request.app[EMULATOR].store.list_campaigns(query)
    return _success("Campaigns fetched successfully", data)


async def handle_create(request: web.Request) -> web.StreamResponse:
    emulator = request.app[EMULATOR]
    campaign_type = check_campaign_type(_query_type(request))
    body = await _json_body(request)
    check_create_type(campaign_type, body)
    problems = check_campaign_body(body, emulator.store.catalog)
    if problems:
        raise Refusal(400, *problems)
    record = emulator.store.create_campaign(body, campaign_type)
    return _success(
        f"Campaign {record['name']} creation in progress",
        {"id": record["_id"], "status": record["status"]},
    )


async def handle_update(request: web.Request) -> web.StreamResponse:
    emulator = request.app[EMULATOR]
    campaign_id = request.match_info["campaignId"]
    query_type = check_campaign_type(_query_type(request))
    body = await _json_body(request)
    emulator.store.check_editable(campaign_id)
    own_type = emulator.store.campaign_type(campaign_id)
    check_update_type(campaign_id, own_type, body)
    problems = check_campaign_body(body, emulator.store.catalog, creating=False)
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
    data = emulator.store.update_campaign(campaign_id, body)
    return _success(f"Campaign {data['name']} details updated successfully", data, id=campaign_id)


async def handle_delete(request: web.Request) -> web.StreamResponse:
    store = request.app[EMULATOR].store
    campaign_id = request.match_info["campaignId"]
    query_type = check_campaign_type(_query_type(request))
    check_same_type(campaign_id, store.campaign_type(campaign_id), query_type)
    data = store.delete_campaign(campaign_id)
    return _success(f"Campaign {data.get('name')} deleted successfully", data)


async def handle_trigger(request: web.Request) -> web.StreamResponse:
    store = request.app[EMULATOR].store
    campaign_id = request.match_info["campaignId"]
    query_type = check_campaign_type(_query_type(request))
    action = request.query.get("trigger")
    if action not in ("play", "stop"):
        raise Refusal(400, "trigger must be one of: play, stop")
    body = await _json_body(request)
    if body is not None and not isinstance(body, Mapping):  # the docs send {}
        raise Refusal(400, "the request body must be a JSON object")
    check_same_type(campaign_id, store.campaign_type(campaign_id), query_type)
    record = store.trigger(campaign_id, action)
    verb = "started" if action == "play" else "stopped"
    return _success(
        f"Campaign {record.get('name')} {verb} successfully",
        {"id": record["_id"], "status": record["status"]},
    )


def _query_type(request: web.Request) -> str | None:
    return request.query.get("campaignType")


KINDS: dict[Handler, str] = {
    handle_get: "get",
    handle_list: "list",
    handle_create: "create",
    handle_update: "update",
    handle_delete: "delete",
    handle_trigger: "trigger",
}


# ---- admin routes (no auth, not counted, not rate limited) ---------------------------


async def admin_stats(request: web.Request) -> web.StreamResponse:
    return json_response(request.app[EMULATOR].store.stats())


async def admin_stats_reset(request: web.Request) -> web.StreamResponse:
    request.app[EMULATOR].store.reset_stats()
    return json_response(request.app[EMULATOR].store.stats())


async def admin_campaigns(request: web.Request) -> web.StreamResponse:
    return json_response({"campaigns": request.app[EMULATOR].store.raw_campaigns()})


async def admin_seed(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    if isinstance(body, Mapping) and isinstance(body.get("campaigns"), list):
        body = body["campaigns"]
    items = body if isinstance(body, list) else [body]
    ids = request.app[EMULATOR].store.seed(items)
    return json_response({"ids": ids})


async def admin_status(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    status = body.get("status") if isinstance(body, Mapping) else None
    record = request.app[EMULATOR].store.set_status(request.match_info["campaignId"], status)
    return json_response(record)


async def admin_faults(request: web.Request) -> web.StreamResponse:
    faults = request.app[EMULATOR].faults
    if request.method == "POST":
        faults.update(await _json_body(request))
    return json_response(asdict(faults))


async def admin_catalog(request: web.Request) -> web.StreamResponse:
    return json_response(request.app[EMULATOR].store.catalog.as_json())


async def admin_requests(request: web.Request) -> web.StreamResponse:
    raw = request.query.get("limit", "")
    # ASCII digits only, and few: str.isdigit() also takes "²", which int() refuses.
    limit = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else None
    return json_response({"requests": request.app[EMULATOR].store.requests(limit)})


@cache
def openapi_text() -> str:
    """The OpenAPI description of the calls the emulator serves (shipped in the package)."""
    return (
        importlib.resources.files("campsync.emulator").joinpath("openapi.json").read_text("utf-8")
    )


async def admin_openapi(request: web.Request) -> web.StreamResponse:
    return web.Response(text=openapi_text(), content_type="application/json")


# ---- the middleware: the platform's gate in front of every API route -----------------


@web.middleware
async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer passes here: errors of any kind become JSON error answers (errors.answer)
    and, for the platform's routes, the faults, rate limit and auth come first."""
    if request.path.startswith(ADMIN_PREFIX):
        return await answer(request, handler)
    emulator = request.app[EMULATOR]
    kind = KINDS.get(request.match_info.route.handler, "other")

    async def platform(request: web.Request) -> web.StreamResponse:
        return await _api(request, handler, emulator, kind)

    response: web.StreamResponse | None = None
    try:
        response = await answer(request, platform)
        return response
    finally:
        if response is None or isinstance(response, Unanswered):
            outcome = response.outcome if response is not None else DROPPED
            emulator.store.count_request(request.method, request.path, kind, None, outcome)
        else:
            emulator.store.count_request(request.method, request.path, kind, response.status)


async def _api(
    request: web.Request, handler: Handler, emulator: Emulator, kind: str
) -> web.StreamResponse:
    faults = emulator.faults
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    wait = emulator.limiter.admit(request.headers.get("accountid", ""))
    if wait is not None:
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        return error_response(
            429, [RATE_LIMIT_MESSAGE], headers if emulator.config.retry_after_header else None
        )
    rng = emulator.random
    if faults.drop_rate and rng.random() < faults.drop_rate:
        return _drop(request)
    if faults.fail_rate and rng.random() < faults.fail_rate:
        return _server_error(rng)
    if kind != "other":
        emulator.check_headers(request)
    response = await handler(request)
    lost = faults.lost_write_rate
    if kind in WRITE_KINDS and response.status < 300 and lost and rng.random() < lost:
        return _drop(request)
    return response


def _server_error(rng: random.Random) -> web.Response:
    status = rng.choice(sorted(SERVER_ERRORS))
    if rng.random() < 0.5:
        return error_response(status, [SERVER_ERRORS[status][4:]])
    return web.Response(
        status=status, text=HTML_ERROR.format(SERVER_ERRORS[status]), content_type="text/html"
    )


def create_app(config: EmulatorConfig, catalog: Catalog | None = None) -> web.Application:
    """The emulator as an aiohttp application. Raises CampsyncError for bad settings or
    an unreadable state/seed file."""
    app = web.Application(middlewares=[gate])
    app[EMULATOR] = Emulator(config, catalog)
    router = app.router
    # No HEAD: the platform documents none, and a HEAD answer could not carry an error body.
    router.add_get(BASE + "/{campaignId}", handle_get, allow_head=False)
    router.add_put(BASE + "/{campaignId}", handle_update)
    router.add_delete(BASE + "/{campaignId}", handle_delete)
    router.add_post(BASE + "/getAllCampaignDetails", handle_list)
    router.add_post(BASE, handle_create)
    router.add_post(TRIGGER, handle_trigger)
    admin = ADMIN_PREFIX
    router.add_get(admin + "openapi.json", admin_openapi)
    router.add_get(admin + "stats", admin_stats)
    router.add_post(admin + "stats/reset", admin_stats_reset)
    router.add_get(admin + "campaigns", admin_campaigns)
    router.add_post(admin + "campaigns", admin_seed)
    router.add_post(admin + "campaigns/{campaignId}/status", admin_status)
    router.add_get(admin + "faults", admin_faults)
    router.add_post(admin + "faults", admin_faults)
    router.add_get(admin + "catalog", admin_catalog)
    router.add_get(admin + "requests", admin_requests)
    return app
