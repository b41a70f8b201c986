"""Account use cases: sign-up, sign-in, token rotation, profiles, seller verification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from prometheus_client import Counter

from server.accounts import store
from server.accounts.schemas import (
    AuthOut,
    ProfileUpdate,
    PublicSellerOut,
    PublicUserOut,
    RegisterBuyer,
    RegisterSeller,
    SellerOut,
    TokensOut,
    UserOut,
)
from server.accounts.store import User
from server.config import AuthConfig, CreditsConfig
from server.credits.store import apply_credits
from server.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited
from server.metrics import counted
from server.passwords import hash_password_async, verify_password_async
from server.ratelimit import FixedWindow
from server.revocation import Revocations
from server.sessions import Sessions
from server.sql import Conn
from server.tokens import Principal, TokenCodec

SIGN_INS = Counter("lsc_sign_ins", "Password checks, by outcome: ok, invalid_credentials, rate_limited (a lock-out), "
                   "account_disabled.", ["outcome"])


@dataclass
class Accounts:
    """The accounts use cases over one pool, one Redis and one token codec."""

    pool: asyncpg.Pool
    redis: aioredis.Redis
    tokens: TokenCodec
    auth: AuthConfig
    credits: CreditsConfig
    sessions: Sessions  # the console's, ended when an account is deactivated
    revocations: Revocations  # ends access tokens (and closes sockets) at once
    _login_limit: FixedWindow = field(init=False)
    _address_limit: FixedWindow = field(init=False)

    def __post_init__(self) -> None:
        self._login_limit = FixedWindow(self.redis, "login", self.auth.login_attempts, self.auth.login_window_s)
        self._address_limit = FixedWindow(self.redis, "login-addr", self.auth.login_address_attempts,
                                          self.auth.login_window_s)

    async def register(self, data: RegisterBuyer, role: str) -> AuthOut:
        """Create a buyer, or a seller (unverified) with its business profile, and sign them in."""
        password_hash = await hash_password_async(data.password, self.auth.scrypt_n)
        async with self.pool.acquire() as conn, conn.transaction():
            user_id = await create_user(conn, data, role, password_hash)
        return await self._sign_in(user_id, role)

    async def login(self, login: str, password: str, client: str) -> AuthOut:
        """Sign in with tokens once the password is right."""
        user_id, role = await self.check_password(login, password, client)
        return await self._sign_in(user_id, role)

    async def check_password(self, login: str, password: str, client: str) -> tuple[int, str]:
        """(user id, role) when the password (by username or e-mail) is right and the account active.

        An attempt is reserved before the password is checked, atomically, against two windows: the account's
        (username and e-mail alike) and the client address's; concurrent guesses cannot outrun the limit. A
        right password gives the address's attempt back and clears the account's."""
        return await counted(SIGN_INS, self._check_password(login, password, client), lambda found: "ok")

    async def _check_password(self, login: str, password: str, client: str) -> tuple[int, str]:
        row = await store.fetch_login(self.pool, login)
        account = f"user:{row.id}" if row else f"login:{login.lower()}"
        await self._login_limit.reserve(account, "Too many failed sign-ins to this account; wait before trying "
                                                 "again.")
        try:
            await self._address_limit.reserve(client, "Too many failed sign-ins from your address; wait before "
                                                      "trying again.")
        except RateLimited:
            await self._login_limit.release(account)  # refused before any check: not an attempt on the account
            raise
        ok = await verify_password_async(password, row.password_hash if row else None, self.auth.scrypt_n)
        if row is None or not ok:
            raise NotAuthenticated("Wrong username or password.", code="invalid_credentials")
        await self._address_limit.release(client)
        if not row.is_active:
            raise PermissionDenied("This account is deactivated.", code="account_disabled")
        await self._login_limit.reset(account)
        return row.id, row.role

    async def _sign_in(self, user_id: int, role: str) -> AuthOut:
        pair = await self._issue_pair(self.pool, user_id, role, family=None)
        return AuthOut(user=await self.profile(user_id), access=pair.access, refresh=pair.refresh)

    async def _issue_pair(self, conn: Conn, user_id: int, role: str, family: Any) -> TokensOut:
        issued = self.tokens.issue_refresh(user_id, family)
        await store.save_refresh(conn, issued.jti, user_id, issued.family, issued.expires_at)
        return TokensOut(access=self.tokens.issue_access(user_id, role, family=issued.family), refresh=issued.token)

    async def refresh(self, token: str) -> TokensOut:
        """Swap a refresh token for a new pair; the old one stops working.

        Presenting an already used token again means it was copied: the whole sign-in
        (its family) is revoked and both holders must sign in again.
        """
        claims = self.tokens.read_refresh(token)
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                used = await store.use_refresh(conn, claims.jti)
                if used is not None:
                    user = await store.fetch_user(conn, used.user_id)
                    if user is not None and user.is_active:
                        return await self._issue_pair(conn, user.id, user.role, used.family)
                    await store.revoke_family(conn, used.family)
            if used is not None:
                raise PermissionDenied("This account is deactivated.", code="account_disabled")
            state = await store.fetch_refresh(conn, claims.jti)
            if state is not None and state.used_at is not None and state.revoked_at is None:
                await store.revoke_family(conn, state.family)
                await self.revocations.revoke_family(state.user_id, str(state.family))
                raise NotAuthenticated(
                    "This refresh token was already used; every session of this sign-in is now closed.",
                    code="token_reused",
                )
        raise NotAuthenticated("The refresh token is no longer valid; sign in again.", code="invalid_token")

    async def logout(self, me: Principal, token: str) -> None:
        """End the sign-in that the refresh token belongs to."""
        claims = self.tokens.read_refresh(token)
        if claims.user_id != me.user_id:
            raise PermissionDenied("This refresh token belongs to another account.")
        await store.revoke_family(self.pool, claims.family)
        await self.revocations.revoke_family(me.user_id, str(claims.family))

    async def profile(self, user_id: int) -> UserOut:
        """The user's own profile; 404 if the account is gone or deactivated."""
        row = await store.fetch_user(self.pool, user_id)
        if row is None or not row.is_active:
            raise NotFound("This account no longer exists.", code="user_not_found")
        return user_out(row)

    async def update_profile(self, me: Principal, data: ProfileUpdate) -> UserOut:
        """Change the fields sent; a new password needs the current one and signs out other sessions."""
        sent = data.model_fields_set
        user_changes: dict[str, Any] = {k: getattr(data, k) for k in ("email", "phone", "avatar", "bio") if k in sent}
        seller_changes: dict[str, Any] = {k: getattr(data, k) for k in ("business_name", "gstin") if k in sent}
        errors: dict[str, list[str]] = {}
        for key in ("email", "bio"):
            if key in user_changes and user_changes[key] is None:
                errors[key] = ["This field cannot be null."]
        if seller_changes and me.role != "seller":
            errors.update({k: ["Only sellers have a business profile."] for k in seller_changes})
        if seller_changes.get("business_name", "") is None:
            errors["business_name"] = ["This field cannot be null."]
        if "new_password" in sent and data.new_password is not None:
            stored = await store.fetch_password_hash(self.pool, me.user_id)
            current = data.current_password or ""
            if not await verify_password_async(current, stored, self.auth.scrypt_n):
                errors["current_password"] = ["The current password is wrong."]
            else:
                user_changes["password_hash"] = await hash_password_async(data.new_password, self.auth.scrypt_n)
        if errors:
            first = next(iter(errors))
            raise InvalidInput(f"Invalid input: {first}: {errors[first][0]}", fields=errors)
        async with self.pool.acquire() as conn, conn.transaction():
            await store.update_user(conn, me.user_id, user_changes)
            await store.update_seller(conn, me.user_id, seller_changes)
            if "password_hash" in user_changes:
                await store.revoke_user(conn, me.user_id)
        if "password_hash" in user_changes:  # every sign-in, this one too, must sign in with the new password
            await self.revocations.revoke_user(me.user_id)
        return await self.profile(me.user_id)

    async def search(self, text: str | None, limit: int, offset: int) -> tuple[int, list[PublicUserOut]]:
        """Public profiles matching the text, a page at a time."""
        count, rows = await store.search_users(self.pool, text, limit, offset)
        return count, [public_user_out(r) for r in rows]

    async def public_profile(self, user_id: int) -> PublicUserOut:
        """One public profile; 404 for unknown or deactivated accounts."""
        row = await store.fetch_user(self.pool, user_id)
        if row is None or not row.is_active:
            raise NotFound(f"No user with id {user_id}.", code="user_not_found")
        return public_user_out(row)

    async def set_active(self, admin: Principal, user_id: int, active: bool) -> UserOut:
        """Deactivate (or reactivate) an account. Deactivation revokes its refresh tokens, ends its console
        sessions and its access tokens at once, and closes its open sockets (4401) on every process."""
        if user_id == admin.user_id and not active:
            raise PermissionDenied("You cannot deactivate your own account.", code="own_account")
        async with self.pool.acquire() as conn, conn.transaction():
            if not await store.user_exists(conn, user_id):
                raise NotFound(f"No user with id {user_id}.", code="user_not_found")
            await store.update_user(conn, user_id, {"is_active": active})
            if not active:
                await store.revoke_user(conn, user_id)
            row = await store.fetch_user(conn, user_id)
        if row is None:  # deleted meanwhile (the row is not locked): as if it never was
            raise NotFound(f"No user with id {user_id}.", code="user_not_found")
        if not active:
            await self.sessions.end_all(user_id)
            await self.revocations.revoke_user(user_id)
        return user_out(row)

    async def verify_seller(self, admin: Principal, seller_id: int) -> UserOut:
        """Mark a seller verified and grant the free credits, both at most once whatever the retries."""
        async with self.pool.acquire() as conn, conn.transaction():
            await verify_seller(conn, seller_id, admin.user_id, self.credits.verification_grant)
        return await self.profile(seller_id)


