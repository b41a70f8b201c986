"""The SQL fragment of a product brief, shared by the stores of reels, creators and wishlists, and the rows
a brief is made from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# The columns of ProductRow, from `products p`.
PRODUCT_BRIEF = """p.id, p.name, p.price, p.stock, p.is_active, p.seller_id,
    (SELECT i.path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) AS image"""


@dataclass(frozen=True, slots=True)
class ProductRow:
    """A product as reels, profiles and wishlists show it (PRODUCT_BRIEF)."""

    id: int
    name: str
    price: Decimal
    stock: int
    is_active: bool
    seller_id: int
    image: str | None

    @classmethod
    def pick(cls, row: Any) -> ProductRow:
        """The PRODUCT_BRIEF columns of a wider row."""
        return cls(row["id"], row["name"], row["price"], row["stock"], row["is_active"], row["seller_id"],
                   row["image"])


@dataclass(frozen=True, slots=True)
class CreatorRow:
    """A creator as a reel or a list shows them: the user's name and profile (defaults where none)."""

    id: int
    username: str
    handle: str
    display_name: str
    avatar: str | None
    followers_count: int

    @classmethod
    def pick(cls, row: Any, id_column: str = "id") -> CreatorRow:
        """The creator columns of a wider row, whose id is in `id_column`."""
        return cls(row[id_column], row["username"], row["handle"], row["display_name"], row["avatar"],
                   row["followers_count"])
