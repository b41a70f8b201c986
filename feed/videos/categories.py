"""Video categories, and the defaults that `python -m server load-video-categories` loads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from feed.media import accept_picture
from feed.schemas import VideoCategoryIn, VideoCategoryOut, VideoCategoryPatch
from feed.videos import store
from feed.videos.store import Category
from server.errors import Conflict, NotFound
from server.media import media_url
from server.sql import Conn
from server.uploads import discard

DEFAULTS = [
    ("Fashion", "fashion", "Outfits, styling and try-ons", "👗"),
    ("Beauty", "beauty", "Make-up, skin and hair care", "💄"),
    ("Jewellery", "jewellery", "Everyday and bridal jewellery", "💍"),
    ("Home", "home", "Decor, kitchen and living", "🏠"),
    ("Electronics", "electronics", "Gadgets, unboxings and reviews", "📱"),
    ("Food", "food", "Recipes, snacks and tasting", "🍲"),
    ("Fitness", "fitness", "Workouts, gear and nutrition", "🏋"),
    ("Kids", "kids", "Toys, clothes and learning", "🧸"),
    ("Handicrafts", "handicrafts", "Handmade and artisan work", "🧵"),
    ("Festive", "festive", "Festivals, gifts and celebrations", "🪔"),
]


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "category"


async def load_defaults(conn: Conn) -> int:
    """Insert the default categories that are missing (by slug or name); returns how many were added."""
    added = 0
    for order, (name, slug, description, emoji) in enumerate(DEFAULTS):
        added += await store.insert_category(conn, name, slug, description, emoji, order=order,
                                             if_missing=True) is not None
    return added


def category_out(row: Category) -> VideoCategoryOut:
    return VideoCategoryOut(id=row.id, name=row.name, slug=row.slug, description=row.description,
                            icon=media_url(row.icon), emoji=row.emoji, order=row.sort_order, is_active=row.is_active)


COLUMNS = {"order": "sort_order"}  # API field -> video_categories column


@dataclass
class Categories:
    pool: asyncpg.Pool
    media: Path  # where icon images are kept

    async def page(self, limit: int, offset: int) -> tuple[int, list[VideoCategoryOut]]:
        total, rows = await store.categories(self.pool, limit, offset)
        return total, [category_out(r) for r in rows]

    async def get(self, category_id: int) -> VideoCategoryOut:
        row = await store.category(self.pool, category_id)
        if row is None:
            raise NotFound(f"No video category with id {category_id}.", code="category_not_found")
        return category_out(row)

    async def create(self, data: VideoCategoryIn) -> VideoCategoryOut:
        try:
            row = await store.insert_category(self.pool, data.name, data.slug or slugify(data.name),
                                              data.description, data.emoji, order=data.order,
                                              is_active=data.is_active)
        except asyncpg.UniqueViolationError:
            row = None
        if row is None:
            raise Conflict(f"A video category named {data.name} (or with that slug) exists.", code="category_exists")
        return category_out(row)

    async def update(self, category_id: int, data: VideoCategoryPatch) -> VideoCategoryOut:
        """Change the fields sent (an admin); a name cannot be cleared."""
        changes = {COLUMNS.get(k, k): getattr(data, k) for k in data.model_fields_set if getattr(data, k) is not None}
        try:
            row = await store.update_category(self.pool, category_id, changes)
        except asyncpg.UniqueViolationError:
            raise Conflict(f"A video category named {data.name} exists.", code="category_exists") from None
        if row is None:
            raise NotFound(f"No video category with id {category_id}.", code="category_not_found")
        return category_out(row)

    async def set_icon(self, category_id: int, temp: Path) -> VideoCategoryOut:
        """Store an uploaded icon image (checked by its content) and drop the one it replaces (an admin)."""
        await self.get(category_id)
        path = await accept_picture(temp, self.media, "video-categories")
        old = await store.replace_category_icon(self.pool, category_id, path)
        if old:
            await discard(self.media / old)
        return await self.get(category_id)
