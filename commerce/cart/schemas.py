"""Request and response shapes of the cart API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from server.money import Money
from server.urls import PublicUrl

Source = Literal["cart", "auction", "video", "flash_sale"]
ProductId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CartAdd(_In):
    product_id: ProductId = Field(validation_alias=AliasChoices("product_id", "product"),
                                  description="The product (the e-commerce app sends it as `product`).")
    quantity: Annotated[int, Field(ge=1, le=100)] = 1


class CartUpdate(_In):
    product_id: ProductId
    quantity: Annotated[int, Field(ge=0, le=100, description="0 removes the line.")]


class CartRemove(_In):
    product_id: ProductId
    source: Source | None = Field(None, description="Only the line of this source; all of the product's lines without.")


class CartProduct(BaseModel):
    id: int
    name: str
    price: Money
    stock: int
    is_active: bool
    seller: int
    image: PublicUrl | None


class CartLine(BaseModel):
    id: int
    product: CartProduct
    quantity: int
    price: Money
    source: Source
    line_total: Money
    pay_by: datetime | None = Field(None, description="A won auction's item: pay by then (checkout and pay); it "
                                                      "cannot be removed (409 won_item_locked).")


class CartOut(BaseModel):
    items: list[CartLine]
    total: Money
    count: int = Field(description="Units in the cart.")
