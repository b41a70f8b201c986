"""Comments on reels, reports of reels and their review."""
