"""The room events of a show's life: started, pinned product, ended."""

from __future__ import annotations

from typing import ClassVar

from rooms.events import RoomEvent
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
