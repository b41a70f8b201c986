"""The livestream app (its seed's paths and answers): a seller bidding in their own auction is told why."""

from __future__ import annotations

from typing import Any

import aiohttp

from rooms.keys import HUB
from rooms.names import RoomName
from tests.e2e.test_auctions import bid, open_auction
from tests.e2e.test_rooms import connect, live_show
from tests.helpers import Account, Api, verified_seller


async def test_a_seller_bidding_in_their_own_auction_gets_409_own_auction(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    auction = await open_auction(api, show)
    own = await bid(api, show.seller, auction["id"], amount=100)
    assert own.status == 409 and own.error_code() == "own_auction"
    socket = await connect(api.client, show.stream_id, show.seller.access)
    await socket.next("hello")
    await socket.send("bid", {"bidding_id": auction["id"], "amount": 100, "client_id": "s1"})
    refused = (await socket.next("error"))["data"]
    assert refused["code"] == "own_auction" and refused["client_id"] == "s1"
    other = await verified_seller(api, admin, "rival")
    assert (await bid(api, other, auction["id"], amount=100)).status == 403  # sellers do not bid elsewhere
    assert (await bid(api, admin, auction["id"], amount=100)).status == 403
    state = (await api.get(f"/api/livestreams/biddings/{auction['id']}/")).body
    assert state["bids_count"] == 0 and state["leader"] is None


async def test_a_plain_get_on_a_socket_path_gets_426_with_the_error_body(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    viewer = await api.register("viewer")
    for path in (f"/ws/livestream/{show.stream_id}/", f"/ws/chat/{show.stream_id}/",
                 f"/ws/notifications/?token={viewer.access}"):
        reply = await api.get(path)
        assert reply.status == 426 and reply.error_code() == "upgrade_required", (path, reply.body)
        assert reply.headers["Upgrade"] == "websocket"


async def test_a_socket_opened_after_the_show_ended_is_told_and_closed_normally(api: Api, app: Any,
                                                                               admin: Account) -> None:
    show = await live_show(api, admin)
    ended = await api.post(f"/api/livestreams/livestreams/{show.stream_id}/end/", token=show.seller.access)
    assert ended.status == 200
    for codec in ("json", "msgpack"):
        socket = await connect(api.client, show.stream_id, codec=codec)
        frame = await socket.next()
        assert frame["type"] == "stream_ended"
        assert frame["data"]["livestream_id"] == show.stream_id and frame["data"]["livestream"]["status"] == "ended"
        closing = await socket.ws.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and socket.ws.close_code == 1000
        assert app[HUB].local_count(RoomName.stream(show.stream_id)) == 0  # never a viewer
