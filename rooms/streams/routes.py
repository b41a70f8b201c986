"""HTTP endpoints of livestreams."""

from __future__ import annotations

from aiohttp import web

from rooms.streams.keys import STREAMS
from rooms.streams.schemas import (
    AgoraOut,
    JoinOut,
    PinIn,
    RaidIn,
    RemindOut,
    StartOut,
    StreamIn,
    StreamOut,
    StreamPatch,
    StreamQuery,
)
from rooms.streams.store import ShowFilter
from server.api import ApiRouter, Page, PageQuery, page_of, path_id
from server.tokens import Principal

api = ApiRouter("livestreams")
ONE = r"/api/livestreams/livestreams/{id:\d+}/"


@api.get("/api/livestreams/livestreams/", auth="optional", query=StreamQuery, response=Page[StreamOut], replica=True,
         summary="Shows, searched and filtered: live first, then scheduled soonest first, then ended (or as ordered)")
async def list_streams(request: web.Request, query: StreamQuery, me: Principal | None) -> web.Response:
    filters = ShowFilter(search=query.search or None, seller=query.seller, category=query.category,
                         status=query.status)
    count, items = await request.app[STREAMS].page(filters, query.page_size, query.offset,
                                                   query.ordering or "default", me)
    return page_of(request, query, count, items)


@api.get("/api/livestreams/livestreams/live_now/", auth="optional", query=PageQuery, response=Page[StreamOut],
         replica=True, summary="Shows that are live now")
async def live_now(request: web.Request, query: PageQuery, me: Principal | None) -> web.Response:
    count, items = await request.app[STREAMS].page(ShowFilter(status="live"), query.page_size, query.offset, me=me)
    return page_of(request, query, count, items)


@api.get("/api/livestreams/livestreams/upcoming/", auth="optional", query=PageQuery, response=Page[StreamOut],
         replica=True, summary="Scheduled shows, soonest first, with `reminded` for the caller")
async def upcoming(request: web.Request, query: PageQuery, me: Principal | None) -> web.Response:
    count, items = await request.app[STREAMS].page(ShowFilter(status="scheduled"), query.page_size, query.offset,
                                                   "scheduled_at", me)
    return page_of(request, query, count, items)


@api.post("/api/livestreams/livestreams/", roles=["seller"], body=StreamIn, response=StreamOut, status=201,
          summary="Schedule a show (verified sellers)")
async def create_stream(request: web.Request, me: Principal, body: StreamIn) -> StreamOut:
    return await request.app[STREAMS].create(me, body)


@api.get(ONE, auth="optional", response=StreamOut, summary="A show")
async def get_stream(request: web.Request, me: Principal | None) -> StreamOut:
    return await request.app[STREAMS].get(path_id(request), me)


@api.patch(ONE, roles=["seller"], body=StreamPatch, response=StreamOut, conflicts=["not_scheduled"],
           summary="Change your scheduled show: the fields sent")
async def patch_stream(request: web.Request, me: Principal, body: StreamPatch) -> StreamOut:
    return await request.app[STREAMS].patch(me, path_id(request), body)


@api.delete(ONE, roles=["seller"], status=204, conflicts=["not_scheduled"],
            summary="Delete your show before it starts (with its run sheet)")
async def delete_stream(request: web.Request, me: Principal) -> web.Response:
    await request.app[STREAMS].delete(me, path_id(request))
    return web.Response(status=204)


@api.post(ONE + "remind/", response=RemindOut, conflicts=["not_scheduled"],
          summary="Toggle a reminder of a scheduled show: show_starting_soon before it starts, seller_live at the "
                  "start")
async def remind(request: web.Request, me: Principal) -> RemindOut:
    reminded, count = await request.app[STREAMS].remind(me, path_id(request))
    return RemindOut(reminded=reminded, reminders_count=count)


@api.post(ONE + "start/", roles=["seller"], response=StartOut,
          summary="Go live: takes a credit (409 insufficient_credits) and returns the publisher token")
async def start_stream(request: web.Request, me: Principal) -> StartOut:
    livestream, agora = await request.app[STREAMS].start(me, path_id(request))
    return StartOut(livestream=livestream, agora=agora)


@api.post(ONE + "end/", roles=["seller", "admin"], response=StreamOut, summary="End a live show")
async def end_stream(request: web.Request, me: Principal) -> StreamOut:
    return await request.app[STREAMS].end(me, path_id(request), "admin" if me.role == "admin" else "owner")


@api.post(ONE + "join/", response=JoinOut, summary="Watch: a subscriber token and the room's WebSocket URL")
async def join_stream(request: web.Request, me: Principal) -> JoinOut:
    stream_id = path_id(request)
    livestream, agora = await request.app[STREAMS].join(me, stream_id)
    return JoinOut(livestream=livestream, agora=agora, ws_url=f"/ws/livestream/{stream_id}/")


@api.post(ONE + "token/", response=AgoraOut, summary="A fresh Agora token for the show")
async def renew_token(request: web.Request, me: Principal) -> AgoraOut:
    return await request.app[STREAMS].renew(me, path_id(request))


@api.post(ONE + "raid/", roles=["seller"], body=RaidIn, response=StreamOut, conflicts=["not_live", "target_not_live"],
          summary="End your live show by sending its viewers to another seller's live show (raid, raid_arrived)")
async def raid(request: web.Request, me: Principal, body: RaidIn) -> StreamOut:
    return await request.app[STREAMS].raid(me, path_id(request), body.target_id)


@api.post(ONE + "pin-product/", roles=["seller"], body=PinIn, response=StreamOut,
          summary="Pin one of your products on every viewer's screen (product_pinned)")
async def pin_product(request: web.Request, me: Principal, body: PinIn) -> StreamOut:
    return await request.app[STREAMS].pin(me, path_id(request), body.product_id)
