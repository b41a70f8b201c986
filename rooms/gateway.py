"""The WebSocket endpoints: auth, codec by subprotocol, hello or resume, client frames, ack and error."""

from __future__ import annotations

import functools
import json
import logging
import os
from typing import Annotated, Any

import msgpack
from aiohttp import WSMsgType, web
from pydantic import Field
from yarl import URL

from bidding.routes import auctions_of
from bidding.schemas import BidIn
from rooms.chat.service import Chat
from rooms.events import direct_frame
from rooms.hub import Member
from rooms.keys import BRIDGE, HUB, PRESENCE
from rooms.streams.service import Streams, room_of
from server.api import path_id, validate
from server.errors import DomainError, InvalidInput, PermissionDenied
from server.keys import CONFIG, DB, REDIS, SESSIONS, TOKENS
from server.sessions import COOKIE
from server.tokens import Principal

log = logging.getLogger(__name__)
CHAT_TYPES = frozenset({"chat", "chat_deleted", "chat_pinned", "viewers", "stream_ended"})


class BidFrame(BidIn):
    bidding_id: Annotated[int, Field(ge=1, le=2**63 - 1)]



async def socket_user(request: web.Request) -> Principal | None:
    """The caller from ?token= (the apps), else from the console's session cookie; none means watch only.
    A bad or expired token is refused before upgrade, and so is a cookie sent by a page of another
    origin: browsers attach cookies to cross-site WebSocket handshakes, so the Origin is what tells."""
    token = request.query.get("token")
    if token:
        return request.app[TOKENS].read_access(token)
    if COOKIE not in request.cookies:
        return None
    origin = request.headers.get("Origin")
    if origin is not None and URL(origin).host_port_subcomponent != request.host:
        raise PermissionDenied("This page's origin may not use the console's sign-in.", code="bad_origin")
    session = await request.app[SESSIONS].load(request)
    return session.principal if session else None


def last_seq_param(request: web.Request) -> int | None:
    raw = request.query.get("last_seq")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("last_seq must be a whole number.", fields={"last_seq": ["A whole number."]})
    return int(raw)


def streams(request: web.Request) -> Streams:
    app = request.app
    return Streams(app[DB], app[BRIDGE], app[PRESENCE], app[CONFIG])


def chat(request: web.Request) -> Chat:
    app = request.app
    return Chat(app[DB], app[REDIS], app[BRIDGE], app[CONFIG])


async def livestream_socket(request: web.Request, types: frozenset[str] | None = None) -> web.StreamResponse:
    """GET /ws/livestream/{id}/: every event of the show's room (with `types`, only those)."""
    stream_id = path_id(request)
    me = await socket_user(request)
    last_seq = last_seq_param(request)
    # 404 before the upgrade. Only the dump is kept, and only until hello: this frame lives as long as
    # the connection, and thousands of idle viewers each holding the show would add up.
    livestream = (await streams(request).get(stream_id)).model_dump(mode="json")
    ws, member = await open_socket(request, me, types)
    room = room_of(stream_id)
    hub = request.app[HUB]
    try:
        await hub.join(room, member)
        await _greet(request, member, room, livestream, last_seq, stream_id)
        del livestream
        await serve_frames(request, ws, member, stream_id)
    finally:
        hub.leave(room, member)
        await member.finish()
    return ws


async def open_socket(request: web.Request, me: Principal | None,
                      types: frozenset[str] | None) -> tuple[web.WebSocketResponse, Member]:
    """Upgrade with the codec the client asked for (msgpack, else JSON) and the configured limits."""
    config = request.app[CONFIG].rooms
    # No permessage-deflate: room frames are built once and written as they are to every member, and an
    # inflate state per browser connection would cost tens of KiB for frames of a few hundred bytes.
    # Pings come from the hub's heartbeat round (rooms.lifecycle), whose pongs serve_frames sees.
    ws = web.WebSocketResponse(protocols=("msgpack", "json"), autoping=False,
                               max_msg_size=config.max_frame_bytes, compress=False)
    await ws.prepare(request)
    codec = "msgpack" if ws.ws_protocol == "msgpack" else "json"
    return ws, Member(ws, request, codec, me, config.send_queue_size, types)


