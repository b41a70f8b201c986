"""Selling tools of a live show besides auctions: flash sales (buy-it-now is a flash sale without discount)."""
