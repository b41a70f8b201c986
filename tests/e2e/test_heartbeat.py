"""The hub's heartbeat: one pass pings every socket; a client that stays silent is dropped, one that
answers stays."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from server.app import create_app
from server.demo import create_admin
from tests.conftest import Services, make_config
from tests.e2e.test_rooms import live_show
from tests.helpers import Api


async def test_a_silent_client_is_dropped_and_an_answering_one_stays(aiohttp_client: Any, clean: Services) -> None:
    config = make_config(clean, rooms={"heartbeat_s": 0.5})
    client = await aiohttp_client(create_app(config))
    api = Api(client)
    await create_admin(config, "root", "root@example.com", "root-pass-123")
    show = await live_show(api, await api.login("root", "root-pass-123"))
    path = f"/ws/livestream/{show.stream_id}/"
    answering = await client.ws_connect(path, protocols=("json",))  # aiohttp answers pings by itself
    silent = await client.ws_connect(path, protocols=("json",), autoping=False)
    for ws in (answering, silent):
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
    # A real client reads all the time; aiohttp answers pings while it reads.
    frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def read() -> None:
        async for message in answering:
            frames.put_nowait(message.json())

    reader = asyncio.create_task(read())
    pinged = await silent.receive(timeout=5)
    assert pinged.type == aiohttp.WSMsgType.PING
    while True:  # no pong from this one: within a round or two the server drops it
        message = await silent.receive(timeout=5)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            break
        assert message.type == aiohttp.WSMsgType.PING
    # The answering client outlived it and still gets the room's events.
    sent = await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": "still here?"},
                          token=show.seller.access)
    assert sent.status == 201
    while True:
        frame = await asyncio.wait_for(frames.get(), 5)
        if frame["type"] == "chat":
            assert frame["data"]["text"] == "still here?"
            break
    assert not answering.closed
    await answering.close()
    await reader
