"""Creators, follows and friends."""
