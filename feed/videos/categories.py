"""Video categories, and the defaults that `python -m server load-video-categories` loads."""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg

from feed.schemas import VideoCategoryIn, VideoCategoryOut
from feed.videos import store
from feed.videos.store import Category
from server.errors import Conflict, NotFound
from server.sql import Conn

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
    for name, slug, description, icon in DEFAULTS:
        added += await store.insert_category(conn, name, slug, description, icon, if_missing=True) is not None
    return added


def category_out(row: Category) -> VideoCategoryOut:
    return VideoCategoryOut(id=row.id, name=row.name, slug=row.slug, description=row.description,
                            icon=row.icon)


@dataclass
class Categories:
    pool: asyncpg.Pool

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
                                              data.description, data.icon)
        except asyncpg.UniqueViolationError:
            row = None
        if row is None:
            raise Conflict(f"A video category named {data.name} (or with that slug) exists.", code="category_exists")
        return category_out(row)
