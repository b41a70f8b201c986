"""SQL for creator profiles, follows and friends."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

import asyncpg

from feed.briefs.store import PRODUCT_BRIEF, ProductRow
from server.sql import Conn, like_contains, many, one
from server.store import update_columns


@dataclass(frozen=True, slots=True)
class Creator:
    """A user as a creator, for one viewer (CREATOR_COLUMNS; profile defaults where none)."""

    id: int
    username: str
    handle: str
    display_name: str
    avatar: str | None
    bio: str
    social_links: dict[str, Any]
    followers_count: int
    following_count: int
    posts_count: int
    created_at: datetime
    is_following: bool
    views_count: int


@dataclass(frozen=True, slots=True)
class FriendRequest:
    id: int
    sender_id: int
    receiver_id: int
    status: Literal["pending", "accepted", "rejected"]
    created_at: datetime
    decided_at: datetime | None


REQUEST = ", ".join(f.name for f in fields(FriendRequest))


@dataclass(frozen=True, slots=True)
class NamedRequest(FriendRequest):
    sender_username: str
    receiver_username: str


@dataclass(frozen=True, slots=True)
class Friend:
    id: int
    username: str
    avatar: str | None
    since: datetime

CREATOR_COLUMNS = """u.id, u.username, COALESCE(cp.handle, u.username) AS handle,
    COALESCE(cp.display_name, u.username) AS display_name, cp.avatar, COALESCE(cp.bio, '') AS bio,
    COALESCE(cp.social_links, '{}'::jsonb) AS social_links, COALESCE(cp.followers_count, 0) AS followers_count,
    COALESCE(cp.following_count, 0) AS following_count, COALESCE(cp.posts_count, 0) AS posts_count,
    COALESCE(cp.created_at, u.created_at) AS created_at,
    EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.following_id = u.id) AS is_following,
    (SELECT COALESCE(sum(v.views_count), 0) FROM videos v WHERE v.creator_id = u.id AND v.status = 'active')
        AS views_count"""
# $1 is always the viewer (0 when signed out).
CREATORS_FROM = "FROM users u LEFT JOIN creator_profiles cp ON cp.user_id = u.id"


async def ensure_profile(conn: Conn, user_id: int) -> None:
    """Create the user's creator profile if missing: handle and display name from the username (with the
    id appended when another creator already took that handle)."""
    for suffix in ("", "_' || u.id || '"):
        status: str = await conn.execute(
            f"""INSERT INTO creator_profiles (user_id, handle, display_name)
                SELECT u.id, u.username || '{suffix}', u.username FROM users u WHERE u.id = $1
                ON CONFLICT DO NOTHING""",
            user_id,
        )
        if status != "INSERT 0 0" or await conn.fetchval("SELECT 1 FROM creator_profiles WHERE user_id = $1",
                                                         user_id):
            return


async def creator(conn: Conn, viewer: int, user_id: int) -> Creator | None:
    return one(Creator, await conn.fetchrow(
        f"SELECT {CREATOR_COLUMNS} {CREATORS_FROM} WHERE u.id = $2 AND u.is_active", viewer, user_id
    ))


async def creators_by_id(conn: Conn, viewer: int, ids: list[int]) -> list[Creator]:
    """Creators in the order of ids."""
    rows = await conn.fetch(f"SELECT {CREATOR_COLUMNS} {CREATORS_FROM} WHERE u.id = ANY($2::bigint[])", viewer, ids)
    by_id = {r["id"]: Creator(**r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def search_creators(conn: Conn, viewer: int, q: str | None, video_category: int | None,
                          category: int | None, limit: int, offset: int) -> tuple[int, list[Creator]]:
    """Creators (users with a profile) by handle or name, with videos in a video category, or featuring
    products of a catalog category; most followed first."""
    where = ["u.is_active", "cp.user_id IS NOT NULL"]
    args: list[Any] = [viewer]
    if q:
        args.append(like_contains(q))
        where.append(f"lower(cp.handle || ' ' || cp.display_name) LIKE '%' || ${len(args)} || '%'")
    if video_category is not None:
        args.append(video_category)
        where.append(f"""EXISTS (SELECT 1 FROM videos v WHERE v.creator_id = u.id AND v.status = 'active'
                                 AND v.category_id = ${len(args)})""")
    if category is not None:
        args.append(category)
        where.append(f"""EXISTS (SELECT 1 FROM videos v JOIN products p ON p.id = v.product_id
                                 WHERE v.creator_id = u.id AND v.status = 'active' AND p.category_id = ${len(args)})""")
    clause = " AND ".join(where)
    # The count takes the same parameters; $1 (the viewer) is only named so that the numbering holds.
    total: int = await conn.fetchval(f"SELECT count(*) {CREATORS_FROM} WHERE {clause} AND $1::bigint IS NOT NULL",
                                     *args)
    rows = await conn.fetch(
        f"""SELECT {CREATOR_COLUMNS} {CREATORS_FROM} WHERE {clause}
            ORDER BY cp.followers_count DESC, u.id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}""",
        *args, limit, offset,
    )
    return total, many(Creator, rows)


async def trending_creators(conn: Conn, window_s: int, limit: int, offset: int) -> list[int]:
    """Creators by follower growth (2.0 per new follower) plus their videos' trend scores within the window."""
    rows = await conn.fetch(
        """WITH growth AS (SELECT following_id AS id, count(*) AS n FROM follows
                           WHERE created_at > now() - make_interval(secs => $1) GROUP BY following_id),
                engagement AS (SELECT creator_id AS id, sum(trend_score) AS s FROM videos
                               WHERE status = 'active' AND trend_score > 0 GROUP BY creator_id)
           SELECT id, 2.0 * COALESCE(g.n, 0) + COALESCE(e.s, 0) AS score
           FROM growth g FULL JOIN engagement e USING (id)
           JOIN users u USING (id) WHERE u.is_active
           ORDER BY score DESC, id LIMIT $2 OFFSET $3""",
        float(window_s), limit, offset,
    )
    return [r["id"] for r in rows]


