"""HTTP endpoints of live auctions."""

from __future__ import annotations

from aiohttp import web

from bidding.keys import AUCTIONS
from bidding.schemas import BiddingOut, BidIn, OpenIn, PlacedOut
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("auctions")


@api.post(r"/api/livestreams/livestreams/{id:\d+}/biddings/", roles=["seller"], body=OpenIn, response=BiddingOut,
          status=201, summary="Auction one of your products during your live show (bidding_started)")
async def open_bidding(request: web.Request, me: Principal, body: OpenIn) -> BiddingOut:
    return await request.app[AUCTIONS].open(me, path_id(request), body)


@api.get(r"/api/livestreams/biddings/{id:\d+}/", auth="optional", response=BiddingOut,
         summary="An auction (your own maximum only to you)")
async def get_bidding(request: web.Request, me: Principal | None) -> BiddingOut:
    return await request.app[AUCTIONS].get(path_id(request), me)


@api.post(r"/api/livestreams/biddings/{id:\d+}/place-bid/", roles=["buyer", "seller"], body=BidIn, response=PlacedOut,
          status=201, summary="Bid (amount, max_amount or both); 409 bid_too_low with the amount needed, "
                              "auction_closed, own_auction, not_live, already_leading")
async def place_bid(request: web.Request, me: Principal, body: BidIn) -> PlacedOut:
    return await request.app[AUCTIONS].bid(me, path_id(request), body.amount, body.max_amount)


@api.post(r"/api/livestreams/biddings/{id:\d+}/close/", roles=["seller", "admin"], response=BiddingOut,
          summary="Close early; the leader wins if the reserve is met")
async def close_bidding(request: web.Request, me: Principal) -> BiddingOut:
    return await request.app[AUCTIONS].close(me, path_id(request))
