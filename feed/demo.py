"""Demo reels for a fresh `make run`: the default video categories, creator profiles, picture reels that
show the demo products, a collection, and a few follows and likes so the feed and leaderboard show something."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg

from commerce.demo import COLOURS, picture, write_file
from feed.social.store import ensure_profile
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
        categories = {r["slug"]: r["id"] for r in await conn.fetch("SELECT slug, id FROM video_categories")}
        for username, (name, bio) in PROFILES.items():
            await ensure_profile(conn, ids[username])
            await conn.execute("UPDATE creator_profiles SET display_name = $2, bio = $3 WHERE user_id = $1",
                               ids[username], name, bio)
        for i, (username, title, slug, product_name, tags) in enumerate(REELS):
            creator = ids[username]
            if await conn.fetchval("SELECT 1 FROM videos WHERE creator_id = $1 AND title = $2", creator, title):
                continue
            product_id = await conn.fetchval("SELECT id FROM products WHERE name = $1 ORDER BY id LIMIT 1",
                                             product_name)
            relative = f"videos/{creator}/{uuid.uuid4().hex}.png"
            await asyncio.to_thread(write_file, media / relative, picture(title, COLOURS[i % len(COLOURS)]))
            await conn.execute(
                """INSERT INTO videos (creator_id, category_id, content_type, title, image_file, product_id, tags)
                   VALUES ($1, $2, 'IMAGE', $3, $4, $5, $6)""",
                creator, categories[slug], title, relative, product_id, tags,
            )
            await conn.execute("UPDATE creator_profiles SET posts_count = posts_count + 1 WHERE user_id = $1", creator)
        # buyer1 follows both creators (counters kept in step).
        for username in PROFILES:
            followed = await conn.execute(
                "INSERT INTO follows (follower_id, following_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                ids["buyer1"], ids[username],
            )
            if followed == "INSERT 0 1":
                await ensure_profile(conn, ids["buyer1"])
                await conn.execute("UPDATE creator_profiles SET followers_count = followers_count + 1 "
                                   "WHERE user_id = $1", ids[username])
                await conn.execute("UPDATE creator_profiles SET following_count = following_count + 1 "
                                   "WHERE user_id = $1", ids["buyer1"])
