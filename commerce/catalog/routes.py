"""HTTP endpoints of the catalog: categories, products, product images."""

from __future__ import annotations

from aiohttp import web

from commerce.catalog.keys import CATALOG
from commerce.catalog.schemas import (
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductQuery,
)
from server.api import ApiRouter, Page, PageQuery, page_of, path_id
from server.keys import CONFIG
from server.tokens import Principal
from server.uploads import receive_upload

api = ApiRouter("catalog")
CATEGORY = r"/api/products/categories/{id:\d+}/"
PRODUCT = r"/api/products/products/{id:\d+}/"
# The e-commerce app's paths (seed 001, DRF style): the same handlers.
SEED_CATEGORIES, SEED_CATEGORY = "/api/categories/", r"/api/categories/{id:\d+}/"
SEED_PRODUCTS, SEED_PRODUCT = "/api/products/", r"/api/products/{id:\d+}/"



@api.get("/api/products/categories/", aliases=[SEED_CATEGORIES],
         auth="public", query=PageQuery, response=Page[CategoryOut], replica=True,
         summary="Categories by name")
async def list_categories(request: web.Request, query: PageQuery) -> web.Response:
    count, items = await request.app[CATALOG].categories(query.page_size, query.offset)
    return page_of(request, query, count, items)


@api.post("/api/products/categories/", aliases=[SEED_CATEGORIES],
          roles=["admin", "seller"], body=CategoryIn, response=CategoryOut,
          status=201, summary="Add a category (admins and verified sellers)")
async def create_category(request: web.Request, me: Principal, body: CategoryIn) -> CategoryOut:
    return await request.app[CATALOG].create_category(me, body)


@api.get(CATEGORY, aliases=[SEED_CATEGORY], auth="public", response=CategoryOut, summary="A category")
async def get_category(request: web.Request) -> CategoryOut:
    return await request.app[CATALOG].category(path_id(request))


@api.put(CATEGORY, aliases=[SEED_CATEGORY], roles=["admin", "seller"], body=CategoryIn, response=CategoryOut,
         summary="Replace a category (an admin, or the seller who created it)")
async def replace_category(request: web.Request, me: Principal, body: CategoryIn) -> CategoryOut:
    return await request.app[CATALOG].replace_category(me, path_id(request), body)


@api.patch(CATEGORY, aliases=[SEED_CATEGORY], roles=["admin", "seller"], body=CategoryPatch, response=CategoryOut,
           summary="Change some fields of a category (an admin, or the seller who created it)")
async def update_category(request: web.Request, me: Principal, body: CategoryPatch) -> CategoryOut:
    return await request.app[CATALOG].update_category(me, path_id(request), body)


@api.delete(CATEGORY, aliases=[SEED_CATEGORY], roles=["admin", "seller"], status=204,
            summary="Delete a category no product uses (an admin, or the seller who created it)")
async def delete_category(request: web.Request, me: Principal) -> None:
    await request.app[CATALOG].delete_category(me, path_id(request))


@api.get("/api/products/products/", aliases=[SEED_PRODUCTS],
         auth="optional", query=ProductQuery, response=Page[ProductOut], replica=True,
         summary="Search and filter active products")
async def list_products(request: web.Request, me: Principal | None, query: ProductQuery) -> web.Response:
    count, items = await request.app[CATALOG].products(me, query)
    return page_of(request, query, count, items)


@api.post("/api/products/products/", aliases=[SEED_PRODUCTS],
          roles=["seller"], body=ProductIn, response=ProductOut, status=201,
          summary="List a product (verified sellers)")
async def create_product(request: web.Request, me: Principal, body: ProductIn) -> ProductOut:
    return await request.app[CATALOG].create_product(me, body)


@api.get(PRODUCT, aliases=[SEED_PRODUCT], auth="optional", response=ProductOut, replica=True, summary="A product")
async def get_product(request: web.Request, me: Principal | None) -> ProductOut:
    return await request.app[CATALOG].product(path_id(request), me)


@api.put(PRODUCT, aliases=[SEED_PRODUCT], body=ProductIn, response=ProductOut, summary="Replace a product (its seller)")
async def replace_product(request: web.Request, me: Principal, body: ProductIn) -> ProductOut:
    return await request.app[CATALOG].update_product(me, path_id(request), body)


@api.patch(PRODUCT, aliases=[SEED_PRODUCT],
           body=ProductPatch, response=ProductOut, summary="Change some fields of a product (its seller)")
async def patch_product(request: web.Request, me: Principal, body: ProductPatch) -> ProductOut:
    return await request.app[CATALOG].update_product(me, path_id(request), body)


@api.delete(PRODUCT, aliases=[SEED_PRODUCT],
            status=204, summary="Take a product off the catalog (its seller); orders keep it")
async def delete_product(request: web.Request, me: Principal) -> None:
    await request.app[CATALOG].deactivate_product(me, path_id(request))


@api.post(r"/api/products/products/{id:\d+}/images/", upload="file", response=ProductOut, status=201,
          summary="Add an image (JPEG, PNG or WebP, checked by content) to a product (its seller)")
async def upload_image(request: web.Request, me: Principal) -> ProductOut:
    service = request.app[CATALOG]
    product_id = path_id(request)
    await service.require_editable(me, product_id)
    temp = await receive_upload(request, "file", service.media / "tmp", request.app[CONFIG].commerce.max_image_bytes)
    return await service.add_image(me, product_id, temp)
