"""Absolute links in answers: a path of this server ("/media/...") gains the public base when written as JSON."""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar, Token
from typing import Annotated

from pydantic import PlainSerializer

# The base of the links written in this context: set per request by the middleware and per background loop.
# Empty (nothing set) leaves links relative, which a browser still resolves.
_base: ContextVar[str] = ContextVar("public_base", default="")
# A Host header: a name or IPv4 address, or an IPv6 address in brackets, then an optional port.
_HOST = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::\d{1,5})?$")
_REMEMBERED = 256  # distinct (scheme, Host) pairs whose decision is kept; more are decided each time


def _absolute(url: str) -> str:
    return _base.get() + url if url.startswith("/") else url


def _socket(url: str) -> str:
    absolute = _absolute(url)
    return "ws" + absolute[4:] if absolute.startswith("http") else absolute  # http→ws, https→wss


PublicUrl = Annotated[str, PlainSerializer(_absolute, return_type=str, when_used="json")]
"""A link that stays a path of this server in Python (stored, compared, copied into events) and is written
absolute in JSON, with the base of the context that writes it."""
SocketUrl = Annotated[str, PlainSerializer(_socket, return_type=str, when_used="json")]
"""A WebSocket path of this server, written in JSON as a ws:// (or wss://) URL on the same base."""


def use_base(base: str) -> Token[str]:
    """Write links with `base` in this context (a task and what it awaits) until reset with the token."""
    return _base.set(base)


def current_base() -> str:
    return _base.get()


def reset_base(token: Token[str]) -> None:
    _base.reset(token)


class PublicBase:
    """Decides the base of links: the configured public URL; without one, the scheme and Host of the request
    when that host is allowed, else the server's own address. A forged Host must not name the links that
    reach other users (events, notifications), so an unknown one is never trusted."""

    def __init__(self, public_url: str, allowed_hosts: Iterable[str], host: str, port: int) -> None:
        self.fixed = public_url.rstrip("/")
        own = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else (
            f"[{host}]" if ":" in host else host)
        self.shared = self.fixed or f"http://{own}:{port}"  # for background work and unknown hosts
        self._allowed = frozenset(h.lower().strip("[]") for h in allowed_hosts)
        self._decided: dict[tuple[str, str], str] = {}

    def of(self, scheme: str, host: str | None) -> str:
        """The base for an answer to a request that came with this scheme and Host header."""
        if self.fixed or not host:
            return self.shared
        key = (scheme, host)
        base = self._decided.get(key)
        if base is None:
            base = f"{scheme}://{host}" if self._allows(host) else self.shared
            if len(self._decided) < _REMEMBERED:
                self._decided[key] = base
        return base

    def _allows(self, host: str) -> bool:
        match = _HOST.match(host)
        if match is None:
            return False
        return (match["v6"] or match["name"]).lower().rstrip(".") in self._allowed
