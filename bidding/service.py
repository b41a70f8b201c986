"""Auction use cases: open, bid (REST and socket alike), close once, and the sweeper's close."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
import redis.asyncio as aioredis
from prometheus_client import Counter

from bidding import rules, store, wins_store
from bidding.events import BiddingClosed, BiddingExtended, BiddingStarted, BidPlaced, OutbidData, WonData
from bidding.schemas import BiddingOut, BidOut, OfferOut, OpenIn, Party, PlacedOut, WinOut
from bidding.store import BiddingView, LockedBidding
from bidding.wins_store import Offer, Win
from commerce.cart.service import put_in_cart
from rooms.bridge import Bridge
from rooms.events import RoomEvent
from rooms.names import RoomName
from rooms.notifications.service import notify
from rooms.outbox import Relay, Staged, stage
from rooms.streams.service import sellers_show
from server.background import once_each
from server.config import BiddingConfig
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from server.metrics import counted
from server.money import wire_number
from server.ratelimit import FixedWindow
from server.sql import Conn
from server.tokens import Principal

log = logging.getLogger(__name__)
BIDS = Counter("lsc_bids", "Bids decided, by outcome: accepted, prebid (before the start), or the code of the "
               "refusal (bid_too_low, auction_closed, rate_limited...).", ["outcome"])
AUCTIONS_CLOSED = Counter("lsc_auctions_closed", "Auctions closed, by outcome: sold (a winner owes the price) or "
                          "unsold.", ["outcome"])


class BidRefused(Conflict):
    """A bid the rules refuse; its code is the contract's (bid_too_low, auction_closed, ...)."""


@dataclass(frozen=True)
class Placed:
    """A committed bid, its events staged in the room's outbox and not yet published."""

    me: Principal
    row: LockedBidding
    decision: rules.Decision
    version: int
    staged: Staged | None

    @property
    def leading(self) -> bool:
        return self.decision.auction.leader_id == self.me.user_id


MESSAGES = {
    "bid_too_low": "The bid is too low.",
    "auction_closed": "The auction is closed.",
    "own_auction": "You cannot bid in your own auction.",
    "not_live": "The show is not live.",
    "already_leading": "You are already leading; raise your max_amount instead.",
}


def view(row: BiddingView, my_max: Decimal | None = None, win: Win | None = None,
         offer: Offer | None = None) -> BiddingOut:
    """The public shape of an auction (its leader's maximum stays hidden)."""
    auction = row.state()
    reserve = row.reserve_price
    return BiddingOut(
        id=row.id, livestream=row.livestream_id, product=row.product_id, product_name=row.product_name,
        status=row.status, mode=row.mode, starting_price=row.starting_price,
        min_increment=row.min_increment,
        next_min_amount=auction.next_min() if row.status == "open" else None,
        current_amount=row.current_amount,
        leader=Party(id=row.leader_id, username=row.leader_username or "") if row.leader_id else None,
        ends_at=row.ends_at, duration_s=row.duration_s, position=row.position, bids_count=row.bids_count,
        version=row.version,
        winner=Party(id=row.winner_id, username=row.winner_username or "") if row.winner_id else None,
        reserve_met=None if reserve is None or row.current_amount is None else row.current_amount >= reserve,
        my_max=my_max,
        win=WinOut(buyer=Party(id=win.buyer_id, username=win.buyer_username), amount=win.amount, kind=win.kind,
                   status=win.status, pay_by=win.pay_by) if win else None,
        second_chance=OfferOut(buyer=Party(id=offer.buyer_id, username=offer.buyer_username), amount=offer.amount,
                               status=offer.status, expires_at=offer.expires_at) if offer else None,
    )


async def views(conn: Conn, rows: list[BiddingView]) -> list[BiddingOut]:
    """Public shapes of auctions, with the win and second-chance offer of closed ones (two queries for any
    number)."""
    closed = [r.id for r in rows if r.status == "closed"]
    wins = await wins_store.latest_wins(conn, closed) if closed else {}
    offers = await wins_store.latest_offers(conn, closed) if closed else {}
    return [view(r, None, wins.get(r.id), offers.get(r.id)) for r in rows]


RowT = TypeVar("RowT", bound=store.Bidding)


