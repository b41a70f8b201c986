"""SQL for users, seller profiles and refresh tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from server.errors import Conflict
from server.sql import Conn, like_contains, many, one
from server.store import update_columns

Role = Literal["buyer", "seller", "admin"]


@dataclass(frozen=True, slots=True)
class Seller:
    business_name: str
    gstin: str | None
    verified: bool
    credits: int


@dataclass(frozen=True, slots=True)
class User:
    """A user, with its seller profile if it has one."""

    id: int
    username: str
    email: str
    role: Role
    phone: str | None
    avatar: str | None
    bio: str
    is_active: bool
    created_at: datetime
    seller: Seller | None

    @classmethod
    def of(cls, *, is_seller: bool, business_name: str, gstin: str | None, verified: bool, credits: int,
           **user: Any) -> User:
        """From the _USER_COLUMNS of one row."""
        seller = Seller(business_name, gstin, verified, credits) if is_seller else None
        return cls(**user, seller=seller)


@dataclass(frozen=True, slots=True)
class Login:
    id: int
    role: Role
    password_hash: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class UsedRefresh:
    user_id: int
    family: uuid.UUID


@dataclass(frozen=True, slots=True)
class RefreshState:
    user_id: int
    family: uuid.UUID
    used_at: datetime | None
    revoked_at: datetime | None

_USER_COLUMNS = """
    u.id, u.username, u.email, u.role, u.phone, u.avatar, u.bio, u.is_active, u.created_at,
    s.user_id IS NOT NULL AS is_seller, s.business_name, s.gstin, s.verified, s.credits
"""
_USER_FROM = "users u LEFT JOIN sellers s ON s.user_id = u.id"


async def insert_user(
    conn: Conn, *, username: str, email: str, password_hash: str, role: str, phone: str | None
) -> int:
    """Create a user; 409 username_taken or email_taken when either is already used, whatever the case."""
    try:
        user_id: int = await conn.fetchval(
            """INSERT INTO users (username, email, password_hash, role, phone)
               VALUES ($1, $2, $3, $4, $5) RETURNING id""",
            username,
            email,
            password_hash,
            role,
            phone,
        )
    except asyncpg.UniqueViolationError as exc:
        raise _taken(exc) from None
    return user_id


def _taken(exc: asyncpg.UniqueViolationError) -> Conflict:
    if exc.constraint_name == "users_email_key":
        return Conflict("An account with this e-mail address already exists.", code="email_taken",
                        fields={"email": ["This e-mail address is already registered."]})
    return Conflict("This username is taken.", code="username_taken",
                    fields={"username": ["This username is taken."]})


async def insert_seller(conn: Conn, user_id: int, business_name: str, gstin: str | None) -> None:
    """Attach a seller profile (unverified, no credits) to a user."""
    await conn.execute(
        "INSERT INTO sellers (user_id, business_name, gstin) VALUES ($1, $2, $3)", user_id, business_name, gstin
    )


async def fetch_user(conn: Conn, user_id: int) -> User | None:
    """A user with its seller columns, or None."""
    return one(User.of, await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM {_USER_FROM} WHERE u.id = $1", user_id))


async def fetch_login(conn: Conn, login: str) -> Login | None:
    """The credentials row for a username or an e-mail address, case-insensitively."""
    return one(Login, await conn.fetchrow(
        """SELECT id, role, password_hash, is_active FROM users
           WHERE lower(username) = lower($1) OR lower(email) = lower($1)
           ORDER BY lower(username) = lower($1) DESC LIMIT 1""",
        login,
    ))


async def fetch_password_hash(conn: Conn, user_id: int) -> str | None:
    """The stored password hash of a user."""
    result: str | None = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
    return result


async def search_users(conn: Conn, search: str | None, limit: int, offset: int) -> tuple[int, list[User]]:
    """Active users whose name starts with, or whose business name contains, the text; by id."""
    where, args = "u.is_active", []
    if search:
        pattern = like_contains(search)
        where += " AND (lower(u.username) LIKE ($1 || '%') OR lower(s.business_name) LIKE ('%' || $1 || '%'))"
        args.append(pattern)
    count: int = await conn.fetchval(f"SELECT count(*) FROM {_USER_FROM} WHERE {where}", *args)
    n = len(args)
    rows = await conn.fetch(
        f"SELECT {_USER_COLUMNS} FROM {_USER_FROM} WHERE {where} ORDER BY u.id LIMIT ${n + 1} OFFSET ${n + 2}",
        *args,
        limit,
        offset,
    )
    return count, many(User.of, rows)


async def update_user(conn: Conn, user_id: int, changes: dict[str, Any]) -> None:
    """Set the given users columns (names come from the service, never from the client)."""
    try:
        await update_columns(conn, "users", "id", user_id, changes, touch=True)
    except asyncpg.UniqueViolationError as exc:
        raise _taken(exc) from None


async def update_seller(conn: Conn, user_id: int, changes: dict[str, Any]) -> None:
    """Set the given sellers columns."""
    await update_columns(conn, "sellers", "user_id", user_id, changes)


async def mark_seller_verified(conn: asyncpg.Connection, seller_id: int, admin_id: int) -> bool | None:
    """Verify a seller under a row lock: True if it changed now, False if it was already, None if no seller."""
    verified = await conn.fetchval("SELECT verified FROM sellers WHERE user_id = $1 FOR UPDATE", seller_id)
    if verified is None:
        return None
    if verified:
        return False
    await conn.execute(
        "UPDATE sellers SET verified = true, verified_at = now(), verified_by = $2 WHERE user_id = $1",
        seller_id,
        admin_id,
    )
    return True


async def save_refresh(conn: Conn, jti: uuid.UUID, user_id: int, family: uuid.UUID, expires_at: datetime) -> None:
    """Remember an issued refresh token so that it can be used once and revoked."""
    await conn.execute(
        "INSERT INTO refresh_tokens (jti, user_id, family, expires_at) VALUES ($1, $2, $3, $4)",
        jti,
        user_id,
        family,
        expires_at,
    )


async def use_refresh(conn: Conn, jti: uuid.UUID) -> UsedRefresh | None:
    """Mark a live refresh token used, in one statement; None if it was used, revoked, expired or unknown."""
    return one(UsedRefresh, await conn.fetchrow(
        """UPDATE refresh_tokens SET used_at = now()
           WHERE jti = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
           RETURNING user_id, family""",
        jti,
    ))


async def fetch_refresh(conn: Conn, jti: uuid.UUID) -> RefreshState | None:
    """A refresh token's state, to tell reuse from revocation."""
    return one(RefreshState, await conn.fetchrow(
        "SELECT user_id, family, used_at, revoked_at FROM refresh_tokens WHERE jti = $1", jti))


