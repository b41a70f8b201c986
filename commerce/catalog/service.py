"""Catalog use cases: who may create and change categories and products, and their shapes."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from commerce.catalog import store
from commerce.catalog.images import accept_image
from commerce.catalog.schemas import (
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    ImageOut,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductQuery,
    SellerBrief,
)
from commerce.catalog.store import Category, Product
from server.accounts import store as accounts_store
from server.config import CommerceConfig
from server.counts import PageCache, bump_version, cached_count, read_counted
from server.db import reading
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.media import MEDIA_URL
from server.tokens import Principal
from server.uploads import discard


@dataclass
class Catalog:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    config: CommerceConfig
    media: Path  # where uploads are kept
    _pages: PageCache = field(init=False)

    def __post_init__(self) -> None:
        self._pages = PageCache(self.config.list_page_cache_s)

    async def _require_verified_seller(self, me: Principal) -> None:
        verified = await accounts_store.seller_verified(self.pool, me.user_id)
        if verified is None:
            raise PermissionDenied("Only sellers can do this.", code="permission_denied")
        if not verified:
            raise PermissionDenied("Your seller account is not verified yet.", code="seller_not_verified")

    async def create_category(self, me: Principal, data: CategoryIn) -> CategoryOut:
        """Admins and verified sellers add categories."""
        if me.role != "admin":
            await self._require_verified_seller(me)
        row = await store.insert_category(self.pool, data.name, data.description, data.image, me.user_id)
        return category_out(row)

    async def category(self, category_id: int) -> CategoryOut:
        return category_out(await self._category_row(category_id))

    async def _category_row(self, category_id: int) -> Category:
        row = await store.fetch_category(self.pool, category_id)
        if row is None:
            raise NotFound(f"No category with id {category_id}.", code="category_not_found")
        return row

    async def _require_category_owner(self, me: Principal, category_id: int) -> None:
        row = await self._category_row(category_id)
        if me.role != "admin" and row.created_by != me.user_id:
            raise PermissionDenied("Only an admin or the seller who created this category can change it.")

    async def replace_category(self, me: Principal, category_id: int, data: CategoryIn) -> CategoryOut:
        await self._require_category_owner(me, category_id)
        await store.update_category(self.pool, category_id, data.model_dump())
        return await self.category(category_id)

    async def update_category(self, me: Principal, category_id: int, data: CategoryPatch) -> CategoryOut:
        """Change the fields sent; name and description cannot be cleared (null)."""
        changes = data.model_dump(exclude_unset=True)
        for name in ("name", "description"):
            if name in changes and changes[name] is None:
                raise InvalidInput(f"{name} cannot be null.", fields={name: ["This field cannot be null."]})
        await self._require_category_owner(me, category_id)
        if changes:
            await store.update_category(self.pool, category_id, changes)
        return await self.category(category_id)

    async def delete_category(self, me: Principal, category_id: int) -> None:
        await self._require_category_owner(me, category_id)
        await store.delete_category(self.pool, category_id)

    async def categories(self, limit: int, offset: int) -> tuple[int, list[CategoryOut]]:
        count, rows = await store.list_categories(reading(self.pool), limit, offset)
        return count, [category_out(r) for r in rows]

    async def create_product(self, me: Principal, data: ProductIn) -> ProductOut:
        """A verified seller lists a product."""
        await self._require_verified_seller(me)
        product_id = await store.insert_product(
            self.pool, me.user_id, data.category, data.name, data.description, data.price, data.stock
        )
        await bump_version(self.redis)
        return await self.product(product_id, me)

    async def product(self, product_id: int, me: Principal | None) -> ProductOut:
        """A product; an inactive one only for its seller and admins."""
        row = await store.fetch_product(reading(self.pool), product_id)
        if row is None or not (row.is_active or _may_edit(me, row)):
            raise NotFound(f"No product with id {product_id}.", code="product_not_found")
        return product_out(row)

    async def require_editable(self, me: Principal, product_id: int) -> None:
        """404 or 403 unless the caller may change the product (checked before reading an upload)."""
        await self._editable(me, product_id)

    async def _editable(self, me: Principal, product_id: int) -> Product:
        row = await store.fetch_product(self.pool, product_id)
        if row is None:
            raise NotFound(f"No product with id {product_id}.", code="product_not_found")
        if not _may_edit(me, row):
            raise PermissionDenied("Only the seller of this product can change it.")
        return row

    async def update_product(self, me: Principal, product_id: int, data: ProductIn | ProductPatch) -> ProductOut:
        """PUT replaces every field, PATCH the ones sent; only the owner (or an admin)."""
        await self._editable(me, product_id)
        fields = data.model_fields_set if isinstance(data, ProductPatch) else set(type(data).model_fields)
        changes: dict[str, Any] = {}
        for name in fields:
            value = getattr(data, name)
            if value is None:
                raise_null(name)
            changes["category_id" if name == "category" else name] = value
        await store.update_product(self.pool, product_id, changes)
        await bump_version(self.redis)
        return await self.product(product_id, me)

    async def deactivate_product(self, me: Principal, product_id: int) -> None:
        """Products are never erased (orders point at them): deleting hides them from the catalog."""
        await self._editable(me, product_id)
        await store.update_product(self.pool, product_id, {"is_active": False})
        await bump_version(self.redis)

    async def products(self, me: Principal | None, q: ProductQuery) -> tuple[int, list[ProductOut]]:
        if q.include_inactive and not (me and (me.role == "admin" or q.seller == me.user_id)):
            raise PermissionDenied("include_inactive is only for your own products (seller=<your id>).")
        filters = store.ProductFilter(search=q.search, category=q.category, seller=q.seller, min_price=q.min_price,
                                      max_price=q.max_price, include_inactive=q.include_inactive)
        # The catalog's version and the total kept for these filters, in one round trip.
        known = await read_counted(self.redis, filters, "catalog")
        key = (known[0] if known else None, filters, q.ordering, q.page_size, q.offset)
        page: tuple[int, list[ProductOut]] | None = self._pages.get(key) if known is not None else None
        if page is None:
            def count_all() -> Awaitable[int]:
                return store.count_products(reading(self.pool), filters)

            # Redis could not say the version: nothing kept is used, and it is not asked twice.
            ttl = self.config.list_count_cache_s
            count = await (count_all() if known is None else
                           cached_count(self.redis, filters, count_all, ttl, known=known))
            rows = await store.page_products(reading(self.pool), filters, q.ordering, q.page_size, q.offset)
            page = count, [product_out(r) for r in rows]
            if known is not None:
                self._pages.put(key, page)
        return page

    async def add_image(self, me: Principal, product_id: int, temp: Path) -> ProductOut:
        """Attach an uploaded image once its content is checked; at most the configured number."""
        try:
            await self._editable(me, product_id)
        except BaseException:
            await discard(temp)
            raise
        stored = await accept_image(temp, self.media, f"products/{product_id}")
        limit = self.config.max_images_per_product
        async with self.pool.acquire() as conn, conn.transaction():
            image_id = await store.insert_image(
                conn, product_id, stored.relative_path, stored.content_type, stored.size, stored.width, stored.height,
                limit,
            )
        if image_id is None:
            await discard(self.media / stored.relative_path)
            raise Conflict(f"A product can have at most {limit} images.", code="too_many_images")
        return await self.product(product_id, me)


def raise_null(name: str) -> None:
    message = "This field cannot be null."
    raise InvalidInput(f"Invalid input: {name}: {message}", fields={name: [message]})


def _may_edit(me: Principal | None, row: Product) -> bool:
    return me is not None and (me.role == "admin" or me.user_id == row.seller_id)


def category_out(row: Category) -> CategoryOut:
    return CategoryOut(id=row.id, name=row.name, description=row.description, image=row.image)


def product_out(row: Product) -> ProductOut:
    """The API shape of a product row with its seller and images."""
    return ProductOut(
        id=row.id,
        seller=row.seller_id,
        seller_details=SellerBrief(
            id=row.seller_id, username=row.seller_username, business_name=row.seller_business_name
        ),
        category=row.category_id,
        name=row.name,
        description=row.description,
        price=row.price,
        stock=row.stock,
        images=[
            ImageOut(id=i["id"], url=MEDIA_URL + i["path"], width=i["width"], height=i["height"])
            for i in row.images
        ],
        is_active=row.is_active,
        created_at=row.created_at,
    )
