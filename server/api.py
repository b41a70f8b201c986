"""Declared API endpoints: parse, authorize and serialize around a handler, and describe it for OpenAPI."""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import to_json

from server.db import from_replica
from server.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, UnsupportedMediaType
from server.keys import CONFIG, READ_DB, REDIS, REVOCATIONS, SESSIONS, TOKENS
from server.redis_errors import REDIS_DOWN
from server.sessions import COOKIE, CSRF_HEADER
from server.tokens import Principal

log = logging.getLogger(__name__)

Access = Literal["public", "optional", "user"]
Handler = Callable[..., Awaitable[Any]]
T = TypeVar("T")
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Endpoint:
    """One operation: its paths, its request and response shapes, and who may call it."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[Any] | None
    status: int
    auth: Access
    roles: frozenset[str] | None
    aliases: tuple[str, ...]
    upload: str | None = None
    # The codes of the 409s it may answer (listed in OpenAPI), and whether it may answer 429.
    conflicts: tuple[str, ...] = ()
    limited: bool = False
    also: tuple[int, ...] = ()  # statuses the general rules of the spec do not infer (a public sign-in's 401)
    replica: bool = False  # a read that may come from database.read_url (see server.db.reading)

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path, *self.aliases)


class ApiRouter:
    """A domain's endpoints; the app factory registers them and the OpenAPI spec reads them."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[Any] | None = None,
        status: int = 200,
        auth: Access = "user",
        roles: Iterable[str] | None = None,
        aliases: Iterable[str] = (),
        upload: str | None = None,
        conflicts: Iterable[str] = (),
        limited: bool = False,
        also: Iterable[int] = (),
        replica: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Declare an endpoint; the handler gets `request` and, as declared, `body`, `query`, `me`.

        `upload` names a multipart file field that the handler reads itself; `conflicts` the codes of its 409s
        and `limited` a rate limit (429): these are for the spec only. `replica`: its service's reads that ask
        `server.db.reading` may go to the read replica, unless the caller wrote something moments ago.
        """

        def decorate(handler: Handler) -> Handler:
            endpoint = Endpoint(
                method=method.upper(),
                path=path,
                handler=handler,
                summary=summary,
                tag=self.tag,
                body=body,
                query=query,
                response=response,
                status=status,
                auth=auth,
                roles=frozenset(roles) if roles else None,
                aliases=tuple(aliases),
                upload=upload,
                conflicts=tuple(conflicts),
                limited=limited,
                also=tuple(also),
                replica=replica,
            )
            self.endpoints.append(endpoint)
            return handler

        return decorate

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kw)

    def register(self, router: web.UrlDispatcher) -> None:
        """Add every endpoint (and its aliases) to the aiohttp router."""
        for endpoint in self.endpoints:
            wrapped = _wrap(endpoint)
            for path in endpoint.paths:
                router.add_route(endpoint.method, path, wrapped)
                if endpoint.method == "GET":  # HEAD as HTTP means it: the GET's headers, no body (aiohttp drops it)
                    router.add_route("HEAD", path, wrapped)


def _wrap(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(endpoint.handler)
    async def handle(request: web.Request) -> web.StreamResponse:
        kwargs: dict[str, Any] = {}
        me: Principal | None = None
        if endpoint.auth != "public":
            me = await authenticate(request)
            if me is None and endpoint.auth == "user":
                raise NotAuthenticated()
            if me is not None and endpoint.roles and me.role not in endpoint.roles:
                raise PermissionDenied(f"This needs the {' or '.join(sorted(endpoint.roles))} role.")
            kwargs["me"] = me
        if endpoint.query is not None:
            kwargs["query"] = parse_query(request, endpoint.query)
        if endpoint.body is not None:
            kwargs["body"] = await parse_body(request, endpoint.body)
        replica = request.app.get(READ_DB) if endpoint.replica else None
        if replica is not None and me is not None and await wrote_lately(request.app, me.user_id):
            replica = None  # read your own writes: the replica may not have them yet
        if replica is None:  # most requests: no context to set (1.1 µs per request)
            result = await endpoint.handler(request, **kwargs)
        else:
            with from_replica(replica):
                result = await endpoint.handler(request, **kwargs)
        if me is not None and endpoint.method != "GET" and READ_DB in request.app:
            await note_write(request.app, me.user_id)
        return to_response(result, endpoint.status)

    return handle


def _wrote_key(user_id: int) -> str:
    return f"wrote:{{{user_id}}}"


async def note_write(app: web.Application, user_id: int) -> None:
    """Remember for database.read_after_write_s that the user changed something: their reads go to the primary."""
    try:
        await app[REDIS].set(_wrote_key(user_id), "1", ex=max(1, round(app[CONFIG].database.read_after_write_s)))
    except REDIS_DOWN as exc:  # the write itself is done; its reader may see the replica's lag (milliseconds)
        log.warning("could not note a write for read-your-writes: %r", exc)


async def wrote_lately(app: web.Application, user_id: int) -> bool:
    """The user changed something within database.read_after_write_s (True when Redis cannot say)."""
    try:
        return bool(await app[REDIS].exists(_wrote_key(user_id)))
    except REDIS_DOWN:
        return True


async def authenticate(request: web.Request) -> Principal | None:
    """The caller from 'Authorization: Bearer <access token>', else from the console's session cookie
    (only with its CSRF token in X-CSRF-Token, so another site cannot call the API as the user);
    None without either."""
    header = request.headers.get("Authorization")
    if header is None:
        if COOKIE not in request.cookies:
            return None
        session = await request.app[SESSIONS].load(request)
        if session is None:
            return None
        if not session.csrf_ok(request.headers.get(CSRF_HEADER)):
            raise PermissionDenied(f"A request signed in by cookie needs the {CSRF_HEADER} header of its page.",
                                   code="csrf_failed")
        return session.principal
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("The Authorization header must be 'Bearer <access token>'.", code="invalid_token")
    me = request.app[TOKENS].read_access(token.strip())
    await request.app[REVOCATIONS].check(me)
    return me


async def parse_body(request: web.Request, model: type[BaseModel]) -> Any:
    """Read the JSON object body into the model; 400 with per-field messages when it does not fit."""
    raw = await request.read()
    # JSON, or a body sent without a Content-Type (aiohttp reads that as application/octet-stream).
    declared = "Content-Type" in request.headers
    json_type = request.content_type == "application/json" or request.content_type.endswith("+json")
    if raw.strip() and declared and not json_type:
        raise UnsupportedMediaType("This endpoint takes a JSON body (Content-Type: application/json).")
    if not raw.strip():
        data: Any = {}
    else:
        try:
            # Decimals stay exact: money never passes through a float.
            data = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"The request body is not valid JSON: {exc}.", code="invalid_json") from None
        except RecursionError:
            raise InvalidInput(f"The request body is nested deeper than {MAX_DEPTH} levels.",
                               code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.", code="invalid_json")
    return validate(model, data)


def parse_query(request: web.Request, model: type[BaseModel]) -> Any:
    """The query string (last value of each key) validated by the model."""
    return validate(model, {key: request.query.getall(key)[-1] for key in request.query})


MAX_DEPTH = 32  # objects and lists nested deeper than this are refused before any model sees them


def validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """model.model_validate with its errors turned into the contract's InvalidInput; text PostgreSQL cannot store
    (NUL, a lone surrogate) and nesting deeper than MAX_DEPTH are refused first."""
    fields: dict[str, list[str]] = dict(text_problems(data))
    if not fields:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                name = ".".join(str(part) for part in err["loc"]) or "body"
                fields.setdefault(name, []).append(_message(err))
    first = next(iter(fields.items()))
    raise InvalidInput(f"Invalid input: {first[0]}: {first[1][0]}", fields=fields)


def text_problems(value: Any) -> Iterable[tuple[str, list[str]]]:
    """(path, messages) for each string PostgreSQL's text cannot hold (NUL, or a lone surrogate, which has no
    UTF-8), and for nesting deeper than MAX_DEPTH. Iterative, so depth itself cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                yield path or "body", [problem]
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                yield path or "body", [f"Nested deeper than {MAX_DEPTH} levels."]
                continue
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                name = str(key)
                if isinstance(key, str) and _text_problem(key):
                    yield (f"{path}.{name!r}" if path else repr(name)), ["Keys must be valid text without NUL."]
                    continue
                stack.append((child, f"{path}.{name}" if path else name, depth + 1))


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "Text must not contain NUL characters."
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "Text must be valid Unicode (no lone surrogates)."
    return None


