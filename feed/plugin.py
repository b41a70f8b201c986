"""The feed package as the app factory sees it, and its composition root: reels, categories, comments,
creators, friends, wishlists, the feed engine and the leaderboard."""

from __future__ import annotations

from aiohttp import web

from commerce.cart.keys import CART
from feed.comments.keys import COMMENTS
from feed.comments.routes import api as comments_api
from feed.comments.service import Comments
from feed.engine.service import Engine
from feed.lifecycle import leaderboard_ctx, leaderboard_push_ctx, on_user_socket, trending_ctx
from feed.social.keys import SOCIAL
from feed.social.routes import api as social_api
from feed.social.service import Social
from feed.videos.categories import Categories
from feed.videos.keys import CATEGORIES, VIDEOS
from feed.videos.routes import api as videos_api
from feed.videos.service import Videos
from feed.wishlists.keys import WISHLISTS
from feed.wishlists.routes import api as wishlists_api
from feed.wishlists.service import Wishlists
from rooms.keys import BRIDGE, USER_SOCKET_HOOKS
from server.config import media_path
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin


def build(app: web.Application) -> None:
    config = app[CONFIG]
    pool, redis, bridge, media = app[DB], app[REDIS], app[BRIDGE], media_path(config)
    videos = Videos(pool, redis, bridge, config.feed, media, Engine(pool, redis, config.feed), app[CART],
                    config.commerce.max_image_bytes)
    app[VIDEOS] = videos
    app[CATEGORIES] = Categories(pool, media)
    app[COMMENTS] = Comments(videos)
    app[SOCIAL] = Social(pool, bridge, config.feed, media, lambda user_id: videos.session.touch(user_id, None))
    app[WISHLISTS] = Wishlists(pool, bridge)


def setup(app: web.Application) -> None:
    app.setdefault(USER_SOCKET_HOOKS, []).append(on_user_socket)


plugin = Plugin(
    routers=(videos_api, comments_api, social_api, wishlists_api),
    lifecycles=(leaderboard_ctx, trending_ctx, leaderboard_push_ctx),
    setup=setup,
    build=build,
)
