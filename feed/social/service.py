"""Creators, follows and friends: profiles and their counters, follow toggles, friend requests, and
friends' online status pushed on /ws/notifications/."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from feed.briefs.views import product_brief
from feed.events import FriendStatus
from feed.media import accept_picture
from feed.schemas import (
    CreatorOut,
    CreatorPatch,
    FollowOut,
    FriendOut,
    FriendRequestOut,
    ProductBrief,
    UserBrief,
)
from feed.social import store
from feed.social.store import Creator
from rooms.bridge import Bridge
from rooms.notifications.service import notify, push
from rooms.presence import Presence
from server.accounts import store as accounts
from server.config import FeedConfig
from server.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from server.media import media_url
from server.tokens import Principal
from server.uploads import discard


@dataclass
class Social:
    pool: asyncpg.Pool
    bridge: Bridge
    config: FeedConfig
    media: Path  # where avatars are kept
    follows_changed: Callable[[int], Awaitable[None]]  # told the follower's id (their feed profile changed)

    # ---- creators ----

    async def creator(self, me: Principal | None, user_id: int) -> CreatorOut:
        row = await store.creator(self.pool, viewer(me), user_id)
        if row is None:
            raise NotFound(f"No creator with id {user_id}.", code="creator_not_found")
        return creator_out(row)

    async def creators(self, me: Principal | None, ids: list[int]) -> list[CreatorOut]:
        return [creator_out(r) for r in await store.creators_by_id(self.pool, viewer(me), ids)]

    async def search(self, me: Principal | None, q: str | None, video_category: int | None, category: int | None,
                     limit: int, offset: int) -> tuple[int, list[CreatorOut]]:
        total, rows = await store.search_creators(self.pool, viewer(me), q, video_category, category, limit, offset)
        return total, [creator_out(r) for r in rows]

    async def trending(self, me: Principal | None, limit: int, offset: int) -> list[CreatorOut]:
        ids = await store.trending_creators(self.pool, self.config.trend_window_s, limit, offset)
        return await self.creators(me, ids)

    async def _own_profile(self, me: Principal, user_id: int) -> None:
        if me.user_id != user_id and me.role != "admin":
            raise PermissionDenied("Only the owner can change a creator profile.")
        if not await accounts.user_exists(self.pool, user_id, active=True):
            raise NotFound(f"No creator with id {user_id}.", code="creator_not_found")

    async def update(self, me: Principal, user_id: int, data: CreatorPatch) -> CreatorOut:
        """The owner changes handle, display name, bio or links; a handle is unique whatever its case."""
        await self._own_profile(me, user_id)
        changes = {k: getattr(data, k) for k in data.model_fields_set if getattr(data, k) is not None}
        async with self.pool.acquire() as conn, conn.transaction():
            await store.ensure_profile(conn, user_id)
            if "handle" in changes and await store.handle_taken(conn, changes["handle"], user_id):
                raise Conflict(f"The handle {changes['handle']} is taken.", code="handle_taken")
            if changes:
                try:
                    await store.update_profile(conn, user_id, changes)
                except asyncpg.UniqueViolationError:
                    raise Conflict(f"The handle {changes['handle']} is taken.", code="handle_taken") from None
        return await self.creator(me, user_id)

    async def set_avatar(self, me: Principal, user_id: int, temp: Path) -> CreatorOut:
        try:
            await self._own_profile(me, user_id)
        except BaseException:
            await discard(temp)
            raise
        path = await accept_picture(temp, self.media, f"avatars/{user_id}")
        async with self.pool.acquire() as conn, conn.transaction():
            await store.ensure_profile(conn, user_id)
            old = await store.replace_avatar(conn, user_id, path)
        if old:
            await discard(self.media / old)
        return await self.creator(me, user_id)

    async def products(self, user_id: int, limit: int, offset: int) -> tuple[int, list[ProductBrief]]:
        total, rows = await store.creator_products(self.pool, user_id, limit, offset)
        return total, [product_brief(r) for r in rows]

    async def follow_page(self, me: Principal | None, user_id: int, direction: str, limit: int,
                          offset: int) -> tuple[int, list[CreatorOut]]:
        await self.creator(me, user_id)
        total, rows = await store.follow_page(self.pool, viewer(me), user_id, direction, limit, offset)
        return total, [creator_out(r) for r in rows]

    # ---- follows ----

    async def follows_of(self, me: Principal | None, followed: int | None, follower: int | None, limit: int,
                         offset: int) -> tuple[int, list[CreatorOut]]:
        """The followers of `followed`, or whom `follower` follows, or (neither given) whom the caller follows."""
        if followed is not None:
            return await self.follow_page(me, followed, "followers", limit, offset)
        if follower is None:
            if me is None:
                raise NotAuthenticated("Sign in, or name a user: ?user_id= (their followers) or ?following_of=.")
            follower = me.user_id
        return await self.follow_page(me, follower, "following", limit, offset)

    async def toggle_follow(self, me: Principal, following_id: int) -> FollowOut:
        """Follow or unfollow; both profiles' counters move in the same transaction. A new follower is told."""
        if following_id == me.user_id:
            raise InvalidInput("You cannot follow yourself.", code="cannot_follow_self",
                               fields={"following_id": ["That is you."]})
        if not await accounts.user_exists(self.pool, following_id, active=True):
            raise NotFound(f"No user with id {following_id}.", code="user_not_found")
        async with self.pool.acquire() as conn, conn.transaction():
            await store.ensure_profile(conn, me.user_id)
            await store.ensure_profile(conn, following_id)
            followed = await store.follow(conn, me.user_id, following_id)
            if not followed:
                await store.unfollow(conn, me.user_id, following_id)
            count = await store.bump_follow_counts(conn, me.user_id, following_id, 1 if followed else -1)
        await self.follows_changed(me.user_id)
        if followed:
            name = await accounts.username(self.pool, me.user_id)
            await notify(self.pool, self.bridge, following_id, "new_follower", f"{name} started following you.",
                         {"user_id": me.user_id}, actor_id=me.user_id)
        return FollowOut(following=followed, followers_count=count)

    # ---- friends ----

    async def request_friend(self, me: Principal, user_id: int) -> FriendRequestOut:
        """Ask to be friends. If the other person already asked, this accepts their request."""
        if user_id == me.user_id:
            raise InvalidInput("You cannot befriend yourself.", code="cannot_befriend_self",
                               fields={"user_id": ["That is you."]})
        if not await accounts.user_exists(self.pool, user_id, active=True):
            raise NotFound(f"No user with id {user_id}.", code="user_not_found")
        if await store.are_friends(self.pool, me.user_id, user_id):
            raise Conflict("You are already friends.", code="already_friends")
        pending = await store.pending_between(self.pool, me.user_id, user_id)
        if pending is not None:
            if pending.sender_id == me.user_id:
                raise Conflict("Your request is waiting for an answer.", code="request_pending")
            return await self.answer(me, pending.id, "accept")
        try:
            request_id = await store.insert_request(self.pool, me.user_id, user_id)
        except asyncpg.UniqueViolationError:
            raise Conflict("A request between you is already waiting for an answer.", code="request_pending") from None
        name = await accounts.username(self.pool, me.user_id)
        await notify(self.pool, self.bridge, user_id, "friend_request", f"{name} wants to be your friend.",
                     {"request_id": request_id, "user_id": me.user_id}, actor_id=me.user_id)
        return await self._request_out(request_id)

    async def answer(self, me: Principal, request_id: int, action: str) -> FriendRequestOut:
        """The receiver accepts or rejects a pending request; the sender is told either way."""
        existing = await store.fetch_request(self.pool, request_id)
        if existing is None or me.user_id not in (existing.sender_id, existing.receiver_id):
            raise NotFound(f"No friend request with id {request_id}.", code="request_not_found")
        if existing.receiver_id != me.user_id:
            raise PermissionDenied("Only the person asked can answer a friend request.")
        status = "accepted" if action == "accept" else "rejected"
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.decide_request(conn, request_id, me.user_id, status)
            if row is None:
                raise Conflict(f"This request was already {existing.status}.", code="request_not_pending")
            if status == "accepted":
                await store.befriend(conn, row.sender_id, row.receiver_id)
        verb = "accepted" if status == "accepted" else "declined"
        await notify(self.pool, self.bridge, row.sender_id, f"friend_{status}",
                     f"{existing.receiver_username} {verb} your friend request.",
                     {"request_id": request_id, "user_id": me.user_id},
                     actor_id=me.user_id)
        return await self._request_out(request_id)

    async def _request_out(self, request_id: int) -> FriendRequestOut:
        row = await store.fetch_request(self.pool, request_id)
        assert row is not None
        return FriendRequestOut(
            id=row.id, sender=UserBrief(id=row.sender_id, username=row.sender_username),
            receiver=UserBrief(id=row.receiver_id, username=row.receiver_username), status=row.status,
            created_at=row.created_at, decided_at=row.decided_at,
        )

    async def incoming(self, me: Principal, limit: int, offset: int) -> tuple[int, list[FriendRequestOut]]:
        total, ids = await store.incoming_requests(self.pool, me.user_id, limit, offset)
        return total, [await self._request_out(i) for i in ids]

    async def friends(self, me: Principal, presence: Presence, limit: int,
                      offset: int) -> tuple[int, list[FriendOut]]:
        """Friends by name, each with whether a socket of theirs is open anywhere now."""
        total, rows = await store.friends_page(self.pool, me.user_id, limit, offset)
        online = await presence.online([r.id for r in rows])
        return total, [FriendOut(id=r.id, username=r.username, avatar=media_url(r.avatar),
                                 online=r.id in online, since=r.since) for r in rows]

    async def unfriend(self, me: Principal, user_id: int) -> None:
        if not await store.unfriend(self.pool, me.user_id, user_id):
            raise NotFound("You are not friends with this user.", code="not_friends")

    async def announce_presence(self, user: Principal, online: bool) -> None:
        """Tell the user's friends (on their notification sockets) that the user came online or left."""
        friends = await store.friend_ids(self.pool, user.user_id)
        if not friends:
            return
        name = await accounts.username(self.pool, user.user_id)
        for friend in friends:
            await push(self.bridge, friend, FriendStatus(user_id=user.user_id, username=name, online=online))


def viewer(me: Principal | None) -> int:
    return me.user_id if me else 0


def creator_out(row: Creator) -> CreatorOut:
    return CreatorOut(
        id=row.id, username=row.username, handle=row.handle, display_name=row.display_name,
        avatar=media_url(row.avatar), followers_count=row.followers_count, bio=row.bio,
        social_links=row.social_links, following_count=row.following_count, posts_count=row.posts_count,
        is_following=row.is_following, created_at=row.created_at, user=row.id,
        follower_count=row.followers_count, views_count=row.views_count,
        uploader_profile_url=f"/api/v1/creators/{row.id}/",
    )
