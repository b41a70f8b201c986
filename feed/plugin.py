"""The feed package as the app factory sees it: reels, creators, friends, wishlists, the leaderboard."""

from feed.lifecycle import leaderboard_ctx, leaderboard_push_ctx, setup_feed, trending_ctx
from feed.social.routes import api as social_api
from feed.videos.routes import api as videos_api
from feed.wishlists.routes import api as wishlists_api
from server.plugin import Plugin

plugin = Plugin(
    routers=(videos_api, social_api, wishlists_api),
    lifecycles=(leaderboard_ctx, trending_ctx, leaderboard_push_ctx),
    setup=setup_feed,
)
