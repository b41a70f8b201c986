"""The auction rules on their own: increments, proxy bidding, ties, raised maxima, soft close, reserve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from bidding.rules import Auction, Bid, increment, place_bid, winner

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SELLER, ASHA, RAVI, MEERA = 1, 2, 3, 4


def auction(**kw: object) -> Auction:
    base = {"seller_id": SELLER, "status": "open", "mode": "soft_close", "starting_price": D(100),
            "min_increment": None, "ends_at": NOW + timedelta(seconds=60), "anti_snipe_s": 10}
    return Auction(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("price,step", [
    (D(0), D(1)), (D("29.99"), D(1)), (D(30), D(2)), (D(49), D(2)), (D(50), D(3)), (D(99), D(3)), (D(100), D(5)),
    (D(299), D(5)), (D(300), D(10)), (D(999), D(10)), (D(1000), D(20)), (D(1999), D(20)), (D(2000), D(50)),
    (D(10**6), D(50)),
])
def test_increment_tiers(price: D, step: D) -> None:
    assert increment(price) == step


def test_a_fixed_increment_overrides_the_tiers() -> None:
    assert increment(D(5000), fixed=D(7)) == D(7)
    assert auction(min_increment=D(7), current_amount=D(120), leader_id=ASHA).next_min() == D(127)


def test_first_bid_must_reach_the_starting_price() -> None:
    low = place_bid(auction(), ASHA, D(99), None, NOW)
    assert (low.code, low.needed) == ("bid_too_low", D(100))
    ok = place_bid(auction(), ASHA, D(100), None, NOW)
    assert ok.accepted and ok.auction.current_amount == D(100) and ok.auction.leader_id == ASHA
    assert ok.bids == (Bid(ASHA, D(100), False),)


def test_each_bid_must_beat_the_current_by_the_increment() -> None:
    state = place_bid(auction(), ASHA, D(100), None, NOW).auction
    assert place_bid(state, RAVI, D(104), None, NOW).needed == D(105)
    assert place_bid(state, RAVI, D(105), None, NOW).auction.current_amount == D(105)


def test_a_max_bid_bids_only_as_far_as_needed() -> None:
    first = place_bid(auction(), ASHA, None, D(500), NOW)
    assert first.auction.current_amount == D(100) and first.auction.leader_max == D(500)
    challenge = place_bid(first.auction, RAVI, D(200), None, NOW)
    # Ravi's 200 stands; Asha's proxy answers one increment above it.
    assert challenge.accepted and challenge.auction.leader_id == ASHA
    assert challenge.bids == (Bid(RAVI, D(200), False), Bid(ASHA, D(205), True))
    assert challenge.auction.current_amount == D(205) and challenge.outbid is None


def test_the_visible_price_is_what_the_second_highest_maximum_forces() -> None:
    state = place_bid(auction(), ASHA, None, D(500), NOW).auction
    over = place_bid(state, RAVI, None, D(800), NOW)
    # Asha's hidden 500 is used up first, then Ravi leads at 500 + 10.
    assert over.bids == (Bid(ASHA, D(500), True), Bid(RAVI, D(510), True))
    assert over.auction.current_amount == D(510) and over.auction.leader_max == D(800)
    assert over.outbid == ASHA


def test_equal_maxima_go_to_the_earlier_bidder() -> None:
    state = place_bid(auction(), ASHA, None, D(500), NOW).auction
    tie = place_bid(state, RAVI, None, D(500), NOW)
    assert tie.auction.leader_id == ASHA and tie.auction.current_amount == D(500)
    assert tie.bids == (Bid(RAVI, D(500), True), Bid(ASHA, D(500), True))


def test_an_equal_plain_bid_never_takes_the_lead() -> None:
    state = place_bid(auction(), ASHA, None, D(300), NOW).auction
    same = place_bid(state, RAVI, D(300), None, NOW)
    assert same.auction.leader_id == ASHA and same.auction.current_amount == D(300)


def test_the_leader_raises_their_maximum_unseen_but_cannot_bid_against_themself() -> None:
    state = place_bid(auction(), ASHA, None, D(300), NOW).auction
    raised = place_bid(state, ASHA, None, D(900), NOW)
    assert raised.accepted and raised.bids == () and raised.auction.leader_max == D(900)
    assert raised.auction.current_amount == D(100)
    assert place_bid(raised.auction, ASHA, D(150), None, NOW).code == "already_leading"
    assert place_bid(raised.auction, ASHA, None, D(800), NOW).code == "already_leading"
    after = place_bid(raised.auction, RAVI, None, D(850), NOW)
    assert after.auction.leader_id == ASHA and after.auction.current_amount == D(860)


def test_own_auction_and_closed_auction() -> None:
    assert place_bid(auction(), SELLER, D(100), None, NOW).code == "own_auction"
    assert place_bid(auction(status="closed"), ASHA, D(100), None, NOW).code == "auction_closed"
    assert place_bid(auction(), ASHA, D(100), None, NOW + timedelta(seconds=60)).code == "auction_closed"


def test_soft_close_extends_only_accepted_bids_in_the_last_seconds() -> None:
    late = NOW + timedelta(seconds=55)
    state = place_bid(auction(), ASHA, D(100), None, NOW).auction
    early = place_bid(state, RAVI, D(105), None, NOW + timedelta(seconds=20))
    assert not early.extended and early.auction.ends_at == NOW + timedelta(seconds=60)
    snipe = place_bid(early.auction, MEERA, D(110), None, late)
    assert snipe.extended and snipe.auction.ends_at == late + timedelta(seconds=10)
    rejected = place_bid(snipe.auction, ASHA, D(111), None, late)
    assert rejected.code == "bid_too_low" and rejected.auction.ends_at == snipe.auction.ends_at


def test_sudden_death_never_extends() -> None:
    state = auction(mode="sudden_death")
    late = place_bid(state, ASHA, D(100), None, NOW + timedelta(seconds=59))
    assert late.accepted and not late.extended and late.auction.ends_at == state.ends_at


def test_winner_needs_the_reserve() -> None:
    state = place_bid(auction(), ASHA, D(150), None, NOW).auction
    assert winner(state, D(200)) is None
    assert winner(state, D(150)) == (ASHA, D(150))
    assert winner(auction(), None) is None
