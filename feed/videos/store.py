"""SQL for videos, their products and items, likes, saves, views, shares and interactions."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

import asyncpg

from feed.briefs.store import PRODUCT_BRIEF, CreatorRow, ProductRow
from server.sql import Conn, many, one
from server.store import update_columns


@dataclass(frozen=True, slots=True)
class Video:
    """A videos row (VIDEO)."""

    id: int
    creator_id: int
    category_id: int | None
    content_type: Literal["VIDEO", "IMAGE", "COLLECTION"]
    title: str
    description: str
    video_file: str | None
    image_file: str | None
    product_id: int | None
    tags: list[str]
    likes_count: int
    views_count: int
    shares_count: int
    saves_count: int
    comments_count: int
    trend_score: float
    status: Literal["active", "hidden", "removed"]
    created_at: datetime


VIDEO = ", ".join(f"v.{f.name}" for f in fields(Video))


@dataclass(frozen=True, slots=True)
class VideoRow:
    """A video with everything the API shows of it, for one viewer (VIDEO_ROWS)."""

    video: Video
    category_name: str | None
    category_slug: str | None
    category_description: str | None
    category_emoji: str | None
    category_icon: str | None
    category_order: int | None
    category_active: bool | None
    creator: CreatorRow
    is_liked: bool
    is_saved: bool
    has_products: bool  # a primary or additional product: products_of has something for it
    has_items: bool  # slides: items_of has something for it

    @classmethod
    def of(cls, row: asyncpg.Record) -> VideoRow:
        return cls(Video(**{f.name: row[f.name] for f in fields(Video)}), row["category_name"],
                   row["category_slug"], row["category_description"], row["category_emoji"], row["category_icon"],
                   row["category_order"], row["category_active"],
                   CreatorRow.pick(row, "creator_id"), row["is_liked"], row["is_saved"],
                   row["product_id"] is not None or row["has_extra"], row["has_items"])


@dataclass(frozen=True, slots=True)
class VideoProduct:
    """A product of a video: the primary one (position -1) or an additional one."""

    video_id: int
    position: int
    product: ProductRow


@dataclass(frozen=True, slots=True)
class Slide:
    """An item of a collection, with its product if it shows one."""

    item_id: int
    video_id: int
    position: int
    image_file: str | None
    video_file: str | None
    caption: str
    product: ProductRow | None


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    slug: str
    description: str
    emoji: str
    icon: str | None  # the media path of an uploaded icon image
    sort_order: int
    is_active: bool
    created_at: datetime


CATEGORY = ", ".join(f.name for f in fields(Category))

# A page of videos with everything the API shows, for a viewer (0 when signed out): is_liked and
# is_saved are index probes in the same statement, so a page costs one round trip, not one per video.
VIDEO_ROWS = f"""
    SELECT {VIDEO}, c.name AS category_name, c.slug AS category_slug, c.description AS category_description,
           c.emoji AS category_emoji, c.icon AS category_icon, c.sort_order AS category_order,
           c.is_active AS category_active, u.username,
           COALESCE(cp.handle, u.username) AS handle, COALESCE(cp.display_name, u.username) AS display_name,
           cp.avatar, COALESCE(cp.followers_count, 0) AS followers_count,
           EXISTS (SELECT 1 FROM video_likes l WHERE l.video_id = v.id AND l.user_id = $2) AS is_liked,
           EXISTS (SELECT 1 FROM video_saves s WHERE s.video_id = v.id AND s.user_id = $2) AS is_saved,
           EXISTS (SELECT 1 FROM video_products vp WHERE vp.video_id = v.id) AS has_extra,
           EXISTS (SELECT 1 FROM video_items vi WHERE vi.video_id = v.id) AS has_items
    FROM videos v
    JOIN users u ON u.id = v.creator_id
    LEFT JOIN creator_profiles cp ON cp.user_id = v.creator_id
    LEFT JOIN video_categories c ON c.id = v.category_id
    WHERE v.id = ANY($1::bigint[])
