"""Briefs of a product and a creator as reels, profiles and wishlists show them."""

from __future__ import annotations

from feed.briefs.store import CreatorRow, ProductRow
from feed.schemas import CreatorBrief, ProductBrief
from server.media import media_url


def product_brief(p: ProductRow) -> ProductBrief:
    return ProductBrief(id=p.id, name=p.name, price=p.price, image=media_url(p.image), seller=p.seller_id,
                        stock=p.stock, is_active=p.is_active)


def creator_brief(c: CreatorRow) -> CreatorBrief:
    return CreatorBrief(id=c.id, username=c.username, handle=c.handle, display_name=c.display_name,
                        avatar=media_url(c.avatar), followers_count=c.followers_count)
