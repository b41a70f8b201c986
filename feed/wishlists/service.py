"""Wishlists for occasions, shared with view or edit rights, and the swipe deck that fills them."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from feed.briefs.views import product_brief
from feed.schemas import (
    ProductBrief,
    ShareIn,
    ShareOut,
    SwipeIn,
    SwipeOut,
    UserBrief,
    WishlistIn,
    WishlistItemIn,
    WishlistItemOut,
    WishlistOut,
    WishlistPatch,
)
from feed.videos import store as videos_store
from feed.wishlists import store
from feed.wishlists.store import Wishlist
from rooms.bridge import Bridge
from rooms.notifications.service import notify
from server.errors import InvalidInput, NotFound, PermissionDenied
from server.tokens import Principal

RIGHTS = {"owner": 3, "edit": 2, "view": 1}


@dataclass
class Wishlists:
    pool: asyncpg.Pool
    bridge: Bridge

    async def _require(self, me: Principal, wishlist_id: int, right: str) -> Wishlist:
        row, mine = await store.access(self.pool, wishlist_id, me.user_id)
        if row is None or mine is None:
            raise NotFound(f"No wishlist with id {wishlist_id}.", code="wishlist_not_found")
        if RIGHTS[mine] < RIGHTS[right]:
            needed = "its owner" if right == "owner" else "its owner or people it is shared with to edit"
            raise PermissionDenied(f"Only {needed} can do this.")
        return row

    async def outs(self, me: Principal, ids: list[int]) -> list[WishlistOut]:
        """Lists in the order of ids, with items and shares, in three queries."""
        if not ids:
            return []
        async with self.pool.acquire() as conn:
            rows = await store.lists(conn, ids)
            items = await store.items(conn, ids)
            shares = await store.shares(conn, ids)
        by_list: dict[int, list[WishlistItemOut]] = {}
        for it in items:
            by_list.setdefault(it.wishlist_id, []).append(WishlistItemOut(
                product=product_brief(it.product), note=it.note, added_by=it.added_by, added_at=it.added_at))
        shared: dict[int, list[ShareOut]] = {}
        for s in shares:
            shared.setdefault(s.wishlist_id, []).append(
                ShareOut(user=UserBrief(id=s.user_id, username=s.username), can_edit=s.can_edit))
        out = []
        for i in ids:
            row = rows.get(i)
            if row is None:
                continue
            guests = shared.get(i, [])
            can_edit = row.owner_id == me.user_id or any(g.user.id == me.user_id and g.can_edit for g in guests)
            out.append(WishlistOut(
                id=i, owner=UserBrief(id=row.owner_id, username=row.owner_username), name=row.name,
                occasion=row.occasion, event_date=row.event_date, is_default=row.is_default,
                items=by_list.get(i, []), shared_with=guests, can_edit=can_edit, created_at=row.created_at,
            ))
        return out

    async def get(self, me: Principal, wishlist_id: int) -> WishlistOut:
        await self._require(me, wishlist_id, "view")
        return (await self.outs(me, [wishlist_id]))[0]

    async def mine(self, me: Principal, limit: int, offset: int) -> tuple[int, list[WishlistOut]]:
        total, ids = await store.owned_ids(self.pool, me.user_id, limit, offset)
        return total, await self.outs(me, ids)

    async def shared_with_me(self, me: Principal, limit: int, offset: int) -> tuple[int, list[WishlistOut]]:
        total, ids = await store.shared_ids(self.pool, me.user_id, limit, offset)
        return total, await self.outs(me, ids)

    async def create(self, me: Principal, data: WishlistIn) -> WishlistOut:
        wishlist_id = await store.insert(self.pool, me.user_id, data.name, data.occasion, data.event_date)
        return await self.get(me, wishlist_id)

    async def update(self, me: Principal, wishlist_id: int, data: WishlistIn | WishlistPatch) -> WishlistOut:
        """PUT replaces name, occasion and date; PATCH changes the fields sent."""
        await self._require(me, wishlist_id, "owner")
        fields = data.model_fields_set if isinstance(data, WishlistPatch) else set(WishlistIn.model_fields)
        changes = {k: getattr(data, k) for k in fields}
        for name in ("name", "occasion"):
            if name in changes and changes[name] is None:
                raise InvalidInput(f"{name} cannot be null.", fields={name: ["This field cannot be null."]})
        await store.update(self.pool, wishlist_id, changes)
        return await self.get(me, wishlist_id)

    async def delete(self, me: Principal, wishlist_id: int) -> None:
        await self._require(me, wishlist_id, "owner")
        await store.delete(self.pool, wishlist_id)

    async def add_item(self, me: Principal, wishlist_id: int, data: WishlistItemIn) -> WishlistOut:
        await self._require(me, wishlist_id, "edit")
        if await videos_store.missing_products(self.pool, [data.product_id]):
            raise NotFound(f"No product with id {data.product_id}.", code="product_not_found")
        await store.add_item(self.pool, wishlist_id, data.product_id, data.note, me.user_id)
        return await self.get(me, wishlist_id)

    async def remove_item(self, me: Principal, wishlist_id: int, product_id: int) -> None:
        await self._require(me, wishlist_id, "edit")
        if not await store.remove_item(self.pool, wishlist_id, product_id):
            raise NotFound(f"Product {product_id} is not on this wishlist.", code="not_in_wishlist")

    async def share(self, me: Principal, wishlist_id: int, data: ShareIn) -> WishlistOut:
        """Share with a user (by id or username) to view or to edit; sharing again changes the right."""
        row = await self._require(me, wishlist_id, "owner")
        if data.user_id is None and data.username is None:
            raise InvalidInput("Say whom to share with: user_id or username.",
                               fields={"user_id": ["user_id or username is required."]})
        user = await store.user_by_name_or_id(self.pool, data.user_id, data.username)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        if user.id == me.user_id:
            raise InvalidInput("The list is already yours.", code="cannot_share_with_self",
                               fields={"user_id": ["That is you."]})
        await store.share(self.pool, wishlist_id, user.id, data.can_edit)
        right = "edit" if data.can_edit else "see"
        await notify(self.pool, self.bridge, user.id, "wishlist_shared",
                     f"{row.owner_username} shared the wishlist \"{row.name}\" with you (you can {right} it).",
                     {"wishlist_id": wishlist_id, "can_edit": data.can_edit}, actor_id=me.user_id)
        return await self.get(me, wishlist_id)

    async def unshare(self, me: Principal, wishlist_id: int, user_id: int) -> None:
        await self._require(me, wishlist_id, "owner")
        if not await store.unshare(self.pool, wishlist_id, user_id):
            raise NotFound("This wishlist is not shared with that user.", code="share_not_found")

    # ---- swipe ----

    async def deck(self, me: Principal, limit: int) -> list[ProductBrief]:
        return [product_brief(r) for r in await store.deck(self.pool, me.user_id, limit)]

    async def swipe(self, me: Principal, data: SwipeIn) -> SwipeOut:
        """Right puts the product on the given wishlist (one the user may edit) or the default one; left
        hides it from the deck. Swiping a product again changes the decision."""
        if await videos_store.missing_products(self.pool, [data.product_id]):
            raise NotFound(f"No product with id {data.product_id}.", code="product_not_found")
        wishlist_id = None
        if data.direction == "right" and data.wishlist_id is not None:
            await self._require(me, data.wishlist_id, "edit")
            wishlist_id = data.wishlist_id
        async with self.pool.acquire() as conn, conn.transaction():
            await store.swipe(conn, me.user_id, data.product_id, data.direction)
            if data.direction == "right":
                if wishlist_id is None:
                    wishlist_id = await store.default_list(conn, me.user_id)
                await store.add_item(conn, wishlist_id, data.product_id, None, me.user_id)
        return SwipeOut(product_id=data.product_id, direction=data.direction, wishlist_id=wishlist_id)
