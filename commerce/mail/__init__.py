"""Outgoing e-mail: an outbox written with the events, sent over SMTP (or to a folder in development)."""
