"""The WebSocket plumbing every room socket shares: auth, codec by subprotocol, hello or resume, client
frames dispatched from the command registry, each answered by `ack` or `error` (the socket stays open)."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgpack
from aiohttp import WSCloseCode, WSMsgType, web
from yarl import URL

from rooms.bridge import Bridge, Position
from rooms.commands import CommandContext, HelloContext, Registry, registry
from rooms.events import Event, direct_frame
from rooms.hub import Member
from rooms.keys import BRIDGE, HUB, MEMBER_HOOKS
from rooms.metrics import CONNECTIONS, DROPS
from rooms.names import RoomName
from server.api import validate
from server.errors import DomainError, InvalidInput, NotAuthenticated, PermissionDenied, UpgradeRequired
from server.keys import CONFIG, REVOCATIONS, SESSIONS, TOKENS
from server.middleware import new_request_id, unavailable
from server.revocation import CLOSE_CODE
from server.sessions import COOKIE
from server.tokens import Principal

log = logging.getLogger(__name__)
REGREET_ATTEMPTS = 3  # a new hello after resync, tried this often while a backing service answers "unavailable"


async def socket_user(request: web.Request) -> Principal | None:
    """The caller from ?token= (the apps), else from the console's session cookie; none means watch only.
    A bad or expired token is refused before upgrade, and so is a cookie sent by a page of another
    origin: browsers attach cookies to cross-site WebSocket handshakes, so the Origin is what tells."""
    token = request.query.get("token")
    if token:
        me = request.app[TOKENS].read_access(token)
        await request.app[REVOCATIONS].check(me)
        return me
    if COOKIE not in request.cookies:
        return None
    origin = request.headers.get("Origin")
    if origin is not None and URL(origin).host_port_subcomponent != request.host:
        raise PermissionDenied("This page's origin may not use the console's sign-in.", code="bad_origin")
    session = await request.app[SESSIONS].load(request)
    return session.principal if session else None


def resume_params(request: web.Request) -> tuple[int, str | None]:
    """Where the client asks to resume: ?last_seq=N&epoch=E (-1 and None: nowhere, a fresh hello)."""
    raw = request.query.get("last_seq")
    epoch = request.query.get("epoch")
    if epoch is not None and not (0 < len(epoch) <= 32 and epoch.isalnum()):
        raise InvalidInput("epoch must be the epoch of an earlier frame.", fields={"epoch": ["Not an epoch."]})
    if raw is None:
        return -1, None
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("last_seq must be a whole number.", fields={"last_seq": ["A whole number."]})
    return int(raw), epoch


def new_socket(request: web.Request) -> web.WebSocketResponse:
    """A WebSocket response with our codecs and limits; 426 upgrade_required for a request that is no
    WebSocket handshake."""
    # No permessage-deflate: room frames are built once and written as they are to every member, and an
    # inflate state per browser connection would cost tens of KiB for frames of a few hundred bytes.
    # Pings come from the hub's heartbeat round (rooms.lifecycle), whose pongs serve_frames sees.
    ws = web.WebSocketResponse(protocols=("msgpack", "json"), autoping=False,
                               max_msg_size=request.app[CONFIG].rooms.max_frame_bytes + 1, compress=False)
    if not ws.can_prepare(request).ok:
        raise UpgradeRequired()
    return ws


async def open_socket(request: web.Request, ws: web.WebSocketResponse, me: Principal | None,
                      types: frozenset[str] | None) -> Member:
    """Upgrade with the codec the client asked for (msgpack, else JSON); the member it makes."""
    await ws.prepare(request)
    codec = "msgpack" if ws.ws_protocol == "msgpack" else "json"
    return Member(ws, request, codec, me, request.app[CONFIG].rooms.send_queue_size, types)


def failed(member: Member, exc: BaseException, doing: str) -> None:
    """After the upgrade a failure is an `error` frame, then the socket closes: 1013 (try again later) when a
    backing service is down, 1008 when the caller may not be here any more, else 1011."""
    if isinstance(exc, DomainError):
        _error(member, None, exc.code, exc.message, exc.body()["error"])
        code = WSCloseCode.POLICY_VIOLATION
    elif unavailable(exc):
        log.warning("backing service unavailable while %s: %r", doing, exc)
        _error(member, None, "unavailable", "A backing service is unavailable; reconnect shortly.")
        code = WSCloseCode.TRY_AGAIN_LATER
    else:
        request_id = new_request_id()
        log.error("socket failed while %s (request %s)", doing, request_id, exc_info=exc)
        _error(member, None, "internal", f"Something went wrong on our side (request id {request_id}).")
        code = WSCloseCode.INTERNAL_ERROR
    member.flush_then_close(code, doing)


async def regreet(name: RoomName, member: Member) -> None:
    """A member whose room's log was lost or has a gap nobody can fill: open the room again for its request
    (the show may have ended, the token expired) and greet it, which sends `resync` and a new hello."""
    if member.reopen is None:
        return
    for attempt in range(REGREET_ATTEMPTS):
        try:
            opening: Opening = await member.reopen(member.request)
            await opening.greet(member)
            if opening.closes:
                member.flush_then_close(WSCloseCode.OK, "the room is over")
            return
        except Exception as exc:
            # Right after Redis comes back, a pooled connection opened before it went fails once and is
            # dropped: a read-only greeting is worth another try before the member is sent away.
            if not unavailable(exc) or attempt == REGREET_ATTEMPTS - 1 or member.closed:
                failed(member, exc, "greeting again")
                return
            await asyncio.sleep(0.05 * 3 ** attempt)


@dataclass(frozen=True, slots=True)
class Opening:
    """What a socket endpoint decided before the upgrade: the room, the caller, how to greet them (hello or
    resume) and what to do once they leave."""

    room: RoomName
    me: Principal | None
    greet: Callable[[Member], Awaitable[None]]
    on_leave: Callable[[], Awaitable[None]] | None = None
    # The room is over (an ended show): greet, then close normally; the socket never joins, is no viewer.
    closes: bool = False
    # Run once after the first greeting (not when a resync greets again), as on_leave runs once at the end.
    on_open: Callable[[], Awaitable[None]] | None = None


async def room_socket(request: web.Request, open_room: Callable[[web.Request], Awaitable[Opening]],
                      types: frozenset[str] | None = None) -> web.WebSocketResponse:
    """A room socket endpoint (bind open_room with functools.partial): `open_room` checks the request and
    may refuse it before the upgrade; then upgrade, join, greet, and serve the member's frames until it goes.
    One coroutine frame for the whole connection: an endpoint that awaited this from its own coroutine
    would keep a second frame alive per idle viewer."""
    opening = await open_room(request)  # refusals first: a bad token is 401, an unknown show 404
    last_seq, epoch = resume_params(request)
    ws = new_socket(request)
    room, me, on_leave = opening.room, opening.me, opening.on_leave
    member = await open_socket(request, ws, me, types)
    member.last_seq, member.epoch, member.reopen = last_seq, epoch, open_room
    hub = request.app[HUB]
    joined = False
    CONNECTIONS.inc()
    try:
        if opening.closes:  # nothing will happen here: say so, close normally, count as no viewer
            await opening.greet(member)
            await ws.close(code=WSCloseCode.OK, message=b"the room is over")
            return ws
        try:
            await hub.join(room, member)
            # Before hello: a client acting on its hello (entering a giveaway over REST) is in the room already.
            joined = True
            await _member_hooks(request.app, room, me, joined=True)
            await opening.greet(member)
            if opening.on_open is not None:
                await opening.on_open()
        except Exception as exc:  # after the upgrade the client only sees frames
            failed(member, exc, "greeting")
            return ws
        # This frame lives as long as the connection: what only hello needed (the show, say) goes now,
        # since thousands of idle viewers each holding it would add up.
        del opening
        await serve_frames(request, ws, member, room)
    finally:
        CONNECTIONS.dec()
        hub.leave(room, member)
        await member.finish()
        if on_leave is not None:
            await on_leave()
        if joined:
            try:
                await _member_hooks(request.app, room, me, joined=False)
            except Exception:  # the socket is gone either way
                log.warning("member hook failed on leave", exc_info=True)
    return ws


async def _member_hooks(app: web.Application, room: RoomName, me: Principal | None, *, joined: bool) -> None:
    """Tell the features that ask who is in a room (signed-in members only)."""
    if me is not None:
        for hook in app.get(MEMBER_HOOKS, []):
            await hook(app, room, me, joined)


async def greet(request: web.Request, member: Member, room: RoomName,
                base: Callable[[], Awaitable[dict[str, Any]]], *, shared: bool = False) -> None:
    """Resume the member from its place in the room's log (the events it missed), or, when that place is of
    another epoch or gone from the history, `resync` and then hello with the room's state: `await base()` and
    every registered hello part, built from PostgreSQL. `shared`: the room's state changes only by its events,
    so this process reads it once per log position for every member greeted there (Room.at_position), and only
    the personal parts per signed-in member."""
    bridge: Bridge = request.app[BRIDGE]
    generation = _generation(request, room)
    local = request.app[HUB].rooms.get(room)
    # A fresh hello at this process's own place in the room's log: no Redis round trip (a reconnect storm greets
    # thousands at once), and nothing is missed, since the member is in the room already: later events reach it
    # with the room's. A resume (and every greeting after a resync) asks the log itself, in one read shared with
    # the members resuming at the same moment.
    here = local.position_here() if local is not None and member.last_seq < 0 else None
    if here is not None:
        position = Position(*here)
    else:
        position = await local.log_position() if local is not None else await bridge.position(room)
    if member.last_seq >= 0:
        missed = await _missed(request, room, member, position)
        if missed is not None:
            newest = max(position.seq, missed[-1].seq if missed else 0, member.last_seq)
            member.go_live([e.wire(member.codec) for e in missed if member.types is None or e.type in member.types],
                           position.epoch, newest)
            _check_epoch(request, room, member, generation)
            return
        member.send(direct_frame(member.codec, "resync", position.epoch, position.seq,
                                 {"reason": "The missed events are no longer held; here is the room's state."}))
    # The position first, then the state: every event up to it was committed before it was published, so the
    # state read afterwards shows it; one the state shows that came after the position follows anyway (once
    # more: its version says). The other way round, an event committed between the reads was in neither.
    commands = registry(request.app)

    async def read(user: Principal | None) -> dict[str, Any]:
        return {**(await base()), **(await commands.hello(HelloContext(request.app, room, user)))}

    if not shared or local is None:
        state = await read(member.user)
    else:
        state = await local.at_position("hello", position.epoch, position.seq, functools.partial(read, None))
        if member.user is not None:
            state = {**state, **(await commands.hello(HelloContext(request.app, room, member.user),
                                                      personal_only=True))}
    send_hello(request, member, room, state, position, generation)


def send_hello(request: web.Request, member: Member, room: RoomName, state: dict[str, Any], position: Position,
               generation: int) -> None:
    """hello at `position`, read before the state: the events after it follow."""
    hello = {
        "seq": position.seq,
        "epoch": position.epoch,
        **state,
        "you": {"id": member.user.user_id, "role": member.user.role} if member.user else None,
        "process": os.getpid(),  # which server process holds this connection (for operators and tests)
    }
    member.go_live([direct_frame(member.codec, "hello", position.epoch, position.seq, hello)], position.epoch,
                   position.seq)
    _check_epoch(request, room, member, generation)


async def _missed(request: web.Request, room: RoomName, member: Member, position: Position) -> list[Event] | None:
    """The events after the member's place, if the log still holds all of them; None if it does not. The
    history is read once per log position by this process (a reconnect storm resumes thousands at once)."""
    if member.epoch is not None and member.epoch != position.epoch:
        return None
    if member.last_seq > position.seq:
        return None  # a place the log never reached: of an earlier log
    if member.last_seq == position.seq:
        return []
    bridge: Bridge = request.app[BRIDGE]
    local = request.app[HUB].rooms.get(room)
    read = functools.partial(bridge.history, room)
    events = await (read() if local is None else local.at_position("history", position.epoch, position.seq, read))
    history = [e for e in events if e.epoch == position.epoch]
    missed = [e for e in history if e.seq > member.last_seq]
    return missed if missed and missed[0].seq == member.last_seq + 1 else None


def _generation(request: web.Request, room: RoomName) -> int:
    local = request.app[HUB].rooms.get(room)
    return local.generation if local is not None else 0


def _check_epoch(request: web.Request, room: RoomName, member: Member, generation: int) -> None:
    """The room saw its log start again while this member was greeted from the old one (the room's resync
    passed it by, as it was not live yet): greet it again at once. A room that has not caught up with the
    log the member is on changes nothing: when it does, it resyncs only members of other epochs."""
    hub = request.app[HUB]
    local = hub.rooms.get(room)
    if (local is not None and local.generation != generation and local.epoch != member.epoch
            and member.hold()):
        hub.spawn(hub.regreet(room, member), "room-resync")


async def serve_frames(request: web.Request, ws: web.WebSocketResponse, member: Member, room: RoomName) -> None:
    """Read the client's frames until it goes; each is answered by ack or error."""
    commands = registry(request.app)
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
            except (ValueError, RecursionError):
                _error(member, None, "bad_frame", "The frame is not valid JSON (or is nested too deeply).")
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
        await dispatch(request, commands, member, room, frame)


