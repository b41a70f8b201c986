"""SQL for wishlists, their items and shares, and swipes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from feed.briefs.store import PRODUCT_BRIEF, ProductRow
from server.sql import Conn, many, one
from server.store import update_columns


@dataclass(frozen=True, slots=True)
class Wishlist:
    """A wishlist with its owner's name (LIST)."""

    id: int
    owner_id: int
    name: str
    occasion: str
    event_date: date | None
    is_default: bool
    created_at: datetime
    updated_at: datetime
    owner_username: str


LIST = ", ".join(f"w.{f.name}" for f in fields(Wishlist) if f.name != "owner_username")


@dataclass(frozen=True, slots=True)
class Item:
    wishlist_id: int
    note: str
    added_by: int
    added_at: datetime
    product: ProductRow


@dataclass(frozen=True, slots=True)
class Share:
    wishlist_id: int
    user_id: int
    username: str
    can_edit: bool


@dataclass(frozen=True, slots=True)
class UserName:
    id: int
    username: str


async def fetch(conn: Conn, wishlist_id: int) -> Wishlist | None:
    return one(Wishlist, await conn.fetchrow(
        f"""SELECT {LIST}, u.username AS owner_username FROM wishlists w JOIN users u ON u.id = w.owner_id
            WHERE w.id = $1""",
        wishlist_id,
    ))


async def access(conn: Conn, wishlist_id: int, user_id: int) -> tuple[Wishlist | None, str | None]:
    """(the list, the user's right to it: "owner", "edit", "view" or None)."""
    row = await fetch(conn, wishlist_id)
    if row is None:
        return None, None
    if row.owner_id == user_id:
        return row, "owner"
    can_edit = await conn.fetchval("SELECT can_edit FROM wishlist_shares WHERE wishlist_id = $1 AND user_id = $2",
                                   wishlist_id, user_id)
    if can_edit is None:
        return row, None
    return row, "edit" if can_edit else "view"


async def owned_ids(conn: Conn, owner_id: int, limit: int, offset: int) -> tuple[int, list[int]]:
    total: int = await conn.fetchval("SELECT count(*) FROM wishlists WHERE owner_id = $1", owner_id)
    rows = await conn.fetch("SELECT id FROM wishlists WHERE owner_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
                            owner_id, limit, offset)
    return total, [r["id"] for r in rows]


async def shared_ids(conn: Conn, user_id: int, limit: int, offset: int) -> tuple[int, list[int]]:
    total: int = await conn.fetchval("SELECT count(*) FROM wishlist_shares WHERE user_id = $1", user_id)
    rows = await conn.fetch(
        "SELECT wishlist_id FROM wishlist_shares WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2 OFFSET $3",
        user_id, limit, offset,
    )
    return total, [r["wishlist_id"] for r in rows]


async def lists(conn: Conn, ids: list[int]) -> dict[int, Wishlist]:
    rows = await conn.fetch(
        f"""SELECT {LIST}, u.username AS owner_username FROM wishlists w JOIN users u ON u.id = w.owner_id
            WHERE w.id = ANY($1::bigint[])""",
        ids,
    )
    return {r["id"]: Wishlist(**r) for r in rows}


async def items(conn: Conn, ids: list[int]) -> list[Item]:
    rows = await conn.fetch(
        f"""SELECT wi.wishlist_id, wi.note, wi.added_by, wi.created_at AS added_at, {PRODUCT_BRIEF}
            FROM wishlist_items wi JOIN products p ON p.id = wi.product_id
            WHERE wi.wishlist_id = ANY($1::bigint[]) ORDER BY wi.wishlist_id, wi.created_at, p.id""",
        ids,
    )
    return [Item(r["wishlist_id"], r["note"], r["added_by"], r["added_at"], ProductRow.pick(r)) for r in rows]


async def shares(conn: Conn, ids: list[int]) -> list[Share]:
    rows = await conn.fetch(
        """SELECT s.wishlist_id, s.user_id, u.username, s.can_edit
           FROM wishlist_shares s JOIN users u ON u.id = s.user_id
           WHERE s.wishlist_id = ANY($1::bigint[]) ORDER BY s.wishlist_id, lower(u.username)""",
        ids,
    )
    return many(Share, rows)


async def insert(conn: Conn, owner_id: int, name: str, occasion: str, event_date: Any, *,
                 is_default: bool = False) -> int:
    wishlist_id: int = await conn.fetchval(
        """INSERT INTO wishlists (owner_id, name, occasion, event_date, is_default) VALUES ($1, $2, $3, $4, $5)
           RETURNING id""",
        owner_id, name, occasion, event_date, is_default,
    )
    return wishlist_id


