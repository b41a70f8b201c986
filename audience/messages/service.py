"""Direct messages: send (rate limited, refused by a block), threads with unread counts, read marks, blocks;
each message pushed to both people's `/ws/notifications/` sockets once stored."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import asyncpg
import redis.asyncio as aioredis
import redis.exceptions

from audience.messages import store
from audience.messages.events import DirectMessage
from audience.messages.schemas import MessageIn, MessageOut, Person, ThreadOut
from audience.messages.store import Message
from rooms.bridge import Bridge
from rooms.names import RoomName
from server.errors import InvalidInput, NotFound, PermissionDenied
from server.ratelimit import FixedWindow
from server.tokens import Principal

log = logging.getLogger(__name__)
RATE, WINDOW_S = 30, 60  # messages one user may send per minute


def message_out(m: Message) -> MessageOut:
    return MessageOut(id=m.id, sender=Person(id=m.sender_id, username=m.sender_username),
                      recipient=Person(id=m.recipient_id, username=m.recipient_username), text=m.text,
                      order_id=m.order_id, created_at=m.created_at, read=m.read_at is not None)


@dataclass
class Messages:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    bridge: Bridge
    _limit: FixedWindow = field(init=False)

    def __post_init__(self) -> None:
        self._limit = FixedWindow(self.redis, "dm", RATE, WINDOW_S)

    async def send(self, me: Principal, data: MessageIn) -> MessageOut:
        """Store a message to another user and push it to both; 403 blocked if they blocked the sender."""
        if data.to == me.user_id:
            raise InvalidInput("to: not yourself.", fields={"to": ["You cannot message yourself."]})
        await self._limit.reserve(str(me.user_id), "You are sending messages too fast.")
        to = await store.recipient(self.pool, me.user_id, data.to)
        if to is None or not to.is_active:
            raise NotFound(f"No user with id {data.to}.", code="user_not_found")
        if to.blocks_sender:
            raise PermissionDenied("This user does not take your messages.", code="blocked")
        if data.order_id is not None and not await store.order_between(self.pool, data.order_id, me.user_id,
                                                                       data.to):
            raise InvalidInput("order_id: not an order between you two.",
                               fields={"order_id": ["Not an order between you and the recipient."]})
        out = message_out(await store.insert(self.pool, me.user_id, data.to, data.text, data.order_id))
        event = DirectMessage(**out.model_dump())
        try:
            for user_id in (data.to, me.user_id):
                await self.bridge.emit(RoomName.user(user_id), event)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            # Stored: the recipient reads it in the thread; only the live push is lost.
            log.warning("direct message %d stored but not pushed: %r", out.id, exc)
        return out

    async def threads(self, me: Principal, limit: int, offset: int) -> tuple[int, list[ThreadOut]]:
        count, rows = await store.threads(self.pool, me.user_id, limit, offset)
        last = await store.messages(self.pool, [t.last_id for t in rows])
        return count, [ThreadOut(user=Person(id=t.other_id, username=t.other_username),
                                 last_message=message_out(last[t.last_id]), unread=t.unread) for t in rows]

    async def thread(self, me: Principal, other: int, before: int | None, limit: int) -> list[MessageOut]:
        """The messages between the caller and another user, newest first."""
        return [message_out(m) for m in await store.thread(self.pool, me.user_id, other, before, limit)]

    async def read(self, me: Principal, other: int) -> int:
        return await store.mark_read(self.pool, me.user_id, other)

    async def block(self, me: Principal, user_id: int) -> list[int]:
        if user_id == me.user_id:
            raise InvalidInput("user_id: not yourself.", fields={"user_id": ["You cannot block yourself."]})
        if await store.recipient(self.pool, me.user_id, user_id) is None:
            raise NotFound(f"No user with id {user_id}.", code="user_not_found")
        await store.block(self.pool, me.user_id, user_id)
        return await store.blocked_by(self.pool, me.user_id)

    async def unblock(self, me: Principal, user_id: int) -> None:
        if not await store.unblock(self.pool, me.user_id, user_id):
            raise NotFound(f"You have not blocked user {user_id}.", code="not_blocked")

    async def blocked(self, me: Principal) -> list[int]:
        return await store.blocked_by(self.pool, me.user_id)