def _message(err: Any) -> str:
    if err["type"] == "missing":
        return "This field is required."
    msg = str(err["msg"])
    # pydantic prefixes custom errors with "Value error, "; the sentence alone reads better.
    return msg.removeprefix("Value error, ")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def to_response(result: Any, status: int) -> web.StreamResponse:
    """Serialize a handler's result: a model or plain data as JSON, None as 204, responses as they are."""
    if isinstance(result, web.StreamResponse):
        return result
    if result is None:
        return web.Response(status=204)
    if isinstance(result, BaseModel):
        return web.Response(body=result.model_dump_json(), status=status, content_type="application/json")
    return web.json_response(result, status=status)


def path_id(request: web.Request, name: str = "id") -> int:
    """A numeric path parameter; ids past the database's range cannot exist, so they are 404."""
    value = int(request.match_info[name])
    if value > _MAX_ID:
        raise NotFound(f"No object has {name} {value}.")
    return value


class PageQuery(BaseModel):
    """?page=1&page_size=20, page_size at most 100."""

    model_config = ConfigDict(extra="ignore")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class Page(BaseModel, Generic[T]):
    """The contract's list envelope."""

    count: int
    next: str | None
    previous: str | None
    results: list[T]


def page_of(request: web.Request, query: PageQuery, count: int, results: list[Any] | bytes,
            more: bool | None = None, extra: dict[str, Any] | None = None) -> web.Response:
    """The list envelope as a JSON response, with next and previous links that keep the request's other
    filters. `results`: the items, or their JSON array already made. `more` says whether a next page exists
    when `count` cannot (the feed); `extra` adds keys.
    The results are serialized by pydantic's encoder in one pass: dumping each model to a dict and then
    running the standard json module over the page took a quarter of a product list request."""
    last = max(1, math.ceil(count / query.page_size))

    def link(page: int) -> str:
        return str(request.url.update_query(page=page, page_size=query.page_size))

    has_next = query.page < last if more is None else more
    head = {
        "count": count,
        "next": link(query.page + 1) if has_next else None,
        "previous": link(min(query.page - 1, last)) if query.page > 1 else None,
        **(extra or {}),
    }
    items = results if isinstance(results, bytes) else to_json(results)
    body = json.dumps(head, separators=(",", ":")).encode()[:-1] + b',"results":' + items + b"}"
    return web.Response(body=body, content_type="application/json")
