"""Orders: checkout that takes stock atomically, status transitions, tracking and expiry of unpaid orders."""
