"""HTTP endpoint of invoices: an order's PDF."""

from __future__ import annotations

from aiohttp import web

from commerce.invoices.keys import INVOICES
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("orders")


@api.get(r"/api/orders/orders/{id:\d+}/invoice/", aliases=[r"/api/orders/{id:\d+}/invoice/"],
         conflicts=["invoice_not_available"],
         summary="The PDF invoice of a paid order (its buyer, its seller, admins); 409 before payment")
async def invoice(request: web.Request, me: Principal) -> web.FileResponse:
    order_id = path_id(request)
    path = await request.app[INVOICES].pdf(me, order_id)
    return web.FileResponse(path, headers={
        "Content-Type": "application/pdf",
        "Content-Disposition": f'inline; filename="{path.name}"',
        "Cache-Control": "private, max-age=3600",
    })