async def _greet(request: web.Request, member: Member, room: str, livestream: dict[str, Any],
                 last_seq: int | None, stream_id: int) -> None:
    """hello with the room's state, or the events missed since last_seq, or resync when they are gone."""
    bridge = request.app[BRIDGE]
    if last_seq is not None:
        history = await bridge.history(room)
        newest = history[-1].seq if history else await bridge.current_seq(room)
        reachable = last_seq >= newest or (history and history[0].seq <= last_seq + 1)
        if reachable and last_seq <= newest:
            missed = [e for e in history if e.seq > last_seq]
            member.go_live(
                [e.wire(member.codec) for e in missed if member.types is None or e.type in member.types],
                max(last_seq, newest),
            )
            return
        member.send(direct_frame(member.codec, "resync", newest,
                                 {"reason": "The missed events are no longer held; reload the state."}))
    seq = await bridge.current_seq(room)
    recent = await chat(request).history(stream_id, None, request.app[CONFIG].rooms.hello_chat)
    hello = {
        "seq": seq,
        "livestream": livestream,
        "viewers": livestream["viewers"],
        "bidding": await auctions_of(request.app).open_in(stream_id, member.user),
        "chat": list(reversed(recent)),
        "pinned_message": livestream["pinned_message"],
        "you": {"id": member.user.user_id, "role": member.user.role} if member.user else None,
        "process": os.getpid(),  # which server process holds this connection (for operators and tests)
    }
    member.go_live([direct_frame(member.codec, "hello", seq, hello)], seq)


async def serve_frames(request: web.Request, ws: web.WebSocketResponse, member: Member,
                       stream_id: int | None) -> None:
    """Read the client's frames until it goes; each is answered by ack or error."""
    async for message in ws:
        member.heard()
        if message.type == WSMsgType.PONG:
            continue
        if message.type == WSMsgType.PING:
            await ws.pong(message.data)
            continue
        if message.type == WSMsgType.TEXT and member.codec == "json":
            try:
                frame = json.loads(message.data)
            except ValueError:
                _error(member, None, "bad_frame", "The frame is not valid JSON.")
                continue
        elif message.type == WSMsgType.BINARY and member.codec == "msgpack":
            try:
                frame = msgpack.unpackb(message.data, raw=False)
            except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
                _error(member, None, "bad_frame", "The frame is not valid MessagePack.")
                continue
        elif message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            _error(member, None, "bad_frame",
                   f"This connection speaks {member.codec}: send {'text' if member.codec == 'json' else 'binary'} "
                   "frames.")
            continue
        else:
            break
        await _handle(request, member, frame, stream_id)


async def _handle(request: web.Request, member: Member, frame: Any, stream_id: int | None) -> None:
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        _error(member, None, "bad_frame", 'A frame is an object with a "type" and a "data" object.')
        return
    data = frame.get("data") or {}
    if not isinstance(data, dict):
        _error(member, None, "bad_frame", '"data" must be an object.')
        return
    client_id = data.get("client_id")
    if client_id is not None and (not isinstance(client_id, str | int) or len(str(client_id)) > 64):
        _error(member, None, "bad_frame", "client_id must be a string of at most 64 characters.")
        return
    kind = frame["type"]
    extra: dict[str, Any] = {}
    placed = None
    try:
        if kind == "ping":
            pass
        elif stream_id is None:
            raise DomainError(f"Unknown frame type {kind!r}; send ping.", code="unknown_type")
        elif kind == "chat":
            if member.user is None:
                raise DomainError("Sign in to chat: connect with ?token=<access token>.", code="not_authenticated")
            if "text" not in data:
                raise InvalidInput("A chat frame needs data.text.", fields={"text": ["This field is required."]})
            await chat(request).send(member.user, stream_id, data["text"])
        elif kind == "bid":
            if member.user is None:
                raise DomainError("Sign in to bid: connect with ?token=<access token>.", code="not_authenticated")
            bid = validate(BidFrame, data)
            placed = await auctions_of(request.app).place(member.user, bid.bidding_id, bid.amount, bid.max_amount)
            extra = {"version": placed.version, "leading": placed.leading}
        else:
            raise DomainError(f"Unknown frame type {kind!r}; send ping, chat or bid.", code="unknown_type")
    except DomainError as exc:
        _error(member, client_id, exc.code, exc.message, exc.extra)
        return
    member.send(direct_frame(member.codec, "ack", member.last_seq, {"client_id": client_id, **extra}))
    if placed is not None:  # the bid is committed and the bidder answered; now the room hears of it
        await auctions_of(request.app).announce(placed)


def _error(member: Member, client_id: Any, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
    data = {"client_id": client_id, "code": code, "message": message, **(extra or {})}
    member.send(direct_frame(member.codec, "error", member.last_seq, data))


# GET /ws/chat/{id}/: the chat and viewer events of the same room. A partial, not a wrapper coroutine:
# a wrapper's frame would live as long as each connection.
chat_socket = functools.partial(livestream_socket, types=CHAT_TYPES)
