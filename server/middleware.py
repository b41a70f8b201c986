"""The middleware: request id, access log and metrics around every request; errors as contract JSON."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web

from server.errors import DomainError, InternalError, ServiceUnavailable
from server.keys import CONFIG, PUBLIC_BASE
from server.logs import ACCESS
from server.metrics import observe_request
from server.redis_errors import REDIS_DOWN
from server.urls import current_base, reset_base, use_base

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Request ids: a random prefix per process and a counter. Unique across processes, and cheaper than a
# uuid4 per request (an os.urandom call each).
_ID_PREFIX = uuid.uuid4().hex[:12]
_ids = itertools.count(1)
# Failures of PostgreSQL or Redis themselves: the client may retry, so 503 rather than 500.
UNAVAILABLE = (
    OSError,  # connection refused or reset
    asyncio.TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    *REDIS_DOWN,
)


def unavailable(exc: BaseException) -> bool:
    """Whether a failure comes from PostgreSQL or Redis being unreachable: the error itself, or one it was
    raised while handling (a connection lost mid-transaction fails again when the transaction ends)."""
    seen: BaseException | None = exc
    for _ in range(5):  # the chain is short; a bound keeps a cycle from looping
        if seen is None:
            return False
        if isinstance(seen, UNAVAILABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def client_address(request: web.Request) -> str:
    """The client's address: the peer's, or, when the peer is one of `server.trusted_proxies`, the nearest
    address in X-Forwarded-For that is not a trusted proxy (a client cannot pick its address by sending the
    header itself: only what trusted proxies appended is believed)."""
    peer = request.remote or "-"
    proxies = request.app[CONFIG].server.trusted_proxies
    if not proxies or not _trusted(peer, proxies):
        return peer
    forwarded = [a.strip() for h in request.headers.getall("X-Forwarded-For", []) for a in h.split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _trusted(address, proxies):
            return address
    return forwarded[0] if forwarded else peer


def _trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(p, strict=False) for p in proxies)


def new_request_id() -> str:
    """An id unique across processes, for a request or for one frame of a WebSocket."""
    return f"{_ID_PREFIX}{next(_ids):x}"


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id, answer every failure with the contract's error body (never a stack
    trace), then log and measure it whatever the outcome. One middleware, not two: each adds a frame and
    a wrapper that a WebSocket keeps for its whole life."""
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else new_request_id()
    # request.host would look the machine's name up when no Host header came; the header alone is enough.
    base = request.app[PUBLIC_BASE].of(request.scheme, request.headers.get("Host"))
    # Set only when it differs from the inherited one: a context change is kept by a socket for its life.
    token = use_base(base) if base != current_base() else None
    started = time.perf_counter()
    status = 499  # nginx's "client closed request": what is left if the handler is cancelled
    try:
        try:
            response = await handler(request)
        except Exception as exc:
            response = failure_response(request, exc, request_id)
        status = response.status
        if not response.prepared:
            response.headers["X-Request-ID"] = request_id
            # Browsers must not guess a type: a JSON body or an upload is never run as a page.
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
    finally:
        if token is not None:
            reset_base(token)
        elapsed = time.perf_counter() - started
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        observe_request(request.method, route, status, elapsed)
        if not ACCESS.disabled and ACCESS.isEnabledFor(logging.INFO):
            ACCESS.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                status,
                elapsed * 1000,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "remote": request.remote,
                },
            )


def failure_response(request: web.Request, exc: Exception, request_id: str) -> web.StreamResponse:
    """The contract's error response for a handler's failure; redirects and other non-errors go on."""
    if isinstance(exc, DomainError):
        return error_response(exc)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        return error_response(_from_http(request, exc))
    if unavailable(exc):
        log.error("backing service unavailable on %s %s: %r", request.method, request.path, exc)
        return error_response(ServiceUnavailable("A backing service is unavailable; try again shortly."))
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(InternalError(f"Something went wrong on our side (request id {request_id})."))


def error_response(exc: DomainError) -> web.Response:
    """The JSON response for a domain error, with its status and headers."""
    return web.Response(
        status=exc.status,
        body=json.dumps(exc.body()),
        content_type="application/json",
        headers=exc.headers,
    )


def _from_http(request: web.Request, exc: web.HTTPException) -> DomainError:
    """Map aiohttp's own refusals (no route, wrong method, body too large) onto domain errors."""
    if isinstance(exc, web.HTTPNotFound):
        return _error(404, "not_found", f"Nothing at {request.path}.")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        err = _error(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}; use {allowed}.")
        err.headers["Allow"] = allowed
        return err
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        limit = request.app[CONFIG].server.max_body_bytes
        return _error(413, "payload_too_large", f"The request body is larger than the limit of {limit} bytes.")
    code = re.sub(r"[^a-z0-9]+", "_", exc.reason.lower()).strip("_") or "error"
    return _error(exc.status, code, exc.text if exc.text and not exc.text.startswith(str(exc.status)) else exc.reason)


def _error(status: int, code: str, message: str) -> DomainError:
    err = DomainError(message, code=code)
    err.status = status  # type: ignore[misc]  # one-off status for aiohttp's own refusals
    return err
