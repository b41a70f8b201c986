"""Live shows as rooms: room actors, the Redis bridge, chat, presence, livestreams and notifications."""
