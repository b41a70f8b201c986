"""HTTP endpoints of creators, follows and friends."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feed.schemas import (
    CreatorOut,
    CreatorPatch,
    CreatorQuery,
    FollowIn,
    FollowOut,
    FollowQuery,
    FriendAnswerIn,
    FriendOut,
    FriendRequestIn,
    FriendRequestOut,
    ProductBrief,
)
from feed.social.keys import SOCIAL
from rooms.keys import PRESENCE
from server.api import ApiRouter, Page, PageQuery, page_of, path_id
from server.keys import CONFIG
from server.tokens import Principal
from server.uploads import receive_upload

api = ApiRouter("creators and friends")
CREATOR = r"/api/v1/creators/{id:\d+}/"




@api.get("/api/v1/creators/", auth="optional", query=CreatorQuery, response=Page[CreatorOut],
         summary="Creators by ?q= (handle or name), ?video_category=, ?category= (catalog); most followed first")
async def list_creators(request: web.Request, me: Principal | None, query: CreatorQuery) -> web.Response:
    total, items = await request.app[SOCIAL].search(me, query.q, query.video_category, query.category,
                                                query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.get("/api/v1/creators/trending/", auth="optional", query=PageQuery, response=list[CreatorOut],
         summary="Creators by recent follower growth and engagement")
async def trending(request: web.Request, me: Principal | None, query: PageQuery) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in await request.app[SOCIAL].trending(me, query.page_size, query.offset)]


@api.get("/api/v1/creators/me_following/", query=PageQuery, response=Page[CreatorOut],
         summary="The creators you follow")
async def me_following(request: web.Request, me: Principal, query: PageQuery) -> web.Response:
    total, items = await request.app[SOCIAL].follow_page(me, me.user_id, "following", query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.get(CREATOR, auth="optional", response=CreatorOut, summary="A creator's profile")
async def get_creator(request: web.Request, me: Principal | None) -> CreatorOut:
    return await request.app[SOCIAL].creator(me, path_id(request))


@api.put(CREATOR, body=CreatorPatch, response=CreatorOut,
         summary="Change your creator profile (the app's PUT; fields not sent stay as they are)")
async def put_creator(request: web.Request, me: Principal, body: CreatorPatch) -> CreatorOut:
    return await request.app[SOCIAL].update(me, path_id(request), body)


@api.patch(CREATOR, body=CreatorPatch, response=CreatorOut,
           summary="Change your profile: handle, display_name, bio, social_links")
async def patch_creator(request: web.Request, me: Principal, body: CreatorPatch) -> CreatorOut:
    return await request.app[SOCIAL].update(me, path_id(request), body)


@api.post(CREATOR + "avatar/", upload="avatar", response=CreatorOut, status=201,
          summary="Upload your avatar (multipart 'avatar': JPEG, PNG or WebP)")
async def upload_avatar(request: web.Request, me: Principal) -> CreatorOut:
    service = request.app[SOCIAL]
    temp = await receive_upload(request, "avatar", service.media / "tmp", request.app[CONFIG].commerce.max_image_bytes)
    return await service.set_avatar(me, path_id(request), temp)


@api.get(CREATOR + "products/", auth="public", query=PageQuery, response=Page[ProductBrief],
         summary="Products the creator sells or shows in reels")
async def creator_products(request: web.Request, query: PageQuery) -> web.Response:
    total, items = await request.app[SOCIAL].products(path_id(request), query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.get(CREATOR + "followers/", auth="optional", query=PageQuery, response=Page[CreatorOut],
         summary="Who follows the creator, newest first")
async def followers(request: web.Request, me: Principal | None, query: PageQuery) -> web.Response:
    total, items = await request.app[SOCIAL].follow_page(me, path_id(request), "followers", query.page_size,
                                                     query.offset)
    return page_of(request, query, total, items)


@api.get(CREATOR + "following/", auth="optional", query=PageQuery, response=Page[CreatorOut],
         summary="Whom the creator follows, newest first")
async def following(request: web.Request, me: Principal | None, query: PageQuery) -> web.Response:
    total, items = await request.app[SOCIAL].follow_page(me, path_id(request), "following", query.page_size,
                                                     query.offset)
    return page_of(request, query, total, items)


@api.get(r"/api/v1/shoppable-video-categories/{id:\d+}/creators/", auth="optional", query=PageQuery,
         response=Page[CreatorOut], summary="Creators with reels in a video category")
async def category_creators(request: web.Request, me: Principal | None, query: PageQuery) -> web.Response:
    total, items = await request.app[SOCIAL].search(me, None, path_id(request), None, query.page_size, query.offset)
    return page_of(request, query, total, items)


# ---- follows ----

@api.post("/api/v1/user-follows/toggle_follow/", body=FollowIn, response=FollowOut,
          summary="Follow or unfollow a user (toggle)")
async def toggle_follow(request: web.Request, me: Principal, body: FollowIn) -> FollowOut:
    return await request.app[SOCIAL].toggle_follow(me, body.following_id)


@api.get("/api/v1/user-follows/", auth="optional", query=FollowQuery, response=Page[CreatorOut],
         summary="The followers of ?user_id=, or whom ?following_of= follows (neither: whom you follow)")
async def list_follows(request: web.Request, me: Principal | None, query: FollowQuery) -> web.Response:
    total, items = await request.app[SOCIAL].follows_of(me, query.user_id, query.following_of, query.page_size,
                                                        query.offset)
    return page_of(request, query, total, items)


# ---- friends ----

@api.post("/api/friends/request/", body=FriendRequestIn, response=FriendRequestOut, status=201,
          summary="Ask a user to be friends (accepts their request if they already asked you)")
async def friend_request(request: web.Request, me: Principal, body: FriendRequestIn) -> FriendRequestOut:
    return await request.app[SOCIAL].request_friend(me, body.user_id)


@api.put(r"/api/friends/request/{id:\d+}/", body=FriendAnswerIn, response=FriendRequestOut,
         summary="Accept or reject a friend request sent to you")
async def friend_answer(request: web.Request, me: Principal, body: FriendAnswerIn) -> FriendRequestOut:
    return await request.app[SOCIAL].answer(me, path_id(request), body.action)


@api.get("/api/friends/requests/", query=PageQuery, response=Page[FriendRequestOut],
         summary="Friend requests waiting for your answer")
async def friend_requests(request: web.Request, me: Principal, query: PageQuery) -> web.Response:
    total, items = await request.app[SOCIAL].incoming(me, query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.get("/api/friends/", query=PageQuery, response=Page[FriendOut], summary="Your friends, with who is online")
async def friends(request: web.Request, me: Principal, query: PageQuery) -> web.Response:
    total, items = await request.app[SOCIAL].friends(me, request.app[PRESENCE], query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.delete(r"/api/friends/{id:\d+}/", status=204, summary="End a friendship")
async def unfriend(request: web.Request, me: Principal) -> None:
    await request.app[SOCIAL].unfriend(me, path_id(request))
