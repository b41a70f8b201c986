"""Direct messages between users, pushed live, with blocks."""