"""



async def rows_by_id(conn: Conn, ids: list[int], viewer: int) -> dict[int, VideoRow]:
    rows = await conn.fetch(VIDEO_ROWS, ids, viewer)
    return {r["id"]: VideoRow.of(r) for r in rows}


async def flags(conn: Conn, ids: list[int], viewer: int) -> tuple[set[int], set[int]]:
    """Which of these videos the viewer has liked, and which saved."""
    rows = await conn.fetch(
        """SELECT video_id, true AS liked FROM video_likes WHERE user_id = $2 AND video_id = ANY($1::bigint[])
           UNION ALL
           SELECT video_id, false FROM video_saves WHERE user_id = $2 AND video_id = ANY($1::bigint[])""",
        ids, viewer,
    )
    return {r["video_id"] for r in rows if r["liked"]}, {r["video_id"] for r in rows if not r["liked"]}


async def products_of(conn: Conn, ids: list[int]) -> list[VideoProduct]:
    """The primary (position -1) and additional products of these videos."""
    rows = await conn.fetch(
        f"""SELECT x.video_id, x.position, {PRODUCT_BRIEF}
            FROM (SELECT id AS video_id, -1 AS position, product_id FROM videos
                  WHERE id = ANY($1::bigint[]) AND product_id IS NOT NULL
                  UNION ALL
                  SELECT video_id, position, product_id FROM video_products WHERE video_id = ANY($1::bigint[])) x
            JOIN products p ON p.id = x.product_id
            ORDER BY x.video_id, x.position""",
        ids,
    )
    return [VideoProduct(r["video_id"], r["position"], ProductRow.pick(r)) for r in rows]


async def items_of(conn: Conn, ids: list[int]) -> list[Slide]:
    rows = await conn.fetch(
        f"""SELECT it.id AS item_id, it.video_id, it.position, it.image_file, it.video_file, it.caption,
                   it.product_id, {PRODUCT_BRIEF}
            FROM video_items it LEFT JOIN products p ON p.id = it.product_id
            WHERE it.video_id = ANY($1::bigint[]) ORDER BY it.video_id, it.position""",
        ids,
    )
    return [Slide(r["item_id"], r["video_id"], r["position"], r["image_file"], r["video_file"], r["caption"],
                  ProductRow.pick(r) if r["product_id"] is not None and r["id"] is not None else None)
            for r in rows]


async def fetch(conn: Conn, video_id: int) -> Video | None:
    """The bare row (for permission checks)."""
    return one(Video, await conn.fetchrow(f"SELECT {VIDEO} FROM videos v WHERE v.id = $1", video_id))


async def insert(conn: Conn, creator_id: int, data: dict[str, Any]) -> int:
    video_id: int = await conn.fetchval(
        """INSERT INTO videos (creator_id, category_id, content_type, title, description, video_file, image_file,
                               product_id, tags)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
        creator_id, data["category"], data["content_type"], data["title"], data["description"],
        data.get("video_file"), data.get("image_file"), data["product"], data["tags"],
    )
    return video_id


async def update(conn: Conn, video_id: int, changes: dict[str, Any]) -> None:
    """Set some columns (names from code) of a video."""
    await update_columns(conn, "videos", "id", video_id, changes)


async def set_additional_products(conn: asyncpg.Connection, video_id: int, product_ids: list[int]) -> None:
    await conn.execute("DELETE FROM video_products WHERE video_id = $1", video_id)
    await conn.executemany(
        "INSERT INTO video_products (video_id, product_id, position) VALUES ($1, $2, $3)",
        [(video_id, pid, i) for i, pid in enumerate(product_ids)],
    )


async def missing_products(conn: Conn, product_ids: list[int]) -> list[int]:
    """Which of these ids are not active products."""
    found = await conn.fetch("SELECT id FROM products WHERE id = ANY($1::bigint[]) AND is_active", product_ids)
    have = {r["id"] for r in found}
    return [pid for pid in product_ids if pid not in have]


