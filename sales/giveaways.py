"""Giveaway use cases: start (one at a time per show, its unit taken from stock), enter while in the room and
eligible, draw once (at the end by whichever process gets there first, or early by the seller), uniformly and
auditable, and the prize as an order at price 0."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from commerce.orders.service import Orders
from rooms.coalesce import Coalescer
from rooms.events import RoomEvent
from rooms.names import RoomName
from rooms.notifications.service import notify
from rooms.outbox import Relay, stage
from rooms.streams import store as streams_store
from rooms.streams.service import sellers_show
from sales import giveaway_store as store
from sales import store as sales_store
from sales.events import GiveawayEnded, GiveawayStarted, GiveawayUpdated
from sales.giveaway_store import Giveaway
from sales.schemas import Draw, EnteredOut, GiveawayIn, GiveawayOut, Party, SaleProduct
from server.background import once_each
from server.config import SalesConfig
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.media import media_url
from server.sql import Conn
from server.tokens import Principal

GIVEAWAY_UPDATE_S = 1.0  # giveaway_updated: at most once a second per giveaway, across all processes


def present_key(room: RoomName) -> str:
    """A Redis hash: user id -> how many of the user's sockets are in the show's room (on any process)."""
    return f"present:{room}"


def giveaway_out(row: Giveaway) -> GiveawayOut:
    return GiveawayOut(
        id=row.id, livestream=row.livestream_id,
        product=SaleProduct(id=row.product_id, name=row.product_name, image=media_url(row.image)),
        eligibility=row.eligibility, status=row.status, ends_at=row.ends_at,  # type: ignore[arg-type]
        entries=row.entries,
        winner=Party(id=row.winner_id, username=row.winner_username or "") if row.winner_id else None,
        draw=Draw(seed=row.seed, entries_hash=row.entries_hash) if row.seed and row.entries_hash else None,
        version=row.version,
    )


def draw_winner(entrants: list[int], seed: str) -> tuple[int | None, str]:
    """The winner among entrants (user ids, ascending) for a seed, and the hash of the list: anyone with the
    list can check it."""
    entries_hash = hashlib.sha256(",".join(map(str, entrants)).encode()).hexdigest()
    if not entrants:
        return None, entries_hash
    pick = int(hashlib.sha256(f"{seed}:{entries_hash}".encode()).hexdigest(), 16) % len(entrants)
    return entrants[pick], entries_hash


@dataclass
class Giveaways:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    relay: Relay
    orders: Orders
    config: SalesConfig
    changes: Coalescer = field(init=False)

    def __post_init__(self) -> None:
        self.changes = Coalescer(self.redis, "giveaway", GIVEAWAY_UPDATE_S)

    async def start(self, me: Principal, stream_id: int, data: GiveawayIn) -> GiveawayOut:
        """The show's seller gives one unit of a product away (`giveaway_started`); its stock is taken now."""
        await sellers_show(self.pool, me, stream_id, "giveaways")
        if data.duration_s > self.config.max_duration_s:
            message = f"At most {self.config.max_duration_s} seconds."
            raise InvalidInput(f"duration_s: {message}", fields={"duration_s": [message]})
        if await streams_store.product_of_show(self.pool, stream_id, data.product_id) is None:
            raise NotFound(f"No active product {data.product_id} of yours.", code="product_not_found")
        async with self.pool.acquire() as conn, conn.transaction():
            giveaway_id = await store.insert(conn, stream_id, me.user_id, data.product_id, data.eligibility,
                                             data.duration_s)
            if giveaway_id is None:
                raise Conflict("A giveaway is already running in this show.", code="giveaway_open")
            if not await sales_store.take_product_stock(conn, data.product_id, 1):
                raise Conflict("The product is out of stock.", code="out_of_stock")
            out = giveaway_out(await self._giveaway(conn, giveaway_id))
            staged = await stage(conn, RoomName.stream(stream_id), [GiveawayStarted(**out.model_dump())])
        await self.relay.publish(staged)
        return out

    async def _giveaway(self, conn: Conn, giveaway_id: int) -> Giveaway:
        row = await store.fetch(conn, giveaway_id)
        if row is None:
            raise NotFound(f"No giveaway with id {giveaway_id}.", code="giveaway_not_found")
        return row

    async def get(self, giveaway_id: int) -> GiveawayOut:
        return giveaway_out(await self._giveaway(self.pool, giveaway_id))

    async def open_in(self, stream_id: int) -> dict[str, Any] | None:
        """The show's open giveaway as hello shows it, or None."""
        row = await store.open_in(self.pool, stream_id)
        return giveaway_out(row).model_dump(mode="json") if row else None

    async def enter(self, me: Principal, giveaway_id: int) -> EnteredOut:
        """Enter, once, while connected to the show's room and eligible."""
        row = await self._giveaway(self.pool, giveaway_id)
        if me.user_id == row.seller_id:
            raise PermissionDenied("The seller cannot enter their own giveaway.", code="not_eligible")
        if not int(await self.redis.hget(present_key(RoomName.stream(row.livestream_id)), str(me.user_id)) or 0):
            raise PermissionDenied("Join the show's room (its WebSocket) to enter.", code="not_in_room")
        if not await store.eligible(self.pool, giveaway_id, me.user_id):
            who = {"followers": "the seller's followers", "buyers": "buyers of the seller"}.get(row.eligibility)
            raise PermissionDenied(f"This giveaway is for {who}.", code="not_eligible")
        async with self.pool.acquire() as conn, conn.transaction():
            locked = await store.lock(conn, giveaway_id)
            if locked is None or locked.status != "open" or locked.ends_at <= locked.now:
                raise Conflict("The giveaway has ended.", code="giveaway_ended")
            entries = await store.enter(conn, giveaway_id, me.user_id)
        if entries is None:
            raise Conflict("You have entered already.", code="already_entered")
        await self.changes.mark(giveaway_id)
        return EnteredOut(giveaway=giveaway_id, entries=entries)

    async def draw(self, me: Principal | None, giveaway_id: int) -> GiveawayOut:
        """Draw once: its seller early (me), or the sweeper at its end (me=None), whichever process comes first.
        Uniform among the entrants still eligible; the winner gets the product as an order at price 0."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.lock(conn, giveaway_id)
            if row is None:
                raise NotFound(f"No giveaway with id {giveaway_id}.", code="giveaway_not_found")
            if me is not None and row.seller_id != me.user_id and me.role != "admin":
                raise PermissionDenied("Only the show's seller draws its giveaways.")
            if row.status != "open" or (me is None and row.ends_at > row.now):
                raise Conflict("The giveaway has been drawn.", code="giveaway_ended")
            seed = secrets.token_hex(16)
            winner, entries_hash = draw_winner(await store.eligible_entrants(conn, giveaway_id), seed)
            order_id = None
            if winner is not None:
                order_id = await self.orders.gift(conn, winner, row.seller_id, row.product_id,
                                                  f"giveaway:{giveaway_id}", "A giveaway's prize")
            else:
                await sales_store.give_back_stock(conn, row.product_id, 1)  # the unit taken at the start
            version = await store.drawn(conn, giveaway_id, winner, order_id, seed, entries_hash)
            out = giveaway_out(await self._giveaway(conn, giveaway_id))
            staged = await stage(conn, RoomName.stream(row.livestream_id), [GiveawayEnded(
                id=giveaway_id, winner=out.winner, entries=row.entries, version=version)])
        await self.relay.publish(staged)
        if winner is not None:
            await notify(self.pool, self.relay.bridge, winner, "giveaway_won",
                         f"You won {row.product_name} in a giveaway; it is on its way (order {order_id}).",
                         {"giveaway_id": giveaway_id, "order_id": order_id, "product_id": row.product_id})
        return out

    async def send_updates(self) -> int:
        """One round of `giveaway_updated` for the giveaways entered since the last (see Coalescer.send)."""
        return await self.changes.send(self.pool, self.relay, self._update)

    async def _update(self, conn: asyncpg.Connection, giveaway_id: int) -> tuple[RoomName, RoomEvent] | None:
        row = await store.lock(conn, giveaway_id)
        if row is None or row.status != "open":
            return None
        return RoomName.stream(row.livestream_id), GiveawayUpdated(id=giveaway_id, entries=row.entries,
                                                                   version=row.version)

    async def sweep(self) -> int:
        """Draw the giveaways past their end; every process may run it, each is drawn once."""
        return await once_each(await store.due(self.pool), functools.partial(self.draw, None))

    async def member(self, room: RoomName, user_id: int, joined: bool) -> None:
        """A signed-in socket joined or left the show's room: count it, so entries can check presence."""
        key = present_key(room)
        if joined:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(key, str(user_id), 1)
                pipe.expire(key, 86400)
                await pipe.execute()
        elif await self.redis.hincrby(key, str(user_id), -1) <= 0:
            await self.redis.hdel(key, str(user_id))
