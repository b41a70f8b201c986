"""The OpenAPI 3.1 document built from the declared endpoints and their pydantic shapes, and its doc pages."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any, get_args, get_origin

import aiohttp_jinja2
from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from server.api import ApiRouter, Endpoint
from server.errors import ServiceUnavailable

_PATH_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
ASSETS_PREFIX = "/api/docs-assets"
SPEC = web.AppKey("openapi_spec", dict)


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorBody(BaseModel):
    """Every refusal: a stable snake_case code, a sentence, and per-field messages for bad input."""

    error: ErrorDetail


_ERROR_TEXT = {
    400: "Bad input (invalid_input, invalid_json, ...)",
    401: "Not signed in, or the token is invalid or expired",
    403: "Signed in but not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "The body is not of a type this operation takes (JSON, or multipart for uploads)",
    429: "Rate limited; see Retry-After",
    503: "A backing service (PostgreSQL or Redis) is unavailable; try again shortly",
}


def _item(response: Any) -> Any:
    """The element model of a list[Model] response (a plain JSON array), else None."""
    return get_args(response)[0] if get_origin(response) is list else None


def build_spec(routers: list[ApiRouter], title: str, version: str) -> dict[str, Any]:
    """The OpenAPI document of every endpoint of the routers (aliases included)."""
    endpoints = [e for r in routers for e in r.endpoints]
    models: list[tuple[type[Any], Any]] = [(ErrorBody, "serialization")]
    for e in endpoints:
        if e.body is not None:
            models.append((e.body, "validation"))
        if e.response is not None:
            models.append((_item(e.response) or e.response, "serialization"))
    refs, top = models_json_schema(list(dict.fromkeys(models)), ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        for path in e.paths:
            template = _PATH_PARAM.sub(r"{\1}", path)
            paths.setdefault(template, {})[e.method.lower()] = _operation(e, path, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _operation(e: Endpoint, path: str, refs: dict[Any, Any]) -> dict[str, Any]:
    error_ref = refs[(ErrorBody, "serialization")]
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
        for name in _PATH_PARAM.findall(path)
    ]
    if e.query is not None:
        schema = e.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    op: dict[str, Any] = {
        "summary": e.summary,
        "operationId": f"{e.handler.__name__}" + ("" if path == e.path else f"_alias_{e.paths.index(path)}"),
        "tags": [e.tag],
    }
    if e.handler.__doc__:
        op["description"] = e.handler.__doc__.strip()
    if params:
        op["parameters"] = params
    if e.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(e.body, "validation")]}},
        }
    if e.upload is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": {
                "type": "object",
                "required": [e.upload],
                "properties": {e.upload: {"type": "string", "format": "binary"}},
            }}},
        }
    ok: dict[str, Any] = {"description": "No content" if e.status == 204 else "Success"}
    if e.response is not None:
        item = _item(e.response)
        schema = ({"type": "array", "items": refs[(item, "serialization")]} if item is not None
                  else refs[(e.response, "serialization")])
        ok["content"] = {"application/json": {"schema": schema}}
    responses: dict[str, Any] = {str(e.status): ok}
    # Every status the operation can answer, by what it takes: bad input, a token, an object it names (in the
    # path, the body or the query), the current state (any change), a rate limit, a backing service down.
    errors = {503, *e.also}
    if e.body is not None or e.query is not None:
        errors |= {400}
    if e.body is not None or e.upload is not None:
        errors |= {400, 413, 415}
    if e.auth != "public":
        errors |= {401, 403}
        op["security"] = [{"bearer": []}] if e.auth == "user" else [{"bearer": []}, {}]
    if "{" in path or e.body is not None or e.query is not None or e.upload is not None:
        errors |= {404}
    if e.conflicts or e.method in ("POST", "PUT", "PATCH", "DELETE"):
        errors |= {409}
    if e.limited:
        errors |= {429}
    for status in sorted(errors):
        text = _ERROR_TEXT[status]
        if status == 409 and e.conflicts:
            text += ": " + ", ".join(f"`{code}`" for code in e.conflicts)
        responses[str(status)] = {
            "description": text,
            "content": {"application/json": {"schema": error_ref}},
        }
    op["responses"] = responses
    return op


def docs_assets_dir() -> Path | None:
    """The folder of Swagger UI and ReDoc files shipped by the drf-spectacular-sidecar wheel.

    The package is found without importing it: only its static files are used.
    """
    spec = importlib.util.find_spec("drf_spectacular_sidecar")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static" / "drf_spectacular_sidecar"
    return folder if folder.is_dir() else None


def setup_docs(app: web.Application, routers: list[ApiRouter], title: str, version: str) -> None:
    """Serve the spec at /api/openapi.json and the Swagger UI and ReDoc pages from local files."""
    app[SPEC] = build_spec(routers, title, version)
    assets = docs_assets_dir()
    if assets is not None:
        app.router.add_static(ASSETS_PREFIX, assets)

    async def spec(request: web.Request) -> web.Response:
        return web.json_response(request.app[SPEC])

    def page(template: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            if assets is None:
                raise ServiceUnavailable(
                    "The API doc pages need the drf-spectacular-sidecar assets: run `make install`."
                )
            return aiohttp_jinja2.render_template(
                template, request, {"title": title, "spec_url": "/api/openapi.json", "assets": ASSETS_PREFIX}
            )

        return handler

    app.router.add_get("/api/openapi.json", spec)
    app.router.add_get("/api/swagger/", page("docs/swagger.html"))
    app.router.add_get("/api/redoc/", page("docs/redoc.html"))
