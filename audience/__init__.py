"""The audience around a show: reactions, polls, direct messages and the post-show report."""
