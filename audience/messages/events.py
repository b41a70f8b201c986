"""The user event of a direct message."""

from __future__ import annotations

from typing import ClassVar

from audience.messages.schemas import MessageOut
from rooms.events import UserEvent


class DirectMessage(MessageOut, UserEvent):
    """A direct message to you (or one you sent, to your other sessions)."""

    type: ClassVar[str] = "direct_message"
