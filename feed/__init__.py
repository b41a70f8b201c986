"""Reels, engagement, follows and friends, the recommendation engine, wishlists, swipe, leaderboard."""
