"""The feed's background work: trending scores, leaderboard pushes, and friends' presence on sockets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from feed.events import LeaderboardChanged
from feed.keys import LEADERBOARD
from feed.leaderboard.service import BROADCAST_ROOM, Leaderboard
from feed.social.keys import SOCIAL
from feed.videos import store as videos_store
from feed.videos.keys import VIDEOS
from rooms.keys import BRIDGE, HUB, PRESENCE
from rooms.names import prefix
from server.background import periodic
from server.keys import CONFIG, DB, REDIS
from server.tokens import Principal

log = logging.getLogger(__name__)
TREND_LOCK_KEY = "feed:trending:lock"


async def leaderboard_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the process's leaderboard (its scripts registered once)."""
    app[LEADERBOARD] = Leaderboard(app[REDIS])
    yield


async def trending_step(app: web.Application) -> None:
    """Recompute trend scores: one process per interval does it (a full pass costs seconds at 100,000 reels)."""
    config = app[CONFIG].feed
    if not await app[REDIS].set(TREND_LOCK_KEY, "1", px=max(1, int(config.trend_interval_s * 1000)), nx=True):
        return
    async with app[DB].acquire() as conn:
        changed = await videos_store.refresh_trending(conn, config.trend_window_s)
    if changed:
        log.debug("trend scores of %d videos changed", changed)


async def leaderboard_step(app: web.Application) -> None:
    """Push the changed week's top list to every notification socket, at most once per interval overall."""
    config = app[CONFIG].feed
    week = await app[LEADERBOARD].take_change(config.leaderboard_push_s)
    if week is not None:
        # Every notification socket gets this once a second: rows carry a brief of each video, not all of it.
        rows = await app[VIDEOS].leaderboard(app[LEADERBOARD], week, config.leaderboard_size, brief=True)
        await app[BRIDGE].emit(BROADCAST_ROOM, LeaderboardChanged.model_validate({"week": week, "results": rows}))


trending_ctx = periodic("trending", lambda app: app[CONFIG].feed.trend_interval_s, trending_step)
leaderboard_push_ctx = periodic("leaderboard-push", lambda app: app[CONFIG].feed.leaderboard_push_s,
                                leaderboard_step)


async def on_user_socket(app: web.Application, user: Principal, online: bool) -> None:
    """A notification socket opened (subscribe this process to leaderboard broadcasts; tell friends if the
    user just came online) or the user's last one here closed (tell friends if now offline)."""
    presence, social = app[PRESENCE], app[SOCIAL]
    if online:
        await app[HUB].relay(BROADCAST_ROOM, prefix("user"))
        if await presence.came_online(user.user_id):
            await social.announce_presence(user, True)
    elif app[HUB].sockets_of(user.user_id) == 0 and await presence.went_offline(user.user_id):
        await social.announce_presence(user, False)
