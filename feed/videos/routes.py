"""HTTP endpoints of reels: the feed, upload and edit, engagement, a creator's reels, video categories and
the weekly leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from feed.keys import LEADERBOARD
from feed.leaderboard.service import parse_week
from feed.schemas import (
    AddToCartIn,
    AddToCartOut,
    FeedItemOut,
    FeedQuery,
    LeaderboardQuery,
    LeaderboardRow,
    LikeOut,
    LimitQuery,
    SaveOut,
    TrackIn,
    VideoCategoryIn,
    VideoCategoryOut,
    VideoCategoryPatch,
    VideoOut,
    VideoPatch,
)
from feed.social.keys import SOCIAL
from feed.videos.keys import CATEGORIES, VIDEOS
from feed.videos.service import Videos
from server.api import ApiRouter, Page, PageQuery, page_of, path_id
from server.keys import CONFIG
from server.tokens import Principal
from server.uploads import Form, read_form, receive_upload

api = ApiRouter("reels")
V1 = "/api/v1/shoppable-videos/"
VIDEO = r"/api/v1/shoppable-videos/{id:\d+}/"
ALIAS = r"/api/videos/{id:\d+}/"




async def reel_form(request: web.Request, service: Videos) -> Form:
    """The form of a reel or a slide: video_file and image_file streamed to disk under their limits."""
    config = request.app[CONFIG]
    limits = {"video_file": config.feed.max_video_bytes, "image_file": config.commerce.max_image_bytes,
              "file": max(config.feed.max_video_bytes, config.commerce.max_image_bytes)}
    return await read_form(request, limits, service.media / "tmp")


def _action(name: str) -> str:
    return VIDEO + name + "/"


@api.get(V1, auth="optional", query=FeedQuery, response=Page[FeedItemOut], aliases=["/api/videos/"], replica=True,
         summary="The personalized feed (signed in: each call continues the session without repeats)")
async def feed(request: web.Request, me: Principal | None, query: FeedQuery) -> web.Response:
    page, items = await request.app[VIDEOS].feed(me, query.category, query.page_size, query.page)
    return page_of(request, query, page.count, items, more=page.more)


@api.post(V1, upload="video_file", response=VideoOut, status=201, aliases=["/api/videos/"],
          summary="Upload a reel (multipart: content_type VIDEO, IMAGE or COLLECTION, title, video_file and/or "
                  "image_file, category, product, additional_products, tags)")
async def upload(request: web.Request, me: Principal) -> VideoOut:
    service = request.app[VIDEOS]
    form = await reel_form(request, service)
    return await service.upload(me, form)


@api.get(VIDEO, auth="optional", response=VideoOut, aliases=[ALIAS], replica=True, summary="A reel")
async def get_video(request: web.Request, me: Principal | None) -> VideoOut:
    return await request.app[VIDEOS].get(path_id(request), me)


@api.patch(VIDEO, body=VideoPatch, response=VideoOut, aliases=[ALIAS], summary="Change a reel (its creator)")
async def patch_video(request: web.Request, me: Principal, body: VideoPatch) -> VideoOut:
    return await request.app[VIDEOS].update(me, path_id(request), body)


@api.delete(VIDEO, status=204, aliases=[ALIAS], summary="Delete a reel with its files (its creator or an admin)")
async def delete_video(request: web.Request, me: Principal) -> None:
    await request.app[VIDEOS].delete(me, path_id(request))


@api.post(_action("add-item"), upload="image_file", response=VideoOut, status=201,
          summary="Add a slide to your COLLECTION (multipart: file, an image or a video, or image_file or "
                  "video_file; product, caption, order)")
async def add_item(request: web.Request, me: Principal) -> VideoOut:
    service = request.app[VIDEOS]
    form = await reel_form(request, service)
    return await service.add_item(me, path_id(request), form)


@api.post(_action("like"), response=LikeOut, summary="Like or unlike (toggle)")
async def like(request: web.Request, me: Principal) -> LikeOut:
    return await request.app[VIDEOS].like(me, path_id(request), request.app[LEADERBOARD])


@api.post(_action("save_video"), response=SaveOut, summary="Save or unsave (toggle)")
async def save(request: web.Request, me: Principal) -> SaveOut:
    return await request.app[VIDEOS].save(me, path_id(request))


@api.post(_action("view"), auth="optional", summary="Count a view")
async def view(request: web.Request, me: Principal | None) -> dict[str, int]:
    return {"views_count": await request.app[VIDEOS].view(me, path_id(request))}


@api.post(_action("share"), auth="optional", summary="Count a share")
async def share(request: web.Request, me: Principal | None) -> dict[str, int]:
    return {"shares_count": await request.app[VIDEOS].share(me, path_id(request))}


@api.post(_action("track-interaction"), body=TrackIn, status=201,
          summary="Log watch_time, cta_click or scroll_pause with dwell_time in seconds")
async def track(request: web.Request, me: Principal, body: TrackIn) -> dict[str, str]:
    await request.app[VIDEOS].track(me, path_id(request), body)
    return {"status": "recorded"}


@api.post(_action("add_to_cart"), roles=["buyer"], body=AddToCartIn, response=AddToCartOut,
          summary="Put the reel's product (or product_id, one of its products) in your cart")
async def add_to_cart(request: web.Request, me: Principal, body: AddToCartIn) -> AddToCartOut:
    return await request.app[VIDEOS].add_to_cart(me, path_id(request), body)


@api.get(_action("more-like-this"), auth="optional", query=LimitQuery, response=list[VideoOut],
         summary="Reels sharing tags and the category")
async def more_like_this(request: web.Request, me: Principal | None, query: LimitQuery) -> list[dict[str, Any]]:
    return _dump(await request.app[VIDEOS].more_like_this(me, path_id(request), query.limit))


@api.get(_action("also-watched"), auth="optional", query=LimitQuery, response=list[VideoOut],
         summary="Reels engaged with by the people who engaged with this one")
async def also_watched(request: web.Request, me: Principal | None, query: LimitQuery) -> list[dict[str, Any]]:
    return _dump(await request.app[VIDEOS].also_watched(me, path_id(request), query.limit))


def _dump(items: list[VideoOut]) -> list[dict[str, Any]]:
    return [v.model_dump(mode="json") for v in items]


# ---- video categories ----



@api.get("/api/v1/shoppable-video-categories/", auth="public", query=PageQuery, response=Page[VideoCategoryOut],
         summary="The listed video categories, by their order, then by name (inactive ones are left out)")
async def list_categories(request: web.Request, query: PageQuery) -> web.Response:
    total, items = await request.app[CATEGORIES].page(query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.post("/api/v1/shoppable-video-categories/", roles=["admin"], body=VideoCategoryIn,
          response=VideoCategoryOut, status=201, summary="Add a video category (admins)")
async def create_category(request: web.Request, me: Principal, body: VideoCategoryIn) -> VideoCategoryOut:
    return await request.app[CATEGORIES].create(body)


@api.get(r"/api/v1/shoppable-video-categories/{id:\d+}/", auth="public", response=VideoCategoryOut,
         summary="A video category")
async def get_category(request: web.Request) -> VideoCategoryOut:
    return await request.app[CATEGORIES].get(path_id(request))


@api.patch(r"/api/v1/shoppable-video-categories/{id:\d+}/", roles=["admin"], body=VideoCategoryPatch,
           response=VideoCategoryOut, summary="Change a video category: name, emoji, order, listed or not (admins)")
async def update_category(request: web.Request, me: Principal, body: VideoCategoryPatch) -> VideoCategoryOut:
    return await request.app[CATEGORIES].update(path_id(request), body)


@api.post(r"/api/v1/shoppable-video-categories/{id:\d+}/icon/", roles=["admin"], upload="icon",
          response=VideoCategoryOut, status=201,
          summary="Upload a category's icon image (multipart 'icon': JPEG, PNG or WebP; admins)")
async def upload_category_icon(request: web.Request, me: Principal) -> VideoCategoryOut:
    categories = request.app[CATEGORIES]
    await categories.get(path_id(request))
    temp = await receive_upload(request, "icon", categories.media / "tmp", request.app[CONFIG].commerce.max_image_bytes)
    return await categories.set_icon(path_id(request), temp)


@api.get(r"/api/v1/shoppable-video-categories/{id:\d+}/videos/", auth="optional", query=PageQuery,
         response=Page[VideoOut], replica=True, summary="A category's reels, newest first")
async def category_videos(request: web.Request, me: Principal | None, query: PageQuery) -> web.Response:
    await request.app[CATEGORIES].get(path_id(request))
    total, items = await request.app[VIDEOS].in_category(me, path_id(request), query.page_size, query.offset)
    return page_of(request, query, total, items)


# ---- leaderboard ----

@api.get("/api/leaderboard/reels/", auth="optional", query=LeaderboardQuery, response=list[LeaderboardRow],
         summary="This week's (or ?week=2026-W48) most liked reels; live updates as `leaderboard` on "
                 "/ws/notifications/")
async def leaderboard(request: web.Request, me: Principal | None, query: LeaderboardQuery) -> list[dict[str, Any]]:
    week = parse_week(query.week, datetime.now(UTC))
    return await request.app[VIDEOS].leaderboard(request.app[LEADERBOARD], week, query.limit, me)


# ---- a creator's reels ----

@api.get(r"/api/v1/creators/{id:\d+}/videos/", auth="optional", query=PageQuery, response=Page[VideoOut],
         replica=True, summary="The creator's reels, newest first")
async def creator_videos(request: web.Request, me: Principal | None, query: PageQuery) -> web.Response:
    await request.app[SOCIAL].creator(me, path_id(request))
    total, items = await request.app[VIDEOS].by_creator(me, path_id(request), query.page_size, query.offset)
    return page_of(request, query, total, items)
