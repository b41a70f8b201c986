"""The buyer's cart: lines added by the buyer, by an auction win or from a video."""
