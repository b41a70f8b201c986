"""What a call to Redis raises while Redis is away: one list for every caller that degrades instead of failing."""

from __future__ import annotations

import redis.exceptions

# Down or unreachable, or, on a cluster, the node of a key's slot is, or a slot is between owners longer than
# redis-py's redirects and retries wait (it says ClusterError "TTL exhausted").
REDIS_DOWN: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.ClusterError,
    redis.exceptions.TryAgainError, redis.exceptions.SlotNotCoveredError, OSError, TimeoutError)
