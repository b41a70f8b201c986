"""The personalized feed: the store's data through the engine's stages, and the session that keeps a
user from seeing a video twice."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import redis.asyncio as aioredis

from feed.engine import rules, store
from feed.engine.session import Session
from feed.social import store as social_store
from server.config import FeedConfig
from server.counts import cached_count
from server.tokens import Principal

TOP_CATEGORIES = 5
TOP_TAGS = 10
COUNT_SCOPE = "reels"  # the cached total of active reels; uploads, deletes and hidden reels bump it


@dataclass
class FeedPage:
    ids: list[int]
    sources: dict[int, str]
    count: int
    more: bool


@dataclass
class Engine:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    config: FeedConfig
    session: Session = field(init=False)

    def __post_init__(self) -> None:
        self.session = Session(self.redis, self.config.session_ttl_s)

    async def profile(self, user_id: int, now: datetime) -> tuple[rules.Profile, set[int]]:
        """Stage 1 for a user, and the videos the session has already shown."""
        seen, session_categories = await self.session.read(user_id)
        since = now - timedelta(days=self.config.profile_days)
        async with self.pool.acquire() as conn:
            signals = await store.signals(conn, user_id, since)
            follows = await social_store.following_ids(conn, user_id)
        return rules.build_profile(signals, follows, session_categories, now), seen

    async def page(self, me: Principal | None, only_category: int | None, size: int, page: int) -> FeedPage:
        """A page of the feed. Signed in: the next videos not yet shown in this session (the page number
        does not matter; each call continues). Signed out: one fixed pool of trending and recent videos
        in a fixed order (a seeded ranking), paged by number."""
        now = datetime.now(UTC)
        seen: set[int]
        if me is None:
            profile, seen, rng = rules.Profile(), set(), random.Random(0)
            wanted, per_source = size * page, self.config.candidates_per_source
        else:
            profile, seen = await self.profile(me.user_id, now)
            rng, wanted, per_source = random.Random(), size, max(self.config.candidates_per_source, size)
        async with self.pool.acquire() as conn:
            found = await store.candidates(
                conn, categories=profile.top_categories(TOP_CATEGORIES), tags=profile.top_tags(TOP_TAGS),
                follows=sorted(profile.follows), seen=sorted(seen), only_category=only_category,
                per_source=per_source,
            )
        total = await cached_count(self.redis, only_category, lambda: store.active_count(self.pool, only_category),
                                   self.config.count_cache_s, scope=COUNT_SCOPE)
        ranked = rules.rank(rules.merge_candidates([found]), profile, now, rng)
        mixed = rules.mix(rules.buckets(ranked, profile, rng), wanted)
        if me is None:
            chosen = mixed[size * (page - 1):]
            return FeedPage([c.id for c, _ in chosen], {c.id: b for c, b in chosen}, total,
                            more=len(chosen) == size and len(ranked) > size * page)
        ids = [c.id for c, _ in mixed]
        sources = {c.id: b for c, b in mixed}
        if len(ids) < size and total > 0:
            # Every reel was shown in this session: start over with those shown longest ago, so the feed
            # never runs dry while there is anything to show.
            oldest = await self.session.longest_ago(me.user_id, (size - len(ids)) * 4)
            async with self.pool.acquire() as conn:
                again = await store.active_among(conn, [i for i in oldest if i not in sources], only_category)
            for video_id in again[:size - len(ids)]:
                ids.append(video_id)
                sources[video_id] = "repeat"
        await self.session.seen(me.user_id, ids)
        count = max(0, total - len(seen))
        return FeedPage(ids, sources, max(count, len(ids)), more=len(ids) > 0)
