"""SQL for binding wins and second-chance offers: who holds a won item, until when, and who is offered it next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import asyncpg

from server.sql import Conn, many, one

WinStatus = Literal["pending", "paid", "lapsed"]
OfferStatus = Literal["open", "accepted", "declined", "expired"]


def item_ref(bidding_id: int) -> str:
    """The `ref` of an auction's cart line and order item."""
    return f"bidding:{bidding_id}"


@dataclass(frozen=True, slots=True)
class Win:
    """A buyer's hold on a won item (the winner's, or a runner-up's who accepted a second chance)."""

    id: int
    bidding_id: int
    buyer_id: int
    buyer_username: str
    amount: Decimal
    kind: Literal["win", "second_chance"]
    status: WinStatus
    pay_by: datetime


@dataclass(frozen=True, slots=True)
class LockedWin(Win):
    seller_id: int
    product_id: int
    product_name: str
    now: datetime


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    bidding_id: int
    buyer_id: int
    buyer_username: str
    amount: Decimal
    status: OfferStatus
    expires_at: datetime


_WIN = """SELECT w.id, w.bidding_id, w.buyer_id, u.username AS buyer_username, w.amount, w.kind, w.status, w.pay_by
          FROM auction_wins w JOIN users u ON u.id = w.buyer_id"""
# An open offer past its time reads as expired before anything marks it so.
_OFFER = """SELECT o.id, o.bidding_id, o.buyer_id, u.username AS buyer_username, o.amount,
                   CASE WHEN o.status = 'open' AND o.expires_at <= now() THEN 'expired' ELSE o.status END AS status,
                   o.expires_at
            FROM second_chance_offers o JOIN users u ON u.id = o.buyer_id"""


async def insert_win(conn: asyncpg.Connection, bidding_id: int, buyer_id: int, amount: Decimal, kind: str,
                     pay_within_s: int) -> datetime:
    """A buyer now holds the item, to be paid within pay_within_s; its deadline. UniqueViolation if someone
    holds it already (a win pending or paid)."""
    pay_by: datetime = await conn.fetchval(
        """INSERT INTO auction_wins (bidding_id, buyer_id, amount, kind, pay_by)
           VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING pay_by""",
        bidding_id, buyer_id, amount, kind, pay_within_s)
    return pay_by


async def latest_wins(conn: Conn, bidding_ids: list[int]) -> dict[int, Win]:
    """The latest win of each of these auctions that has one."""
    rows = await conn.fetch(f"""SELECT DISTINCT ON (w.bidding_id) * FROM ({_WIN}) w
                                WHERE w.bidding_id = ANY($1::bigint[]) ORDER BY w.bidding_id, w.id DESC""",
                            bidding_ids)
    return {w.bidding_id: w for w in many(Win, rows)}


async def latest_offers(conn: Conn, bidding_ids: list[int]) -> dict[int, Offer]:
    """The latest second-chance offer of each of these auctions that has one."""
    rows = await conn.fetch(f"""SELECT DISTINCT ON (o.bidding_id) * FROM ({_OFFER}) o
                                WHERE o.bidding_id = ANY($1::bigint[]) ORDER BY o.bidding_id, o.id DESC""",
                            bidding_ids)
    return {o.bidding_id: o for o in many(Offer, rows)}


async def due(conn: Conn, limit: int = 100) -> list[int]:
    """Wins not paid by their deadline, oldest first, but for those in an order still waiting for payment (they
    wait for it)."""
    rows = await conn.fetch(
        """SELECT w.id FROM auction_wins w
           WHERE w.status = 'pending' AND w.pay_by <= now()
             AND NOT EXISTS (SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id
                             WHERE o.buyer_id = w.buyer_id AND o.status = 'pending_payment'
                               AND i.ref = 'bidding:' || w.bidding_id)
           ORDER BY w.pay_by LIMIT $1""", limit)
    return [int(r["id"]) for r in rows]


async def lock_win(conn: asyncpg.Connection, win_id: int) -> LockedWin | None:
    """A win locked until the transaction ends, with its auction's seller and product, and the clock."""
    return one(LockedWin, await conn.fetchrow(
        f"""SELECT w.*, b.seller_id, b.product_id, p.name AS product_name, now() AS now
            FROM ({_WIN} WHERE w.id = $1 FOR UPDATE OF w) w
            JOIN biddings b ON b.id = w.bidding_id JOIN products p ON p.id = b.product_id""", win_id))


async def remove_owed_line(conn: asyncpg.Connection, win: Win) -> bool:
    """Take a win's line out of its buyer's cart; False if it is not there (checked out, in an order). A
    checkout holding the line is waited for, so what follows sees the order it made."""
    status: str = await conn.execute(
        "DELETE FROM cart_items WHERE buyer_id = $1 AND source = 'auction' AND ref = $2",
        win.buyer_id, item_ref(win.bidding_id))
    return status != "DELETE 0"


