"""Chat use cases. REST and WebSocket sends are the same call; moderation works on every process at once
because PostgreSQL holds bans, moderators and settings and each send reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from rooms.bridge import Bridge
from rooms.chat import rules, store
from rooms.chat.events import ChatDeleted, ChatMessage, ChatPinned, Sender
from rooms.chat.store import Message, SenderContext, Stored
from rooms.names import RoomName
from server.accounts import store as accounts_store
from server.config import RoomsConfig
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from server.ratelimit import FixedWindow
from server.tokens import Principal


def message_out(row: Stored | Message, user_id: int, username: str, text: str) -> ChatMessage:
    return ChatMessage(id=row.id, user=Sender(id=user_id, username=username), text=text, created_at=row.created_at)


@dataclass
class Chat:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    bridge: Bridge
    config: RoomsConfig
    _limit: FixedWindow = field(init=False)

    def __post_init__(self) -> None:
        self._limit = FixedWindow(self.redis, "chat", self.config.chat_rate, self.config.chat_window_s)

    async def send(self, me: Principal, stream_id: int, text: object) -> dict[str, Any]:
        """Check and store a message, then publish it to the room; refusals carry the contract's codes."""
        cleaned = rules.clean_text(text)
        ctx = await store.sender_context(self.pool, stream_id, me.user_id)
        if ctx is None:
            raise NotFound(f"No livestream with id {stream_id}.", code="livestream_not_found")
        if ctx.status == "ended":
            raise Conflict("The show has ended; its chat is closed.", code="stream_ended")
        if ctx.has_ban:
            until = ctx.ban_until
            if until is None:
                raise PermissionDenied("You are banned from this show's chat.", code="banned")
            if until > datetime.now(UTC):
                raise PermissionDenied(f"You are muted until {until.isoformat()}.", code="muted",
                                       extra={"until": until.isoformat()})
        if not ctx.moderates:
            word = rules.blocked_word_in(cleaned, ctx.blocked_words)
            if word is not None:
                raise InvalidInput("The message has a word this show does not allow.", code="blocked_word")
            if ctx.slow_mode_s and not await self.redis.set(
                    f"chat:slow:{stream_id}:{me.user_id}", 1, ex=ctx.slow_mode_s, nx=True):
                ttl = await self.redis.ttl(f"chat:slow:{stream_id}:{me.user_id}")
                raise RateLimited(f"Slow mode: one message every {ctx.slow_mode_s} s.", code="slow_mode",
                                  retry_after_s=max(1, ttl))
        limit = self._limit
        if await limit.hit(f"{stream_id}:{me.user_id}") > limit.limit:
            raise RateLimited("You are sending messages too fast.", retry_after_s=limit.window_s)
        row = await store.insert_message(self.pool, stream_id, me.user_id, cleaned)
        message = message_out(row, me.user_id, ctx.username, cleaned)
        await self.bridge.emit(RoomName.stream(stream_id), message)
        return message.payload()

    async def history(self, stream_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Messages newest first, before a message id."""
        rows = await store.recent(self.pool, stream_id, before, limit)
        return [message_out(r, r.user_id, r.username, r.text).payload() for r in rows]

    async def _moderator(self, me: Principal, stream_id: int) -> SenderContext:
        ctx = await store.sender_context(self.pool, stream_id, me.user_id)
        if ctx is None:
            raise NotFound(f"No livestream with id {stream_id}.", code="livestream_not_found")
        if not ctx.moderates:
            raise PermissionDenied("Only the show's seller, its moderators and admins can do this.")
        return ctx

    async def ban(self, me: Principal, stream_id: int, user_id: int, duration_s: int | None) -> dict[str, Any]:
        """A ban for the show (no duration) or a timed mute; the show's seller cannot be banned."""
        ctx = await self._moderator(me, stream_id)
        if user_id in (ctx.seller_id, me.user_id):
            raise InvalidInput("The show's seller and you yourself cannot be banned.",
                               fields={"user_id": ["Choose another user."]})
        if not await accounts_store.user_exists(self.pool, user_id):
            raise NotFound(f"No user with id {user_id}.", code="user_not_found")
        until = datetime.now(UTC) + timedelta(seconds=duration_s) if duration_s else None
        await store.ban(self.pool, stream_id, user_id, until, me.user_id)
        return {"user_id": user_id, "until": until.isoformat() if until else None,
                "kind": "mute" if until else "ban"}

    async def unban(self, me: Principal, stream_id: int, user_id: int) -> None:
        await self._moderator(me, stream_id)
        if not await store.unban(self.pool, stream_id, user_id):
            raise NotFound("This user is not banned or muted here.", code="not_banned")

    async def delete(self, me: Principal, stream_id: int, message_id: int) -> None:
        """Remove a message for everyone: stored as deleted, and `chat_deleted` to the room."""
        await self._moderator(me, stream_id)
        if not await store.delete_message(self.pool, stream_id, message_id, me.user_id):
            raise NotFound(f"No message {message_id} in this show.", code="message_not_found")
        await self.bridge.emit(RoomName.stream(stream_id), ChatDeleted(id=message_id))

    async def set_moderator(self, me: Principal, stream_id: int, user_id: int, appoint: bool) -> list[int]:
        """The show's seller (or an admin) appoints or removes a moderator."""
        ctx = await store.sender_context(self.pool, stream_id, me.user_id)
        if ctx is None:
            raise NotFound(f"No livestream with id {stream_id}.", code="livestream_not_found")
        if ctx.seller_id != me.user_id and me.role != "admin":
            raise PermissionDenied("Only the show's seller appoints moderators.")
        if appoint:
            if not await accounts_store.user_exists(self.pool, user_id, active=True):
                raise NotFound(f"No user with id {user_id}.", code="user_not_found")
            await store.add_moderator(self.pool, stream_id, user_id)
        elif not await store.remove_moderator(self.pool, stream_id, user_id):
            raise NotFound("This user is not a moderator here.", code="not_moderator")
        return await store.moderators(self.pool, stream_id)

    async def moderation(self, stream_id: int) -> dict[str, Any]:
        """A show's chat settings and its moderators with their names (for the control room)."""
        moderators = await store.moderators(self.pool, stream_id)
        names = await accounts_store.usernames(self.pool, moderators)
        return {"settings": await store.settings(self.pool, stream_id),
                "moderators": [{"id": m, "username": names.get(m, "")} for m in moderators]}

    async def settings(self, me: Principal, stream_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Slow mode, blocked words and the pinned message; a new pinned message goes to the room."""
        await self._moderator(me, stream_id)
        current = await store.settings(self.pool, stream_id)
        merged = {**current, **changes}
        merged["blocked_words"] = rules.normalize_words(merged["blocked_words"])
        await store.update_settings(self.pool, stream_id, merged["slow_mode_s"], merged["blocked_words"],
                                    merged["pinned_message"])
        if "pinned_message" in changes and changes["pinned_message"] != current["pinned_message"]:
            await self.bridge.emit(RoomName.stream(stream_id), ChatPinned(message=merged["pinned_message"]))
        return merged