async def update_profile(conn: Conn, user_id: int, changes: dict[str, Any]) -> None:
    await update_columns(conn, "creator_profiles", "user_id", user_id, changes, touch=True)


async def replace_avatar(conn: Conn, user_id: int, path: str) -> str | None:
    """Set the profile's avatar; the path of the one it replaces (to delete), if any."""
    old: str | None = await conn.fetchval(
        """UPDATE creator_profiles c SET avatar = $2, updated_at = now()
           FROM (SELECT avatar FROM creator_profiles WHERE user_id = $1 FOR UPDATE) old
           WHERE c.user_id = $1 RETURNING old.avatar""",
        user_id, path,
    )
    return old


async def handle_taken(conn: Conn, handle: str, user_id: int) -> bool:
    return bool(await conn.fetchval(
        "SELECT 1 FROM creator_profiles WHERE lower(handle) = lower($1) AND user_id <> $2", handle, user_id
    ))


async def bump_posts(conn: Conn, user_id: int, delta: int) -> None:
    await conn.execute(
        "UPDATE creator_profiles SET posts_count = GREATEST(posts_count + $2, 0) WHERE user_id = $1", user_id, delta
    )


async def creator_products(conn: Conn, user_id: int, limit: int, offset: int) -> tuple[int, list[ProductRow]]:
    """Active products the user sells or shows in an active video, newest first."""
    source = """SELECT p.id FROM products p WHERE p.seller_id = $1 AND p.is_active
                UNION SELECT p.id FROM videos v JOIN products p ON p.id = v.product_id
                      WHERE v.creator_id = $1 AND v.status = 'active' AND p.is_active
                UNION SELECT p.id FROM videos v JOIN video_products vp ON vp.video_id = v.id
                      JOIN products p ON p.id = vp.product_id
                      WHERE v.creator_id = $1 AND v.status = 'active' AND p.is_active"""
    total: int = await conn.fetchval(f"SELECT count(*) FROM ({source}) s", user_id)
    rows = await conn.fetch(
        f"""SELECT {PRODUCT_BRIEF} FROM products p WHERE p.id IN ({source})
            ORDER BY p.created_at DESC, p.id DESC LIMIT $2 OFFSET $3""",
        user_id, limit, offset,
    )
    return total, many(ProductRow, rows)


# ---- follows ----

async def follow(conn: asyncpg.Connection, follower: int, following: int) -> bool:
    status: str = await conn.execute(
        "INSERT INTO follows (follower_id, following_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", follower, following
    )
    return status != "INSERT 0 0"


async def unfollow(conn: asyncpg.Connection, follower: int, following: int) -> bool:
    status: str = await conn.execute("DELETE FROM follows WHERE follower_id = $1 AND following_id = $2",
                                     follower, following)
    return status != "DELETE 0"


async def bump_follow_counts(conn: asyncpg.Connection, follower: int, following: int, delta: int) -> int:
    """Move both sides' counters by delta; the followed one's new follower count."""
    await conn.execute(
        "UPDATE creator_profiles SET following_count = GREATEST(following_count + $2, 0) WHERE user_id = $1",
        follower, delta,
    )
    count: int = await conn.fetchval(
        """UPDATE creator_profiles SET followers_count = GREATEST(followers_count + $2, 0) WHERE user_id = $1
           RETURNING followers_count""",
        following, delta,
    )
    return count


