"""HTTP endpoints of the cart."""

from __future__ import annotations

from aiohttp import web

from commerce.cart.keys import CART
from commerce.cart.schemas import CartAdd, CartOut, CartRemove, CartUpdate
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("cart")



@api.get("/api/orders/cart/", aliases=["/api/cart/"], roles=["buyer"], response=CartOut,
         summary="The cart and its total")
async def view_cart(request: web.Request, me: Principal) -> CartOut:
    return await request.app[CART].view(me.user_id)


@api.post("/api/orders/cart/add/", aliases=["/api/cart/"], roles=["buyer"], body=CartAdd, response=CartOut,
          summary="Add units of a product (409 out_of_stock past the stock)")
async def add_to_cart(request: web.Request, me: Principal, body: CartAdd) -> CartOut:
    return await request.app[CART].add(me.user_id, body.product_id, body.quantity)


@api.post("/api/orders/cart/update/", roles=["buyer"], body=CartUpdate, response=CartOut,
          summary="Set the quantity of a line you added (0 removes it)")
async def update_cart(request: web.Request, me: Principal, body: CartUpdate) -> CartOut:
    return await request.app[CART].update(me.user_id, body.product_id, body.quantity)


@api.delete("/api/orders/cart/remove/", roles=["buyer"], body=CartRemove, response=CartOut,
            conflicts=["won_item_locked"], summary="Remove a product's lines from the cart")
async def remove_from_cart(request: web.Request, me: Principal, body: CartRemove) -> CartOut:
    return await request.app[CART].remove(me.user_id, body.product_id, body.source)


@api.delete(r"/api/cart/{id:\d+}/", roles=["buyer"], response=CartOut, conflicts=["won_item_locked"],
            summary="Remove one line of your cart by its id (the e-commerce app's path)")
async def remove_cart_line(request: web.Request, me: Principal) -> CartOut:
    return await request.app[CART].remove_line(me.user_id, path_id(request))
