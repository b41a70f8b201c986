"""The post-show report: what a show drew and sold."""
