"""Notification use cases: store and push, store for the pusher, push what committed, read a user's list."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from rooms.bridge import Bridge
from rooms.events import UserEvent
from rooms.names import RoomName
from rooms.notifications import store
from rooms.notifications.store import Notification
from server.sql import Conn


class NotificationEvent(UserEvent):
    """A stored notification, pushed to the user's sockets; the same shape as in GET /api/notifications/."""

    type: ClassVar[str] = "notification"
    id: int
    kind: str = Field(serialization_alias="type", description=(
        "What it tells of: outbid, auction_won, auction_lapsed, second_chance_offer, giveaway_won, "
        "order_status, withdrawal_decided, seller_live, new_reel, new_follower, friend_request, "
        "friend_accepted, friend_rejected, wishlist_shared."))
    text: str
    actor: int | None
    data: dict[str, Any]
    read: bool
    created_at: datetime

    @classmethod
    def of(cls, n: Notification) -> NotificationEvent:
        return cls(id=n.id, kind=n.type, text=n.text, actor=n.actor_id, data=n.data, read=n.read,
                   created_at=n.created_at)


def notification_out(n: Notification) -> dict[str, Any]:
    """The wire shape of a notification (REST and the `notification` event alike)."""
    return NotificationEvent.of(n).payload()


async def notify(conn: Conn, bridge: Bridge, user_id: int, type_: str, text: str,
                 data: dict[str, Any] | None = None, actor_id: int | None = None) -> dict[str, Any]:
    """Store a notification and push it live. Call after the change it tells of has committed."""
    event = NotificationEvent.of(await store.insert_pushed(conn, user_id, type_, text, data or {}, actor_id))
    await bridge.emit(RoomName.user(user_id), event)
    return event.payload()


async def notify_after_commit(conn: Conn, user_id: int, type_: str, text: str,
                              data: dict[str, Any] | None = None, actor_id: int | None = None) -> None:
    """Store a notification in the caller's transaction; the pusher sends it once that has committed."""
    await store.insert(conn, user_id, type_, text, data or {}, actor_id)


async def notify_followers(conn: Conn, actor_id: int, type_: str, text: str, data: dict[str, Any]) -> int:
    """In the caller's transaction, store a notification for every follower of actor_id (one statement,
    however many); the pusher sends them once committed. Returns how many."""
    return await store.insert_for_followers(conn, actor_id, type_, text, data)


async def notify_once(conn: Conn, user_id: int, type_: str, text: str, data: dict[str, Any],
                      actor_id: int | None = None) -> bool:
    """In the caller's transaction (which must serialize the changes that could tell it twice, by a row lock),
    store a notification unless the user already has one of this type with this data; True if stored."""
    if await store.noted(conn, user_id, type_, data):
        return False
    await store.insert(conn, user_id, type_, text, data, actor_id)
    return True


async def mark_all_read(conn: Conn, user_id: int) -> int:
    """Mark all the user's notifications read; how many were unread."""
    return await store.mark_all_read(conn, user_id)


async def notify_many(conn: Conn, recipients: str, args: list[Any], type_: str, text: str, data: dict[str, Any],
                      actor_id: int | None = None) -> int:
    """In the caller's transaction, store a notification for each user id the query `recipients` returns (over
    `args` as $1...; a UNION gives each user one); the pusher sends them once committed. Returns how many."""
    return await store.insert_for(conn, recipients, args, type_, text, actor_id, data)


async def push_stored(conn: Conn, bridge: Bridge, limit: int = 200) -> int:
    """Push the committed notifications not pushed yet; every process may run this (rows are claimed)."""
    claimed = await store.claim_unpushed(conn, limit)
    for n in claimed:
        await bridge.emit(RoomName.user(n.user_id), NotificationEvent.of(n))
    return len(claimed)


async def push(bridge: Bridge, user_id: int, event: UserEvent) -> None:
    """A live event for one user's sockets only, not stored (credit warnings, friends coming online)."""
    await bridge.emit(RoomName.user(user_id), event)


async def page(conn: Conn, user_id: int, limit: int, offset: int) -> tuple[int, int, list[dict[str, Any]]]:
    """(total, unread, a page newest first) of a user's notifications."""
    total, unread = await store.counts(conn, user_id)
    items = await store.page(conn, user_id, limit, offset) if limit else []
    return total, unread, [notification_out(n) for n in items]


async def mark_read(conn: Conn, user_id: int, notification_id: int) -> dict[str, Any] | None:
    n = await store.mark_read(conn, user_id, notification_id)
    return notification_out(n) if n else None


async def delete(conn: Conn, user_id: int, notification_id: int) -> bool:
    return await store.delete(conn, user_id, notification_id)
