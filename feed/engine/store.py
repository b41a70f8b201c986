"""What the engine reads from PostgreSQL: a user's signals and follows, and candidate videos by source."""

from __future__ import annotations

from datetime import UTC, datetime

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
# Each source is a stream of active videos in a fixed order, read a slice at a time after a cursor (the last
# (sort key, id) read): what a session has read is never read again, however long it scrolls. $1 categories,
# $2 tags, $3 followed creators, $4 the category filter; then per source its cursor's key, id and the slice.
_WHERE = {"interest": "category_id = ANY($1::bigint[])", "follow": "creator_id = ANY($3::bigint[])",
          "tag": "tags && $2::text[]", "trending": "true", "recent": "true"}
ORDER = {"interest": "created_at", "follow": "created_at", "tag": "created_at", "trending": "trend_score",
         "recent": "created_at"}
_CAST = {"created_at": "timestamptz", "trend_score": "float8"}
START: dict[str, object] = {"created_at": datetime(9999, 1, 1, tzinfo=UTC), "trend_score": float("inf")}
START_ID = 2**63 - 1
_FILTER = "status = 'active' AND ($4::bigint IS NULL OR category_id = $4)"
_CANDIDATES = "\nUNION ALL\n".join(
    f"""(SELECT '{name}' AS source, {_CANDIDATE_COLUMNS} FROM videos
        WHERE {_FILTER} AND {_WHERE[name]} AND ({ORDER[name]}, id) < (${5 + 3 * i}::{_CAST[ORDER[name]]}, ${6 + 3 * i})
        ORDER BY {ORDER[name]} DESC, id DESC LIMIT ${7 + 3 * i})"""
    for i, name in enumerate(SOURCES)
) + f"""
UNION ALL
(SELECT 'new', {_CANDIDATE_COLUMNS} FROM videos WHERE {_FILTER} AND created_at > $20
 ORDER BY created_at DESC, id DESC LIMIT $21)"""
Cursor = tuple[object, int]  # (sort key, id) of the last video read from a source


async def candidates(conn: Conn, *, categories: list[int], tags: list[str], follows: list[int],
                     only_category: int | None, after: dict[str, Cursor | None], per_source: int,
                     newer_than: datetime | None) -> dict[str, list[Candidate]]:
    """The next up to per_source active videos of each source after its cursor (None: the source is done, none
    are read), in the stream's order: interests (the top categories), follows, tag similarity (newest first),
    trending (by trend score), recent (newest first); and under "new", those created after `newer_than`
    (uploads since the session began reading the recent stream), newest first."""
    args: list[object] = [categories, tags, follows, only_category]
    for name in SOURCES:
        top = (START[ORDER[name]], START_ID)
        cursor = after.get(name, top)  # a source not read yet starts from its top
        args += [*(cursor or top), per_source if cursor is not None else 0]  # a done one reads nothing
    args += [newer_than or START["created_at"], per_source if newer_than is not None else 0]
    rows = await conn.fetch(_CANDIDATES, *args)
    found: dict[str, list[Candidate]] = {name: [] for name in (*SOURCES, "new")}
    for r in rows:
        found[r["source"]].append(Candidate(
            id=r["id"], category_id=r["category_id"], tags=tuple(r["tags"]), creator_id=r["creator_id"],
            views=r["views_count"], likes=r["likes_count"], shares=r["shares_count"], trend_score=r["trend_score"],
            created_at=r["created_at"], source="recent" if r["source"] == "new" else r["source"]))
    # UNION ALL may interleave its branches (a parallel append): put each back in its stream's order.
    for name, group in found.items():
        key = ORDER.get(name, "created_at")
        group.sort(key=lambda c: (getattr(c, key), c.id), reverse=True)
    return found


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
