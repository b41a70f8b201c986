"""Request and response shapes of the livestreams API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from server.api import PageQuery
from server.money import Money
from server.urls import PublicUrl, SocketUrl

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class StreamIn(_In):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    scheduled_at: datetime | None = None
    product_ids: Annotated[list[Id], Field(max_length=200)] = []


class StreamPatch(_In):
    """The fields of a scheduled show to change; those not sent stay."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None
    scheduled_at: datetime | None = None
    product_ids: Annotated[list[Id], Field(max_length=200)] | None = None

    @field_validator("title", "description", "product_ids", mode="before")
    @classmethod
    def not_null(cls, value: object) -> object:
        """null cannot replace these (scheduled_at may be null: no time set); leave a field out to keep it."""
        if value is None:
            raise ValueError("Cannot be null; leave the field out to keep it.")
        return value


class PinIn(_In):
    product_id: Id


class StreamQuery(PageQuery):
    status: Literal["scheduled", "live", "ended"] | None = None
    seller: Id | None = None
    search: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        None, description="Words of the title, the description or the seller's name.")
    category: Id | None = Field(None, description="Shows with a product of this category.")
    ordering: Literal["scheduled_at", "-scheduled_at", "-viewers"] | None = Field(
        None, description="Default: live shows first, then scheduled soonest first, then ended.")


class RaidIn(_In):
    target_id: Id


class RemindOut(BaseModel):
    reminded: bool
    reminders_count: int


class StreamSeller(BaseModel):
    id: int
    username: str
    business_name: str


class StreamProduct(BaseModel):
    id: int
    name: str
    price: Money
    stock: int
    image: PublicUrl | None


class StreamOut(BaseModel):
    id: int
    seller: StreamSeller
    title: str
    description: str
    status: Literal["scheduled", "live", "ended"]
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    viewers: int
    products: list[StreamProduct]
    pinned_product: int | None
    pinned_message: str | None
    reminders_count: int = Field(0, description="How many asked to be reminded before it starts.")
    reminded: bool | None = Field(None, description="Whether you asked to be reminded (signed-in callers).")


class AgoraOut(BaseModel):
    app_id: str
    channel: str
    uid: int
    token: str
    role: Literal["publisher", "subscriber"]
    expires_at: datetime


class StartOut(BaseModel):
    livestream: StreamOut
    agora: AgoraOut


class JoinOut(StartOut):
    ws_url: SocketUrl