async def in_unpaid_order(conn: asyncpg.Connection, win: Win) -> bool:
    """Whether the win's item is in an order of its buyer waiting for payment."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id
                          WHERE o.buyer_id = $1 AND o.status = 'pending_payment' AND i.ref = $2)""",
        win.buyer_id, item_ref(win.bidding_id))
    return found


async def lapse(conn: asyncpg.Connection, win_id: int) -> None:
    await conn.execute("UPDATE auction_wins SET status = 'lapsed', settled_at = now() WHERE id = $1", win_id)


async def mark_paid(conn: asyncpg.Connection, order_id: int) -> int:
    """The pending wins whose items this (now paid) order holds become paid; how many."""
    status: str = await conn.execute(
        """UPDATE auction_wins w SET status = 'paid', order_id = o.id, settled_at = now()
           FROM orders o JOIN order_items i ON i.order_id = o.id
           WHERE o.id = $1 AND i.source = 'auction' AND i.ref LIKE 'bidding:%'
             AND w.bidding_id = substr(i.ref, 9)::bigint AND w.buyer_id = o.buyer_id AND w.status = 'pending'""",
        order_id)
    return int(status.split()[-1])


async def return_owed_lines(conn: asyncpg.Connection, order_id: int) -> int:
    """Put the won items of this (now cancelled, never paid) order back in its buyer's cart, owed as before,
    while their time to pay runs; how many."""
    status: str = await conn.execute(
        """INSERT INTO cart_items (buyer_id, product_id, source, ref, quantity, unit_price, pay_by)
           SELECT o.buyer_id, i.product_id, 'auction', i.ref, i.quantity, i.unit_price, w.pay_by
           FROM orders o JOIN order_items i ON i.order_id = o.id
           JOIN auction_wins w ON w.bidding_id = substr(i.ref, 9)::bigint AND w.buyer_id = o.buyer_id
           WHERE o.id = $1 AND i.source = 'auction' AND i.ref LIKE 'bidding:%'
             AND w.status = 'pending' AND w.pay_by > now()
           ON CONFLICT (buyer_id, product_id, source, ref) DO NOTHING""",
        order_id)
    return int(status.split()[-1])


async def runner_up(conn: Conn, bidding_id: int) -> tuple[int, Decimal] | None:
    """The bidder with the highest own maximum who has neither held the item nor been offered it, and their
    highest bid; of equal maximums the one who bid first."""
    row = await conn.fetchrow(
        """SELECT bidder_id, max(amount) AS amount FROM bids
           WHERE bidding_id = $1
             AND bidder_id NOT IN (SELECT buyer_id FROM auction_wins WHERE bidding_id = $1)
             AND bidder_id NOT IN (SELECT buyer_id FROM second_chance_offers WHERE bidding_id = $1)
           GROUP BY bidder_id
           ORDER BY max(GREATEST(amount, max_amount)) DESC, min(id)
           LIMIT 1""", bidding_id)
    return (int(row["bidder_id"]), row["amount"]) if row else None


async def expire_offers(conn: asyncpg.Connection, bidding_id: int) -> None:
    await conn.execute("""UPDATE second_chance_offers SET status = 'expired', decided_at = now()
                          WHERE bidding_id = $1 AND status = 'open' AND expires_at <= now()""", bidding_id)


async def insert_offer(conn: asyncpg.Connection, bidding_id: int, buyer_id: int, amount: Decimal,
                       valid_s: int) -> int:
    """An open offer valid valid_s; UniqueViolation if one is open already."""
    offer_id: int = await conn.fetchval(
        """INSERT INTO second_chance_offers (bidding_id, buyer_id, amount, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id""",
        bidding_id, buyer_id, amount, valid_s)
    return offer_id


@dataclass(frozen=True, slots=True)
class LockedOffer:
    id: int
    product_id: int
    amount: Decimal
    status: OfferStatus  # as stored: an open one may be past its time (expired)
    expired: bool


async def lock_offer(conn: asyncpg.Connection, bidding_id: int, buyer_id: int) -> LockedOffer | None:
    """The buyer's offer on this auction, locked until the transaction ends."""
    return one(LockedOffer, await conn.fetchrow(
        """SELECT o.id, b.product_id, o.amount, o.status, o.expires_at <= now() AS expired
           FROM second_chance_offers o JOIN biddings b ON b.id = o.bidding_id
           WHERE o.bidding_id = $1 AND o.buyer_id = $2 FOR UPDATE OF o""", bidding_id, buyer_id))


async def decide_offer(conn: asyncpg.Connection, offer_id: int, status: OfferStatus) -> None:
    await conn.execute("UPDATE second_chance_offers SET status = $2, decided_at = now() WHERE id = $1",
                       offer_id, status)
