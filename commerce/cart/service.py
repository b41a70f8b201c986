"""Cart use cases, and `put_in_cart` for auctions and videos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import asyncpg

from commerce.cart import store
from commerce.cart.schemas import CartLine, CartOut, CartProduct
from commerce.cart.store import Line, Released, Removed
from server.errors import Conflict, NotFound
from server.media import media_url
from server.money import CENT


class OutOfStock(Conflict):
    code = "out_of_stock"


def _removed(result: Removed, missing: str) -> None:
    """Refuse a removal that asked for an owed line (409) or found nothing (404)."""
    if result.owed:
        raise Conflict("A won auction's item stays in the cart until it is paid or its time to pay runs out.",
                       code="won_item_locked")
    if not result.removed:
        raise NotFound(missing, code="not_in_cart")


async def put_in_cart(
    conn: asyncpg.Connection | asyncpg.Pool,
    buyer_id: int,
    product_id: int,
    *,
    quantity: int = 1,
    source: str = "cart",
    unit_price: Decimal | None = None,
    ref: str = "",
    held_s: float | None = None,
    pay_by: datetime | None = None,
) -> bool:
    """Add a product to a buyer's cart. With a `ref` (an auction's id) the line is added once only.

    Stock is not taken here: checkout takes it atomically, except for a held line (`held_s`), whose stock the
    caller took in the same transaction; it is held that long, then released (`release_expired_holds`).
    A line with `pay_by` is owed (a won auction): the buyer cannot remove it, only pay for it by then.
    Returns True if the cart changed.
    """
    return await store.add(conn, buyer_id, product_id, quantity, source, unit_price, ref, once=bool(ref),
                           held_s=held_s, pay_by=pay_by)


async def release_expired_holds(conn: asyncpg.Connection | asyncpg.Pool, limit: int = 200) -> list[Released]:
    """Remove held lines past their time, giving their stock back; what was released (by ref)."""
    return await store.release_expired(conn, limit)


@dataclass
class Cart:
    pool: asyncpg.Pool

    async def view(self, buyer_id: int) -> CartOut:
        """The cart with current prices (fixed prices for auction wins) and its total."""
        return cart_out(await store.lines(self.pool, buyer_id))

    async def _check_product(self, product_id: int, wanted: int) -> None:
        product = await store.product_for_cart(self.pool, product_id)
        if product is None or not product.is_active:
            raise NotFound(f"No product with id {product_id}.", code="product_not_found")
        if wanted > product.stock:
            raise OutOfStock(
                f"Only {product.stock} in stock; the cart would hold {wanted}.",
                extra={"product_id": product_id, "available": product.stock},
            )

    async def add(self, buyer_id: int, product_id: int, quantity: int, source: str = "cart") -> CartOut:
        """Add units (source "video" when added from a reel); the cart may not hold more than the stock
        (checkout checks again, atomically)."""
        in_cart = await store.quantity_in_cart(self.pool, buyer_id, product_id)
        await self._check_product(product_id, in_cart + quantity)
        await put_in_cart(self.pool, buyer_id, product_id, quantity=quantity, source=source)
        return await self.view(buyer_id)

    async def update(self, buyer_id: int, product_id: int, quantity: int) -> CartOut:
        """Set the quantity of the buyer's own line; 0 removes it."""
        if quantity == 0:
            return await self.remove(buyer_id, product_id, "cart")
        others = await store.quantity_in_cart(self.pool, buyer_id, product_id)
        await self._check_product(product_id, quantity)
        if not await store.set_quantity(self.pool, buyer_id, product_id, quantity):
            if others:
                raise NotFound("Only lines you added yourself can change quantity.", code="not_in_cart")
            raise NotFound(f"Product {product_id} is not in your cart.", code="not_in_cart")
        return await self.view(buyer_id)

    async def remove(self, buyer_id: int, product_id: int, source: str | None) -> CartOut:
        removed = await store.remove(self.pool, buyer_id, product_id, source)
        _removed(removed, f"Product {product_id} is not in your cart.")
        return await self.view(buyer_id)

    async def remove_line(self, buyer_id: int, line_id: int) -> CartOut:
        """Remove one line of the buyer's cart; another buyer's line is as good as missing (404)."""
        _removed(await store.remove_line(self.pool, buyer_id, line_id), f"No line {line_id} in your cart.")
        return await self.view(buyer_id)


def line_price(fixed: Decimal | None, current: Decimal) -> Decimal:
    """A line's unit price: fixed for auction wins, the product's current price otherwise."""
    return fixed if fixed is not None else current


def cart_out(rows: list[Line]) -> CartOut:
    items = []
    for r in rows:
        price = line_price(r.unit_price, r.price)
        items.append(CartLine(
            id=r.id,
            product=CartProduct(
                id=r.product_id, name=r.name, price=r.price, stock=r.stock, is_active=r.is_active,
                seller=r.seller_id, image=media_url(r.image),
            ),
            quantity=r.quantity, price=price, source=r.source, line_total=(price * r.quantity).quantize(CENT),
            pay_by=r.pay_by,
        ))
    total = sum((i.line_total for i in items), Decimal("0.00"))
    return CartOut(items=items, total=total, count=sum(i.quantity for i in items))