def _own_scheduled(row: RowT | None, me: Principal, bidding_id: int) -> RowT:
    """The auction, if it is the caller's and still on the run sheet (scheduled)."""
    if row is None:
        raise NotFound(f"No auction with id {bidding_id}.", code="auction_not_found")
    if row.seller_id != me.user_id:
        raise PermissionDenied("Only the show's seller arranges and starts its auctions.")
    if row.status != "scheduled":
        raise Conflict("The auction is not scheduled.", code="not_scheduled")
    return row


@dataclass
class Auctions:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    bridge: Bridge
    relay: Relay
    config: BiddingConfig
    _limit: FixedWindow = field(init=False)

    def __post_init__(self) -> None:
        self._limit = FixedWindow(self.redis, "bid", self.config.bid_rate, self.config.bid_window_s)

    async def open(self, me: Principal, stream_id: int, data: OpenIn) -> BiddingOut:
        """The show's seller auctions one of their products: now, during the live show, or on the run sheet of a
        scheduled show (status "scheduled": buyers may pre-bid; the seller starts it once live)."""
        stream = await sellers_show(self.pool, me, stream_id, "auctions", ("live", "scheduled"))
        b = self.config
        if not b.min_duration_s <= data.duration_s <= b.max_duration_s:
            message = f"Between {b.min_duration_s} and {b.max_duration_s} seconds."
            raise InvalidInput(f"duration_s: {message}", fields={"duration_s": [message]})
        stock = await store.stock_of_sellers_product(self.pool, data.product_id, me.user_id)
        if stock is None:
            raise NotFound(f"No active product {data.product_id} of yours.", code="product_not_found")
        if stock < 1:
            raise Conflict("The product is out of stock.", code="out_of_stock")
        if stream.status == "scheduled":
            bidding_id = await store.insert_scheduled(
                self.pool, stream_id=stream_id, product_id=data.product_id, seller_id=me.user_id, mode=data.mode,
                starting_price=data.starting_price, min_increment=data.min_increment,
                reserve_price=data.reserve_price, anti_snipe_s=b.anti_snipe_s, duration_s=data.duration_s)
            return await self.get(bidding_id)
        async with self.pool.acquire() as conn, conn.transaction():
            bidding_id = await store.insert(
                conn, stream_id=stream_id, product_id=data.product_id, seller_id=me.user_id, mode=data.mode,
                starting_price=data.starting_price, min_increment=data.min_increment,
                reserve_price=data.reserve_price, anti_snipe_s=b.anti_snipe_s, duration_s=data.duration_s,
            )
            out = await self.view_in(conn, bidding_id)
            staged = await stage(conn, RoomName.stream(stream_id), [BiddingStarted(**out.model_dump())])
        await self.relay.publish(staged)
        return out

    async def view_in(self, conn: Conn, bidding_id: int, me: Principal | None = None) -> BiddingOut:
        """An auction as `get` shows it, read on the caller's connection (inside its transaction)."""
        row = await store.fetch(conn, bidding_id)
        if row is None:
            raise NotFound(f"No auction with id {bidding_id}.", code="auction_not_found")
        mine = await store.my_max(conn, bidding_id, me.user_id) if me else None
        if row.status == "closed":
            return (await views(conn, [row]))[0].model_copy(update={"my_max": mine})
        return view(row, mine)

    async def get(self, bidding_id: int, me: Principal | None = None) -> BiddingOut:
        return await self.view_in(self.pool, bidding_id, me)

    async def run_sheet(self, stream_id: int) -> list[BiddingOut]:
        """A show's auctions in run order."""
        return await views(self.pool, await store.of_stream(self.pool, stream_id))

    async def move(self, me: Principal, bidding_id: int, position: int) -> BiddingOut:
        """Its seller moves a scheduled auction on the run sheet (ties keep the order they were added in)."""
        _own_scheduled(await store.fetch(self.pool, bidding_id), me, bidding_id)
        await store.move(self.pool, bidding_id, position)
        return await self.get(bidding_id)

    async def start(self, me: Principal, bidding_id: int) -> BiddingOut:
        """Its seller starts a scheduled auction in the live show, for its duration: the pre-bids apply as
        proxy bids in the order they were placed (the earlier equal maximum leads), then the room hears
        `bidding_started` with the price and leader they made. One open auction at a time (auction_open)."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = _own_scheduled(await store.lock(conn, bidding_id), me, bidding_id)
            if row.stream_status != "live":
                raise Conflict("Auctions run during a live show.", code="not_live")
            try:
                async with conn.transaction():
                    ends_at = await store.begin(conn, bidding_id)
            except asyncpg.UniqueViolationError:
                raise Conflict("An auction is already running in this show; close it first.",
                               code="auction_open") from None
            state = replace(row.state(), status="open", ends_at=ends_at)
            locked = replace(row, version=row.version + 1)
            for pre in await store.prebids(conn, bidding_id):
                decision = rules.place_bid(state, pre.bidder_id, pre.amount, pre.max_amount, row.now)
                if decision.accepted:  # a pre-bid below the price others made is simply not applied
                    version = await store.apply(conn, locked, decision, pre.bidder_id, pre.max_amount)
                    locked, state = replace(locked, version=version), decision.auction
            out = await self.view_in(conn, bidding_id)
            staged = await stage(conn, RoomName.stream(row.livestream_id), [BiddingStarted(**out.model_dump())])
        await self.relay.publish(staged)
        return out

    async def open_in(self, stream_id: int, me: Principal | None) -> dict[str, Any] | None:
        """The show's running auction as hello shows it (with the viewer's own maximum), or None."""
        row = await store.open_for_stream(self.pool, stream_id)
        if row is None:
            return None
        mine = await store.my_max(self.pool, row.id, me.user_id) if me else None
        return view(row, mine).model_dump(mode="json")

    async def bid(self, me: Principal, bidding_id: int, amount: Decimal | None,
                  max_amount: Decimal | None) -> PlacedOut:
        """Place a bid, announce it, and answer with the bid and the auction (the REST path)."""
        placed = await self.place(me, bidding_id, amount, max_amount)
        out = await self.announce(placed)
        mine = [b for b in placed.decision.bids if b.bidder_id == me.user_id]
        fallback = (amount or max_amount) if out.status == "scheduled" else out.current_amount  # a pre-bid: as sent
        shown = mine[-1] if mine else rules.Bid(me.user_id, fallback or Decimal(0), True)
        return PlacedOut(bid=BidOut(amount=shown.amount, proxy=shown.proxy, leading=placed.leading,
                                    version=placed.version), bidding=out)

    async def place(self, me: Principal, bidding_id: int, amount: Decimal | None,
                    max_amount: Decimal | None) -> Placed:
        """Decide a bid by the rules on the locked row, store it and stage its room events in the same short
        transaction (so they take the room's order from the commit order). Nothing is published yet:
        `announce` does that once the caller has answered the bidder."""
        return await counted(BIDS, self._decide(me, bidding_id, amount, max_amount),
                             lambda placed: "prebid" if placed.staged is None else "accepted")

    async def _decide(self, me: Principal, bidding_id: int, amount: Decimal | None,
                      max_amount: Decimal | None) -> Placed:
        if me.role not in ("buyer", "seller"):
            raise PermissionDenied("Only buyers bid.")
        limit = self._limit
        if await limit.hit(f"{me.user_id}") > limit.limit:
            raise RateLimited("You are bidding too fast.", retry_after_s=limit.window_s)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.lock(conn, bidding_id, me.user_id)
            if row is None:
                raise NotFound(f"No auction with id {bidding_id}.", code="auction_not_found")
            if me.role == "seller" and row.seller_id != me.user_id:
                raise PermissionDenied("Only buyers bid.")  # the show's own seller is refused by the rules
            if row.status == "scheduled":
                if max_amount is None:
                    raise InvalidInput("A pre-bid on a scheduled auction needs max_amount.",
                                       fields={"max_amount": ["Required before the auction starts."]})
                if row.seller_id == me.user_id:
                    raise BidRefused(MESSAGES["own_auction"], code="own_auction")
                await store.prebid(conn, bidding_id, me.user_id, amount, max_amount)
                return Placed(me, row, rules.Decision(None, row.state()), row.version, None)
            if row.stream_status != "live" and row.status == "open":
                raise BidRefused(MESSAGES["not_live"], code="not_live")
            decision = rules.place_bid(row.state(), me.user_id, amount, max_amount, row.now)
            if decision.code is not None:  # refused
                extra = {"needed": wire_number(decision.needed)} if decision.needed is not None else None
                message = MESSAGES[decision.code]
                if decision.needed is not None:
                    message = f"The bid must be at least {decision.needed}."
                raise BidRefused(message, code=decision.code, extra=extra)
            version = await store.apply(conn, row, decision, me.user_id, max_amount)
            # A decision's bids are the caller's and the previous leader's: the locked row has both names.
            events: list[RoomEvent] = [
                BidPlaced(bidding_id=row.id, amount=b.amount, proxy=b.proxy,
                          bidder=Party(id=b.bidder_id, username=row.username(b.bidder_id)), version=version,
                          ends_at=decision.auction.ends_at)
                for b in decision.bids
            ]
            if decision.extended:
                events.append(BiddingExtended(**(await self.view_in(conn, row.id)).model_dump(exclude={"my_max"})))
            staged = await stage(conn, RoomName.stream(row.livestream_id), events)
        return Placed(me, row, decision, version, staged)

    async def announce(self, placed: Placed) -> BiddingOut:
        """After commit: publish the `bid` events (and `bidding_extended`), tell the overtaken `outbid`."""
        row, decision = placed.row, placed.decision
        await self.relay.publish(placed.staged)
        out = await self.get(row.id, placed.me)
        if decision.outbid is not None:
            outbid = OutbidData(bidding_id=row.id, livestream_id=row.livestream_id,
                                amount=out.current_amount or Decimal(0))
            await notify(self.pool, self.bridge, decision.outbid, "outbid",
                         f"You were outbid on {out.product_name}: now {out.current_amount}.",
                         outbid.model_dump(mode="json"))
        return out

    async def close(self, me: Principal | None, bidding_id: int) -> BiddingOut:
        """Close once, whoever asks first: the owner early (me), or the sweeper at the end (me=None).
        The winner (reserve met) gets the product in the cart at the winning price in the same transaction."""
        if me is not None:
            owner = await store.seller_of(self.pool, bidding_id)
            if owner is None:
                raise NotFound(f"No auction with id {bidding_id}.", code="auction_not_found")
            if owner != me.user_id and me.role != "admin":
                raise PermissionDenied("Only the show's seller closes its auctions.")
        async with self.pool.acquire() as conn, conn.transaction():
            # As a bid is placed: lock the row, decide by the rules, apply by a conditional update.
            row = await store.lock(conn, bidding_id)
            if row is None:
                raise NotFound(f"No auction with id {bidding_id}.", code="auction_not_found")
            if row.status != "open" or row.ends_at is None or (me is None and row.ends_at > row.now):
                raise Conflict("The auction is already closed.", code="auction_closed")
            won = rules.winner(row.state(), row.reserve_price)
            if not await store.close(conn, bidding_id, "early" if me else "ended", won):
                raise Conflict("The auction is already closed.", code="auction_closed")
            if won is not None:  # binding: owed by the winner until paid or lapsed
                pay_by = await wins_store.insert_win(conn, bidding_id, won[0], won[1], "win", self.config.pay_within_s)
                await put_in_cart(conn, won[0], row.product_id, source="auction", unit_price=won[1],
                                  ref=wins_store.item_ref(bidding_id), pay_by=pay_by)
            out = await self.view_in(conn, bidding_id)
            staged = await stage(conn, RoomName.stream(row.livestream_id), [BiddingClosed(
                bidding_id=bidding_id, winner=out.winner, amount=won[1] if won else None, version=out.version)])
        await self.relay.publish(staged)
        AUCTIONS_CLOSED.labels("sold" if won is not None else "unsold").inc()
        if won is not None:
            winner_id, amount = won
            prize = WonData(bidding_id=bidding_id, product_id=row.product_id, amount=amount)
            await notify(self.pool, self.bridge, winner_id, "auction_won",
                         f"You won {out.product_name} for {amount}; it is in your cart: pay for it by "
                         f"{pay_by:%d %b %Y %H:%M} UTC.",
                         prize.model_dump(mode="json"))
        return out

    async def sweep(self) -> int:
        """Close the auctions past their end (those whose process died too); each closes once."""
        return await once_each(await store.due(self.pool), functools.partial(self.close, None))
