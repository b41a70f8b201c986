"""Request and response shapes of the catalog API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.api import PageQuery
from server.money import Money
from server.urls import PublicUrl

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Stock = Annotated[int, Field(ge=0, le=1_000_000)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CategoryIn(_In):
    name: Name
    description: Description = ""
    image: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class CategoryPatch(_In):
    """Some fields of a category; the name cannot be cleared."""

    name: Name | None = None
    description: Description | None = None
    image: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class CategoryOut(BaseModel):
    id: int
    name: str
    description: str
    image: PublicUrl | None


class ProductIn(_In):
    """Create, or replace with PUT: every field."""

    name: Name
    description: Description = ""
    price: Money
    stock: Stock
    category: Id


class ProductPatch(_In):
    """PATCH: only the fields sent change."""

    name: Name | None = None
    description: Description | None = None
    price: Money | None = None
    stock: Stock | None = None
    category: Id | None = None
    is_active: bool | None = None


class ProductQuery(PageQuery):
    search: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    category: Id | None = None
    seller: Id | None = None
    min_price: Money | None = None
    max_price: Money | None = None
    ordering: Literal["price", "-price", "created_at", "-created_at"] = "-created_at"
    include_inactive: bool = Field(False, description="With seller=<your id>: your inactive products too.")


class ImageOut(BaseModel):
    id: int
    url: PublicUrl
    width: int
    height: int


class SellerBrief(BaseModel):
    id: int
    username: str
    business_name: str


class ProductOut(BaseModel):
    id: int
    seller: int
    seller_details: SellerBrief
    category: int
    name: str
    description: str
    price: Money
    stock: int
    images: list[ImageOut]
    is_active: bool
    created_at: datetime
