"""The seller and admin console: server-rendered pages under /console/."""
