"""The WebSocket protocol as an AsyncAPI 3.0 document, built from the registered sockets and commands and
the declared room events, served at /api/asyncapi.json beside the REST API's OpenAPI."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rooms.commands import Registry, registry
from rooms.events import declared_events

REF = "#/components/schemas/{model}"
# Frames every socket sends to one connection only, with the room's position (epoch, seq) so far.
DIRECT = {
    "hello": "The first frame (and the one after resync): seq, epoch, the room's state read from PostgreSQL (each "
             "feature adds its part) and `you`.",
    "ack": "A client frame was done: its client_id, and what the command adds (a bid's version and leading).",
    "error": "A client frame was refused or failed: client_id, code (the REST codes; unavailable, internal), "
             "message, fields and the REST body's extras.",
    "resync": "The events since last_seq are gone from the room's log, or the log is a new one (another epoch): a "
              "new hello follows on the same socket.",
}
ASYNCAPI = web.AppKey("asyncapi", dict[str, Any])


def _envelope(type_: str, data: dict[str, Any], summary: str) -> dict[str, Any]:
    return {
        "name": type_,
        "summary": summary,
        "payload": {
            "type": "object", "required": ["type", "seq", "epoch", "ts", "data"],
            "properties": {"type": {"const": type_},
                           "seq": {"type": "integer", "description": "the event's place in the room's log, "
                                   "rising by one per event within an epoch"},
                           "epoch": {"type": "string", "description": "names this incarnation of the room's log; "
                                     "resume with ?last_seq=<seq>&epoch=<epoch>"},
                           "ts": {"type": "integer", "description": "milliseconds since the Unix epoch"},
                           "data": data},
        },
    }


def _frame(type_: str, data: dict[str, Any], summary: str) -> dict[str, Any]:
    schema = {"allOf": [data, {"type": "object", "properties": {
        "client_id": {"type": ["string", "integer", "null"], "maxLength": 64}}}]}
    return {
        "name": type_,
        "summary": summary,
        "payload": {"type": "object", "required": ["type"],
                    "properties": {"type": {"const": type_}, "data": schema}},
    }


def build(commands: Registry, title: str, version: str) -> dict[str, Any]:
    """The document: one channel per socket, its server events and its client frames, with shared schemas."""
    events = declared_events()
    models: list[type[BaseModel]] = [*events]
    for kind in {s.kind for s in commands.sockets}:
        models += [c.model for c in commands.commands(kind)]
    refs, top = models_json_schema([(m, "serialization" if m in events else "validation")
                                    for m in dict.fromkeys(models)], ref_template=REF, by_alias=True)
    messages: dict[str, Any] = {}
    for event in events:
        messages[f"event.{event.type}"] = _envelope(event.type, refs[(event, "serialization")],
                                                    (event.__doc__ or event.type).strip().splitlines()[0])
    for name, summary in DIRECT.items():
        messages[f"event.{name}"] = _envelope(name, {"type": "object"}, summary)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for socket in commands.sockets:
        name = socket.path.strip("/").replace("/", "_").replace("{", "").replace("}", "")
        served = [e.type for e in events if socket.kind in e.rooms and (socket.types is None or e.type in socket.types)]
        frames = commands.commands(socket.kind)
        for command in frames:
            messages.setdefault(f"frame.{command.name}", _frame(
                command.name, refs[(command.model, "validation")],
                (command.model.__doc__ or f"the {command.name} frame").strip().splitlines()[0]))
        inbound = [f"event.{t}" for t in (*served, *DIRECT)]
        outbound = [f"frame.{c.name}" for c in frames]
        channels[name] = {
            "address": socket.path,
            "description": socket.summary,
            "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in (*inbound, *outbound)},
        }
        if "{" in socket.path:
            channels[name]["parameters"] = {"id": {"description": "The show's id."}}
        operations[f"receive_{name}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{m}"} for m in inbound],
        }
        operations[f"send_{name}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{m}"} for m in outbound],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": f"{title}: WebSocket protocol", "version": version,
                 "description": "JSON text frames, or MessagePack binary frames with the `msgpack` subprotocol. "
                                "Money is a number in rupees with at most two decimals."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": top.get("$defs", {})},
    }


def setup_asyncapi(app: web.Application, title: str, version: str) -> None:
    """Serve the document; it is built once the app starts, when every feature has registered."""

    async def built(app: web.Application) -> None:
        app[ASYNCAPI] = build(registry(app), title, version)

    async def document(request: web.Request) -> web.Response:
        return web.json_response(request.app[ASYNCAPI])

    app.on_startup.append(built)
    app.router.add_get("/api/asyncapi.json", document)
