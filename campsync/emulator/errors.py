"""Every error the emulator answers, in the platform's one error shape.

`{"errors": [{"msg": ..., "code": <status>}]}` is the only error body the docs show
(the JWT replay error), so it is what every refusal looks like: the platform's own
rules (rules.Refusal), aiohttp's routing and size errors (404, 405 with `Allow`, 413),
and the emulator's own bugs. The deliberate fault injection (app.Faults) is the one
exception: it imitates a failing platform, HTML pages included, on purpose. A client that
closes the connection mid-request gets no answer at all (Unanswered), and is counted apart,
not as an error of the emulator.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from campsync.emulator import safejson
from campsync.emulator.rules import Refusal

log = logging.getLogger("campsync.emulator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# An unexpected exception is a bug of the emulator, not of the client: it answers 500
# (a 4xx would blame a correct request, and would hide the bug from the test suite's
# fuzzing, which fails on any 5xx). Every input known to have caused one is refused
# with a 4xx before it gets that far; the traceback goes to the emulator's log.
INTERNAL_ERROR = "internal error of the campsync emulator (a bug: its log has the details)"
PASSED_HEADERS = ("Allow",)  # the headers of aiohttp's HTTP errors that mean something
DROPPED = "dropped"  # the emulator closed the connection unanswered (a fault option)
CLIENT_CLOSED = "client-closed"  # the client closed it before its request was complete


class ClientClosed(Exception):
    """The client closed the connection before its request arrived in full: the client's
    doing, not the emulator's, and there is no one left to answer."""


class Unanswered(web.Response):
    """Marks a request that got no answer (the connection is closed); it is never sent.
    `outcome` says why, for the counters: DROPPED or CLIENT_CLOSED."""

    def __init__(self, outcome: str) -> None:
        super().__init__(status=500)
        self.outcome = outcome


def json_response(
    data: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """An answer as strict JSON (never NaN or Infinity)."""
    return web.json_response(data, status=status, headers=headers, dumps=safejson.dumps)


def error_response(
    status: int, messages: list[str], headers: Mapping[str, str] | None = None
) -> web.Response:
    body = {"errors": [{"msg": message, "code": status} for message in messages]}
    return json_response(body, status=status, headers=headers)


def http_error_response(exc: web.HTTPException) -> web.Response:
    """aiohttp's 404/405/413/... in the platform's shape, keeping `Allow` on a 405."""
    text = exc.text or ""
    # aiohttp's default text is "404: Not Found"; a specific one (413's) says more.
    message = exc.reason if text.startswith(f"{exc.status}:") or not text else text
    headers = {key: exc.headers[key] for key in PASSED_HEADERS if key in exc.headers}
    return error_response(exc.status, [message], headers)


async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """What `handler` answers, with any exception turned into a JSON error answer."""
    try:
        return await handler(request)
    except Refusal as exc:
        response = error_response(exc.status, exc.messages, exc.headers)
        if exc.close:
            response.force_close()
        return response
    except ClientClosed:
        return Unanswered(CLIENT_CLOSED)
    except web.HTTPException as exc:
        return http_error_response(exc)
    except Exception:
        log.exception("emulator bug while answering %s %s", request.method, request.path)
        return error_response(500, [INTERNAL_ERROR])
