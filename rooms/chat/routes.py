"""HTTP endpoints of chat and its moderation."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rooms.chat.keys import CHAT
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("chat")
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
STREAM = r"{livestream_id:\d+}"
Word = Annotated[str, StringConstraints(max_length=50)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SendIn(_In):
    text: Annotated[str, StringConstraints(max_length=2000)]


class BanIn(_In):
    user_id: Id
    duration_s: Annotated[int, Field(ge=1, le=30 * 86400)] | None = Field(
        None, description="A timed mute; without it, a ban for the show.")


class UserIn(_In):
    user_id: Id


class SettingsIn(_In):
    slow_mode_s: Annotated[int, Field(ge=0, le=3600)] | None = None
    blocked_words: Annotated[list[Word], Field(max_length=200)] | None = None
    pinned_message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class HistoryQuery(_In):
    before: Id | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


@api.get(f"/api/chat/messages/{STREAM}/", auth="public", query=HistoryQuery,
         summary="Chat messages, newest first; ?before=<id> for older ones")
async def history(request: web.Request, query: HistoryQuery) -> dict[str, Any]:
    stream_id = path_id(request, "livestream_id")
    results = await request.app[CHAT].history(stream_id, query.before, query.limit)
    next_url = None
    if len(results) == query.limit:
        next_url = str(request.url.update_query(before=results[-1]["id"], limit=query.limit))
    return {"results": results, "next": next_url}


@api.post(f"/api/chat/messages/{STREAM}/send/", body=SendIn, status=201, limited=True,
          summary="Send a chat message (1 to 500 characters; the same path as the WebSocket)")
async def send(request: web.Request, me: Principal, body: SendIn) -> dict[str, Any]:
    return await request.app[CHAT].send(me, path_id(request, "livestream_id"), body.text)


@api.delete(rf"/api/chat/messages/{STREAM}/{{message_id:\d+}}/", status=204,
            summary="Remove a message (the show's seller, moderators, admins): chat_deleted")
async def delete(request: web.Request, me: Principal) -> None:
    await request.app[CHAT].delete(me, path_id(request, "livestream_id"), path_id(request, "message_id"))


@api.post(f"/api/chat/livestreams/{STREAM}/ban-user/", body=BanIn,
          summary="Ban from the show's chat, or mute for duration_s (seller, moderators, admins)")
async def ban(request: web.Request, me: Principal, body: BanIn) -> dict[str, Any]:
    return await request.app[CHAT].ban(me, path_id(request, "livestream_id"), body.user_id, body.duration_s)


@api.post(f"/api/chat/livestreams/{STREAM}/unban-user/", body=UserIn, status=204,
          summary="Lift a ban or mute (seller, moderators, admins)")
async def unban(request: web.Request, me: Principal, body: UserIn) -> None:
    await request.app[CHAT].unban(me, path_id(request, "livestream_id"), body.user_id)


@api.post(f"/api/chat/livestreams/{STREAM}/moderators/", body=UserIn, summary="Appoint a moderator (the seller)")
async def appoint(request: web.Request, me: Principal, body: UserIn) -> dict[str, Any]:
    ids = await request.app[CHAT].set_moderator(me, path_id(request, "livestream_id"), body.user_id, True)
    return {"moderators": ids}


@api.delete(f"/api/chat/livestreams/{STREAM}/moderators/", body=UserIn, summary="Remove a moderator (the seller)")
async def dismiss(request: web.Request, me: Principal, body: UserIn) -> dict[str, Any]:
    ids = await request.app[CHAT].set_moderator(me, path_id(request, "livestream_id"), body.user_id, False)
    return {"moderators": ids}


@api.patch(f"/api/chat/livestreams/{STREAM}/settings/", body=SettingsIn,
           summary="Slow mode, blocked words, pinned message (seller, moderators, admins)")
async def settings(request: web.Request, me: Principal, body: SettingsIn) -> dict[str, Any]:
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    if changes.get("slow_mode_s") is None:
        changes.pop("slow_mode_s", None)
    if changes.get("blocked_words") is None:
        changes.pop("blocked_words", None)
    return await request.app[CHAT].settings(me, path_id(request, "livestream_id"), changes)
