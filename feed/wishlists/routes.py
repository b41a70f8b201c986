"""HTTP endpoints of wishlists and the swipe deck."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feed.schemas import (
    DeckQuery,
    ProductBrief,
    ShareIn,
    SwipeIn,
    SwipeOut,
    WishlistIn,
    WishlistItemIn,
    WishlistOut,
    WishlistPatch,
)
from feed.wishlists.keys import WISHLISTS
from server.api import ApiRouter, Page, PageQuery, page_of, path_id
from server.tokens import Principal

api = ApiRouter("wishlists")
WISHLIST = r"/api/wishlists/{id:\d+}/"




@api.get("/api/wishlists/", query=PageQuery, response=Page[WishlistOut], summary="Your wishlists")
async def list_wishlists(request: web.Request, me: Principal, query: PageQuery) -> web.Response:
    total, items = await request.app[WISHLISTS].mine(me, query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.post("/api/wishlists/", body=WishlistIn, response=WishlistOut, status=201,
          summary="Create a wishlist for an occasion")
async def create_wishlist(request: web.Request, me: Principal, body: WishlistIn) -> WishlistOut:
    return await request.app[WISHLISTS].create(me, body)


@api.get("/api/wishlists/shared-with-me/", query=PageQuery, response=Page[WishlistOut],
         summary="Wishlists others shared with you")
async def shared_with_me(request: web.Request, me: Principal, query: PageQuery) -> web.Response:
    total, items = await request.app[WISHLISTS].shared_with_me(me, query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.get(WISHLIST, response=WishlistOut, summary="A wishlist (its owner or people it is shared with)")
async def get_wishlist(request: web.Request, me: Principal) -> WishlistOut:
    return await request.app[WISHLISTS].get(me, path_id(request))


@api.put(WISHLIST, body=WishlistIn, response=WishlistOut, summary="Replace a wishlist's name, occasion and date")
async def put_wishlist(request: web.Request, me: Principal, body: WishlistIn) -> WishlistOut:
    return await request.app[WISHLISTS].update(me, path_id(request), body)


@api.patch(WISHLIST, body=WishlistPatch, response=WishlistOut, summary="Change some fields of a wishlist")
async def patch_wishlist(request: web.Request, me: Principal, body: WishlistPatch) -> WishlistOut:
    return await request.app[WISHLISTS].update(me, path_id(request), body)


@api.delete(WISHLIST, status=204, summary="Delete a wishlist")
async def delete_wishlist(request: web.Request, me: Principal) -> None:
    await request.app[WISHLISTS].delete(me, path_id(request))


@api.post(WISHLIST + "items/", body=WishlistItemIn, response=WishlistOut, status=201,
          summary="Add a product (the owner or an editor)")
async def add_item(request: web.Request, me: Principal, body: WishlistItemIn) -> WishlistOut:
    return await request.app[WISHLISTS].add_item(me, path_id(request), body)


@api.delete(WISHLIST + r"items/{product_id:\d+}/", status=204, summary="Remove a product (the owner or an editor)")
async def remove_item(request: web.Request, me: Principal) -> None:
    await request.app[WISHLISTS].remove_item(me, path_id(request), path_id(request, "product_id"))


@api.post(WISHLIST + "share/", body=ShareIn, response=WishlistOut, status=201,
          summary="Share with a user (user_id or username) to view, or to edit with can_edit")
async def share(request: web.Request, me: Principal, body: ShareIn) -> WishlistOut:
    return await request.app[WISHLISTS].share(me, path_id(request), body)


@api.delete(WISHLIST + r"share/{user_id:\d+}/", status=204, summary="Stop sharing with a user")
async def unshare(request: web.Request, me: Principal) -> None:
    await request.app[WISHLISTS].unshare(me, path_id(request), path_id(request, "user_id"))


@api.get("/api/swipe/deck/", roles=["buyer"], query=DeckQuery, response=list[ProductBrief],
         summary="Products to swipe, none you already swiped, your favourite categories first")
async def deck(request: web.Request, me: Principal, query: DeckQuery) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in await request.app[WISHLISTS].deck(me, query.limit)]


@api.post("/api/swipe/", roles=["buyer"], body=SwipeIn, response=SwipeOut, status=201,
          summary="Swipe right (onto wishlist_id, or your default wishlist) or left (hide)")
async def swipe(request: web.Request, me: Principal, body: SwipeIn) -> SwipeOut:
    return await request.app[WISHLISTS].swipe(me, body)
