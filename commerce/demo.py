"""Demo catalog for a fresh `make run`: categories and the demo seller's products, with images."""

from __future__ import annotations

import asyncio
import io
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
from PIL import Image, ImageDraw

from commerce.catalog import store

CATEGORIES = [
    ("Sarees", "Silk, cotton and handloom sarees"),
    ("Kurtas", "Everyday and festive kurtas"),
    ("Jewellery", "Handmade jewellery"),
    ("Home decor", "Brass, wood and textiles for the home"),
]
PRODUCTS = [
    ("Sarees", "Banarasi silk saree, ruby red", "Pure silk with zari border; blouse piece included.", "4999.00", 12),
    ("Sarees", "Chanderi cotton saree, mint", "Light and airy for summer days.", "1899.00", 25),
    ("Kurtas", "Block-printed cotton kurta", "Hand block printed in Jaipur.", "899.00", 40),
    ("Kurtas", "Chikankari kurta, white", "Lucknowi hand embroidery on georgette.", "1499.00", 18),
    ("Jewellery", "Oxidised silver jhumkas", "Lightweight, with a hook closure.", "349.00", 60),
    ("Jewellery", "Kundan choker set", "Choker with matching earrings.", "2299.00", 8),
    ("Home decor", "Brass diya set of 4", "Hand-cast brass, for festive evenings.", "599.00", 30),
    ("Home decor", "Kantha throw", "Vintage cotton, hand quilted.", "1299.00", 10),
]
COLOURS = [(178, 34, 52), (46, 139, 87), (218, 165, 32), (70, 90, 160)]


def picture(text: str, colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (480, 480), colour)
    ImageDraw.Draw(image).text((24, 220), text[:40], fill=(255, 255, 255))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def seed_catalog(pool: asyncpg.Pool, ids: dict[str, int], media: Path) -> None:
    """Create the demo categories and products if missing (matched by name), each with one image."""
    seller_id, admin_id = ids["seller1"], ids["admin"]
    async with pool.acquire() as conn, conn.transaction():
        category_ids: dict[str, int] = {}
        for name, description in CATEGORIES:
            category_ids[name] = await store.ensure_category(conn, name, description, admin_id)
        for i, (category, name, description, price, stock) in enumerate(PRODUCTS):
            if await store.seller_has_product(conn, seller_id, name):
                continue
            product_id = await store.insert_product(conn, seller_id, category_ids[category], name, description,
                                                    Decimal(price), stock)
            relative = f"products/{product_id}/{uuid.uuid4().hex}.png"
            data = picture(name, COLOURS[i % len(COLOURS)])
            await asyncio.to_thread(write_file, media / relative, data)
            await store.insert_image(conn, product_id, relative, "image/png", len(data), 480, 480, limit=1)
