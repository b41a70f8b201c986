"""Livestream use cases: schedule, go live on a credit, end, join with a token, pin a product."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from rooms.agora import rtc_token
from rooms.bridge import Bridge
from rooms.names import RoomName
from rooms.notifications.service import notify_many
from rooms.presence import Presence
from rooms.streams import store
from rooms.streams.events import ProductPinned, Raid, RaidArrived, RaidSource, StreamEnded, StreamStarted
from rooms.streams.schemas import AgoraOut, StreamIn, StreamOut, StreamPatch, StreamProduct, StreamSeller
from rooms.streams.store import ShowFilter, ShowProduct, Stream
from server.accounts import store as accounts_store
from server.config import AgoraConfig, CreditsConfig
from server.credits.rules import paid_until
from server.credits.store import apply_credits
from server.db import reading
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.media import media_url
from server.sql import Conn
from server.tokens import Principal

_AUDIENCE = """SELECT follower_id FROM follows WHERE following_id = $1
               UNION SELECT user_id FROM show_reminders WHERE livestream_id = $2"""


async def sellers_show(conn: Conn, me: Principal, stream_id: int, selling: str,
                       statuses: tuple[str, ...] = ("live",)) -> Stream:
    """The show a seller sells in (an auction, a flash sale, a giveaway): theirs, and live (or of `statuses`);
    `selling` names what, for the refusals."""
    show = await store.fetch_stream(conn, stream_id)
    if show is None:
        raise NotFound(f"No livestream with id {stream_id}.", code="livestream_not_found")
    if show.seller_id != me.user_id:
        raise PermissionDenied(f"Only the show's seller runs its {selling}.")
    if show.status not in statuses:
        raise Conflict(f"{selling.capitalize()} run during a live show.", code="not_live")
    return show


@dataclass
class Streams:
    pool: asyncpg.Pool
    bridge: Bridge
    presence: Presence
    agora: AgoraConfig
    credits: CreditsConfig

    async def create(self, me: Principal, data: StreamIn) -> StreamOut:
        """A verified seller schedules a show with some of their products."""
        if not await accounts_store.seller_verified(self.pool, me.user_id):
            raise PermissionDenied("Your seller account is not verified yet.", code="seller_not_verified")
        async with self.pool.acquire() as conn, conn.transaction():
            stream_id = await store.insert_stream(conn, me.user_id, data.title, data.description, data.scheduled_at,
                                                  data.product_ids)
        return await self.get(stream_id)

    async def patch(self, me: Principal, stream_id: int, data: StreamPatch) -> StreamOut:
        """Change some of a scheduled show's fields (its seller); the others stay."""
        show = await self.get(stream_id)
        current = StreamIn(title=show.title, description=show.description, scheduled_at=show.scheduled_at,
                           product_ids=[p.id for p in show.products])
        return await self.update(me, stream_id, current.model_copy(update=data.model_dump(exclude_unset=True)))

    async def delete(self, me: Principal, stream_id: int) -> None:
        """Delete a scheduled show (its seller) with its run sheet; a live or ended show stays (409)."""
        await self._owned(me, stream_id)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await store.delete_scheduled(conn, stream_id):
                raise Conflict("Only a show that has not started can be deleted.", code="not_scheduled")

    async def remind(self, me: Principal, stream_id: int) -> tuple[bool, int]:
        """Toggle the caller's reminder of a scheduled show: (reminded, reminders_count)."""
        await self.row(stream_id)
        async with self.pool.acquire() as conn, conn.transaction():
            return await store.toggle_reminder(conn, stream_id, me.user_id)

    async def send_reminders(self, lead_s: int) -> int:
        """Store `show_starting_soon` for the reminders now due (once each, whichever process comes first)."""
        return await store.send_due_reminders(self.pool, lead_s, "{seller} goes live soon: {title}")

    async def update(self, me: Principal, stream_id: int, data: StreamIn) -> StreamOut:
        """Change a scheduled show (its seller): title, description, time and products."""
        await self._owned(me, stream_id)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await store.update_stream(conn, stream_id, data.title, data.description, data.scheduled_at,
                                             data.product_ids):
                raise Conflict("Only a scheduled show can be changed.", code="not_scheduled")
        return await self.get(stream_id)

    async def paid_until(self, show: StreamOut, balance: int) -> datetime:
        """When the show's air time runs out if the seller buys nothing more (for the control room)."""
        charged = await store.charged_blocks(self.pool, show.seller.id, show.id)
        return paid_until(show.started_at or datetime.now(UTC), len(charged), balance, self.credits.block_s)

    async def row(self, stream_id: int) -> Stream:
        row = await store.fetch_stream(self.pool, stream_id)
        if row is None:
            raise NotFound(f"No livestream with id {stream_id}.", code="livestream_not_found")
        return row

    async def get(self, stream_id: int, me: Principal | None = None) -> StreamOut:
        return (await self.views([await self.row(stream_id)], me))[0]

    async def page(self, filters: ShowFilter, limit: int, offset: int, ordering: str = "default",
                   me: Principal | None = None) -> tuple[int, list[StreamOut]]:
        """A page of the shows that match, in `ordering` (default: live, then scheduled soonest, then ended)."""
        count, rows = await store.list_streams(reading(self.pool), filters, ordering, limit, offset)
        return count, await self.views(rows, me)

    async def views(self, rows: list[Stream], me: Principal | None = None) -> list[StreamOut]:
        """Shows as the API gives them (with `reminded` for a signed-in caller), in a fixed number of queries."""
        reminded = await store.reminded(reading(self.pool), me.user_id, [r.id for r in rows]) if me else set()
        products: dict[int, list[StreamProduct]] = defaultdict(list)
        for p in await store.fetch_products(self.pool, [r.id for r in rows]):
            products[p.livestream_id].append(product_out(p))
        live = [RoomName.stream(r.id) for r in rows if r.status == "live"]
        viewers = await self.presence.totals(live) if live else {}
        out = []
        for r in rows:
            out.append(StreamOut(
                id=r.id,
                seller=StreamSeller(id=r.seller_id, username=r.seller_username,
                                    business_name=r.seller_business_name),
                title=r.title, description=r.description, status=r.status,
                scheduled_at=r.scheduled_at, started_at=r.started_at, ended_at=r.ended_at,
                viewers=viewers.get(RoomName.stream(r.id), 0), products=products[r.id],
                pinned_product=r.pinned_product_id,
                pinned_message=r.pinned_message,
                reminders_count=r.reminders_count,
                reminded=(r.id in reminded) if me else None,
            ))
        return out

    async def _owned(self, me: Principal, stream_id: int, *, admin_too: bool = False) -> Stream:
        row = await self.row(stream_id)
        if row.seller_id != me.user_id and not (admin_too and me.role == "admin"):
            raise PermissionDenied("Only the seller of this show can do this.")
        return row

    async def start(self, me: Principal, stream_id: int) -> tuple[StreamOut, AgoraOut]:
        """Go live: the first block of air time costs a credit, taken in the same transaction."""
        await self._owned(me, stream_id)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await store.go_live(conn, stream_id):
                row = await store.fetch_stream(conn, stream_id)
                raise Conflict(f"The show is {row.status if row else 'gone'}; only a scheduled show can start.",
                               code="not_scheduled")
            await apply_credits(conn, me.user_id, -1, "live_block", f"{stream_id}:0")
            row = await store.fetch_stream(conn, stream_id)
            name = await accounts_store.username(conn, me.user_id)
            # Followers and those who asked to be reminded hear of it once the show is really live (the pusher
            # sends after commit); someone who is both hears once.
            await notify_many(conn, _AUDIENCE, [me.user_id, stream_id], "seller_live",
                              f"{name} is live: {row.title if row else ''}", {"livestream_id": stream_id}, me.user_id)
        await self.bridge.emit(RoomName.stream(stream_id), StreamStarted(livestream_id=stream_id))
        return await self.get(stream_id), self.token(stream_id, me.user_id, publisher=True)

    async def end(self, me: Principal | None, stream_id: int, reason: str) -> StreamOut:
        """End a live show (its owner, an admin, or the credit meter with me=None); the room is told."""
        if me is not None:
            await self._owned(me, stream_id, admin_too=True)
        if not await store.end(self.pool, stream_id, reason):
            raise Conflict("The show is not live.", code="not_live")
        await self.bridge.emit(RoomName.stream(stream_id), StreamEnded(livestream_id=stream_id, reason=reason))
        return await self.get(stream_id)

    async def raid(self, me: Principal, stream_id: int, target_id: int) -> StreamOut:
        """Its seller ends a live show by sending its viewers to another seller's live show: this room hears
        `raid` (then `stream_ended`), the target's room `raid_arrived`. Once per show: it ends with the raid."""
        source = await self._owned(me, stream_id)
        target = await store.fetch_stream(self.pool, target_id)
        if target is None:
            raise NotFound(f"No livestream with id {target_id}.", code="livestream_not_found")
        if target.seller_id == me.user_id:
            raise InvalidInput("Raid another seller's show.", fields={"target_id": ["One of your own shows."]})
        if target.status != "live":
            raise Conflict("The show to raid is not live.", code="target_not_live")
        viewers = await self.presence.total(RoomName.stream(stream_id))
        if not await store.end(self.pool, stream_id, "raid", raided_to=target_id):
            raise Conflict("The show is not live.", code="not_live")
        target_out = (await self.views([target]))[0]
        await self.bridge.emit(RoomName.stream(stream_id), Raid(target=target_out))
        await self.bridge.emit(RoomName.stream(stream_id), StreamEnded(livestream_id=stream_id, reason="raid"))
        seller = StreamSeller(id=source.seller_id, username=source.seller_username,
                              business_name=source.seller_business_name)
        await self.bridge.emit(RoomName.stream(target_id), RaidArrived(
            source=RaidSource(id=stream_id, title=source.title, seller=seller), viewers=viewers))
        return await self.get(stream_id)

    async def join(self, me: Principal, stream_id: int) -> tuple[StreamOut, AgoraOut]:
        """A viewer's token (the owner gets a publisher's); an ended show cannot be joined."""
        row = await self.row(stream_id)
        if row.status == "ended":
            raise Conflict("This show has ended.", code="stream_ended")
        return await self.get(stream_id), self.token(stream_id, me.user_id, publisher=row.seller_id == me.user_id)

    async def renew(self, me: Principal, stream_id: int) -> AgoraOut:
        row = await self.row(stream_id)
        if row.status == "ended":
            raise Conflict("This show has ended.", code="stream_ended")
        return self.token(stream_id, me.user_id, publisher=row.seller_id == me.user_id)

    def token(self, stream_id: int, uid: int, *, publisher: bool) -> AgoraOut:
        t = rtc_token(self.agora, stream_id, uid, publisher)
        return AgoraOut(app_id=t.app_id, channel=t.channel, uid=t.uid, token=t.token, role=t.role,  # type: ignore[arg-type]
                        expires_at=t.expires_at)

    async def pin(self, me: Principal, stream_id: int, product_id: int) -> StreamOut:
        """Show one of the seller's products on every viewer's screen."""
        await self._owned(me, stream_id)
        product = await store.product_of_show(self.pool, stream_id, product_id)
        if product is None:
            raise NotFound(f"No active product {product_id} of this seller.", code="product_not_found")
        await store.pin_product(self.pool, stream_id, product_id)
        await self.bridge.emit(RoomName.stream(stream_id), ProductPinned(product=product_out(product)))
        return await self.get(stream_id)


def product_out(row: ShowProduct) -> StreamProduct:
    return StreamProduct(id=row.id, name=row.name, price=row.price, stock=row.stock,
                         image=media_url(row.image))
