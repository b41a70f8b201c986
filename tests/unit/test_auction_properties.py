"""Properties of the auction rules over any sequence of bids (hypothesis): prices never fall, a leader's hidden
maximum covers the price, a refusal changes nothing, and the highest maximum leads (the earlier of equals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bidding.rules import Auction, place_bid, winner

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SELLER = 99

# One attempt: a bidder (1..4, or the seller), a visible amount, a hidden maximum (either may be missing).
money = st.integers(min_value=1, max_value=5000).map(Decimal)
attempt = st.tuples(st.sampled_from([1, 2, 3, 4, SELLER]), st.none() | money, st.none() | money).filter(
    lambda a: a[1] is not None or a[2] is not None)


def fresh(mode: str = "soft_close", increment: Decimal | None = None) -> Auction:
    return Auction(seller_id=SELLER, status="open", mode=mode, starting_price=Decimal(100), min_increment=increment,
                   ends_at=NOW + timedelta(seconds=600), anti_snipe_s=10)


@settings(max_examples=400, deadline=None)
@given(st.lists(attempt, max_size=30), st.sampled_from([None, Decimal(1), Decimal(25)]))
def test_any_sequence_of_bids_keeps_the_auction_consistent(attempts: list[tuple[int, Decimal | None,
                                                                                  Decimal | None]],
                                                         increment: Decimal | None) -> None:
    auction = fresh(increment=increment)
    ceilings: dict[int, Decimal] = {}  # each accepted bidder's highest ceiling, in the order first reached
    for bidder, amount, max_amount in attempts:
        decision = place_bid(auction, bidder, amount, max_amount, NOW)
        if not decision.accepted:
            assert decision.auction == auction  # a refusal changes nothing
            assert decision.code in ("bid_too_low", "own_auction", "already_leading")
            assert (decision.code == "own_auction") == (bidder == SELLER)
            if decision.code == "bid_too_low":
                assert decision.needed == auction.next_min()
            continue
        new = decision.auction
        assert bidder != SELLER
        assert new.current_amount is not None and new.leader_id is not None and new.leader_max is not None
        assert new.current_amount >= (auction.current_amount or new.current_amount)  # the price never falls
        assert new.current_amount >= auction.starting_price
        assert new.leader_max >= new.current_amount  # the leader's maximum covers the price
        amounts = [b.amount for b in decision.bids]
        assert amounts == sorted(amounts) and all(a >= (auction.current_amount or 0) for a in amounts)
        if decision.bids:
            assert decision.bids[-1].amount == new.current_amount
            assert decision.outbid in (None, auction.leader_id)
        ceiling = max(a for a in (amount, max_amount) if a is not None)
        ceilings[bidder] = max(ceilings.get(bidder, ceiling), ceiling)
        auction = new
    if auction.leader_id is not None:
        top = max(ceilings.values())
        # The highest maximum leads; among equal maxima, the one that got there first.
        assert auction.leader_max == top
        assert ceilings[auction.leader_id] == top
        assert winner(auction, None) == (auction.leader_id, auction.current_amount)
        assert winner(auction, top + 1) is None  # a reserve above the price: no sale
    else:
        assert winner(auction, None) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=12), money), min_size=1, max_size=12,
                unique_by=lambda b: b[0]))
def test_with_hidden_maxima_only_the_price_is_one_step_above_the_runner_up(bids: list[tuple[int, Decimal]]) -> None:
    """Each bidder sends one maximum: the winner is the first to name the highest one and pays what the runner-up
    was willing to, plus one increment, never more than their own maximum (the second-price rule). (A leader
    who raises their own maximum later does not raise the price, as on eBay, so each bids once here.)"""
    auction = fresh(increment=Decimal(1))
    best: dict[int, Decimal] = {}
    for bidder, maximum in bids:
        decision = place_bid(auction, bidder, None, maximum, NOW)
        if decision.accepted:
            auction = decision.auction
            best[bidder] = max(best.get(bidder, maximum), maximum)
    if not best:
        assert auction.leader_id is None
        return
    ranked = sorted(best.values(), reverse=True)
    top = ranked[0]
    assert auction.leader_max == top and best[auction.leader_id or 0] == top
    if len(ranked) == 1:
        assert auction.current_amount == auction.starting_price
    else:
        runner_up = ranked[1]
        assert auction.current_amount == min(top, max(auction.starting_price, runner_up + 1))


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=20), st.integers(min_value=1, max_value=600))
def test_soft_close_moves_the_end_only_for_late_bids(left_s: int, duration_s: int) -> None:
    auction = Auction(seller_id=SELLER, status="open", mode="soft_close", starting_price=Decimal(100),
                      min_increment=None, ends_at=NOW + timedelta(seconds=left_s), anti_snipe_s=10)
    decision = place_bid(auction, 1, Decimal(100), None, NOW)
    if left_s == 0:
        assert decision.code == "auction_closed"
        return
    assert decision.accepted and decision.extended == (left_s < 10)
    assert decision.auction.ends_at == (NOW + timedelta(seconds=10) if left_s < 10 else auction.ends_at)
    sudden = place_bid(Auction(**{**auction.__dict__, "mode": "sudden_death"}), 1, Decimal(100), None, NOW)
    assert not sudden.extended and sudden.auction.ends_at == auction.ends_at
