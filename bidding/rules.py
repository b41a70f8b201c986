"""Auction rules as plain functions over plain data: increments, bids with hidden maxima, soft close.

Nothing here does I/O or reads a clock: the caller passes `now` and the auction as it is stored, and
gets back a decision to store atomically (see bidding/store.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

# (below this price, the increment); the last tier has no bound.
DEFAULT_TIERS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal(30), Decimal(1)), (Decimal(50), Decimal(2)), (Decimal(100), Decimal(3)), (Decimal(300), Decimal(5)),
    (Decimal(1000), Decimal(10)), (Decimal(2000), Decimal(20)), (None, Decimal(50)),
)


def increment(price: Decimal, fixed: Decimal | None = None,
              tiers: tuple[tuple[Decimal | None, Decimal], ...] = DEFAULT_TIERS) -> Decimal:
    """The step above `price`: the auction's fixed increment, or the tier the price falls in."""
    if fixed is not None:
        return fixed
    for below, step in tiers:
        if below is None or price < below:
            return step
    raise ValueError("the last tier must have no bound")


@dataclass(frozen=True)
class Auction:
    """The stored state the rules need. `leader_max` is the leader's hidden maximum."""

    seller_id: int
    status: str  # open | closed
    mode: str  # soft_close | sudden_death
    starting_price: Decimal
    min_increment: Decimal | None
    ends_at: datetime
    anti_snipe_s: int
    current_amount: Decimal | None = None
    leader_id: int | None = None
    leader_max: Decimal | None = None

    def next_min(self, tiers: tuple[tuple[Decimal | None, Decimal], ...] = DEFAULT_TIERS) -> Decimal:
        """The least a bid must reach now."""
        if self.current_amount is None:
            return self.starting_price
        return self.current_amount + increment(self.current_amount, self.min_increment, tiers)


@dataclass(frozen=True)
class Bid:
    """A visible bid: who, how much, and whether the server placed it for them from their maximum."""

    bidder_id: int
    amount: Decimal
    proxy: bool


@dataclass(frozen=True)
class Decision:
    """What a bid does: refused with a code (and the amount needed), or the new state and visible bids."""

    code: str | None
    auction: Auction
    bids: tuple[Bid, ...] = ()
    needed: Decimal | None = None
    extended: bool = False
    outbid: int | None = None  # the previous leader, when the lead changed hands

    @property
    def accepted(self) -> bool:
        return self.code is None


def place_bid(auction: Auction, bidder_id: int, amount: Decimal | None, max_amount: Decimal | None,
              now: datetime, tiers: tuple[tuple[Decimal | None, Decimal], ...] = DEFAULT_TIERS) -> Decision:
    """Apply one bid. `amount` is a visible bid; `max_amount` a hidden maximum the server bids from,
    one increment at a time and only as far as needed. Equal maxima go to the earlier bidder."""
    if auction.status != "open" or now >= auction.ends_at:
        return Decision("auction_closed", auction)
    if bidder_id == auction.seller_id:
        return Decision("own_auction", auction)
    ceiling = max(a for a in (amount, max_amount) if a is not None)
    needed = auction.next_min(tiers)

    def step(price: Decimal) -> Decimal:
        return increment(price, auction.min_increment, tiers)

    if bidder_id == auction.leader_id:
        current_max = auction.leader_max or auction.current_amount or Decimal(0)
        if max_amount is not None and max_amount > current_max and (amount is None or amount <= current_max):
            # Raising one's own maximum: allowed, and shown to nobody.
            return Decision(None, replace(auction, leader_max=max_amount))
        return Decision("already_leading", auction)

    if ceiling < needed:
        return Decision("bid_too_low", auction, needed=needed)
    visible = amount if amount is not None and amount >= needed else needed

    if auction.leader_id is None:
        state = replace(auction, current_amount=visible, leader_id=bidder_id, leader_max=ceiling)
        return _extend(state, (Bid(bidder_id, visible, amount is None),), now, outbid=None)

    leader_max = auction.leader_max or auction.current_amount or Decimal(0)
    if ceiling > leader_max:
        # The challenger leads; the old leader's maximum is bid for them first if it was higher than shown.
        bids: list[Bid] = []
        if leader_max > (auction.current_amount or Decimal(0)):
            bids.append(Bid(auction.leader_id, leader_max, True))
        price = max(visible, min(ceiling, leader_max + step(leader_max)))
        bids.append(Bid(bidder_id, price, price != amount))
        state = replace(auction, current_amount=price, leader_id=bidder_id, leader_max=ceiling)
        return _extend(state, tuple(bids), now, outbid=auction.leader_id)
    # The leader's maximum holds (an equal maximum never takes the lead): the challenger's bid stands,
    # and the server answers for the leader just above it, up to their maximum.
    challenger = Bid(bidder_id, ceiling, amount is None or ceiling != amount)
    answer = leader_max if ceiling == leader_max else min(leader_max, ceiling + step(ceiling))
    state = replace(auction, current_amount=answer)
    return _extend(state, (challenger, Bid(auction.leader_id, answer, True)), now, outbid=None)


def _extend(state: Auction, bids: tuple[Bid, ...], now: datetime, outbid: int | None) -> Decision:
    """Soft close: an accepted bid in the last anti_snipe_s seconds moves the end to now + anti_snipe_s."""
    window = timedelta(seconds=state.anti_snipe_s)
    if state.mode == "soft_close" and state.ends_at - now < window:
        return Decision(None, replace(state, ends_at=now + window), bids, extended=True, outbid=outbid)
    return Decision(None, state, bids, outbid=outbid)


def winner(auction: Auction, reserve_price: Decimal | None) -> tuple[int, Decimal] | None:
    """Who wins at close, and at what price: the leader, if the price meets the reserve."""
    if auction.leader_id is None or auction.current_amount is None:
        return None
    if reserve_price is not None and auction.current_amount < reserve_price:
        return None
    return auction.leader_id, auction.current_amount
