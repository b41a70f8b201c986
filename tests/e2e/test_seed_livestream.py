"""The livestream app (its seed's paths and answers): a seller bidding in their own auction is told why."""

from __future__ import annotations

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
