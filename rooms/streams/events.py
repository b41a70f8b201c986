"""The room events of a show's life: started, pinned product, ended."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rooms.events import RoomEvent, UserEvent
from rooms.streams.schemas import StreamProduct


class StreamStarted(RoomEvent):
    type: ClassVar[str] = "stream_started"
    livestream_id: int


class StreamEnded(RoomEvent):
    """The show ended: by its seller, an admin, or the credit meter."""

    type: ClassVar[str] = "stream_ended"
    livestream_id: int
    reason: str  # owner, admin or credits


class ProductPinned(RoomEvent):
    """The seller put one of the show's products on every viewer's screen."""

    type: ClassVar[str] = "product_pinned"
    product: StreamProduct


class CreditWarning(UserEvent):
    """To the seller: out of credits; the show ends at ends_at unless they buy more."""

    type: ClassVar[str] = "credit_warning"
    livestream_id: int
    credits: int
    grace_s: int
    ends_at: datetime
    message: str