async def categories(conn: Conn, limit: int, offset: int) -> tuple[int, list[Category]]:
    """The listed (active) video categories, in their display order, then by name."""
    total: int = await conn.fetchval("SELECT count(*) FROM video_categories WHERE is_active")
    rows = await conn.fetch(
        f"""SELECT {CATEGORY} FROM video_categories WHERE is_active ORDER BY sort_order, lower(name), id
            LIMIT $1 OFFSET $2""",
        limit, offset,
    )
    return total, many(Category, rows)


async def update_category(conn: Conn, category_id: int, changes: dict[str, Any]) -> Category | None:
    """Set some columns of a category (names from code); the category after, or None if there is none."""
    if changes:
        await update_columns(conn, "video_categories", "id", category_id, changes)
    return await category(conn, category_id)


async def replace_category_icon(conn: Conn, category_id: int, path: str) -> str | None:
    """Point the category at a new icon image; the path of the one it had (to delete), in one statement."""
    old: str | None = await conn.fetchval(
        """UPDATE video_categories c SET icon = $2 FROM (SELECT icon FROM video_categories WHERE id = $1 FOR UPDATE) o
           WHERE c.id = $1 RETURNING o.icon""",
        category_id, path,
    )
    return old


async def category(conn: Conn, category_id: int) -> Category | None:
    return one(Category, await conn.fetchrow(f"SELECT {CATEGORY} FROM video_categories WHERE id = $1", category_id))


async def insert_category(conn: Conn, name: str, slug: str, description: str, emoji: str, *, order: int = 0,
                          is_active: bool = True,
                          if_missing: bool = False) -> Category | None:
    """A new video category; with if_missing, None instead of an error when the name or slug is taken."""
    return one(Category, await conn.fetchrow(
        f"""INSERT INTO video_categories (name, slug, description, emoji, sort_order, is_active)
            VALUES ($1, $2, $3, $4, $5, $6)
            {"ON CONFLICT DO NOTHING" if if_missing else ""} RETURNING {CATEGORY}""",
        name, slug, description, emoji, order, is_active,
    ))


