"""Reactions in a show's room, summed across processes."""
