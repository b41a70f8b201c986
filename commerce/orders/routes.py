"""HTTP endpoints of orders: checkout, reading, status changes."""

from __future__ import annotations

import re

from aiohttp import web

from commerce.orders.keys import ORDERS
from commerce.orders.schemas import CheckoutIn, OrderOut, OrderQuery, StatusIn
from server.api import ApiRouter, Page, page_of, path_id
from server.errors import InvalidInput
from server.tokens import Principal

api = ApiRouter("orders")
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")



def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.match(key):
        raise InvalidInput("Idempotency-Key must be 1 to 200 visible ASCII characters.",
                           fields={"Idempotency-Key": ["1 to 200 visible ASCII characters."]})
    return key


@api.post("/api/orders/orders/create/", aliases=["/api/orders/"],
          roles=["buyer"], body=CheckoutIn, response=OrderOut, status=201,
          summary="Check out the cart (one seller's items) into an unpaid order; stock is taken atomically. "
                  "An Idempotency-Key header makes a retry return the same order.")
async def create_order(request: web.Request, me: Principal, body: CheckoutIn) -> web.Response:
    order, created = await request.app[ORDERS].checkout(me.user_id, body, idempotency_key(request))
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return web.Response(body=order.model_dump_json(), status=201, content_type="application/json", headers=headers)


@api.get("/api/orders/orders/", aliases=["/api/orders/"], query=OrderQuery, response=Page[OrderOut],
         summary="Your orders (a buyer's purchases, a seller's sales, all for admins)")
async def list_orders(request: web.Request, me: Principal, query: OrderQuery) -> web.Response:
    scope = {"buyer_id": me.user_id, "seller_id": None}
    if me.role == "seller":
        scope = {"buyer_id": None, "seller_id": me.user_id}
    elif me.role == "admin":
        scope = {"buyer_id": None, "seller_id": None}
    count, items = await request.app[ORDERS].page(**scope, status=query.status, limit=query.page_size,
                                              offset=query.offset)
    return page_of(request, query, count, items)


@api.get("/api/orders/seller/orders/", roles=["seller"], query=OrderQuery, response=Page[OrderOut],
         summary="Orders of your products")
async def seller_orders(request: web.Request, me: Principal, query: OrderQuery) -> web.Response:
    count, items = await request.app[ORDERS].page(buyer_id=None, seller_id=me.user_id, status=query.status,
                                              limit=query.page_size, offset=query.offset)
    return page_of(request, query, count, items)


@api.get(r"/api/orders/orders/{id:\d+}/", aliases=[r"/api/orders/{id:\d+}/"],
         response=OrderOut, summary="An order (its buyer, its seller, admins)")
async def get_order(request: web.Request, me: Principal) -> OrderOut:
    return await request.app[ORDERS].get(me, path_id(request))


@api.post(r"/api/orders/orders/{id:\d+}/status/", body=StatusIn, response=OrderOut,
          summary="Move an order: the seller ships, delivers or cancels (stock returns); the buyer may "
                  "cancel while unpaid")
async def change_status(request: web.Request, me: Principal, body: StatusIn) -> OrderOut:
    return await request.app[ORDERS].change_status(me, path_id(request), body.status, body.note)
