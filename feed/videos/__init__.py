"""Shoppable reels: upload, engagement, add to cart from a reel, video categories."""
