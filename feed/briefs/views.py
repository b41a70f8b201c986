"""Briefs of a product and a creator as reels, profiles and wishlists show them."""

from __future__ import annotations

import asyncpg

from feed.schemas import CreatorBrief, ProductBrief
from server.media import media_url


def product_brief(row: asyncpg.Record) -> ProductBrief:
    """A product row selected with briefs.store.PRODUCT_BRIEF."""
    return ProductBrief(id=row["id"], name=row["name"], price=row["price"], image=media_url(row["image"]),
                        seller=row["seller_id"], stock=row["stock"], is_active=row["is_active"])


def creator_brief(row: asyncpg.Record, id_column: str = "id") -> CreatorBrief:
    """A creator from a row with the user's name and profile columns."""
    return CreatorBrief(id=row[id_column], username=row["username"], handle=row["handle"],
                        display_name=row["display_name"], avatar=media_url(row["avatar"]),
                        followers_count=row["followers_count"])
