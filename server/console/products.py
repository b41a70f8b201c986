"""The seller's products: list with search, create, edit, images, stock, deactivate."""

from __future__ import annotations

from aiohttp import web

from commerce.catalog.keys import CATALOG
from commerce.catalog.schemas import ProductIn, ProductPatch, ProductQuery
from server.api import validate
from server.config import Config
from server.console.web import SELLER, Console, Ctx
from server.errors import InvalidInput

pages = Console()
ONE = r"/console/products/{id:\d+}"


def _image_limit(config: Config) -> dict[str, int]:
    return {"image": config.commerce.max_image_bytes}


@pages.page("/console/products/", roles=SELLER)
async def product_list(ctx: Ctx) -> web.StreamResponse:
    size = ctx.config.console.page_size
    page = ctx.int_query("page")
    search = ctx.request.query.get("search", "").strip()[:100] or None
    query = ProductQuery(search=search, seller=ctx.me.user_id, include_inactive=True, page=page, page_size=size)
    count, products = await ctx.request.app[CATALOG].products(ctx.me, query)
    return await ctx.render("console/products/list.html", products=products, count=count, page=page,
                            pages=max(1, -(-count // size)), search=search or "")


async def _categories(ctx: Ctx) -> list[object]:
    _, items = await ctx.request.app[CATALOG].categories(100, 0)
    return list(items)


@pages.page("/console/products/new", roles=SELLER)
async def new_product(ctx: Ctx) -> web.StreamResponse:
    return await ctx.render("console/products/form.html", product=None, categories=await _categories(ctx))


@pages.action("/console/products/new", roles=SELLER, retry=new_product, files=_image_limit)
async def create_product(ctx: Ctx) -> web.StreamResponse:
    service = ctx.request.app[CATALOG]
    data = validate(ProductIn, _product_fields(ctx))
    product = await service.create_product(ctx.me, data)
    if "image" in ctx.files:
        try:
            await service.add_image(ctx.me, product.id, ctx.files.pop("image"))
        except InvalidInput as exc:
            return await ctx.redirect(f"/console/products/{product.id}",
                                      f"Product created, but its image was refused: {exc.message}", "error")
    return await ctx.redirect(f"/console/products/{product.id}", f"Product “{product.name}” created.")


def _product_fields(ctx: Ctx) -> dict[str, str]:
    return {k: v for k, v in ctx.form.items() if k in ProductIn.model_fields}


@pages.page(ONE, roles=SELLER)
async def edit_product(ctx: Ctx) -> web.StreamResponse:
    service = ctx.request.app[CATALOG]
    product_id = int(ctx.request.match_info["id"])
    await service.require_editable(ctx.me, product_id)  # another seller's product: 403
    product = await service.product(product_id, ctx.me)
    return await ctx.render("console/products/form.html", product=product, categories=await _categories(ctx))


@pages.action(ONE, roles=SELLER, retry=edit_product)
async def update_product(ctx: Ctx) -> web.StreamResponse:
    product_id = int(ctx.request.match_info["id"])
    body = validate(ProductIn, _product_fields(ctx))
    product = await ctx.request.app[CATALOG].update_product(ctx.me, product_id, body)
    return await ctx.redirect(f"/console/products/{product_id}", f"“{product.name}” saved.")


@pages.action(ONE + "/images", roles=SELLER, retry=edit_product, files=_image_limit)
async def add_image(ctx: Ctx) -> web.StreamResponse:
    product_id = int(ctx.request.match_info["id"])
    if "image" not in ctx.files:
        raise InvalidInput("Choose an image file.", fields={"image": ["Choose an image file."]})
    await ctx.request.app[CATALOG].add_image(ctx.me, product_id, ctx.files.pop("image"))
    return await ctx.redirect(f"/console/products/{product_id}", "Image added.")


@pages.action(ONE + "/deactivate", roles=SELLER)
async def deactivate(ctx: Ctx) -> web.StreamResponse:
    product_id = int(ctx.request.match_info["id"])
    await ctx.request.app[CATALOG].deactivate_product(ctx.me, product_id)
    return await ctx.redirect(f"/console/products/{product_id}", "The product is off the catalog; its orders keep it.")


@pages.action(ONE + "/reactivate", roles=SELLER)
async def reactivate(ctx: Ctx) -> web.StreamResponse:
    product_id = int(ctx.request.match_info["id"])
    await ctx.request.app[CATALOG].update_product(ctx.me, product_id, ProductPatch(is_active=True))
    return await ctx.redirect(f"/console/products/{product_id}", "The product is on sale again.")