async def dispatch(request: web.Request, commands: Registry, member: Member, room: RoomName, frame: Any) -> None:
    """One client frame: find its command, validate its data, run it; every failure is an `error` frame."""
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
    if member.user is not None:
        try:  # a sign-in that ended meanwhile (cached for a second): the socket goes too
            await request.app[REVOCATIONS].check(member.user)
        except NotAuthenticated as exc:
            _error(member, client_id, exc.code, exc.message)
            member.flush_then_close(CLOSE_CODE, "access revoked")
            DROPS.labels("revoked").inc()
            return
    try:
        command = commands.command(room.kind, kind)
        if command is None:
            known = commands.known(room.kind)
            listed = known[0] if len(known) == 1 else f"{', '.join(known[:-1])} or {known[-1]}"
            raise DomainError(f"Unknown frame type {kind!r}; send {listed}.", code="unknown_type")
        if command.sign_in is not None and member.user is None:
            raise DomainError(command.sign_in, code="not_authenticated")
        body = {k: v for k, v in data.items() if k != "client_id"}
        reply = await command.handler(CommandContext(request.app, member, room, client_id),
                                      validate(command.model, body))
    except DomainError as exc:
        # The REST error body's fields, under the frame's client_id: {"code", "message", "fields"?, ...extra}.
        _error(member, client_id, exc.code, exc.message, exc.body()["error"])
        return
    except Exception as exc:
        if unavailable(exc):
            log.error("backing service unavailable for a %r frame: %r", kind, exc)
            _error(member, client_id, "unavailable", "A backing service is unavailable; try again shortly.")
            return
        # A frame is a request of its own: the id the client is shown is the one the log line carries. (No
        # id is kept per connection: an idle viewer costs no more for it.)
        request_id = new_request_id()
        log.exception("socket command %r failed (request %s)", kind, request_id)
        _error(member, client_id, "internal", f"Something went wrong on our side (request id {request_id}).")
        return
    ack = reply.ack if reply is not None else {}
    member.send(direct_frame(member.codec, "ack", member.epoch or "", max(member.last_seq, 0),
                             {"client_id": client_id, **ack}))
    if reply is not None and reply.then is not None:
        try:
            await reply.then()
        except Exception:  # the sender has its ack; what failed after it is logged, the socket lives on
            log.exception("after-ack work of a %r frame failed", kind)


def _error(member: Member, client_id: Any, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
    data = {"client_id": client_id, "code": code, "message": message, **(extra or {})}
    member.send(direct_frame(member.codec, "error", member.epoch or "", max(member.last_seq, 0), data))
