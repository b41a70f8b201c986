"""SQL for auctions and bids: the row lock that serializes bids, and the close that happens once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

import asyncpg

from bidding.rules import Auction, Decision
from server.errors import Conflict
from server.sql import Conn, many, one

COLUMNS = """b.id, b.livestream_id, b.product_id, b.seller_id, b.status, b.mode, b.starting_price, b.min_increment,
             b.reserve_price, b.anti_snipe_s, b.ends_at, b.current_amount, b.leader_id, b.leader_max, b.bids_count,
             b.version, b.winner_id, b.winning_amount, b.closed_at, b.close_reason, b.duration_s, b.position"""


@dataclass(frozen=True, slots=True)
class Bidding:
    """An auction row (COLUMNS)."""

    id: int
    livestream_id: int
    product_id: int
    seller_id: int
    status: Literal["scheduled", "open", "closed"]
    mode: Literal["soft_close", "sudden_death"]
    starting_price: Decimal
    min_increment: Decimal | None
    reserve_price: Decimal | None
    anti_snipe_s: int
    ends_at: datetime | None  # None while scheduled
    current_amount: Decimal | None
    leader_id: int | None
    leader_max: Decimal | None
    bids_count: int
    version: int
    winner_id: int | None
    winning_amount: Decimal | None
    closed_at: datetime | None
    close_reason: str | None
    duration_s: int | None  # of a scheduled auction, until it starts
    position: int  # its place in the show's run sheet

    def state(self) -> Auction:
        """What the rules decide on."""
        return Auction(seller_id=self.seller_id, status=self.status, mode=self.mode,
                       starting_price=self.starting_price, min_increment=self.min_increment,
                       ends_at=self.ends_at or datetime.max.replace(tzinfo=UTC),
                       anti_snipe_s=self.anti_snipe_s, current_amount=self.current_amount,
                       leader_id=self.leader_id, leader_max=self.leader_max)


@dataclass(frozen=True, slots=True)
class BiddingView(Bidding):
    """An auction with the names its public view shows."""

    product_name: str
    leader_username: str | None
    winner_username: str | None


@dataclass(frozen=True, slots=True)
class LockedBidding(Bidding):
    """An auction row locked for a decision, with its show's status, the database's clock, and the names of
    its leader and of the user deciding (what the decision's events show)."""

    stream_status: str
    now: datetime
    leader_username: str | None
    caller_username: str | None

    def username(self, user_id: int) -> str:
        """The name of the leader or of the caller (the two users a decision's bids can be of)."""
        return (self.leader_username if user_id == self.leader_id else self.caller_username) or ""


VIEW = f"""
    SELECT {COLUMNS}, p.name AS product_name, lu.username AS leader_username, wu.username AS winner_username
    FROM biddings b JOIN products p ON p.id = b.product_id
    LEFT JOIN users lu ON lu.id = b.leader_id LEFT JOIN users wu ON wu.id = b.winner_id
"""


async def insert(conn: Conn, *, stream_id: int, product_id: int, seller_id: int, mode: str, starting_price: Decimal,
                 min_increment: Decimal | None, reserve_price: Decimal | None, anti_snipe_s: int,
                 duration_s: int) -> int:
    try:
        bidding_id: int = await conn.fetchval(
            """INSERT INTO biddings (livestream_id, product_id, seller_id, mode, starting_price, min_increment,
                                     reserve_price, anti_snipe_s, ends_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9)) RETURNING id""",
            stream_id, product_id, seller_id, mode, starting_price, min_increment, reserve_price, anti_snipe_s,
            duration_s,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("An auction is already running in this show; close it first.", code="auction_open") from None
    return bidding_id


async def insert_scheduled(conn: Conn, *, stream_id: int, product_id: int, seller_id: int, mode: str,
                           starting_price: Decimal, min_increment: Decimal | None, reserve_price: Decimal | None,
                           anti_snipe_s: int, duration_s: int) -> int:
    """An auction on a scheduled show's run sheet, last in its order; it starts later."""
    bidding_id: int = await conn.fetchval(
        """INSERT INTO biddings (livestream_id, product_id, seller_id, status, mode, starting_price, min_increment,
                                 reserve_price, anti_snipe_s, duration_s, position)
           VALUES ($1, $2, $3, 'scheduled', $4, $5, $6, $7, $8, $9,
                   (SELECT COALESCE(max(position), 0) + 1 FROM biddings WHERE livestream_id = $1))
           RETURNING id""",
        stream_id, product_id, seller_id, mode, starting_price, min_increment, reserve_price, anti_snipe_s,
        duration_s,
    )
    return bidding_id


async def of_stream(conn: Conn, stream_id: int) -> list[BiddingView]:
    """A show's auctions in run-sheet order."""
    return many(BiddingView, await conn.fetch(f"{VIEW} WHERE b.livestream_id = $1 ORDER BY b.position, b.id",
                                              stream_id))


async def move(conn: Conn, bidding_id: int, position: int) -> None:
    await conn.execute("UPDATE biddings SET position = $2 WHERE id = $1", bidding_id, position)


async def prebid(conn: Conn, bidding_id: int, bidder_id: int, amount: Decimal | None, max_amount: Decimal) -> None:
    """Place or change a pre-bid; a change counts as placed now."""
    await conn.execute(
        """INSERT INTO prebids (bidding_id, bidder_id, amount, max_amount) VALUES ($1, $2, $3, $4)
           ON CONFLICT (bidding_id, bidder_id) DO UPDATE
           SET amount = EXCLUDED.amount, max_amount = EXCLUDED.max_amount, placed_at = clock_timestamp()""",
        bidding_id, bidder_id, amount, max_amount)


@dataclass(frozen=True, slots=True)
class PreBid:
    bidder_id: int
    amount: Decimal | None
    max_amount: Decimal


async def prebids(conn: Conn, bidding_id: int) -> list[PreBid]:
    """An auction's pre-bids in the order they were placed."""
    return many(PreBid, await conn.fetch(
        "SELECT bidder_id, amount, max_amount FROM prebids WHERE bidding_id = $1 ORDER BY placed_at, bidder_id",
        bidding_id))


async def begin(conn: asyncpg.Connection, bidding_id: int) -> datetime:
    """On the locked row: scheduled -> open for its duration from now; its end. UniqueViolation if the show
    has an open auction."""
    ends_at: datetime = await conn.fetchval(
        """UPDATE biddings SET status = 'open', ends_at = now() + make_interval(secs => duration_s),
                  version = version + 1
           WHERE id = $1 AND status = 'scheduled' RETURNING ends_at""", bidding_id)
    return ends_at


async def fetch(conn: Conn, bidding_id: int) -> BiddingView | None:
    return one(BiddingView, await conn.fetchrow(f"{VIEW} WHERE b.id = $1", bidding_id))


async def open_for_stream(conn: Conn, stream_id: int) -> BiddingView | None:
    return one(BiddingView, await conn.fetchrow(f"{VIEW} WHERE b.livestream_id = $1 AND b.status = 'open'",
                                                stream_id))


async def lock(conn: asyncpg.Connection, bidding_id: int, caller_id: int | None = None) -> LockedBidding | None:
    """The auction row locked until the transaction ends, with the show's status, the database's clock, and
    the usernames of its leader and of `caller_id` (in the same round trip)."""
    return one(LockedBidding, await conn.fetchrow(
        f"""SELECT {COLUMNS}, l.status AS stream_status, now() AS now, lu.username AS leader_username,
                   (SELECT username FROM users WHERE id = $2) AS caller_username
            FROM biddings b JOIN livestreams l ON l.id = b.livestream_id LEFT JOIN users lu ON lu.id = b.leader_id
            WHERE b.id = $1 FOR UPDATE OF b""",
        bidding_id, caller_id,
    ))


async def apply(conn: asyncpg.Connection, row: Bidding, decision: Decision, bidder_id: int,
                max_amount: Decimal | None) -> int:
    """Store an accepted decision on the locked row: its bids, the new state, version + 1."""
    version = row.version + 1
    new = decision.auction
    await conn.execute(
        """UPDATE biddings SET current_amount = $2, leader_id = $3, leader_max = $4, ends_at = $5,
                  bids_count = bids_count + $6, version = $7 WHERE id = $1""",
        row.id, new.current_amount, new.leader_id, new.leader_max, new.ends_at, len(decision.bids), version,
    )
    if decision.bids:
        await conn.executemany(
            """INSERT INTO bids (bidding_id, bidder_id, amount, max_amount, proxy, version)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            [(row.id, b.bidder_id, b.amount, max_amount if b.bidder_id == bidder_id else None, b.proxy, version)
             for b in decision.bids],
        )
    return version


async def close(conn: asyncpg.Connection, bidding_id: int, reason: str, winner: tuple[int, Decimal] | None) -> bool:
    """On the locked row: open -> closed with the winner the rules chose (or none). False if it was not open."""
    winner_id, amount = winner if winner is not None else (None, None)
    status: str = await conn.execute(
        """UPDATE biddings SET status = 'closed', closed_at = now(), close_reason = $2, version = version + 1,
                  winner_id = $3, winning_amount = $4
           WHERE id = $1 AND status = 'open'""",
        bidding_id, reason, winner_id, amount,
    )
    return status != "UPDATE 0"


async def due(conn: Conn) -> list[int]:
    rows = await conn.fetch("SELECT id FROM biddings WHERE status = 'open' AND ends_at <= now() ORDER BY ends_at")
    return [int(r["id"]) for r in rows]


async def my_max(conn: Conn, bidding_id: int, user_id: int) -> Decimal | None:
    """A user's own maximum: the leader's is on the auction (raises leave no bid row); anyone else's is
    the highest they sent."""
    value: Decimal | None = await conn.fetchval(
        """SELECT CASE WHEN b.leader_id = $2 THEN b.leader_max
                       ELSE (SELECT max(max_amount) FROM bids WHERE bidding_id = $1 AND bidder_id = $2) END
           FROM biddings b WHERE b.id = $1""",
        bidding_id, user_id,
    )
    return value


async def seller_of(conn: Conn, bidding_id: int) -> int | None:
    seller: int | None = await conn.fetchval("SELECT seller_id FROM biddings WHERE id = $1", bidding_id)
    return seller


async def stock_of_sellers_product(conn: Conn, product_id: int, seller_id: int) -> int | None:
    """The stock of one of the seller's active products; None if it is not one."""
    stock: int | None = await conn.fetchval(
        "SELECT stock FROM products WHERE id = $1 AND seller_id = $2 AND is_active", product_id, seller_id
    )
    return stock
