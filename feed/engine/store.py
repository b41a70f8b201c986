"""What the engine reads from PostgreSQL: a user's signals and follows, and candidate videos by source."""

from __future__ import annotations

from datetime import datetime

from feed.engine.rules import Candidate, Signal
from server.sql import Conn

# cta_click is a tap on a product in the video: the profile counts it as a product view.
_KIND = {"cta_click": "product_view"}


async def signals(conn: Conn, user_id: int, since: datetime, limit: int = 1000) -> list[Signal]:
    """The user's engagements since `since`, newest first: likes and saves as they stand now, logged
    interactions, and follows (through the followed creators' latest videos)."""
    rows = await conn.fetch(
        """(SELECT 'like' AS kind, l.created_at AS at, v.category_id, v.tags, 0 AS dwell_ms
            FROM video_likes l JOIN videos v ON v.id = l.video_id WHERE l.user_id = $1 AND l.created_at > $2)
           UNION ALL
           (SELECT 'save', s.created_at, v.category_id, v.tags, 0
            FROM video_saves s JOIN videos v ON v.id = s.video_id WHERE s.user_id = $1 AND s.created_at > $2)
           UNION ALL
           (SELECT i.event_type, i.created_at, v.category_id, v.tags, i.dwell_ms
            FROM video_interactions i JOIN videos v ON v.id = i.video_id
            WHERE i.user_id = $1 AND i.created_at > $2
              AND i.event_type IN ('view', 'watch_time', 'scroll_pause', 'cta_click', 'add_to_cart')
            ORDER BY i.created_at DESC LIMIT $3)
           UNION ALL
           (SELECT 'follow', f.created_at, fv.category_id, fv.tags, 0
            FROM follows f CROSS JOIN LATERAL (
                SELECT category_id, tags FROM videos WHERE creator_id = f.following_id AND status = 'active'
                ORDER BY created_at DESC LIMIT 3) fv
            WHERE f.follower_id = $1 AND f.created_at > $2)
           ORDER BY at DESC LIMIT $3""",
        user_id, since, limit,
    )
    return [Signal(kind=_KIND.get(r["kind"], r["kind"]), at=r["at"], category_id=r["category_id"],
                   tags=tuple(r["tags"]), dwell_s=r["dwell_ms"] / 1000) for r in rows]


SOURCES = ("interest", "follow", "tag", "trending", "recent")
_CANDIDATE_COLUMNS = (
    "id, category_id, tags, creator_id, views_count, likes_count, shares_count, trend_score, created_at"
)


async def candidates(conn: Conn, *, categories: list[int], tags: list[str], follows: list[int], seen: list[int],
                     only_category: int | None, per_source: int) -> list[Candidate]:
    """Up to per_source active videos from each source, in this order: interests (the top categories),
    follows, tag similarity, trending, recent; seen ones left out. A video may come from several sources."""
    base = "status = 'active' AND id <> ALL($4::bigint[]) AND ($5::bigint IS NULL OR category_id = $5)"
    rows = await conn.fetch(
        f"""(SELECT 'interest' AS source, {_CANDIDATE_COLUMNS} FROM videos
             WHERE {base} AND category_id = ANY($1::bigint[]) ORDER BY created_at DESC LIMIT $6)
            UNION ALL
            (SELECT 'follow', {_CANDIDATE_COLUMNS} FROM videos
             WHERE {base} AND creator_id = ANY($3::bigint[]) ORDER BY created_at DESC LIMIT $6)
            UNION ALL
            (SELECT 'tag', {_CANDIDATE_COLUMNS} FROM videos
             WHERE {base} AND tags && $2::text[] ORDER BY created_at DESC LIMIT $6)
            UNION ALL
            (SELECT 'trending', {_CANDIDATE_COLUMNS} FROM videos
             WHERE {base} ORDER BY trend_score DESC, id DESC LIMIT $6)
            UNION ALL
            (SELECT 'recent', {_CANDIDATE_COLUMNS} FROM videos
             WHERE {base} ORDER BY created_at DESC, id DESC LIMIT $6)""",
        categories, tags, follows, seen, only_category, per_source,
    )
    # UNION ALL may interleave its branches (a parallel append): put them back in source order, so that
    # "first source wins" and the seeded ranking of signed-out visitors do not change between calls.
    rows = sorted(rows, key=lambda r: (SOURCES.index(r["source"]), r["id"]))
    return [Candidate(id=r["id"], category_id=r["category_id"], tags=tuple(r["tags"]), creator_id=r["creator_id"],
                      views=r["views_count"], likes=r["likes_count"], shares=r["shares_count"],
                      trend_score=r["trend_score"], created_at=r["created_at"], source=r["source"]) for r in rows]


async def active_among(conn: Conn, ids: list[int], only_category: int | None) -> list[int]:
    """Those of these videos still active (and in the category, if one is asked), in the order given."""
    rows = await conn.fetch(
        """SELECT id FROM videos WHERE id = ANY($1::bigint[]) AND status = 'active'
           AND ($2::bigint IS NULL OR category_id = $2)""",
        ids, only_category,
    )
    active = {r["id"] for r in rows}
    return [i for i in ids if i in active]


async def active_count(conn: Conn, only_category: int | None) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM videos WHERE status = 'active' AND ($1::bigint IS NULL OR category_id = $1)",
        only_category,
    )
    return count
