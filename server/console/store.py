"""SQL that only the console asks: the seller's dashboard figures and the admin's lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server.sql import Conn, like_contains, many, one

SOLD = "('paid', 'shipped', 'delivered')"


@dataclass(frozen=True, slots=True)
class Sales:
    amount: Decimal
    orders: int


@dataclass(frozen=True, slots=True)
class ShowBrief:
    id: int
    title: str
    scheduled_at: datetime | None = None
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Dashboard:
    today: Sales
    to_ship: int
    credits: int
    next_show: ShowBrief | None
    live: ShowBrief | None


@dataclass(frozen=True, slots=True)
class AdminCounts:
    sellers: int
    reports: int
    withdrawals: int
    users: int  # active accounts


@dataclass(frozen=True, slots=True)
class SellerRow:
    id: int
    username: str
    email: str
    created_at: datetime
    business_name: str
    gstin: str | None
    verified_at: datetime | None
    credits: int


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    email: str
    role: str
    is_active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PickerProduct:
    id: int
    name: str
    price: Decimal
    stock: int


async def dashboard(conn: Conn, seller_id: int) -> Dashboard:
    """Today's sales, orders to ship, credits, the next scheduled show and the live one."""
    today = await conn.fetchrow(
        f"""SELECT coalesce(sum(total_amount), 0) AS amount, count(*) AS orders FROM orders
            WHERE seller_id = $1 AND status IN {SOLD} AND paid_at >= date_trunc('day', now())""",
        seller_id,
    )
    to_ship: int = await conn.fetchval(
        "SELECT count(*) FROM orders WHERE seller_id = $1 AND status = 'paid'", seller_id)
    credits: int = await conn.fetchval("SELECT credits FROM sellers WHERE user_id = $1", seller_id)
    next_show = await conn.fetchrow(
        """SELECT id, title, scheduled_at FROM livestreams WHERE seller_id = $1 AND status = 'scheduled'
           ORDER BY scheduled_at ASC NULLS LAST, id LIMIT 1""",
        seller_id,
    )
    live = await conn.fetchrow(
        "SELECT id, title, started_at FROM livestreams WHERE seller_id = $1 AND status = 'live'", seller_id)
    return Dashboard(Sales(**today), to_ship, credits, one(ShowBrief, next_show), one(ShowBrief, live))


async def admin_counts(conn: Conn) -> AdminCounts:
    """What waits for an admin: sellers to verify, reported videos, withdrawal requests."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM sellers s JOIN users u ON u.id = s.user_id
                   WHERE NOT s.verified AND u.is_active) AS sellers,
                  (SELECT count(DISTINCT video_id) FROM video_reports WHERE status = 'open') AS reports,
                  (SELECT count(*) FROM withdrawals WHERE status = 'requested') AS withdrawals,
                  (SELECT count(*) FROM users WHERE is_active) AS users"""
    )
    return AdminCounts(**row)


async def sellers(conn: Conn, verified: bool, limit: int, offset: int) -> tuple[int, list[SellerRow]]:
    """Sellers waiting for verification (oldest first), or the verified ones (newest first)."""
    where = "s.verified = $1 AND u.is_active"
    count: int = await conn.fetchval(
        f"SELECT count(*) FROM sellers s JOIN users u ON u.id = s.user_id WHERE {where}", verified)
    rows = await conn.fetch(
        f"""SELECT u.id, u.username, u.email, u.created_at, s.business_name, s.gstin, s.verified_at, s.credits
            FROM sellers s JOIN users u ON u.id = s.user_id WHERE {where}
            ORDER BY CASE WHEN $1 THEN -u.id ELSE u.id END LIMIT $2 OFFSET $3""",
        verified, limit, offset,
    )
    return count, many(SellerRow, rows)


async def users(conn: Conn, search: str | None, limit: int, offset: int) -> tuple[int, list[Account]]:
    """Every account, deactivated ones too, by username or e-mail prefix; newest first."""
    where, args = "TRUE", []
    if search:
        where, args = "(lower(u.username) LIKE ($1 || '%') OR lower(u.email) LIKE ($1 || '%'))", [like_contains(search)]
    n = len(args)
    count: int = await conn.fetchval(f"SELECT count(*) FROM users u WHERE {where}", *args)
    rows = await conn.fetch(
        f"""SELECT u.id, u.username, u.email, u.role, u.is_active, u.created_at FROM users u WHERE {where}
            ORDER BY u.id DESC LIMIT ${n + 1} OFFSET ${n + 2}""",
        *args, limit, offset,
    )
    return count, many(Account, rows)


async def seller_products(conn: Conn, seller_id: int) -> list[PickerProduct]:
    """The seller's active products by name, for pickers (a show's products, a reel's tags)."""
    rows = await conn.fetch(
        "SELECT id, name, price, stock FROM products WHERE seller_id = $1 AND is_active ORDER BY lower(name), id",
        seller_id,
    )
    return many(PickerProduct, rows)
