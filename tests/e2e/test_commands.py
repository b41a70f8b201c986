"""A live feature adds a socket command and a hello part by registering them: rooms/gateway.py is not edited."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import redis.exceptions
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from rooms.commands import CommandContext, HelloContext, Reply, register_command, register_hello_part
from rooms.events import RoomEvent
from rooms.keys import BRIDGE
from server.app import create_app
from server.config import Config
from tests.e2e.test_rooms import connect, live_show
from tests.helpers import Account, Api


class EchoFrame(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str = Field(min_length=1, max_length=20)


class Echoed(RoomEvent):
    type: ClassVar[str] = "echoed"
    text: str
    by: int


async def echo(ctx: CommandContext, frame: EchoFrame) -> Reply:
    """Answer in the ack; once the ack is out, tell the whole room."""
    user = ctx.user()

    async def tell_the_room() -> None:
        await ctx.app[BRIDGE].emit(ctx.room, Echoed(text=frame.text, by=user.user_id))

    return Reply({"echo": frame.text.upper()}, then=tell_the_room)


async def explode(ctx: CommandContext, frame: BaseModel) -> None:
    raise RuntimeError("a bug in a feature")


async def lose_redis(ctx: CommandContext, frame: BaseModel) -> None:
    raise redis.exceptions.ConnectionError("Connection refused")


async def weather(ctx: HelloContext) -> dict[str, Any]:
    return {"room": str(ctx.room), "signed_in": ctx.user is not None}


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


@pytest.fixture
def app(config: Config) -> web.Application:
    """The app with a throwaway feature registered the way every live feature registers."""
    app = create_app(config)
    register_command(app, "echo", EchoFrame, echo, sign_in="Sign in to echo.")
    register_command(app, "explode", Loose, explode)
    register_command(app, "lose_redis", Loose, lose_redis)
    register_hello_part(app, "stream", "weather", weather, personal=True)
    return app


async def test_a_registered_command_is_served_acked_and_its_event_reaches_the_room(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("echoer")
    sender = await connect(api.client, show.stream_id, buyer.access, codec="msgpack")
    watcher = await connect(api.client, show.stream_id)
    hello = (await sender.next("hello"))["data"]
    assert hello["weather"] == {"room": f"stream:{show.stream_id}", "signed_in": True}
    assert (await watcher.next("hello"))["data"]["weather"]["signed_in"] is False
    await sender.send("echo", {"text": "namaste", "client_id": "e1"})
    assert (await sender.next("ack"))["data"] == {"client_id": "e1", "echo": "NAMASTE"}
    for socket in (sender, watcher):
        assert (await socket.next("echoed"))["data"] == {"text": "namaste", "by": buyer.id}
    await watcher.send("echo", {"text": "hi", "client_id": "w1"})
    assert (await watcher.next("error"))["data"] == {"client_id": "w1", "code": "not_authenticated",
                                                     "message": "Sign in to echo."}
    await sender.send("echo", {"text": "", "client_id": "e2"})
    refused = (await sender.next("error"))["data"]
    assert refused["code"] == "invalid_input" and refused["client_id"] == "e2" and "text" in refused["fields"]
    await sender.send("dance", {"client_id": "e3"})
    unknown = (await sender.next("error"))["data"]
    assert unknown["message"] == ("Unknown frame type 'dance'; send ping, chat, bid, claim, enter_giveaway, "
                                  "reaction, vote, echo, explode or lose_redis.")


async def test_any_failure_of_a_command_is_an_error_frame_and_the_socket_lives_on(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    socket = await connect(api.client, show.stream_id)
    await socket.next("hello")
    await socket.send("explode", {"client_id": "x1"})
    broken = (await socket.next("error"))["data"]
    assert broken["client_id"] == "x1" and broken["code"] == "internal"
    assert "request id" in broken["message"] and "a bug" not in broken["message"]  # no internals leak
    await socket.send("lose_redis", {"client_id": "x2"})
    down = (await socket.next("error"))["data"]
    assert down == {"client_id": "x2", "code": "unavailable",
                    "message": "A backing service is unavailable; try again shortly."}
    await socket.send("ping", {"client_id": "x3"})
    assert (await socket.next("ack"))["data"] == {"client_id": "x3"}


async def test_the_notification_socket_serves_only_ping(api: Api) -> None:
    user = await api.register("listener")
    ws = await api.client.ws_connect("/ws/notifications/", params={"token": user.access})
    assert (await ws.receive_json())["type"] == "hello"
    await ws.send_json({"type": "echo", "data": {"text": "hi", "client_id": "n1"}})
    error = await ws.receive_json()
    assert error["data"]["code"] == "unknown_type" and error["data"]["message"].endswith("send ping.")
    await ws.close()


def refs_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs_in(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs_in(v)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


async def test_the_protocol_document_lists_every_socket_event_and_frame(api: Api) -> None:
    doc = (await api.get("/api/asyncapi.json")).body
    assert doc["asyncapi"] == "3.0.0"
    assert {c["address"] for c in doc["channels"].values()} == {
        "/ws/livestream/{id}/", "/ws/chat/{id}/", "/ws/notifications/"}
    live = doc["channels"]["ws_livestream_id"]["messages"]
    for name in ("event.bid", "event.bidding_closed", "event.chat", "event.viewers", "event.hello", "event.error",
                 "event.echoed", "frame.ping", "frame.chat", "frame.bid", "frame.echo",
                 # the selling tools'
                 "event.bidding_started", "event.bidding_extended", "event.flash_sale_started",
                 "event.flash_sale_updated", "event.flash_sale_ended", "event.giveaway_started",
                 "event.giveaway_updated", "event.giveaway_ended", "frame.claim", "frame.enter_giveaway",
                 # the audience's
                 "event.reactions", "event.poll_started", "event.poll_updated", "event.poll_closed", "event.raid",
                 "event.raid_arrived", "frame.reaction", "frame.vote"):
        assert name in live, name
    chat_only = doc["channels"]["ws_chat_id"]["messages"]
    assert "event.chat" in chat_only and "event.bid" not in chat_only
    mine = doc["channels"]["ws_notifications"]["messages"]
    assert {"event.notification", "event.leaderboard", "event.credit_warning"} <= set(mine)
    assert "event.bid" not in mine and set(m for m in mine if m.startswith("frame.")) == {"frame.ping"}
    bid = resolve(doc, doc["components"]["messages"]["event.bid"]["payload"]["properties"]["data"]["$ref"])
    assert bid["properties"]["amount"]["type"] == "number"  # Money on the wire, exact until encoded
    frame = doc["components"]["messages"]["frame.bid"]["payload"]["properties"]["data"]["allOf"][0]
    assert "bidding_id" in resolve(doc, frame["$ref"])["properties"]
    notification = resolve(doc, doc["components"]["messages"]["event.notification"]["payload"]["properties"]["data"]
                           ["$ref"])
    assert "type" in notification["properties"] and "kind" not in notification["properties"]
    for ref in refs_in(doc):
        resolve(doc, ref)  # every reference resolves