async def category_exists(conn: Conn, category_id: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM video_categories WHERE id = $1", category_id))


async def lock(conn: asyncpg.Connection, video_id: int) -> Video | None:
    return one(Video, await conn.fetchrow(f"SELECT {VIDEO} FROM videos v WHERE v.id = $1 FOR UPDATE", video_id))


async def add_item(conn: asyncpg.Connection, video_id: int, image: str | None, video: str | None,
                   product_id: int | None, caption: str, limit: int, position: int | None = None) -> int | None:
    """Add an item at `position` (the ones from there on move down one), or last; with the video's row lock
    held. None when the collection is full."""
    count: int = await conn.fetchval("SELECT count(*) FROM video_items WHERE video_id = $1", video_id)
    if count >= limit:
        return None
    if position is not None:
        # Two steps, because (video_id, position) is unique at every row: out of the way, then back shifted.
        await conn.execute("UPDATE video_items SET position = -position - 1 WHERE video_id = $1 AND position >= $2",
                           video_id, position)
        await conn.execute("UPDATE video_items SET position = -position WHERE video_id = $1 AND position < 0",
                           video_id)
    item_id: int = await conn.fetchval(
        """INSERT INTO video_items (video_id, position, image_file, video_file, product_id, caption)
           VALUES ($1, COALESCE($6, (SELECT COALESCE(max(position), 0) + 1 FROM video_items WHERE video_id = $1)),
                   $2, $3, $4, $5)
           RETURNING id""",
        video_id, image, video, product_id, caption, position,
    )
    return item_id


async def media_files(conn: Conn, video_id: int) -> list[str]:
    """Every file a video and its items refer to (to delete them with it)."""
    rows = await conn.fetch(
        """SELECT video_file AS f FROM videos WHERE id = $1 UNION ALL SELECT image_file FROM videos WHERE id = $1
           UNION ALL SELECT video_file FROM video_items WHERE video_id = $1
           UNION ALL SELECT image_file FROM video_items WHERE video_id = $1""",
        video_id,
    )
    return [r["f"] for r in rows if r["f"]]


async def delete(conn: asyncpg.Connection, video_id: int) -> int | None:
    """Delete a video; returns its creator (whose post count drops) or None if it was not there."""
    creator: int | None = await conn.fetchval("DELETE FROM videos WHERE id = $1 RETURNING creator_id", video_id)
    return creator


# ---- engagement: every counter moves by one statement, never read-modify-write ----

async def like(conn: asyncpg.Connection, video_id: int, user_id: int) -> datetime | None:
    """Add the like; its time, or None if the user already liked it."""
    at: datetime | None = await conn.fetchval(
        "INSERT INTO video_likes (video_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING created_at",
        video_id, user_id,
    )
    return at


async def unlike(conn: asyncpg.Connection, video_id: int, user_id: int) -> datetime | None:
    """Remove the like; the time it was made, or None if there was none."""
    at: datetime | None = await conn.fetchval(
        "DELETE FROM video_likes WHERE video_id = $1 AND user_id = $2 RETURNING created_at", video_id, user_id
    )
    return at


async def bump(conn: Conn, video_id: int, column: str, delta: int) -> int | None:
    """Add delta to one of the video's counters (a name from code); the new value, None if no such video."""
    assert column in {"likes_count", "views_count", "shares_count", "saves_count", "comments_count"}
    value: int | None = await conn.fetchval(
        f"UPDATE videos SET {column} = GREATEST({column} + $2, 0) WHERE id = $1 RETURNING {column}",
        video_id, delta,
    )
    return value


async def save(conn: asyncpg.Connection, video_id: int, user_id: int) -> bool:
    status: str = await conn.execute(
        "INSERT INTO video_saves (video_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", video_id, user_id
    )
    return status != "INSERT 0 0"


async def unsave(conn: asyncpg.Connection, video_id: int, user_id: int) -> bool:
    status: str = await conn.execute("DELETE FROM video_saves WHERE video_id = $1 AND user_id = $2",
                                     video_id, user_id)
    return status != "DELETE 0"


async def record(conn: Conn, user_id: int | None, video_id: int, event_type: str, dwell_ms: int = 0,
                 extra: dict[str, Any] | None = None) -> None:
    """Log one engagement signal (the profile, trending and also-watched read these)."""
    await conn.execute(
        "INSERT INTO video_interactions (user_id, video_id, event_type, dwell_ms, extra) VALUES ($1, $2, $3, $4, $5)",
        user_id, video_id, event_type, dwell_ms, extra or {},
    )


async def product_in_video(conn: Conn, video_id: int, product_id: int) -> bool:
    """Whether the product is the video's primary, an additional one, or on one of its items."""
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM videos WHERE id = $1 AND product_id = $2)
               OR EXISTS (SELECT 1 FROM video_products WHERE video_id = $1 AND product_id = $2)
               OR EXISTS (SELECT 1 FROM video_items WHERE video_id = $1 AND product_id = $2)""",
        video_id, product_id,
    ))


# ---- lists ----

VISIBLE = "v.status = 'active'"


async def by_creator(conn: Conn, creator_id: int, limit: int, offset: int, *,
                     all_statuses: bool) -> tuple[int, list[int]]:
    where = "v.creator_id = $1" + ("" if all_statuses else f" AND {VISIBLE}")
    total: int = await conn.fetchval(f"SELECT count(*) FROM videos v WHERE {where}", creator_id)
    rows = await conn.fetch(f"SELECT v.id FROM videos v WHERE {where} ORDER BY v.created_at DESC, v.id DESC "
                            "LIMIT $2 OFFSET $3", creator_id, limit, offset)
    return total, [r["id"] for r in rows]


async def by_category(conn: Conn, category_id: int, limit: int, offset: int) -> tuple[int, list[int]]:
    total: int = await conn.fetchval(f"SELECT count(*) FROM videos v WHERE v.category_id = $1 AND {VISIBLE}",
                                     category_id)
    rows = await conn.fetch(f"""SELECT v.id FROM videos v WHERE v.category_id = $1 AND {VISIBLE}
                                ORDER BY v.created_at DESC, v.id DESC LIMIT $2 OFFSET $3""",
                            category_id, limit, offset)
    return total, [r["id"] for r in rows]


async def more_like_this(conn: Conn, video_id: int, limit: int) -> list[int]:
    """Videos sharing the most tags and the category with this one (1.5 per tag, 2.0 for the category)."""
    rows = await conn.fetch(
        f"""WITH me AS (SELECT category_id, tags FROM videos WHERE id = $1)
            SELECT v.id FROM videos v, me
            WHERE v.id <> $1 AND {VISIBLE} AND (v.tags && me.tags OR v.category_id = me.category_id)
            ORDER BY 1.5 * cardinality(ARRAY(SELECT unnest(v.tags) INTERSECT SELECT unnest(me.tags)))
                     + CASE WHEN v.category_id = me.category_id THEN 2.0 ELSE 0 END DESC,
                     v.trend_score DESC, v.likes_count DESC, v.id DESC
            LIMIT $2""",
        video_id, limit,
    )
    return [r["id"] for r in rows]


async def also_watched(conn: Conn, video_id: int, limit: int, sample: int = 500) -> list[int]:
    """Videos most engaged with by the (latest `sample`) other users who engaged with this one."""
    rows = await conn.fetch(
        f"""WITH watchers AS (
                SELECT user_id FROM video_interactions WHERE video_id = $1 AND user_id IS NOT NULL
                GROUP BY user_id ORDER BY max(id) DESC LIMIT $3)
            SELECT i.video_id AS id, count(DISTINCT i.user_id) AS together
            FROM video_interactions i JOIN watchers w ON w.user_id = i.user_id
            JOIN videos v ON v.id = i.video_id
            WHERE i.video_id <> $1 AND {VISIBLE}
            GROUP BY i.video_id ORDER BY together DESC, i.video_id DESC LIMIT $2""",
        video_id, limit, sample,
    )
    return [r["id"] for r in rows]


# ---- trending ----

TREND_WEIGHTS = {"view": 0.1, "like": 1.0, "save": 1.0, "share": 2.0, "cta_click": 0.5, "add_to_cart": 2.0,
                 "watch_time": 0.2, "comment": 1.0}


async def refresh_trending(conn: asyncpg.Connection, window_s: int) -> int:
    """trend_score = ln(1 + weighted engagement within the window), for every video; returns rows changed."""
    weights = "CASE i.event_type " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in TREND_WEIGHTS.items()) + " ELSE 0 END"
    async with conn.transaction():
        changed = await conn.fetchval(
            f"""WITH recent AS (
                    SELECT i.video_id, ln(1 + sum({weights})) AS score FROM video_interactions i
                    WHERE i.created_at > now() - make_interval(secs => $1) GROUP BY i.video_id),
                up AS (UPDATE videos v SET trend_score = r.score FROM recent r
                       WHERE v.id = r.video_id AND v.trend_score IS DISTINCT FROM r.score RETURNING 1),
                down AS (UPDATE videos v SET trend_score = 0 WHERE v.trend_score <> 0
                         AND NOT EXISTS (SELECT 1 FROM recent r WHERE r.video_id = v.id) RETURNING 1)
                SELECT (SELECT count(*) FROM up) + (SELECT count(*) FROM down)""",
            float(window_s),
        )
    return int(changed)


async def creator_has_video(conn: Conn, creator_id: int, title: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM videos WHERE creator_id = $1 AND title = $2", creator_id, title))


async def category_ids_by_slug(conn: Conn) -> dict[str, int]:
    return {r["slug"]: r["id"] for r in await conn.fetch("SELECT slug, id FROM video_categories")}
