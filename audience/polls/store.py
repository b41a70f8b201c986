"""SQL of polls: one open per show, votes as rows (one per user), counts from the votes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from server.sql import Conn, one

COLUMNS = "p.id, p.livestream_id, p.question, p.options, p.status, p.ends_at, p.counts, l.status AS stream_status"
FROM = "FROM polls p JOIN livestreams l ON l.id = p.livestream_id"


@dataclass(frozen=True, slots=True)
class Poll:
    id: int
    livestream_id: int
    question: str
    options: list[str]
    status: str
    ends_at: datetime
    counts: list[int] | None  # the final counts, once closed
    stream_status: str


@dataclass(frozen=True, slots=True)
class VotablePoll(Poll):
    open_now: bool  # open and before its end, by the database's clock


async def insert(conn: asyncpg.Connection, stream_id: int, user_id: int, question: str, options: list[str],
                 duration_s: int) -> int | None:
    """A new open poll; None if the show has one open already."""
    try:
        async with conn.transaction():
            poll_id: int = await conn.fetchval(
                """INSERT INTO polls (livestream_id, created_by, question, options, ends_at)
                   VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING id""",
                stream_id, user_id, question, options, duration_s)
    except asyncpg.UniqueViolationError:
        return None
    return poll_id


async def fetch(conn: Conn, poll_id: int) -> Poll | None:
    return one(Poll, await conn.fetchrow(f"SELECT {COLUMNS} {FROM} WHERE p.id = $1", poll_id))


async def open_in(conn: Conn, stream_id: int) -> Poll | None:
    return one(Poll, await conn.fetchrow(f"SELECT {COLUMNS} {FROM} WHERE p.livestream_id = $1 AND p.status = 'open'",
                                         stream_id))


async def share_lock(conn: asyncpg.Connection, poll_id: int) -> VotablePoll | None:
    """The poll, locked against closing (not against other votes) until the transaction ends."""
    return one(VotablePoll, await conn.fetchrow(
        f"""SELECT {COLUMNS}, p.status = 'open' AND p.ends_at > now() AS open_now {FROM}
            WHERE p.id = $1 FOR SHARE OF p""", poll_id))


async def lock(conn: asyncpg.Connection, poll_id: int) -> VotablePoll | None:
    """The poll, locked until the transaction ends: in-flight votes commit first, later ones wait."""
    return one(VotablePoll, await conn.fetchrow(
        f"""SELECT {COLUMNS}, p.status = 'open' AND p.ends_at > now() AS open_now {FROM}
            WHERE p.id = $1 FOR UPDATE OF p""", poll_id))


async def vote(conn: Conn, poll_id: int, user_id: int, option: int) -> bool:
    """The user's vote; False if they have voted already."""
    status: str = await conn.execute(
        "INSERT INTO poll_votes (poll_id, user_id, option) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        poll_id, user_id, option)
    return status != "INSERT 0 0"


async def my_vote(conn: Conn, poll_id: int, user_id: int) -> int | None:
    option: int | None = await conn.fetchval("SELECT option FROM poll_votes WHERE poll_id = $1 AND user_id = $2",
                                             poll_id, user_id)
    return option


async def count(conn: Conn, poll_id: int, options: int) -> list[int]:
    """The votes for each option so far."""
    counts = [0] * options
    for row in await conn.fetch("SELECT option, count(*) AS n FROM poll_votes WHERE poll_id = $1 GROUP BY option",
                                poll_id):
        counts[row["option"]] = int(row["n"])
    return counts


async def close(conn: asyncpg.Connection, poll_id: int, counts: list[int]) -> None:
    """On the locked row: open -> closed with its final counts."""
    await conn.execute("UPDATE polls SET status = 'closed', closed_at = now(), counts = $2 WHERE id = $1",
                       poll_id, counts)


async def due(conn: Conn) -> list[int]:
    rows = await conn.fetch("SELECT id FROM polls WHERE status = 'open' AND ends_at <= now() ORDER BY ends_at")
    return [int(r["id"]) for r in rows]
