"""Livestreams: scheduling, going live on a credit, ending, joining, pinning products."""
