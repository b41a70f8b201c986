"""The room event envelope {type, seq, ts, data}: decoded once per process, encoded once per codec."""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

import msgpack
from pydantic import BaseModel, ConfigDict

CODECS = ("json", "msgpack")


class RoomEvent(BaseModel):
    """The declared data of a room event; `type` names it on the wire. Money fields are `Money`, so an event
    carries exact amounts until it is encoded, and its JSON Schema documents the WebSocket contract."""

    model_config = ConfigDict(frozen=True)
    type: ClassVar[str]
    # The kinds of room it is sent in: a show's room, or one user's private room (/ws/notifications/).
    rooms: ClassVar[tuple[str, ...]] = ("stream",)

    def payload(self) -> dict[str, Any]:
        """The event's data as it goes on the wire (by its fields' aliases, as the event schema names them)."""
        return self.model_dump(mode="json", by_alias=True)


class Viewers(RoomEvent):
    """How many watch the show now, on every process; sent at most once a second, only on a change."""

    type: ClassVar[str] = "viewers"
    count: int


class UserEvent(RoomEvent):
    """An event of one user's private room."""

    rooms: ClassVar[tuple[str, ...]] = ("user",)


def declared_events() -> list[type[RoomEvent]]:
    """Every room event declared by the packages imported so far (the app imports them all), by type."""
    found: dict[str, type[RoomEvent]] = {}
    pending: list[type[RoomEvent]] = [RoomEvent]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "type" in cls.__dict__:
            found.setdefault(cls.type, cls)
    return [found[t] for t in sorted(found)]


def now_ms() -> int:
    return int(time.time() * 1000)


def pack_payload(type_: str, data: dict[str, Any], ts: int | None = None) -> bytes:
    """What goes over Redis after the seq prefix: msgpack of [type, ts, data]."""
    packed: bytes = msgpack.packb([type_, ts if ts is not None else now_ms(), data], use_bin_type=True)
    return packed


def ws_frame(payload: str | bytes, *, text: bool | None = None) -> bytes:
    """A complete, unmasked server WebSocket frame (RFC 6455 5.2): text for str, binary for bytes, or as
    `text` says for bytes that are already UTF-8."""
    if isinstance(payload, str):
        body, first = payload.encode(), 0x81
    else:
        body, first = payload, 0x81 if text else 0x82
    n = len(body)
    if n < 126:
        header = bytes((first, n))
    elif n < 65536:
        header = bytes((first, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((first, 127)) + n.to_bytes(8, "big")
    return header + body


class Event:
    """One room event at its place in the room's log (epoch, seq). Its frames are built on first use and
    then shared by every member."""

    __slots__ = ("_json", "_msgpack", "_wire", "data", "epoch", "seq", "ts", "type")

    def __init__(self, type_: str, epoch: str, seq: int, ts: int, data: dict[str, Any]) -> None:
        self.type = type_
        self.epoch = epoch
        self.seq = seq
        self.ts = ts
        self.data = data
        self._json: str | None = None
        self._msgpack: bytes | None = None
        self._wire: dict[str, bytes] = {}

    @classmethod
    def from_wire(cls, message: bytes) -> Event:
        """Parse '<epoch>:<seq>:<msgpack payload>' as published by the bridge's script."""
        epoch, seq, payload = message.split(b":", 2)
        type_, ts, data = msgpack.unpackb(payload, raw=False)
        return cls(type_, epoch.decode(), int(seq), ts, data)

    def envelope(self) -> dict[str, Any]:
        return {"type": self.type, "seq": self.seq, "epoch": self.epoch, "ts": self.ts, "data": self.data}

    def frame(self, codec: str) -> str | bytes:
        """The encoded frame for a codec: text for JSON, bytes for MessagePack."""
        if codec == "msgpack":
            if self._msgpack is None:
                self._msgpack = msgpack.packb(self.envelope(), use_bin_type=True)
            return self._msgpack
        if self._json is None:
            self._json = json.dumps(self.envelope(), separators=(",", ":"), default=str)
        return self._json

    def wire(self, codec: str) -> bytes:
        """The whole WebSocket frame for a codec, built once and written as is to every member."""
        frame = self._wire.get(codec)
        if frame is None:
            frame = self._wire[codec] = ws_frame(self.frame(codec))
        return frame


def direct_frame(codec: str, type_: str, epoch: str, seq: int, data: dict[str, Any]) -> bytes:
    """A wire frame for one connection only (hello, ack, error, resync): it carries the room's position so far."""
    return Event(type_, epoch, seq, now_ms(), data).wire(codec)


class Broadcast:
    """An event for the members of many rooms (the leaderboard): each member's frame carries that member's
    seq, so the data is encoded once per codec and only the short envelope around it is built per member."""

    __slots__ = ("_data", "data", "ts", "type")

    def __init__(self, type_: str, ts: int, data: dict[str, Any]) -> None:
        self.type = type_
        self.ts = ts
        self.data = data
        self._data: dict[str, bytes] = {}

    def wire(self, codec: str, epoch: str, seq: int) -> bytes:
        """The same bytes Event(type, epoch, seq, ts, data).wire(codec) would give."""
        data = self._data.get(codec)
        if codec == "msgpack":
            if data is None:
                data = self._data[codec] = msgpack.packb(self.data, use_bin_type=True)
            pack = msgpack.packb
            body = (b"\x85" + pack("type") + pack(self.type) + pack("seq") + pack(seq) + pack("epoch") + pack(epoch)
                    + pack("ts") + pack(self.ts))
            return ws_frame(body + pack("data") + data)
        if data is None:
            data = self._data[codec] = json.dumps(self.data, separators=(",", ":"), default=str).encode()
        head = (f'{{"type":{json.dumps(self.type)},"seq":{seq},"epoch":{json.dumps(epoch)},"ts":{self.ts},'
                f'"data":').encode()
        return ws_frame(head + data + b"}", text=True)