async def revoke_family(conn: Conn, family: uuid.UUID) -> None:
    """Revoke every token of one sign-in (a logout, or a detected reuse)."""
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1 AND revoked_at IS NULL", family
    )


async def purge_refresh(conn: Conn) -> int:
    """Delete refresh tokens past their expiry (they can never be used again); returns how many."""
    result: str = await conn.execute("DELETE FROM refresh_tokens WHERE expires_at < now()")
    return int(result.split()[-1])


async def revoke_user(conn: Conn, user_id: int) -> None:
    """Revoke all of a user's refresh tokens (a password change signs out every device)."""
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
    )


async def seller_verified(conn: Conn, user_id: int) -> bool | None:
    """True or False for a seller's verification; None for a user who is no seller."""
    verified: bool | None = await conn.fetchval("SELECT verified FROM sellers WHERE user_id = $1", user_id)
    return verified


async def user_exists(conn: Conn, user_id: int, *, active: bool = False) -> bool:
    """Whether a user exists (and, with active, is not deactivated)."""
    sql = "SELECT 1 FROM users WHERE id = $1" + (" AND is_active" if active else "")
    return await conn.fetchval(sql, user_id) is not None


async def usernames(conn: Conn, user_ids: list[int]) -> dict[int, str]:
    rows = await conn.fetch("SELECT id, username FROM users WHERE id = ANY($1::bigint[])", user_ids)
    return {r["id"]: r["username"] for r in rows}


async def username(conn: Conn, user_id: int) -> str:
    """A user's name ("someone" if the account is gone)."""
    name: str | None = await conn.fetchval("SELECT username FROM users WHERE id = $1", user_id)
    return name or "someone"


async def user_id_by_username(conn: Conn, username: str) -> int | None:
    """The id of the account with this username (any case), or None."""
    user_id: int | None = await conn.fetchval("SELECT id FROM users WHERE lower(username) = lower($1)", username)
    return user_id
