"""Chat in live rooms: messages, rate limits, slow mode, blocked words, and moderation."""
