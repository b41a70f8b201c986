"""The personalized feed: candidates, profile, scoring and mixing as plain functions; the session."""
