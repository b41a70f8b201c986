"""Bids raced against the real PostgreSQL and Redis (hypothesis picks them): whatever order the transactions
commit in, the auction ends as a sequential replay of the accepted bids in version order says, and the room's
log has their events in that order, each once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from itertools import count

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidding import rules
from bidding.service import Auctions, BidRefused
from rooms.bridge import Bridge
from rooms.names import RoomName
from rooms.outbox import Relay
from server.config import BiddingConfig, DatabaseConfig
from server.db import create_pool
from server.tokens import Principal
from tests.conftest import Services

money = st.integers(min_value=90, max_value=900).map(Decimal)
attempt = st.tuples(st.integers(min_value=0, max_value=5), st.none() | money, st.none() | money).filter(
    lambda a: a[1] is not None or a[2] is not None)
_names = count(1)


async def seed(conn: asyncpg.Connection, bidders: int) -> tuple[int, int, list[int]]:
    """A seller live in a show with an open auction, and buyers: (show, auction, buyer ids)."""
    n = next(_names)
    seller = await conn.fetchval(
        """WITH u AS (INSERT INTO users (username, email, password_hash, role)
                      VALUES ($1, $1 || '@example.com', 'x', 'seller') RETURNING id)
           INSERT INTO sellers (user_id, business_name, verified) SELECT id, 'Shop', true FROM u RETURNING user_id""",
        f"prop_seller_{n}")
    category = await conn.fetchval("INSERT INTO categories (name) VALUES ($1) RETURNING id", f"prop_cat_{n}")
    product = await conn.fetchval(
        "INSERT INTO products (seller_id, category_id, name, price, stock) VALUES ($1, $2, 'Lot', 100, 1) RETURNING id",
        seller, category)
    show = await conn.fetchval(
        """INSERT INTO livestreams (seller_id, title, status, started_at) VALUES ($1, 'props', 'live', now())
           RETURNING id""", seller)
    auction = await conn.fetchval(
        """INSERT INTO biddings (livestream_id, product_id, seller_id, mode, starting_price, anti_snipe_s, ends_at)
           VALUES ($1, $2, $3, 'soft_close', 100, 10, now() + interval '10 minutes') RETURNING id""",
        show, product, seller)
    buyers = [await conn.fetchval(
        "INSERT INTO users (username, email, password_hash, role) VALUES ($1, $1 || '@example.com', 'x', 'buyer') "
        "RETURNING id", f"prop_buyer_{n}_{i}") for i in range(bidders)]
    return show, auction, buyers


async def race(services: Services, attempts: list[tuple[int, Decimal | None, Decimal | None]]) -> None:
    pool = await create_pool(DatabaseConfig(url=services.database_url, pool_min=6, pool_max=6))
    client = services.redis()
    try:
        bridge = Bridge(client, history_size=1000, history_ttl_s=600)
        auctions = Auctions(pool, client, bridge, Relay(pool, bridge), BiddingConfig(bid_rate=10_000))
        async with pool.acquire() as conn:
            show, auction_id, buyers = await seed(conn, 6)

        accepted: dict[int, tuple[int, Decimal | None, Decimal | None]] = {}  # version -> attempt

        async def one(who: int, amount: Decimal | None, max_amount: Decimal | None) -> None:
            try:
                placed = await auctions.place(Principal(buyers[who], "buyer"), auction_id, amount, max_amount)
            except BidRefused:
                return
            assert placed.version not in accepted
            accepted[placed.version] = (who, amount, max_amount)
            await auctions.announce(placed)

        await asyncio.gather(*(one(*a) for a in attempts))

        # Replay the accepted bids one after another, in the order their versions say they committed.
        row = await pool.fetchrow("SELECT * FROM biddings WHERE id = $1", auction_id)
        state = rules.Auction(seller_id=row["seller_id"], status="open", mode="soft_close",
                              starting_price=row["starting_price"], min_increment=None, ends_at=row["ends_at"],
                              anti_snipe_s=10)
        for version in sorted(accepted):
            who, amount, max_amount = accepted[version]
            decision = rules.place_bid(state, buyers[who], amount, max_amount, row["ends_at"] - timedelta(minutes=5))
            assert decision.accepted, (version, decision.code)
            state = decision.auction
        assert (row["current_amount"], row["leader_id"], row["leader_max"]) == (
            state.current_amount, state.leader_id, state.leader_max)
        assert sorted(accepted) == list(range(1, row["version"] + 1))

        # The room's log: one event per visible bid, versions rising with seq, nothing left unpublished.
        events = [e for e in await bridge.history(RoomName.stream(show)) if e.type == "bid"]
        versions = [e.data["version"] for e in events]
        assert versions == sorted(versions)
        assert [e.seq for e in events] == sorted(e.seq for e in events)
        stored = await pool.fetchval("SELECT count(*) FROM bids WHERE bidding_id = $1", auction_id)
        assert len(events) == stored
        assert not await pool.fetchval("SELECT count(*) FROM room_outbox WHERE room = $1", f"stream:{show}")
    finally:
        await client.aclose()
        await pool.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(attempt, min_size=8, max_size=24))
def test_raced_bids_end_as_their_sequential_replay_and_are_logged_in_commit_order(
        services: Services, attempts: list[tuple[int, Decimal | None, Decimal | None]]) -> None:
    asyncio.run(race(services, attempts))