async def follow_page(conn: Conn, viewer: int, user_id: int, direction: str, limit: int,
                      offset: int) -> tuple[int, list[Creator]]:
    """The user's followers ("followers") or the people the user follows ("following"), newest first."""
    mine, other = ("following_id", "follower_id") if direction == "followers" else ("follower_id", "following_id")
    total: int = await conn.fetchval(f"SELECT count(*) FROM follows WHERE {mine} = $1", user_id)
    rows = await conn.fetch(
        f"""SELECT {CREATOR_COLUMNS}
            FROM follows f JOIN users u ON u.id = f.{other} LEFT JOIN creator_profiles cp ON cp.user_id = u.id
            WHERE f.{mine} = $2 ORDER BY f.created_at DESC, u.id LIMIT $3 OFFSET $4""",
        viewer, user_id, limit, offset,
    )
    return total, many(Creator, rows)


async def following_ids(conn: Conn, user_id: int, limit: int = 1000) -> list[int]:
    rows = await conn.fetch(
        "SELECT following_id FROM follows WHERE follower_id = $1 ORDER BY created_at DESC LIMIT $2", user_id, limit
    )
    return [r["following_id"] for r in rows]


# ---- friends ----

async def are_friends(conn: Conn, a: int, b: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", a, b))


async def pending_between(conn: Conn, a: int, b: int) -> FriendRequest | None:
    return one(FriendRequest, await conn.fetchrow(
        f"""SELECT {REQUEST} FROM friend_requests WHERE status = 'pending'
           AND LEAST(sender_id, receiver_id) = LEAST($1::bigint, $2::bigint)
           AND GREATEST(sender_id, receiver_id) = GREATEST($1::bigint, $2::bigint)""",
        a, b,
    ))


async def insert_request(conn: Conn, sender: int, receiver: int) -> int:
    request_id: int = await conn.fetchval(
        "INSERT INTO friend_requests (sender_id, receiver_id) VALUES ($1, $2) RETURNING id", sender, receiver
    )
    return request_id


async def decide_request(conn: asyncpg.Connection, request_id: int, receiver: int,
                         status: str) -> FriendRequest | None:
    """Answer a pending request addressed to `receiver`; None if there is no such pending request."""
    return one(FriendRequest, await conn.fetchrow(
        f"""UPDATE friend_requests SET status = $3, decided_at = now()
           WHERE id = $1 AND receiver_id = $2 AND status = 'pending' RETURNING {REQUEST}""",
        request_id, receiver, status,
    ))


async def fetch_request(conn: Conn, request_id: int) -> NamedRequest | None:
    columns = ", ".join(f"r.{f.name}" for f in fields(FriendRequest))
    return one(NamedRequest, await conn.fetchrow(
        f"""SELECT {columns}, s.username AS sender_username, t.username AS receiver_username
           FROM friend_requests r JOIN users s ON s.id = r.sender_id JOIN users t ON t.id = r.receiver_id
           WHERE r.id = $1""",
        request_id,
    ))


async def incoming_requests(conn: Conn, user_id: int, limit: int, offset: int) -> tuple[int, list[int]]:
    total: int = await conn.fetchval(
        "SELECT count(*) FROM friend_requests WHERE receiver_id = $1 AND status = 'pending'", user_id
    )
    rows = await conn.fetch(
        """SELECT id FROM friend_requests WHERE receiver_id = $1 AND status = 'pending'
           ORDER BY id DESC LIMIT $2 OFFSET $3""",
        user_id, limit, offset,
    )
    return total, [r["id"] for r in rows]


async def befriend(conn: asyncpg.Connection, a: int, b: int) -> None:
    await conn.execute(
        "INSERT INTO friendships (user_id, friend_id) VALUES ($1, $2), ($2, $1) ON CONFLICT DO NOTHING", a, b
    )


async def unfriend(conn: Conn, a: int, b: int) -> bool:
    status: str = await conn.execute(
        "DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)", a, b
    )
    return status != "DELETE 0"


async def friends_page(conn: Conn, user_id: int, limit: int, offset: int) -> tuple[int, list[Friend]]:
    total: int = await conn.fetchval("SELECT count(*) FROM friendships WHERE user_id = $1", user_id)
    rows = await conn.fetch(
        """SELECT u.id, u.username, cp.avatar, f.created_at AS since
           FROM friendships f JOIN users u ON u.id = f.friend_id LEFT JOIN creator_profiles cp ON cp.user_id = u.id
           WHERE f.user_id = $1 ORDER BY lower(u.username) LIMIT $2 OFFSET $3""",
        user_id, limit, offset,
    )
    return total, many(Friend, rows)


async def friend_ids(conn: Conn, user_id: int) -> list[int]:
    rows = await conn.fetch("SELECT friend_id FROM friendships WHERE user_id = $1", user_id)
    return [r["friend_id"] for r in rows]
