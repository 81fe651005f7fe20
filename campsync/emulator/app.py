"""The emulator's HTTP face: the gate every platform call passes (faults, the per-account
rate limit, auth, the platform's error shape, the counters), and the application that
serves the platform's calls (calls.py) and the admin routes (admin.py)."""

from __future__ import annotations

import asyncio
import math
import random

from aiohttp import web

from campsync.emulator.admin import ADMIN_PREFIX
from campsync.emulator.admin import add_routes as add_admin_routes
from campsync.emulator.calls import KINDS, NO_ACCOUNT_IN_QUERY
from campsync.emulator.calls import add_routes as add_platform_routes
from campsync.emulator.catalog import Catalog
from campsync.emulator.config import EmulatorConfig
from campsync.emulator.context import EMULATOR, Emulator
from campsync.emulator.errors import (
    DROPPED,
    Handler,
    Unanswered,
    answer,
    error_response,
)

__all__ = ["ADMIN_PREFIX", "EMULATOR", "KINDS", "RATE_LIMIT_MESSAGE", "create_app"]

RATE_LIMIT_MESSAGE = (
    "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
)
WRITE_KINDS = frozenset({"update", "create", "delete", "trigger"})
HTML_ERROR = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>\n"
SERVER_ERRORS = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Unavailable",
}


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection with no answer at all (the client sees a disconnect)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return Unanswered(DROPPED)


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
    emulator.store.begin_request()
    try:
        response = await answer(request, platform)
        return response
    finally:
        _count(emulator, request, kind, response)


def _count(
    emulator: Emulator, request: web.Request, kind: str, response: web.StreamResponse | None
) -> None:
    """One request in the counters and the log, with what a test needs to tell the writes
    apart and order them: the campaign id and the query (trigger=play or stop, view, ...)."""
    unanswered = response is None or isinstance(response, Unanswered)
    emulator.store.count_request(
        request.method,
        request.path,
        kind,
        None if unanswered or response is None else response.status,
        outcome=response.outcome if isinstance(response, Unanswered) else DROPPED,
        campaign_id=request.match_info.get("campaignId"),
        query={key: request.query[key] for key in request.query},
    )


async def _api(
    request: web.Request, handler: Handler, emulator: Emulator, kind: str
) -> web.StreamResponse:
    faults = emulator.faults
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    # One budget per account for every call (the docs: one row covers every Contact
    # Center API group), whichever path it takes.
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
        emulator.check_headers(request, account_in_query=kind not in NO_ACCOUNT_IN_QUERY)
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
    add_platform_routes(app.router)
    add_admin_routes(app.router)
    return app
