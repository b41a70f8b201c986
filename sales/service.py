"""Flash-sale use cases: start, claim (REST and socket alike), end, and the rounds that sum claims into
`flash_sale_updated`, end sales past their time and release held units nobody checked out."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from prometheus_client import Counter

from commerce.cart.service import put_in_cart, release_expired_holds
from rooms.coalesce import Coalescer
from rooms.events import RoomEvent
from rooms.names import RoomName
from rooms.outbox import Relay, stage
from rooms.streams import store as streams_store
from rooms.streams.service import sellers_show
from sales import store
from sales.events import FlashSaleEnded, FlashSaleStarted, FlashSaleUpdated
from sales.schemas import ClaimOut, FlashSaleIn, FlashSaleOut, SaleProduct, sale_price
from sales.store import Sale
from server.background import once_each
from server.config import CommerceConfig, SalesConfig
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.media import media_url
from server.metrics import counted
from server.sql import Conn
from server.tokens import Principal

log = logging.getLogger(__name__)
CLAIMS = Counter("lsc_flash_sale_claims", "Flash-sale claims decided, by outcome: claimed, or the code of the "
                 "refusal (sold_out, sale_ended, limit_reached...).", ["outcome"])
UNITS = Counter("lsc_flash_sale_units_claimed", "Flash-sale units taken into carts.")


def sale_out(row: Sale) -> FlashSaleOut:
    return FlashSaleOut(
        id=row.id, livestream=row.livestream_id,
        product=SaleProduct(id=row.product_id, name=row.product_name, image=media_url(row.image)),
        price=row.price, original_price=row.original_price, quantity=row.quantity, remaining=row.remaining,
        per_buyer_limit=row.per_buyer_limit, status=row.status,  # type: ignore[arg-type]
        ends_at=row.ends_at, version=row.version,
    )


@dataclass
class FlashSales:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    relay: Relay
    config: SalesConfig
    commerce: CommerceConfig
    changes: Coalescer = field(init=False)

    def __post_init__(self) -> None:
        self.changes = Coalescer(self.redis, "flash", self.config.update_interval_s)

    async def start(self, me: Principal, stream_id: int, data: FlashSaleIn) -> FlashSaleOut:
        """The show's seller puts units of a product on sale while live (`flash_sale_started`)."""
        await sellers_show(self.pool, me, stream_id, "flash sales")
        if data.duration_s > self.config.max_duration_s:
            message = f"At most {self.config.max_duration_s} seconds."
            raise InvalidInput(f"duration_s: {message}", fields={"duration_s": [message]})
        product = await streams_store.product_of_show(self.pool, stream_id, data.product_id)
        if product is None:
            raise NotFound(f"No active product {data.product_id} of yours.", code="product_not_found")
        price = sale_price(product.price, data.price, data.discount_percent)
        if price > product.price:
            raise InvalidInput("price: above the product's price.",
                               fields={"price": [f"At most the product's price, {product.price}."]})
        if data.quantity > product.stock:
            raise Conflict(f"Only {product.stock} in stock.", code="out_of_stock",
                           extra={"available": product.stock})
        async with self.pool.acquire() as conn, conn.transaction():
            sale_id = await store.insert(conn, stream_id, me.user_id, product.id, price, product.price,
                                         data.quantity, data.per_buyer_limit, data.duration_s)
            out = sale_out(await self._sale(conn, sale_id))
            staged = await stage(conn, RoomName.stream(stream_id), [FlashSaleStarted(**out.model_dump())])
        await self.relay.publish(staged)
        return out

    async def _sale(self, conn: Conn, sale_id: int) -> Sale:
        row = await store.fetch(conn, sale_id)
        if row is None:
            raise NotFound(f"No flash sale with id {sale_id}.", code="flash_sale_not_found")
        return row

    async def get(self, sale_id: int) -> FlashSaleOut:
        return sale_out(await self._sale(self.pool, sale_id))

    async def of_stream(self, stream_id: int) -> list[FlashSaleOut]:
        return [sale_out(r) for r in await store.of_stream(self.pool, stream_id)]

    async def open_in(self, stream_id: int) -> list[dict[str, Any]]:
        """The show's open sales as hello shows them."""
        return [sale_out(r).model_dump(mode="json") for r in await store.of_stream(self.pool, stream_id, True)]

    async def claim(self, me: Principal, sale_id: int, quantity: int) -> ClaimOut:
        """Take units of the sale into the buyer's cart at the sale price: one transaction on the locked sale
        row takes them from the sale and from the product's stock, keeps the per-buyer limit, and adds the held
        cart line. Never oversold: claims of a sale take the row lock one after another."""
        out = await counted(CLAIMS, self._take(me, sale_id, quantity), lambda out: "claimed")
        UNITS.inc(quantity)
        return out

    async def _take(self, me: Principal, sale_id: int, quantity: int) -> ClaimOut:
        if me.role != "buyer":
            raise PermissionDenied("Only buyers claim.")
        if quantity > self.config.claim_limit:
            message = f"At most {self.config.claim_limit} units at once."
            raise InvalidInput(f"quantity: {message}", fields={"quantity": [message]})
        # In a rush most claims come after the last unit: a read without the lock refuses those at once, so they
        # do not queue for the row. It never accepts a claim: that is decided on the locked row below.
        left = await store.available(self.pool, sale_id)
        if left == -1:
            raise Conflict("The flash sale has ended.", code="sale_ended")
        if left == 0:
            raise Conflict("Sold out.", code="sold_out", extra={"remaining": 0})
        async with self.pool.acquire() as conn, conn.transaction():
            sale = await store.lock(conn, sale_id)
            if sale is None:
                raise NotFound(f"No flash sale with id {sale_id}.", code="flash_sale_not_found")
            if sale.status != "open" or sale.ends_at <= sale.now or sale.stream_status != "live":
                raise Conflict("The flash sale has ended.", code="sale_ended")
            if sale.remaining < quantity:
                raise Conflict(f"Only {sale.remaining} left.", code="sold_out", extra={"remaining": sale.remaining})
            if sale.per_buyer_limit is not None:
                held = await store.claimed_by(conn, sale_id, me.user_id)
                if held + quantity > sale.per_buyer_limit:
                    raise Conflict(f"At most {sale.per_buyer_limit} per buyer; you have {held}.",
                                   code="limit_reached", extra={"limit": sale.per_buyer_limit, "claimed": held})
            if not await store.take_product_stock(conn, sale.product_id, quantity):
                raise Conflict("Sold out.", code="sold_out", extra={"remaining": 0})
            claim_id, remaining, version = await store.take(conn, sale_id, me.user_id, quantity)
            hold = self.commerce.flash_hold_s
            await put_in_cart(conn, me.user_id, sale.product_id, quantity=quantity, source="flash_sale",
                              unit_price=sale.price, ref=f"flash:{claim_id}", held_s=hold)
            held_until = sale.now + timedelta(seconds=hold)
        await self.changes.mark(sale_id)
        return ClaimOut(flash_sale=sale_id, quantity=quantity, price=sale.price, remaining=remaining,
                        held_until=held_until, version=version)

    async def end(self, me: Principal | None, sale_id: int) -> FlashSaleOut:
        """End a sale once: its seller early (me), or the sweeper at its time (me=None)."""
        async with self.pool.acquire() as conn, conn.transaction():
            sale = await store.lock(conn, sale_id)
            if sale is None:
                raise NotFound(f"No flash sale with id {sale_id}.", code="flash_sale_not_found")
            if me is not None and sale.seller_id != me.user_id and me.role != "admin":
                raise PermissionDenied("Only the show's seller ends its flash sales.")
            if sale.status != "open" or (me is None and sale.ends_at > sale.now):
                raise Conflict("The flash sale has ended.", code="sale_ended")
            version = await store.end(conn, sale_id)
            staged = await stage(conn, RoomName.stream(sale.livestream_id), [FlashSaleEnded(
                id=sale_id, remaining=sale.remaining, reason="seller" if me else "time", version=version)])
        await self.relay.publish(staged)
        return await self.get(sale_id)

    async def send_updates(self) -> int:
        """One round of `flash_sale_updated`, with the units left as committed (see Coalescer.send)."""
        return await self.changes.send(self.pool, self.relay, self._update)

    async def _update(self, conn: asyncpg.Connection, sale_id: int) -> tuple[RoomName, RoomEvent] | None:
        sale = await store.lock(conn, sale_id)
        if sale is None:
            return None
        return RoomName.stream(sale.livestream_id), FlashSaleUpdated(id=sale_id, remaining=sale.remaining,
                                                                     version=sale.version)

    async def sweep(self) -> int:
        """End the sales past their time, and give back the held units nobody checked out; how many sales
        ended. Every process may run it: each sale ends once, each hold is released once."""
        ended = await once_each(await store.due(self.pool), functools.partial(self.end, None))
        async with self.pool.acquire() as conn, conn.transaction():
            released = await release_expired_holds(conn)
            refilled: set[int] = set()
            for line in released:
                if line.ref.startswith("flash:"):
                    refill = await store.release(conn, int(line.ref.removeprefix("flash:")))
                    if refill is not None:
                        refilled.add(refill)
        for refill in refilled:
            await self.changes.mark(refill)
        return ended
