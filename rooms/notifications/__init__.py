"""Notifications: stored in PostgreSQL, pushed live to the user's /ws/notifications/ sockets on every process."""
