"""The SQL fragment of a product brief, shared by the stores of reels, creators and wishlists."""

from __future__ import annotations

# The columns of briefs.views.product_brief, from `products p`.
PRODUCT_BRIEF = """p.id, p.name, p.price, p.stock, p.is_active, p.seller_id,
    (SELECT i.path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) AS image"""
