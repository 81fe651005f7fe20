"""What one running emulator holds (settings, state, auth, rate limit, faults), and the
small helpers every route shares. Two emulators in one process share nothing: each app
has its own Emulator (tests run two side by side as two accounts)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from campsync.emulator.auth import JwtVerifier
from campsync.emulator.bodies import read_json
from campsync.emulator.catalog import Catalog, default_catalog
from campsync.emulator.config import EmulatorConfig, check_rate, finite
from campsync.emulator.errors import json_response
from campsync.emulator.limits import SlidingWindowLimiter
from campsync.emulator.rules import Refusal
from campsync.emulator.store import Store
from campsync.errors import UsageError


@dataclass
class Faults:
    """Injected failures, changeable at run time through POST /_emulator/faults.
    `queues_forbidden` imitates an app without the "Configuration" scope: the queues call
    answers 403 (the docs: "Refused for scope: 401 or 403")."""

    fail_rate: float = 0
    drop_rate: float = 0
    lost_write_rate: float = 0
    latency_ms: float = 0
    queues_forbidden: bool = False

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
            if not isinstance(updated.queues_forbidden, bool):
                raise UsageError("queues_forbidden must be true or false")
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
            config.fail_rate,
            config.drop_rate,
            config.lost_write_rate,
            config.latency_ms,
            config.queues_forbidden,
        )
        self.random = random.Random(config.random_seed)

    def check_headers(self, request: web.Request, *, account_in_query: bool = True) -> None:
        """auth, accountid and iid, as the platform checks them, and the accountId query
        parameter (`account_in_query`: the call's documented URL carries it); Refusal
        (401/403/400)."""
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
        # Every documented campaign call carries ?accountId= in its URL (the query tables
        # forget it, the endpoints and samples never do): a client that leaves it out has
        # a bug the platform's own routing may not forgive, so it is refused here. The
        # queues URL carries none: there it is only checked when sent.
        query_account = request.query.get("accountId")
        if not query_account and (account_in_query or query_account is not None):
            raise Refusal(400, "the accountId query parameter is required")
        if query_account is not None and query_account != config.account_id:
            raise Refusal(403, f"no access to account {query_account}")
        stream = request.match_info.get("streamId")
        if iid != stream:
            raise Refusal(403, "the iid header does not match the streamId of the URL")
        if stream != config.stream_id:
            raise Refusal(403, f"the app has no access to stream {stream}")


EMULATOR = web.AppKey("emulator", Emulator)


def emulator_of(request: web.Request) -> Emulator:
    return request.app[EMULATOR]


async def json_body(request: web.Request) -> Any:
    """The request's JSON body (None when empty), read within the emulator's body timeout
    (bodies.read_json: Refusal or ClientClosed otherwise)."""
    return await read_json(request, emulator_of(request).config.body_timeout)


def success(message: str, data: Any, **extra: Any) -> web.Response:
    """The campaign calls' answer: `{status: "success", message, ..., data}`."""
    return json_response({"status": "success", "message": message, **extra, "data": data})