async def update(conn: Conn, wishlist_id: int, changes: dict[str, Any]) -> None:
    await update_columns(conn, "wishlists", "id", wishlist_id, changes, touch=True)


async def delete(conn: Conn, wishlist_id: int) -> None:
    await conn.execute("DELETE FROM wishlists WHERE id = $1", wishlist_id)


async def default_list(conn: Conn, owner_id: int) -> int:
    """The user's default list (where swipes right land), created on first need."""
    existing: int | None = await conn.fetchval(
        "SELECT id FROM wishlists WHERE owner_id = $1 AND is_default", owner_id
    )
    if existing is not None:
        return existing
    created: int | None = await conn.fetchval(
        """INSERT INTO wishlists (owner_id, name, occasion, is_default) VALUES ($1, 'My wishlist', 'other', true)
           ON CONFLICT (owner_id) WHERE is_default DO NOTHING RETURNING id""",
        owner_id,
    )
    if created is not None:
        return created
    again: int = await conn.fetchval("SELECT id FROM wishlists WHERE owner_id = $1 AND is_default", owner_id)
    return again


async def add_item(conn: Conn, wishlist_id: int, product_id: int, note: str | None, added_by: int) -> None:
    """Add a product (again); a note of None keeps the stored note (a new item gets an empty one)."""
    await conn.execute(
        """INSERT INTO wishlist_items (wishlist_id, product_id, note, added_by) VALUES ($1, $2, COALESCE($3, ''), $4)
           ON CONFLICT (wishlist_id, product_id) DO UPDATE SET note = COALESCE($3, wishlist_items.note)""",
        wishlist_id, product_id, note, added_by,
    )


async def remove_item(conn: Conn, wishlist_id: int, product_id: int) -> bool:
    status: str = await conn.execute("DELETE FROM wishlist_items WHERE wishlist_id = $1 AND product_id = $2",
                                     wishlist_id, product_id)
    return status != "DELETE 0"


async def share(conn: Conn, wishlist_id: int, user_id: int, can_edit: bool) -> None:
    await conn.execute(
        """INSERT INTO wishlist_shares (wishlist_id, user_id, can_edit) VALUES ($1, $2, $3)
           ON CONFLICT (wishlist_id, user_id) DO UPDATE SET can_edit = EXCLUDED.can_edit""",
        wishlist_id, user_id, can_edit,
    )


async def unshare(conn: Conn, wishlist_id: int, user_id: int) -> bool:
    status: str = await conn.execute("DELETE FROM wishlist_shares WHERE wishlist_id = $1 AND user_id = $2",
                                     wishlist_id, user_id)
    return status != "DELETE 0"


async def user_by_name_or_id(conn: Conn, user_id: int | None, username: str | None) -> UserName | None:
    return one(UserName, await conn.fetchrow(
        """SELECT id, username FROM users WHERE is_active
           AND (id = $1 OR ($1::bigint IS NULL AND lower(username) = lower($2)))""",
        user_id, username,
    ))


# ---- swipes ----

async def deck(conn: Conn, user_id: int, limit: int) -> list[ProductRow]:
    """Active, in-stock products of other sellers the user has not swiped: categories the user showed
    interest in first (swipes right, wishlists, cart), newest first within each."""
    rows = await conn.fetch(
        f"""WITH interest AS (
                SELECT p.category_id, count(*) AS weight FROM (
                    SELECT product_id FROM swipes WHERE user_id = $1 AND direction = 'right'
                    UNION ALL SELECT wi.product_id FROM wishlist_items wi JOIN wishlists w ON w.id = wi.wishlist_id
                              WHERE w.owner_id = $1
                    UNION ALL SELECT product_id FROM cart_items WHERE buyer_id = $1) liked
                JOIN products p ON p.id = liked.product_id GROUP BY p.category_id)
            SELECT {PRODUCT_BRIEF}, p.category_id, COALESCE(i.weight, 0) AS interest
            FROM products p LEFT JOIN interest i ON i.category_id = p.category_id
            WHERE p.is_active AND p.stock > 0 AND p.seller_id <> $1
              AND NOT EXISTS (SELECT 1 FROM swipes s WHERE s.user_id = $1 AND s.product_id = p.id)
            ORDER BY COALESCE(i.weight, 0) DESC, p.created_at DESC, p.id DESC LIMIT $2""",
        user_id, limit,
    )
    return [ProductRow.pick(r) for r in rows]


async def swipe(conn: Conn, user_id: int, product_id: int, direction: str) -> None:
    await conn.execute(
        """INSERT INTO swipes (user_id, product_id, direction) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, product_id) DO UPDATE SET direction = EXCLUDED.direction, created_at = now()""",
        user_id, product_id, direction,
    )
