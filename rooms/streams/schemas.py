"""Request and response shapes of the livestreams API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


class PinIn(_In):
    product_id: Id


class StreamQuery(PageQuery):
    status: Literal["scheduled", "live", "ended"] | None = None
    seller: Id | None = None


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
