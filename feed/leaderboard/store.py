"""SQL of the weekly leaderboard: a week's like counts, under a per-week advisory lock."""

from __future__ import annotations

import asyncpg


def _lock_id(week: str) -> str:
    return f"leaderboard:{week}"


async def add_likes(conn: asyncpg.Connection, week: str, video_id: int, delta: int) -> int:
    """In the like's transaction: move the video's likes in the week by delta (never below 0); the new count.
    A shared lock, so likes of one week go on together but not while the week is being rebuilt."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))", _lock_id(week))
    likes: int = await conn.fetchval(
        """INSERT INTO video_week_likes (week, video_id, likes) VALUES ($1, $2, GREATEST($3, 0))
           ON CONFLICT (week, video_id) DO UPDATE SET likes = GREATEST(video_week_likes.likes + $3, 0)
           RETURNING likes""",
        week, video_id, delta,
    )
    return likes


async def week_likes(conn: asyncpg.Connection, week: str) -> list[tuple[int, int]]:
    """In the caller's transaction, with likes of the week held off until it ends: (video id, likes) > 0."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", _lock_id(week))
    rows = await conn.fetch("SELECT video_id, likes FROM video_week_likes WHERE week = $1 AND likes > 0", week)
    return [(r["video_id"], r["likes"]) for r in rows]
