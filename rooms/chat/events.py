"""The chat's room events: a message, a message removed, the pinned message changed."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel

from rooms.events import RoomEvent


class Sender(BaseModel):
    id: int
    username: str


class ChatMessage(RoomEvent):
    """A message said in the show's chat (also the shape of GET /api/chat/messages/{id}/)."""

    type: ClassVar[str] = "chat"
    id: int
    user: Sender
    text: str
    created_at: datetime


class ChatDeleted(RoomEvent):
    """A moderator removed a message for everyone."""

    type: ClassVar[str] = "chat_deleted"
    id: int


class ChatPinned(RoomEvent):
    """The pinned message changed (null: unpinned)."""

    type: ClassVar[str] = "chat_pinned"
    message: str | None
