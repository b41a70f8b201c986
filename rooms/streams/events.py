"""The room events of a show's life: started, pinned product, raids, ended."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from rooms.events import RoomEvent, UserEvent
from rooms.streams.schemas import StreamOut, StreamProduct, StreamSeller


class StreamStarted(RoomEvent):
    type: ClassVar[str] = "stream_started"
    livestream_id: int


class StreamEnded(RoomEvent):
    """The show ended: by its seller, an admin, the credit meter, or a raid."""

    type: ClassVar[str] = "stream_ended"
    livestream_id: int
    reason: str  # owner, admin, credits or raid


class Raid(RoomEvent):
    """The seller sends the room's viewers to another live show (this one ends next: `stream_ended`)."""

    type: ClassVar[str] = "raid"
    target: StreamOut


class RaidSource(BaseModel):
    id: int
    title: str
    seller: StreamSeller


class RaidArrived(RoomEvent):
    """Another seller's show ended by sending its viewers here."""

    type: ClassVar[str] = "raid_arrived"
    source: RaidSource = Field(serialization_alias="from")
    viewers: int = Field(description="How many were watching the raiding show.")


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
