"""Access that ends at once: a per-user mark (deactivation) and per-token-family marks (logout, a reused refresh
token) in Redis, checked on every authenticated request and socket frame (each answer cached for at most a second
per process), and a channel that tells every process to close the sockets concerned."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from server.errors import NotAuthenticated
from server.redis_errors import REDIS_DOWN
from server.tokens import Principal

log = logging.getLogger(__name__)
CHANNEL = "auth:revoked"
CACHE_S = 1.0
CLOSE_CODE = 4401  # the WebSocket close code of a socket whose access ended (documented in the README)


@dataclass(frozen=True)
class Revoked:
    """What a revocation message names: a user's every token, or one token family of theirs."""

    user_id: int
    family: str | None = None

    def covers(self, who: Principal) -> bool:
        return who.user_id == self.user_id and (self.family is None or who.family == self.family)


@dataclass
class Revocations:
    redis: aioredis.Redis
    access_ttl_s: int  # a mark outlives every token issued before it, then goes
    _cache: dict[tuple[int, str | None], tuple[float, int, bool]] = field(default_factory=dict)

    async def revoke_user(self, user_id: int) -> None:
        """Every token of the user issued until now stops working, on every process, within a second."""
        await self.redis.set(_user_key(user_id), str(int(time.time())), ex=self.access_ttl_s)
        await self._announce(Revoked(user_id))

    async def revoke_family(self, user_id: int, family: str) -> None:
        """The access tokens of one sign-in (a refresh token family) stop working."""
        await self.redis.set(_family_key(user_id, family), "1", ex=self.access_ttl_s)
        await self._announce(Revoked(user_id, family))

    def forget(self, user_id: int) -> None:
        """Drop this process's cached answers for the user (the next check reads Redis)."""
        self._cache = {k: v for k, v in self._cache.items() if k[0] != user_id}

    async def _announce(self, revoked: Revoked) -> None:
        self.forget(revoked.user_id)
        await self.redis.publish(CHANNEL, json.dumps({"user_id": revoked.user_id, "family": revoked.family}))

    async def check(self, who: Principal) -> None:
        """NotAuthenticated (token_revoked) if the token was issued before its user's mark or its family was
        revoked. A session's principal (no token) is ended with its session instead."""
        if who.issued_at is None:
            return
        key = (who.user_id, who.family)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is None or cached[0] <= now:
            try:
                mark, family = await self.redis.mget(
                    [_user_key(who.user_id), _family_key(who.user_id, who.family or "-")])
            except REDIS_DOWN as exc:
                # Fail open while Redis is away: what PostgreSQL serves stays up, and the marks (in Redis) apply
                # again when it returns; refresh tokens are revoked in PostgreSQL regardless.
                log.warning("revocation check skipped, Redis unavailable: %r", exc)
                return
            if len(self._cache) > 10_000:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            cached = (now + CACHE_S, int(mark) if mark is not None else -1, family is not None)
            self._cache[key] = cached
        _, mark_at, family_revoked = cached
        if family_revoked or who.issued_at <= mark_at:
            raise NotAuthenticated("This sign-in has ended; sign in again.", code="token_revoked")


# A user's marks share the user as their hash tag: one MGET reads both, on a Redis Cluster too.
def _user_key(user_id: int) -> str:
    return f"revoked:{{{user_id}}}:user"


def _family_key(user_id: int, family: str) -> str:
    return f"revoked:{{{user_id}}}:family:{family}"


def parse_revoked(raw: bytes | str) -> Revoked | None:
    """A message of the channel, or None if it is not one."""
    try:
        data = json.loads(raw)
        return Revoked(int(data["user_id"]), data.get("family"))
    except (ValueError, KeyError, TypeError):
        return None