async def create_user(conn: asyncpg.Connection, data: RegisterBuyer, role: str, password_hash: str) -> int:
    """Insert a user (and its seller profile for RegisterSeller data), in the caller's transaction."""
    user_id = await store.insert_user(
        conn, username=data.username, email=data.email, password_hash=password_hash, role=role, phone=data.phone
    )
    if isinstance(data, RegisterSeller):
        await store.insert_seller(conn, user_id, data.business_name, data.gstin)
    return user_id


async def verify_seller(conn: asyncpg.Connection, seller_id: int, admin_id: int, grant: int) -> bool:
    """In the caller's transaction: verify the seller and grant the free credits once; True if it changed now."""
    changed = await store.mark_seller_verified(conn, seller_id, admin_id)
    if changed is None:
        raise NotFound(f"No seller with id {seller_id}.", code="seller_not_found")
    if grant:
        await apply_credits(conn, seller_id, grant, "verification_grant", "verification")
    return changed


def user_out(row: User) -> UserOut:
    """The own-profile shape of a users row joined with sellers."""
    s = row.seller
    seller = (SellerOut(business_name=s.business_name, gstin=s.gstin, verified=s.verified, credits=s.credits)
              if s else None)
    return UserOut(
        id=row.id, username=row.username, email=row.email, role=row.role, phone=row.phone,
        avatar=row.avatar, bio=row.bio, created_at=row.created_at, seller=seller,
    )


def public_user_out(row: User) -> PublicUserOut:
    """The public shape: no e-mail, phone, tax number or balance."""
    s = row.seller
    seller = PublicSellerOut(business_name=s.business_name, verified=s.verified) if s else None
    return PublicUserOut(
        id=row.id, username=row.username, role=row.role, avatar=row.avatar, bio=row.bio, seller=seller
    )
