"""HTTP endpoints of reels: the feed, upload and edit, engagement, comments, reports, video categories and
the weekly leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from feed.categories import Categories
from feed.comments.service import Comments
from feed.keys import LEADERBOARD
from feed.leaderboard import parse_week
from feed.schemas import (
    AddToCartIn,
    AddToCartOut,
    CommentIn,
    CommentOut,
    CommentQuery,
    FeedItemOut,
    FeedQuery,
    LeaderboardQuery,
    LeaderboardRow,
    LikeOut,
    LimitQuery,
    ReportIn,
    ReportOut,
    ReviewIn,
    SaveOut,
    TrackIn,
    VideoCategoryIn,
    VideoCategoryOut,
    VideoOut,
    VideoPatch,
)
from feed.videos.service import Videos
from rooms.keys import BRIDGE
from server.api import ApiRouter, Page, PageQuery, page_of, path_id
from server.keys import CONFIG, DB, REDIS
from server.tokens import Principal
from server.uploads import Form, read_form

api = ApiRouter("reels")
V1 = "/api/v1/shoppable-videos/"
VIDEO = r"/api/v1/shoppable-videos/{id:\d+}/"
ALIAS = r"/api/videos/{id:\d+}/"


def videos(request: web.Request) -> Videos:
    app = request.app
    return Videos(app[DB], app[REDIS], app[BRIDGE], app[CONFIG])


async def reel_form(request: web.Request, service: Videos) -> Form:
    """The form of a reel or a slide: video_file and image_file streamed to disk under their limits."""
    limits = {"video_file": service.config.feed.max_video_bytes, "image_file": service.config.commerce.max_image_bytes}
    return await read_form(request, limits, service.media / "tmp")


def _action(name: str) -> str:
    return VIDEO + name + "/"


@api.get(V1, auth="optional", query=FeedQuery, response=Page[FeedItemOut], aliases=["/api/videos/"],
         summary="The personalized feed (signed in: each call continues the session without repeats)")
async def feed(request: web.Request, me: Principal | None, query: FeedQuery) -> web.Response:
    page, items = await videos(request).feed(me, query.category, query.page_size, query.page)
    return page_of(request, query, page.count, items, more=page.more)


@api.post(V1, upload="video_file", response=VideoOut, status=201, aliases=["/api/videos/"],
          summary="Upload a reel (multipart: content_type VIDEO, IMAGE or COLLECTION, title, video_file and/or "
                  "image_file, category, product, additional_products, tags)")
async def upload(request: web.Request, me: Principal) -> VideoOut:
    service = videos(request)
    form = await reel_form(request, service)
    return await service.upload(me, form)


@api.get(VIDEO, auth="optional", response=VideoOut, aliases=[ALIAS], summary="A reel")
async def get_video(request: web.Request, me: Principal | None) -> VideoOut:
    return await videos(request).get(path_id(request), me)


@api.patch(VIDEO, body=VideoPatch, response=VideoOut, aliases=[ALIAS], summary="Change a reel (its creator)")
async def patch_video(request: web.Request, me: Principal, body: VideoPatch) -> VideoOut:
    return await videos(request).update(me, path_id(request), body)


@api.delete(VIDEO, status=204, aliases=[ALIAS], summary="Delete a reel with its files (its creator or an admin)")
async def delete_video(request: web.Request, me: Principal) -> None:
    await videos(request).delete(me, path_id(request))


@api.post(_action("add-item"), upload="image_file", response=VideoOut, status=201,
          summary="Add a slide to your COLLECTION (multipart: image_file or video_file, product, caption)")
async def add_item(request: web.Request, me: Principal) -> VideoOut:
    service = videos(request)
    form = await reel_form(request, service)
    return await service.add_item(me, path_id(request), form)


@api.post(_action("like"), response=LikeOut, summary="Like or unlike (toggle)")
async def like(request: web.Request, me: Principal) -> LikeOut:
    return await videos(request).like(me, path_id(request), request.app[LEADERBOARD])


@api.post(_action("save_video"), response=SaveOut, summary="Save or unsave (toggle)")
async def save(request: web.Request, me: Principal) -> SaveOut:
    return await videos(request).save(me, path_id(request))


@api.post(_action("view"), auth="optional", summary="Count a view")
async def view(request: web.Request, me: Principal | None) -> dict[str, int]:
    return {"views_count": await videos(request).view(me, path_id(request))}


@api.post(_action("share"), auth="optional", summary="Count a share")
async def share(request: web.Request, me: Principal | None) -> dict[str, int]:
    return {"shares_count": await videos(request).share(me, path_id(request))}


@api.post(_action("track-interaction"), body=TrackIn, status=201,
          summary="Log watch_time, cta_click or scroll_pause with dwell_time in seconds")
async def track(request: web.Request, me: Principal, body: TrackIn) -> dict[str, str]:
    await videos(request).track(me, path_id(request), body)
    return {"status": "recorded"}


@api.post(_action("add_to_cart"), body=AddToCartIn, response=AddToCartOut,
          summary="Put the reel's product (or product_id, one of its products) in your cart")
async def add_to_cart(request: web.Request, me: Principal, body: AddToCartIn) -> AddToCartOut:
    return await videos(request).add_to_cart(me, path_id(request), body)


@api.get(_action("more-like-this"), auth="optional", query=LimitQuery, response=list[VideoOut],
         summary="Reels sharing tags and the category")
async def more_like_this(request: web.Request, me: Principal | None, query: LimitQuery) -> list[dict[str, Any]]:
    return _dump(await videos(request).more_like_this(me, path_id(request), query.limit))


@api.get(_action("also-watched"), auth="optional", query=LimitQuery, response=list[VideoOut],
         summary="Reels engaged with by the people who engaged with this one")
async def also_watched(request: web.Request, me: Principal | None, query: LimitQuery) -> list[dict[str, Any]]:
    return _dump(await videos(request).also_watched(me, path_id(request), query.limit))


def _dump(items: list[VideoOut]) -> list[dict[str, Any]]:
    return [v.model_dump(mode="json") for v in items]


# ---- comments and reports ----

def comments(request: web.Request) -> Comments:
    return Comments(videos(request))


@api.get("/api/v1/video-comments/", auth="optional", query=CommentQuery, response=Page[CommentOut],
         summary="A reel's comments, newest first, each with its first replies")
async def list_comments(request: web.Request, me: Principal | None, query: CommentQuery) -> web.Response:
    total, items = await comments(request).page(me, query.video_id, query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.post("/api/v1/video-comments/", body=CommentIn, response=CommentOut, status=201,
          summary="Comment on a reel, or reply (parent)")
async def create_comment(request: web.Request, me: Principal, body: CommentIn) -> CommentOut:
    return await comments(request).create(me, body)


@api.delete(r"/api/v1/video-comments/{id:\d+}/", status=204,
            summary="Delete a comment (its author, the reel's creator or an admin)")
async def delete_comment(request: web.Request, me: Principal) -> None:
    await comments(request).delete(me, path_id(request))


@api.post("/api/v1/video-reports/", body=ReportIn, response=ReportOut, status=201,
          summary="Report a reel (spam, inappropriate, harassment, misleading, other); enough reports hide it")
async def report(request: web.Request, me: Principal, body: ReportIn) -> ReportOut:
    return await comments(request).report(me, body)


@api.get("/api/admin/video-reports/", roles=["admin"], query=PageQuery,
         summary="Reels with open reports, hidden ones first")
async def reported(request: web.Request, me: Principal, query: PageQuery) -> web.Response:
    total, items = await comments(request).reported(query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.post(r"/api/admin/videos/{id:\d+}/review/", roles=["admin"], body=ReviewIn, status=204,
          summary="Decide on a reported reel: hide (removed) or keep (shown again)")
async def review(request: web.Request, me: Principal, body: ReviewIn) -> None:
    await comments(request).review(me, path_id(request), body.action)


# ---- video categories ----

def categories(request: web.Request) -> Categories:
    return Categories(request.app[DB])


@api.get("/api/v1/shoppable-video-categories/", auth="public", query=PageQuery, response=Page[VideoCategoryOut],
         summary="Video categories by name")
async def list_categories(request: web.Request, query: PageQuery) -> web.Response:
    total, items = await categories(request).page(query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.post("/api/v1/shoppable-video-categories/", roles=["admin"], body=VideoCategoryIn,
          response=VideoCategoryOut, status=201, summary="Add a video category (admins)")
async def create_category(request: web.Request, me: Principal, body: VideoCategoryIn) -> VideoCategoryOut:
    return await categories(request).create(body)


@api.get(r"/api/v1/shoppable-video-categories/{id:\d+}/", auth="public", response=VideoCategoryOut,
         summary="A video category")
async def get_category(request: web.Request) -> VideoCategoryOut:
    return await categories(request).get(path_id(request))


@api.get(r"/api/v1/shoppable-video-categories/{id:\d+}/videos/", auth="optional", query=PageQuery,
         response=Page[VideoOut], summary="A category's reels, newest first")
async def category_videos(request: web.Request, me: Principal | None, query: PageQuery) -> web.Response:
    await categories(request).get(path_id(request))
    total, items = await videos(request).in_category(me, path_id(request), query.page_size, query.offset)
    return page_of(request, query, total, items)


# ---- leaderboard ----

@api.get("/api/leaderboard/reels/", auth="optional", query=LeaderboardQuery, response=list[LeaderboardRow],
         summary="This week's (or ?week=2026-W48) most liked reels; live updates as `leaderboard` on "
                 "/ws/notifications/")
async def leaderboard(request: web.Request, me: Principal | None, query: LeaderboardQuery) -> list[dict[str, Any]]:
    week = parse_week(query.week, datetime.now(UTC))
    return await videos(request).leaderboard(request.app[LEADERBOARD], week, query.limit, me)
