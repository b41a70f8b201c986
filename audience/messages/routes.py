"""HTTP endpoints of direct messages."""

from __future__ import annotations

from aiohttp import web

from audience.messages.keys import MESSAGES
from audience.messages.schemas import (
    BlockIn,
    BlocksOut,
    MessageIn,
    MessageOut,
    ReadOut,
    ThreadOut,
    ThreadQuery,
    ThreadsQuery,
)
from server.api import ApiRouter, Page, page_of, path_id
from server.tokens import Principal

api = ApiRouter("messages")
THREAD = r"/api/messages/threads/{id:\d+}/"


@api.post("/api/messages/", body=MessageIn, response=MessageOut, status=201, limited=True,
          summary="Message a user (about an order between you, optionally); 403 blocked; pushed as direct_message")
async def send_message(request: web.Request, me: Principal, body: MessageIn) -> MessageOut:
    return await request.app[MESSAGES].send(me, body)


@api.get("/api/messages/threads/", query=ThreadsQuery, response=Page[ThreadOut],
         summary="Your conversations, the latest first: the other person, the last message, your unread count")
async def list_threads(request: web.Request, me: Principal, query: ThreadsQuery) -> web.Response:
    count, items = await request.app[MESSAGES].threads(me, query.page_size, query.offset)
    return page_of(request, query, count, items)


@api.get(THREAD, query=ThreadQuery, response=list[MessageOut],
         summary="The messages between you and a user, newest first (?before=<id> for older ones)")
async def read_thread(request: web.Request, me: Principal, query: ThreadQuery) -> list[dict[str, object]]:
    messages = await request.app[MESSAGES].thread(me, path_id(request), query.before, query.limit)
    return [m.model_dump(mode="json") for m in messages]


@api.post(THREAD + "read/", response=ReadOut, summary="Mark what the user sent you read")
async def mark_read(request: web.Request, me: Principal) -> ReadOut:
    return ReadOut(marked=await request.app[MESSAGES].read(me, path_id(request)))


@api.get("/api/messages/blocks/", response=BlocksOut, summary="The users you blocked")
async def list_blocks(request: web.Request, me: Principal) -> BlocksOut:
    return BlocksOut(blocked=await request.app[MESSAGES].blocked(me))


@api.post("/api/messages/blocks/", body=BlockIn, response=BlocksOut, status=201,
          summary="Block a user: their messages to you are refused (403 blocked)")
async def block_user(request: web.Request, me: Principal, body: BlockIn) -> BlocksOut:
    return BlocksOut(blocked=await request.app[MESSAGES].block(me, body.user_id))


@api.delete(r"/api/messages/blocks/{id:\d+}/", status=204, summary="Unblock a user")
async def unblock_user(request: web.Request, me: Principal) -> web.Response:
    await request.app[MESSAGES].unblock(me, path_id(request))
    return web.Response(status=204)
