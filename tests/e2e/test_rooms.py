"""Live rooms: livestream lifecycle and credits, the socket protocol, moderation, and two server processes."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgpack
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import REGISTRY

from rooms.keys import BRIDGE, HUB, PRESENCE
from rooms.lifecycle import presence_step
from server.app import create_app
from tests.conftest import make_config
from tests.helpers import Account, Api, category, product, verified_seller


class Socket:
    """A test client of one room socket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, codec: str) -> None:
        self.ws = ws
        self.codec = codec
        self.seen: list[dict[str, Any]] = []

    async def next(self, kind: str | None = None, within_s: float = 5.0) -> dict[str, Any]:
        """The next frame (of a kind, skipping others)."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), within_s)
            if message.type == aiohttp.WSMsgType.TEXT:
                frame = json.loads(message.data)
            elif message.type == aiohttp.WSMsgType.BINARY:
                frame = msgpack.unpackb(message.data, raw=False)
            else:
                raise ConnectionError(f"socket closed: {message.type} {message.data} {message.extra}")
            self.seen.append(frame)
            if kind is None or frame["type"] == kind:
                return frame

    async def send(self, kind: str, data: dict[str, Any] | None = None) -> None:
        frame = {"type": kind, "data": data or {}}
        if self.codec == "msgpack":
            await self.ws.send_bytes(msgpack.packb(frame))
        else:
            await self.ws.send_str(json.dumps(frame))


async def connect(client: TestClient, stream_id: int, token: str | None = None, codec: str = "json",
                  last_seq: int | None = None, path: str = "livestream") -> Socket:
    params = {}
    if token:
        params["token"] = token
    if last_seq is not None:
        params["last_seq"] = str(last_seq)
    ws = await client.ws_connect(f"/ws/{path}/{stream_id}/", params=params, protocols=(codec,))
    return Socket(ws, codec)


@dataclass
class Show:
    seller: Account
    stream_id: int
    product_id: int


async def live_show(api: Api, admin: Account, name: str = "weaver", start: bool = True) -> Show:
    seller = await verified_seller(api, admin, name)
    item = await product(api, seller, await category(api, admin, f"cat-{name}"), f"item-{name}")
    created = await api.post("/api/livestreams/livestreams/", {"title": f"{name} live", "product_ids": [item["id"]]},
                             token=seller.access)
    assert created.status == 201, created.body
    if start:
        started = await api.post(f"/api/livestreams/livestreams/{created.body['id']}/start/", token=seller.access)
        assert started.status == 200, started.body
    return Show(seller, int(created.body["id"]), int(item["id"]))


async def test_going_live_takes_a_credit_and_returns_a_publisher_token(api: Api, admin: Account, db: Any) -> None:
    show = await live_show(api, admin, start=False)
    path = f"/api/livestreams/livestreams/{show.stream_id}/"
    started = await api.post(path + "start/", token=show.seller.access)
    assert started.status == 200
    assert started.body["livestream"]["status"] == "live" and started.body["livestream"]["started_at"]
    agora = started.body["agora"]
    assert agora["role"] == "publisher" and agora["uid"] == show.seller.id and agora["token"].startswith("006")
    assert agora["channel"] == f"lsc-live-{show.stream_id}" and agora["expires_at"]
    assert await db.fetchval("SELECT credits FROM sellers WHERE user_id = $1", show.seller.id) == 0
    again = await api.post(path + "start/", token=show.seller.access)
    assert again.status == 409 and again.error_code() == "not_scheduled"
    buyer = await api.register("viewer")
    joined = await api.post(path + "join/", token=buyer.access)
    assert joined.status == 200 and joined.body["agora"]["role"] == "subscriber"
    assert joined.body["ws_url"].endswith(f"/ws/livestream/{show.stream_id}/")
    renewed = await api.post(path + "token/", token=buyer.access)
    assert renewed.status == 200 and renewed.body["role"] == "subscriber"
    live = await api.get("/api/livestreams/livestreams/live_now/")
    assert [s["id"] for s in live.body["results"]] == [show.stream_id]
    ended = await api.post(path + "end/", token=show.seller.access)
    assert ended.status == 200 and ended.body["status"] == "ended"
    assert (await api.post(path + "end/", token=show.seller.access)).error_code() == "not_live"
    assert (await api.post(path + "join/", token=buyer.access)).error_code() == "stream_ended"


async def test_no_credit_no_show(api: Api, admin: Account, db: Any) -> None:
    show = await live_show(api, admin, start=False)
    await db.execute("UPDATE sellers SET credits = 0 WHERE user_id = $1", show.seller.id)
    await db.execute("DELETE FROM credit_ledger WHERE seller_id = $1", show.seller.id)
    refused = await api.post(f"/api/livestreams/livestreams/{show.stream_id}/start/", token=show.seller.access)
    assert refused.status == 409 and refused.error_code() == "insufficient_credits"
    assert (await api.get(f"/api/livestreams/livestreams/{show.stream_id}/")).body["status"] == "scheduled"


async def test_livestream_permissions_and_input(api: Api, admin: Account) -> None:
    show = await live_show(api, admin, start=False)
    buyer = await api.register("viewer")
    rival = await verified_seller(api, admin, "rival")
    unverified = await api.register("newshop", "seller")
    assert (await api.post("/api/livestreams/livestreams/", {"title": "x"}, token=buyer.access)).status == 403
    refused = await api.post("/api/livestreams/livestreams/", {"title": "x"}, token=unverified.access)
    assert refused.error_code() == "seller_not_verified"
    foreign = await api.post("/api/livestreams/livestreams/", {"title": "x", "product_ids": [show.product_id]},
                             token=rival.access)
    assert foreign.status == 400 and "product_ids" in foreign.body["error"]["fields"]
    path = f"/api/livestreams/livestreams/{show.stream_id}/"
    for action in ("start/", "end/"):
        assert (await api.post(path + action, token=rival.access)).status == 403
    assert (await api.post(path + "pin-product/", {"product_id": show.product_id}, token=rival.access)).status == 403
    assert (await api.get("/api/livestreams/livestreams/99999/")).error_code() == "livestream_not_found"
    assert (await api.get("/api/livestreams/livestreams/?status=later")).status == 400


async def test_hello_chat_ack_and_events_over_both_codecs(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("asha")
    watcher = await connect(api.client, show.stream_id)  # no token: watch only
    talker = await connect(api.client, show.stream_id, buyer.access, codec="msgpack")
    hello = await watcher.next("hello")
    assert hello["data"]["livestream"]["id"] == show.stream_id and hello["data"]["you"] is None
    assert (await talker.next("hello"))["data"]["you"] == {"id": buyer.id, "role": "buyer"}
    await watcher.send("chat", {"text": "hi", "client_id": "w1"})
    refused = await watcher.next("error")
    assert refused["data"] == {"client_id": "w1", "code": "not_authenticated",
                               "message": "Sign in to chat: connect with ?token=<access token>."}
    await talker.send("chat", {"text": "  Namaste!  ", "client_id": "t1"})
    assert (await talker.next("ack"))["data"] == {"client_id": "t1"}
    for each in (watcher, talker):
        event = await each.next("chat")
        assert event["data"]["text"] == "Namaste!" and event["data"]["user"] == {"id": buyer.id, "username": "asha"}
        assert isinstance(event["seq"], int) and isinstance(event["ts"], int)
    history = await api.get(f"/api/chat/messages/{show.stream_id}/")
    assert [m["text"] for m in history.body["results"]] == ["Namaste!"]
    await api.post(f"/api/livestreams/livestreams/{show.stream_id}/pin-product/", {"product_id": show.product_id},
                   token=show.seller.access)
    pinned = await watcher.next("product_pinned")
    assert pinned["data"]["product"]["id"] == show.product_id


async def test_bad_frames_get_errors_not_disconnects(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("asha")
    socket = await connect(api.client, show.stream_id, buyer.access)
    await socket.next("hello")
    await socket.ws.send_str("{not json")
    assert (await socket.next("error"))["data"]["code"] == "bad_frame"
    await socket.ws.send_bytes(msgpack.packb({"type": "ping"}))  # binary on a JSON connection
    assert (await socket.next("error"))["data"]["code"] == "bad_frame"
    await socket.ws.send_str(json.dumps(["ping"]))
    assert (await socket.next("error"))["data"]["code"] == "bad_frame"
    await socket.send("dance", {"client_id": "c1"})
    assert (await socket.next("error"))["data"] == {
        "client_id": "c1", "code": "unknown_type",
        "message": "Unknown frame type 'dance'; send ping, chat, bid, claim, enter_giveaway, reaction or vote."}
    await socket.send("chat", {"client_id": "c2"})
    assert (await socket.next("error"))["data"]["code"] == "invalid_input"
    await socket.send("chat", {"text": "x" * 501, "client_id": "c3"})
    assert (await socket.next("error"))["data"]["code"] == "invalid_input"
    await socket.send("ping", {"client_id": "c4"})
    assert (await socket.next("ack"))["data"] == {"client_id": "c4"}
    await socket.ws.send_str(json.dumps({"type": "chat", "data": {"text": "y" * 5000}}))  # over 4 KiB
    closed = await socket.ws.receive(timeout=5)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    assert socket.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


async def test_sockets_refuse_bad_tokens_and_unknown_rooms(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    for params, status in (({"token": "garbage"}, 401), ({"last_seq": "-1"}, 400)):
        async with api.client.get(f"/ws/livestream/{show.stream_id}/", params=params) as resp:
            assert resp.status == status
    async with api.client.get("/ws/livestream/9999/") as resp:
        assert resp.status == 404


async def test_chat_flood_is_rate_limited(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("asha")
    socket = await connect(api.client, show.stream_id, buyer.access)
    await socket.next("hello")
    codes = []
    for i in range(7):
        await socket.send("chat", {"text": f"m{i}", "client_id": str(i)})
        frame = await socket.next()
        while frame["type"] not in ("ack", "error"):
            frame = await socket.next()
        codes.append(frame["data"].get("code", "ack"))
    assert codes == ["ack"] * 5 + ["rate_limited"] * 2


async def test_moderation_powers_and_who_holds_them(api: Api, admin: Account, db: Any) -> None:
    show = await live_show(api, admin)
    other_show = await live_show(api, admin, "rival")
    buyer, mod, target = await api.register("asha"), await api.register("modo"), await api.register("troll")
    base = f"/api/chat/livestreams/{show.stream_id}/"
    assert (await api.post(base + "ban-user/", {"user_id": target.id}, token=buyer.access)).status == 403
    assert (await api.post(base + "moderators/", {"user_id": mod.id}, token=buyer.access)).status == 403
    appointed = await api.post(base + "moderators/", {"user_id": mod.id}, token=show.seller.access)
    assert appointed.status == 200 and appointed.body == {"moderators": [mod.id]}
    elsewhere = await api.post(f"/api/chat/livestreams/{other_show.stream_id}/ban-user/", {"user_id": target.id},
                               token=mod.access)
    assert elsewhere.status == 403  # a moderator of one show has no power in another
    muted = await api.post(base + "ban-user/", {"user_id": target.id, "duration_s": 600}, token=mod.access)
    assert muted.status == 200 and muted.body["kind"] == "mute"
    said = await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": "hello"}, token=target.access)
    assert said.status == 403 and said.error_code() == "muted"
    assert (await api.post(base + "unban-user/", {"user_id": target.id}, token=mod.access)).status == 204
    message = await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": "rude"}, token=target.access)
    assert message.status == 201
    watcher = await connect(api.client, show.stream_id)
    await watcher.next("hello")
    assert (await api.call("DELETE", f"/api/chat/messages/{show.stream_id}/{message.body['id']}/",
                           token=buyer.access)).status == 403
    assert (await api.call("DELETE", f"/api/chat/messages/{show.stream_id}/{message.body['id']}/",
                           token=mod.access)).status == 204
    assert (await watcher.next("chat_deleted"))["data"] == {"id": message.body["id"]}
    history = await api.get(f"/api/chat/messages/{show.stream_id}/")
    assert history.body["results"] == []
    banned = await api.post(base + "ban-user/", {"user_id": target.id}, token=show.seller.access)
    assert banned.body["kind"] == "ban"
    refused = await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": "again"}, token=target.access)
    assert refused.error_code() == "banned"
    assert (await api.post(base + "ban-user/", {"user_id": show.seller.id}, token=mod.access)).status == 400
    dismissed = await api.call("DELETE", base + "moderators/", {"user_id": mod.id}, token=show.seller.access)
    assert dismissed.body == {"moderators": []}
    assert (await api.post(base + "ban-user/", {"user_id": buyer.id}, token=mod.access)).status == 403


async def test_chat_settings_slow_mode_blocked_words_and_pinned_message(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("asha")
    base = f"/api/chat/livestreams/{show.stream_id}/settings/"
    send = f"/api/chat/messages/{show.stream_id}/send/"
    watcher = await connect(api.client, show.stream_id)
    await watcher.next("hello")
    assert (await api.patch(base, {"slow_mode_s": 30}, token=buyer.access)).status == 403
    changed = await api.patch(base, {"slow_mode_s": 30, "blocked_words": ["Spam", " spam ", "scam"],
                                     "pinned_message": "Free shipping today!"}, token=show.seller.access)
    assert changed.status == 200 and changed.body["blocked_words"] == ["scam", "spam"]
    assert (await watcher.next("chat_pinned"))["data"] == {"message": "Free shipping today!"}
    blocked = await api.post(send, {"text": "this is SPAM!"}, token=buyer.access)
    assert blocked.status == 400 and blocked.error_code() == "blocked_word"
    assert (await api.post(send, {"text": "spammy is fine"}, token=buyer.access)).status == 201
    slow = await api.post(send, {"text": "second"}, token=buyer.access)
    assert slow.status == 429 and slow.error_code() == "slow_mode" and int(slow.headers["Retry-After"]) <= 30
    for _ in range(2):  # the seller is not slowed down
        assert (await api.post(send, {"text": "from the seller"}, token=show.seller.access)).status == 201
    late = await connect(api.client, show.stream_id)
    assert (await late.next("hello"))["data"]["pinned_message"] == "Free shipping today!"


async def test_chat_reaches_both_processes_in_one_seq_order(api: Api, admin: Account, two: Any) -> None:
    a, b = two
    show = await live_show(api, admin)
    buyers = [await api.register(f"buyer{i}") for i in range(4)]
    sockets = [await connect(a, show.stream_id), await connect(b, show.stream_id, codec="msgpack"),
               await connect(b, show.stream_id, path="chat")]
    for s in sockets:
        await s.next("hello")
    api_b = Api(b)
    sends = [(api if i % 2 else api_b).post(f"/api/chat/messages/{show.stream_id}/send/", {"text": f"m{i}"},
                                           token=buyers[i % 4].access) for i in range(16)]
    for reply in await asyncio.gather(*sends):
        assert reply.status in (201, 429)
    expected = await api.get(f"/api/chat/messages/{show.stream_id}/?limit=100")
    count = len(expected.body["results"])
    assert count >= 16 - 4  # at most a few hit the per-user rate limit
    orders = []
    for s in sockets:
        frames = [await s.next("chat") for _ in range(count)]
        seqs = [f["seq"] for f in frames]
        assert seqs == sorted(seqs) and len(set(seqs)) == count
        orders.append([(f["seq"], f["data"]["text"]) for f in frames])
    assert orders[0] == orders[1] == orders[2]


async def test_a_ban_on_one_process_applies_on_the_other(api: Api, admin: Account, two: Any) -> None:
    _, b = two
    show = await live_show(api, admin)
    troll = await api.register("troll")
    socket = await connect(b, show.stream_id, troll.access)
    await socket.next("hello")
    assert (await api.post(f"/api/chat/livestreams/{show.stream_id}/ban-user/", {"user_id": troll.id},
                           token=show.seller.access)).status == 200
    await socket.send("chat", {"text": "hello?", "client_id": "x"})
    error = await socket.next("error")
    assert error["data"]["code"] == "banned" and error["data"]["client_id"] == "x"


async def test_viewer_counts_add_up_across_processes(api: Api, admin: Account, two: Any, app: Any) -> None:
    a, b = two
    show = await live_show(api, admin)
    sockets = [await connect(a, show.stream_id), await connect(a, show.stream_id), await connect(b, show.stream_id)]
    for s in sockets:
        await s.next("hello")
    room = f"stream:{show.stream_id}"
    for process in (a.server.app, b.server.app):
        await process[PRESENCE].report({room: process[HUB].local_count(room)})
    stream = await api.get(f"/api/livestreams/livestreams/{show.stream_id}/")
    assert stream.body["viewers"] == 3
    await presence_step(b.server.app)  # reports again and publishes the change
    assert (await sockets[2].next("viewers"))["data"] == {"count": 3}
    assert (await sockets[0].next("viewers"))["data"] == {"count": 3}
    await sockets[1].ws.close()
    await presence_step(a.server.app)  # within the same second: counted, not published
    assert await a.server.app[PRESENCE].total(room) == 2
    assert await a.server.app[BRIDGE].redis.get(f"presence:{room}:last") == b"3"


async def test_resume_on_the_other_process_gets_exactly_the_missed_events(api: Api, admin: Account,
                                                                          two: Any) -> None:
    a, b = two
    show = await live_show(api, admin)
    buyer = await api.register("asha")
    first = await connect(a, show.stream_id)
    await first.next("hello")
    send = f"/api/chat/messages/{show.stream_id}/send/"
    await api.post(send, {"text": "one"}, token=buyer.access)
    last = (await first.next("chat"))["seq"]
    await first.ws.close()
    for text in ("two", "three"):
        await api.post(send, {"text": text}, token=buyer.access)
    resumed = await connect(b, show.stream_id, last_seq=last)
    missed = [await resumed.next(), await resumed.next()]
    assert [(f["type"], f["data"]["text"], f["seq"]) for f in missed] == [
        ("chat", "two", last + 1), ("chat", "three", last + 2)]
    await api.post(send, {"text": "four"}, token=buyer.access)
    live = await resumed.next()
    assert (live["data"]["text"], live["seq"]) == ("four", last + 3)
    assert all(f["type"] != "hello" for f in resumed.seen)


async def test_resync_when_the_history_no_longer_holds_the_events(api: Api, admin: Account, app: Any) -> None:
    show = await live_show(api, admin)
    bridge = app[BRIDGE]
    room = f"stream:{show.stream_id}"
    for i in range(1005):
        await bridge.publish(room, "noise", {"i": i})
    socket = await connect(api.client, show.stream_id, last_seq=2)
    resync = await socket.next()
    assert resync["type"] == "resync" and resync["seq"] >= 1005
    assert (await socket.next())["type"] == "hello"


async def test_a_slow_reader_is_closed_and_its_memory_is_bounded(aiohttp_client: Any, clean: Any, api: Api,
                                                                 admin: Account) -> None:
    show = await live_show(api, admin)
    app = create_app(make_config(clean, rooms={"send_queue_size": 8}))
    client = await aiohttp_client(app)
    # A raw client that completes the handshake and then reads nothing: once asyncio's reader buffer
    # is full it stops reading the socket, so TCP pushes back on the server as a stalled phone would.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window, like a stalled phone
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", client.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
    writer.write((f"GET /ws/livestream/{show.stream_id}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    bridge, hub = app[BRIDGE], app[HUB]
    room = f"stream:{show.stream_id}"
    for _ in range(200):
        if hub.local_count(room) == 1:
            break
        await asyncio.sleep(0.01)
    assert hub.local_count(room) == 1
    blob = "x" * 60_000
    for i in range(400):  # ~24 MB: more than the socket buffers hold, and the client reads nothing
        await bridge.publish(room, "noise", {"i": i, "blob": blob})
        if hub.local_count(room) == 0:
            break
        await asyncio.sleep(0)
    for _ in range(200):
        if hub.local_count(room) == 0:
            break
        await asyncio.sleep(0.05)
    assert hub.local_count(room) == 0
    writer.close()


async def test_shutdown_closes_sockets_with_1001(aiohttp_client: Any, clean: Any, api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    client = await aiohttp_client(create_app(make_config(clean)))
    socket = await connect(client, show.stream_id)
    await socket.next("hello")
    await client.server.app.shutdown()
    message = await socket.ws.receive(timeout=5)
    assert message.type == aiohttp.WSMsgType.CLOSE and message.data == aiohttp.WSCloseCode.GOING_AWAY


async def test_stream_ended_reaches_the_room_and_closes_its_chat(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("asha")
    socket = await connect(api.client, show.stream_id, buyer.access)
    await socket.next("hello")
    await api.post(f"/api/livestreams/livestreams/{show.stream_id}/end/", token=show.seller.access)
    ended = await socket.next("stream_ended")
    assert ended["data"] == {"livestream_id": show.stream_id, "reason": "owner"}
    await socket.send("chat", {"text": "bye", "client_id": "z"})
    assert (await socket.next("error"))["data"]["code"] == "stream_ended"


async def test_msgpack_garbage_and_expired_tokens(api: Api, admin: Account, config: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from server.tokens import TokenCodec

    show = await live_show(api, admin)
    buyer = await api.register("asha")
    socket = await connect(api.client, show.stream_id, buyer.access, codec="msgpack")
    await socket.next("hello")
    await socket.ws.send_bytes(b"\xc1\xc1\xc1")  # 0xc1 is never valid MessagePack
    assert (await socket.next("error"))["data"]["code"] == "bad_frame"
    await socket.ws.send_str('{"type": "ping"}')  # text on a MessagePack connection
    assert (await socket.next("error"))["data"]["code"] == "bad_frame"
    tokens = TokenCodec(config.auth.jwt_secret, config.auth.access_ttl_s, config.auth.refresh_ttl_s)
    old = tokens.issue_access(buyer.id, "buyer", now=datetime.now(UTC) - timedelta(hours=1))
    async with api.client.get(f"/ws/livestream/{show.stream_id}/", params={"token": old}) as resp:
        assert resp.status == 401 and (await resp.json())["error"]["code"] == "token_expired"


async def test_users_with_an_open_socket_are_online(api: Api, admin: Account, app: Any) -> None:
    show = await live_show(api, admin)
    here, away = await api.register("here"), await api.register("away")
    socket = await connect(api.client, show.stream_id, here.access)
    await socket.next("hello")
    await presence_step(app)
    assert await app[PRESENCE].online([here.id, away.id]) == {here.id}


@pytest.mark.parametrize("codec", ["json", "msgpack"])
def test_a_broadcast_frame_is_the_event_frame_with_the_members_seq(codec: str) -> None:
    from rooms.events import Broadcast, Event

    data = {"week": "2026-W48", "results": [{"rank": 1, "video": {"id": 7, "title": "Saree \u2728 \"drape\""},
                                             "likes": 3}], "long": "x" * 70000}
    broadcast = Broadcast("leaderboard", 1764000000000, data)
    for seq in (0, 41, 2**40):
        assert broadcast.wire(codec, "9f2c01ab", seq) == Event("leaderboard", "9f2c01ab", seq, 1764000000000,
                                                               data).wire(codec)


async def test_a_frame_of_exactly_the_limit_is_read_and_one_byte_more_closes(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("framer")
    socket = await connect(api.client, show.stream_id, buyer.access)
    await socket.next("hello")
    frame = '{"type": "chat", "data": {"client_id": "max", "text": "'
    await socket.ws.send_str(frame + "x" * (4096 - len(frame) - 3) + '"}}')  # 4,096 bytes: within the contract
    answer = await socket.next()
    while answer["type"] not in ("ack", "error"):
        answer = await socket.next()
    assert answer["data"]["client_id"] == "max"  # answered (the text is too long for chat: an error frame)
    await socket.ws.send_str(frame + "x" * (4097 - len(frame) - 3) + '"}}')
    message = await socket.ws.receive()
    while message.type == aiohttp.WSMsgType.TEXT:
        message = await socket.ws.receive()
    assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 1009


async def test_viewers_joining_a_watched_show_cost_no_database_query(api: Api, admin: Account,
                                                                     client: TestClient) -> None:
    # A reconnect storm after a deploy: the room's hello is read once per log position by each process, and the
    # show's check before the upgrade comes from it too. Every PostgreSQL query takes a pooled connection, so
    # the pool's acquire count is the query count.
    show = await live_show(api, admin, "stormy")
    buyer = await api.register("stormer")
    first = await connect(client, show.stream_id)
    hello = await first.next("hello")

    def acquired() -> float:
        return REGISTRY.get_sample_value("lsc_db_pool_wait_seconds_count") or 0

    before = acquired()
    later = [await connect(client, show.stream_id) for _ in range(5)]
    hellos = [await s.next("hello") for s in later]
    assert acquired() == before  # five anonymous viewers: not one query
    assert all(h["seq"] == hello["seq"] and h["data"]["livestream"] == hello["data"]["livestream"] for h in hellos)
    signed_in = await connect(client, show.stream_id, buyer.access)
    mine = await signed_in.next("hello")
    assert mine["data"]["you"]["id"] == buyer.id and acquired() - before <= 2  # only its personal parts
    # An event moves the room's position: the next viewer's hello is read again, and shows it.
    sent = await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": "news"}, token=buyer.access)
    assert sent.status == 201
    await first.next("chat")
    fresh = await (await connect(client, show.stream_id)).next("hello")
    assert fresh["seq"] > hello["seq"] and [m["text"] for m in fresh["data"]["chat"]] == ["news"]
