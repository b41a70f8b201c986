"""HTTP endpoints of live auctions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bidding.keys import AUCTIONS, WINS
from bidding.schemas import BiddingOut, BiddingPatch, BidIn, OpenIn, PlacedOut
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("auctions")


@api.post(r"/api/livestreams/livestreams/{id:\d+}/biddings/", roles=["seller"], body=OpenIn, response=BiddingOut,
          status=201, conflicts=["auction_open", "out_of_stock", "not_live"],
          summary="Auction one of your products during your live show (bidding_started), or put it on "
                  "the run sheet of your scheduled show (status scheduled; buyers may pre-bid)")
async def open_bidding(request: web.Request, me: Principal, body: OpenIn) -> BiddingOut:
    return await request.app[AUCTIONS].open(me, path_id(request), body)


@api.get(r"/api/livestreams/biddings/{id:\d+}/", auth="optional", response=BiddingOut,
         summary="An auction (your own maximum only to you)")
async def get_bidding(request: web.Request, me: Principal | None) -> BiddingOut:
    return await request.app[AUCTIONS].get(path_id(request), me)


@api.post(r"/api/livestreams/biddings/{id:\d+}/place-bid/", roles=["buyer", "seller"], body=BidIn, response=PlacedOut,
          status=201, conflicts=["bid_too_low", "auction_closed", "own_auction", "not_live", "already_leading"],
          limited=True, summary="Bid (amount, max_amount or both; a pre-bid with max_amount on a scheduled "
                                "auction); 409 bid_too_low carries the amount needed")
async def place_bid(request: web.Request, me: Principal, body: BidIn) -> PlacedOut:
    return await request.app[AUCTIONS].bid(me, path_id(request), body.amount, body.max_amount)


@api.post(r"/api/livestreams/biddings/{id:\d+}/close/", roles=["seller", "admin"], response=BiddingOut,
          conflicts=["auction_closed"],
          summary="Close early; the leader wins if the reserve is met")
async def close_bidding(request: web.Request, me: Principal) -> BiddingOut:
    return await request.app[AUCTIONS].close(me, path_id(request))


@api.get(r"/api/livestreams/livestreams/{id:\d+}/biddings/", auth="public", response=list[BiddingOut],
         summary="A show's auctions in run-sheet order")
async def run_sheet(request: web.Request) -> list[dict[str, Any]]:
    return [b.model_dump(mode="json") for b in await request.app[AUCTIONS].run_sheet(path_id(request))]


@api.patch(r"/api/livestreams/biddings/{id:\d+}/", roles=["seller"], body=BiddingPatch, response=BiddingOut,
           conflicts=["not_scheduled"], summary="Move a scheduled auction on the run sheet")
async def move_bidding(request: web.Request, me: Principal, body: BiddingPatch) -> BiddingOut:
    return await request.app[AUCTIONS].move(me, path_id(request), body.position)


@api.post(r"/api/livestreams/biddings/{id:\d+}/start/", roles=["seller"], response=BiddingOut,
          conflicts=["not_scheduled", "not_live", "auction_open"],
          summary="Start a scheduled auction in your live show: its pre-bids apply in the order placed, then "
                  "bidding_started")
async def start_bidding(request: web.Request, me: Principal) -> BiddingOut:
    return await request.app[AUCTIONS].start(me, path_id(request))


@api.post(r"/api/livestreams/biddings/{id:\d+}/second-chance/", roles=["seller"], response=BiddingOut,
          conflicts=["not_lapsed", "no_runner_up", "offer_open"],
          summary="Offer a lapsed win's item to the bidder with the next highest maximum, at their highest bid "
                  "(second_chance_offer notification, valid bidding.second_chance_s)")
async def offer_second_chance(request: web.Request, me: Principal) -> BiddingOut:
    return await request.app[WINS].offer(me, path_id(request))


@api.post(r"/api/livestreams/biddings/{id:\d+}/second-chance/accept/", roles=["buyer", "seller"],
          response=BiddingOut, conflicts=["offer_not_open", "offer_expired"],
          summary="Accept your second-chance offer: the item goes into your cart, owed like a win")
async def accept_second_chance(request: web.Request, me: Principal) -> BiddingOut:
    return await request.app[WINS].accept(me, path_id(request))


@api.post(r"/api/livestreams/biddings/{id:\d+}/second-chance/decline/", roles=["buyer", "seller"],
          response=BiddingOut, conflicts=["offer_not_open", "offer_expired"],
          summary="Decline your second-chance offer")
async def decline_second_chance(request: web.Request, me: Principal) -> BiddingOut:
    return await request.app[WINS].decline(me, path_id(request))
