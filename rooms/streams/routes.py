"""HTTP endpoints of livestreams."""

from __future__ import annotations

from aiohttp import web

from rooms.streams.keys import STREAMS
from rooms.streams.schemas import AgoraOut, JoinOut, PinIn, StartOut, StreamIn, StreamOut, StreamQuery
from server.api import ApiRouter, Page, PageQuery, page_of, path_id
from server.tokens import Principal

api = ApiRouter("livestreams")
ONE = r"/api/livestreams/livestreams/{id:\d+}/"


@api.get("/api/livestreams/livestreams/", auth="public", query=StreamQuery, response=Page[StreamOut],
         summary="Shows: live first, then scheduled soonest first, then ended")
async def list_streams(request: web.Request, query: StreamQuery) -> web.Response:
    count, items = await request.app[STREAMS].page(query.status, query.seller, query.page_size, query.offset)
    return page_of(request, query, count, items)


@api.get("/api/livestreams/livestreams/live_now/", auth="public", query=PageQuery, response=Page[StreamOut],
         summary="Shows that are live now")
async def live_now(request: web.Request, query: PageQuery) -> web.Response:
    count, items = await request.app[STREAMS].page("live", None, query.page_size, query.offset)
    return page_of(request, query, count, items)


@api.post("/api/livestreams/livestreams/", roles=["seller"], body=StreamIn, response=StreamOut, status=201,
          summary="Schedule a show (verified sellers)")
async def create_stream(request: web.Request, me: Principal, body: StreamIn) -> StreamOut:
    return await request.app[STREAMS].create(me, body)


@api.get(ONE, auth="public", response=StreamOut, summary="A show")
async def get_stream(request: web.Request) -> StreamOut:
    return await request.app[STREAMS].get(path_id(request))


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


@api.post(ONE + "pin-product/", roles=["seller"], body=PinIn, response=StreamOut,
          summary="Pin one of your products on every viewer's screen (product_pinned)")
async def pin_product(request: web.Request, me: Principal, body: PinIn) -> StreamOut:
    return await request.app[STREAMS].pin(me, path_id(request), body.product_id)
