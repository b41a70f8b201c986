"""SQL for comments on videos and reports of videos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from server.sql import Conn, many, one


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    video_id: int
    user_id: int
    username: str
    text: str
    parent_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    video_id: int
    reason: str
    description: str
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Reported:
    """A video with open reports."""

    video_id: int
    open_reports: int
    reasons: list[str]
    status: str

_COMMENT = """SELECT c.id, c.video_id, c.user_id, u.username, c.text, c.parent_id, c.created_at
              FROM video_comments c JOIN users u ON u.id = c.user_id"""


async def insert_comment(conn: asyncpg.Connection, video_id: int, user_id: int, text: str,
                         parent_id: int | None) -> Comment:
    row = await conn.fetchrow(
        """WITH c AS (INSERT INTO video_comments (video_id, user_id, text, parent_id) VALUES ($1, $2, $3, $4)
                      RETURNING *)
           SELECT c.id, c.video_id, c.user_id, u.username, c.text, c.parent_id, c.created_at
           FROM c JOIN users u ON u.id = c.user_id""",
        video_id, user_id, text, parent_id,
    )
    return Comment(**row)


async def fetch_comment(conn: Conn, comment_id: int) -> Comment | None:
    return one(Comment, await conn.fetchrow(f"{_COMMENT} WHERE c.id = $1", comment_id))


async def threads(conn: Conn, video_id: int, limit: int, offset: int,
                  replies_each: int) -> tuple[int, list[Comment], list[Comment], dict[int, int]]:
    """(top-level count, a page of top-level comments newest first, their first replies oldest first,
    reply counts by parent)."""
    total: int = await conn.fetchval(
        "SELECT count(*) FROM video_comments WHERE video_id = $1 AND parent_id IS NULL", video_id
    )
    roots = await conn.fetch(f"{_COMMENT} WHERE c.video_id = $1 AND c.parent_id IS NULL "
                             "ORDER BY c.id DESC LIMIT $2 OFFSET $3", video_id, limit, offset)
    ids = [r["id"] for r in roots]
    replies = await conn.fetch(
        f"""SELECT id, video_id, user_id, username, text, parent_id, created_at
            FROM (SELECT r.*, row_number() OVER (PARTITION BY r.parent_id ORDER BY r.id) AS n
                  FROM ({_COMMENT} WHERE c.parent_id = ANY($1::bigint[])) r) x
            WHERE n <= $2 ORDER BY parent_id, id""",
        ids, replies_each,
    )
    counts = await conn.fetch(
        "SELECT parent_id, count(*) AS n FROM video_comments WHERE parent_id = ANY($1::bigint[]) GROUP BY parent_id",
        ids,
    )
    return total, many(Comment, roots), many(Comment, replies), {r["parent_id"]: r["n"] for r in counts}


async def delete_comment(conn: asyncpg.Connection, comment_id: int) -> int:
    """Delete a comment and its replies; how many rows went."""
    removed: int = await conn.fetchval(
        """WITH gone AS (DELETE FROM video_comments WHERE id = $1 OR parent_id = $1 RETURNING 1)
           SELECT count(*) FROM gone""",
        comment_id,
    )
    return removed


async def insert_report(conn: asyncpg.Connection, video_id: int, reporter_id: int, reason: str,
                        description: str) -> Report | None:
    """A new open report; None if this user already reported this video."""
    return one(Report, await conn.fetchrow(
        """INSERT INTO video_reports (video_id, reporter_id, reason, description) VALUES ($1, $2, $3, $4)
           ON CONFLICT (video_id, reporter_id) DO NOTHING
           RETURNING id, video_id, reason, description, status, created_at""",
        video_id, reporter_id, reason, description,
    ))


async def hide_if_reported(conn: asyncpg.Connection, video_id: int, threshold: int) -> bool:
    """Hide an active video once its open reports reach the threshold; True if this call hid it."""
    status: str = await conn.execute(
        """UPDATE videos SET status = 'hidden' WHERE id = $1 AND status = 'active'
           AND (SELECT count(*) FROM video_reports WHERE video_id = $1 AND status = 'open') >= $2""",
        video_id, threshold,
    )
    return status == "UPDATE 1"


async def reported_videos(conn: Conn, limit: int, offset: int) -> tuple[int, list[Reported]]:
    """Videos with open reports, hidden ones first, then by report count."""
    total: int = await conn.fetchval("SELECT count(DISTINCT video_id) FROM video_reports WHERE status = 'open'")
    rows = await conn.fetch(
        """SELECT r.video_id, count(*) AS open_reports, array_agg(DISTINCT r.reason) AS reasons, v.status
           FROM video_reports r JOIN videos v ON v.id = r.video_id WHERE r.status = 'open'
           GROUP BY r.video_id, v.status
           ORDER BY (v.status = 'hidden') DESC, count(*) DESC, r.video_id LIMIT $1 OFFSET $2""",
        limit, offset,
    )
    return total, many(Reported, rows)


async def review(conn: asyncpg.Connection, video_id: int, admin_id: int, action: str) -> bool:
    """Close the video's open reports: "hide" removes the video, "keep" puts it back. False if none were open."""
    status: str = await conn.execute(
        """UPDATE video_reports SET status = $3, reviewed_by = $2, reviewed_at = now()
           WHERE video_id = $1 AND status = 'open'""",
        video_id, admin_id, "actioned" if action == "hide" else "dismissed",
    )
    await conn.execute("UPDATE videos SET status = $2 WHERE id = $1", video_id,
                       "removed" if action == "hide" else "active")
    return status != "UPDATE 0"
