"""What reels, profiles and wishlists show of a product or a creator: one brief each, one SQL fragment."""
