"""The socket command registry: features register their client frames and their parts of `hello` here, and
the gateway dispatches from it (home-assistant's websocket_api.async_register_command, in our words)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from rooms.hub import Member
from rooms.names import RoomKind, RoomName
from server.errors import NotAuthenticated
from server.tokens import Principal

FrameT = TypeVar("FrameT", bound=BaseModel)


class NoData(BaseModel):
    """The data of a frame that carries nothing but its client_id (extra keys are ignored)."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True, slots=True)
class CommandContext:
    """What a command handler gets besides its frame: the app, the sender's connection and its room."""

    app: web.Application
    member: Member
    room: RoomName
    client_id: str | int | None

    def user(self) -> Principal:
        """The signed-in sender (a command registered with sign_in is never run for anyone else)."""
        if self.member.user is None:
            raise NotAuthenticated("Sign in first: connect with ?token=<access token>.")
        return self.member.user


@dataclass(frozen=True, slots=True)
class Reply:
    """A command's answer: extra fields for the `ack`, and work to do once the ack is on its way (a bid is
    acknowledged as soon as it commits, and announced to the room right after)."""

    ack: dict[str, Any] = field(default_factory=dict)
    then: Callable[[], Awaitable[None]] | None = None


Handler = Callable[[CommandContext, FrameT], Awaitable[Reply | None]]


@dataclass(frozen=True, slots=True)
class Command(Generic[FrameT]):
    """A client frame type: where it is served, who may send it, the model of its data and its handler."""

    name: str
    model: type[FrameT]
    handler: Handler[FrameT]
    kinds: frozenset[str]
    # Set for commands of signed-in users: the refusal an anonymous viewer gets (not_authenticated).
    sign_in: str | None = None


@dataclass(frozen=True, slots=True)
class HelloContext:
    """What a hello part is computed from: the app, the room and the viewer (None: watching signed out)."""

    app: web.Application
    room: RoomName
    user: Principal | None


HelloPart = Callable[[HelloContext], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Socket:
    """A WebSocket endpoint as documented: its path, the kind of room it serves, what it is for, and the event
    types it forwards (None: all of its room's)."""

    path: str
    kind: RoomKind
    summary: str
    types: frozenset[str] | None = None


async def _pong(ctx: CommandContext, frame: NoData) -> Reply | None:
    return None


class Registry:
    """The commands and hello parts of each kind of room. Filled while the app is built, read per frame."""

    def __init__(self) -> None:
        self._commands: dict[str, dict[str, Command[Any]]] = {}
        self._hello: dict[str, list[tuple[str, HelloPart, bool]]] = {}
        self._ping: Command[NoData] = Command("ping", NoData, _pong, frozenset())
        self.sockets: list[Socket] = []

    def add(self, command: Command[Any]) -> None:
        for kind in command.kinds:
            served = self._commands.setdefault(kind, {})
            if command.name in served or command.name == "ping":
                raise ValueError(f"socket command {command.name!r} is registered twice for {kind} rooms")
            served[command.name] = command

    def add_hello_part(self, kind: RoomKind, key: str, part: HelloPart, personal: bool) -> None:
        parts = self._hello.setdefault(kind, [])
        if any(k == key for k, _, _ in parts):
            raise ValueError(f"hello part {key!r} is registered twice for {kind} rooms")
        parts.append((key, part, personal))

    def commands(self, kind: str) -> list[Command[Any]]:
        """The commands of a kind of room, ping first."""
        return [self._ping, *self._commands.get(kind, {}).values()]

    def command(self, kind: str, type_: str) -> Command[Any] | None:
        """The command for a frame type in a kind of room (ping everywhere), or None."""
        if type_ == "ping":
            return self._ping
        return self._commands.get(kind, {}).get(type_)

    def known(self, kind: str) -> list[str]:
        """The frame types a room of this kind answers, ping first, then in the order registered."""
        return [c.name for c in self.commands(kind)]

    async def hello(self, ctx: HelloContext, *, personal_only: bool = False) -> dict[str, Any]:
        """Every registered part of hello for the context's room, in the order registered (or only those that
        depend on the viewer)."""
        return {key: await part(ctx) for key, part, personal in self._hello.get(ctx.room.kind, [])
                if personal or not personal_only}


REGISTRY = web.AppKey("socket_registry", Registry)


def registry(app: web.Application) -> Registry:
    """The app's registry, made on first use (features register in their setup, before start-up)."""
    found = app.get(REGISTRY)
    if found is None:
        found = app[REGISTRY] = Registry()
    return found


def register_command(app: web.Application, type_: str, model: type[FrameT], handler: Handler[FrameT], *,
                     kinds: tuple[RoomKind, ...] = ("stream",), sign_in: str | None = None) -> None:
    """Serve client frames of `type_` in rooms of `kinds`: data validated by `model`, then `handler` called;
    with `sign_in`, anonymous viewers get not_authenticated with that message."""
    registry(app).add(Command(type_, model, handler, frozenset(kinds), sign_in))


def register_socket(app: web.Application, socket: Socket) -> None:
    """List a WebSocket endpoint in the protocol document (/api/asyncapi.json)."""
    registry(app).sockets.append(socket)


def register_hello_part(app: web.Application, kind: RoomKind, key: str, part: HelloPart, *,
                        personal: bool = False) -> None:
    """Add `key: await part(ctx)` to the hello of every room of `kind`. A part must change only by the room's
    events (each process reads a room's hello once per log position and greets everyone there with it); one that
    also depends on the viewer (their own maximum bid, say) is `personal`: read for each signed-in viewer."""
    registry(app).add_hello_part(kind, key, part, personal)
