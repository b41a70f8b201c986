"""The contract's error body for requests aiohttp refuses itself, before any middleware (a request line or a
header over 8,190 bytes, a malformed header): aiohttp answers those in plain text naming its version."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web, web_protocol

SERVER_HEADER = "livestream-commerce"  # every response's Server header: no software versions
_UNREADABLE = ("bad_request", "The request could not be read: its request line or a header is malformed or longer "
                             "than 8,190 bytes.")
_INTERNAL = ("internal", "Something went wrong on our side.")
_aiohttp_handle_error = web_protocol.RequestHandler.handle_error


def _handle_error(self: web_protocol.RequestHandler, request: Any, status: int = 500,
                  exc: BaseException | None = None, message: str | None = None) -> web.StreamResponse:
    response = _aiohttp_handle_error(self, request, status, exc, message)
    code, text = _UNREADABLE if status < 500 else _INTERNAL
    refusal = web.Response(status=status, content_type="application/json",
                           body=json.dumps({"error": {"code": code, "message": text}}).encode(),
                           headers={"Server": SERVER_HEADER})
    refusal.force_close()  # as aiohttp's: the connection's input cannot be trusted any more
    return refusal if isinstance(response, web.Response) else response


def refuse_unreadable_requests_as_json() -> None:
    """Make aiohttp's own refusals speak the contract (idempotent). There is no supported hook for them
    (aio-libs/aiohttp#3287, open since 2018): this wraps RequestHandler.handle_error, aiohttp's one place that
    writes them, keeping its logging and its connection handling (docs/decisions.md)."""
    if web_protocol.RequestHandler.handle_error is not _handle_error:
        web_protocol.RequestHandler.handle_error = _handle_error  # type: ignore[method-assign]
