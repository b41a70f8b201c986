"""Demo reels for a fresh `make run`: the default video categories, creator profiles, picture reels that
show the demo products, a collection, and a few follows and likes so the feed and leaderboard show something."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg

from commerce.catalog import store as catalog_store
from commerce.demo import COLOURS, picture, write_file
from feed.social import store as social_store
from feed.videos import store as videos_store
from feed.videos.categories import load_defaults

# (creator, title, video category slug, product name, tags)
REELS = [
    ("seller1", "Draping a Banarasi in 60 seconds", "fashion", "Banarasi silk saree, ruby red", ["saree", "silk"]),
    ("seller1", "Summer in Chanderi", "fashion", "Chanderi cotton saree, mint", ["saree", "cotton", "summer"]),
    ("creator1", "Block printing, start to finish", "handicrafts", "Block-printed cotton kurta", ["kurta", "handmade"]),
    ("creator1", "Chikankari up close", "fashion", "Chikankari kurta, white", ["kurta", "embroidery"]),
    ("creator1", "Jhumkas for every day", "jewellery", "Oxidised silver jhumkas", ["jhumka", "silver"]),
    ("seller1", "Kundan for the wedding season", "jewellery", "Kundan choker set", ["kundan", "wedding"]),
    ("creator1", "A Diwali corner with brass", "festive", "Brass diya set of 4", ["diwali", "brass", "decor"]),
    ("seller1", "Styling a kantha throw", "home", "Kantha throw", ["decor", "handmade"]),
]
PROFILES = {
    "seller1": ("Seller One Boutique", "Handloom sarees and jewellery, live every evening."),
    "creator1": ("Creator One", "Crafts, kurtas and festive decor from across India."),
}


async def seed_reels(pool: asyncpg.Pool, ids: dict[str, int], media: Path) -> None:
    """Create the demo reels if missing (matched by creator and title); safe to run again."""
    async with pool.acquire() as conn, conn.transaction():
        await load_defaults(conn)
        categories = await videos_store.category_ids_by_slug(conn)
        for username, (name, bio) in PROFILES.items():
            await social_store.ensure_profile(conn, ids[username])
            await social_store.update_profile(conn, ids[username], {"display_name": name, "bio": bio})
        for i, (username, title, slug, product_name, tags) in enumerate(REELS):
            creator = ids[username]
            if await videos_store.creator_has_video(conn, creator, title):
                continue
            product_id = await catalog_store.product_named(conn, product_name)
            relative = f"videos/{creator}/{uuid.uuid4().hex}.png"
            await asyncio.to_thread(write_file, media / relative, picture(title, COLOURS[i % len(COLOURS)]))
            await videos_store.insert(conn, creator, {
                "category": categories[slug], "content_type": "IMAGE", "title": title, "description": "",
                "image_file": relative, "product": product_id, "tags": tags,
            })
            await social_store.bump_posts(conn, creator, 1)
        # buyer1 follows both creators (counters kept in step).
        for username in PROFILES:
            if await social_store.follow(conn, ids["buyer1"], ids[username]):
                await social_store.ensure_profile(conn, ids["buyer1"])
                await social_store.bump_follow_counts(conn, ids["buyer1"], ids[username], 1)
