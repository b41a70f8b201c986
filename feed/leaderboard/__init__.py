"""The weekly reel leaderboard: likes per week in PostgreSQL, ranked in Redis, pushed when it changes."""
