"""Request and response shapes of flash sales."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.money import Money
from server.urls import PublicUrl

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class FlashSaleIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    product_id: Id
    price: Money | None = Field(None, description="The sale price; or give discount_percent. Neither: "
                                                  "buy-it-now at the product's price.")
    discount_percent: Annotated[int, Field(ge=1, le=99)] | None = None
    quantity: Annotated[int, Field(ge=1, le=100000)]
    duration_s: Annotated[int, Field(ge=10, le=86400)]
    per_buyer_limit: Annotated[int, Field(ge=1, le=100000)] | None = None

    @model_validator(mode="after")
    def one_price(self) -> FlashSaleIn:
        if self.price is not None and self.discount_percent is not None:
            raise ValueError("Send price or discount_percent, not both.")
        return self


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    quantity: Annotated[int, Field(ge=1, le=100000)] = 1


class SaleProduct(BaseModel):
    id: int
    name: str
    image: PublicUrl | None


class FlashSaleOut(BaseModel):
    id: int
    livestream: int
    product: SaleProduct
    price: Money
    original_price: Money
    quantity: int
    remaining: int
    per_buyer_limit: int | None
    status: Literal["open", "ended"]
    ends_at: datetime
    version: int = Field(description="Rises with every change of remaining or status.")


class ClaimOut(BaseModel):
    flash_sale: int
    quantity: int = Field(description="Units claimed now, in your cart at the sale price.")
    price: Money
    remaining: int
    held_until: datetime = Field(description="Check out before this, or the units go back to the sale.")
    version: int


def sale_price(original: Decimal, price: Decimal | None, discount_percent: int | None) -> Decimal:
    """The sale price: as given, or the original less the discount (rounded down to the paisa)."""
    if price is not None:
        return price
    if discount_percent is None:
        return original
    return (original * (100 - discount_percent) / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")


class GiveawayIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    product_id: Id
    duration_s: Annotated[int, Field(ge=10, le=86400)]
    eligibility: Literal["everyone", "followers", "buyers"] = "everyone"


class Party(BaseModel):
    id: int
    username: str


class Draw(BaseModel):
    """What audits a draw: the winner is entrants[int(sha256(f"{seed}:{entries_hash}"), 16) % len(entrants)], the
    entrants being the eligible ones' user ids in ascending order, `entries_hash` the sha256 of them joined by
    commas."""

    seed: str
    entries_hash: str


class GiveawayOut(BaseModel):
    id: int
    livestream: int
    product: SaleProduct
    eligibility: Literal["everyone", "followers", "buyers"]
    status: Literal["open", "drawn"]
    ends_at: datetime
    entries: int
    winner: Party | None
    draw: Draw | None = Field(description="After the draw: its seed and the hash of the entrant list.")
    version: int


class EnteredOut(BaseModel):
    giveaway: int
    entries: int
