"""Wishlists with sharing, and swipe-to-wishlist."""
