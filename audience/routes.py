"""HTTP endpoints of polls."""

from __future__ import annotations

from aiohttp import web

from audience.keys import POLLS
from audience.polls.schemas import PollIn, PollOut, VotedOut, VoteIn
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("polls")
POLL = r"/api/livestreams/polls/{id:\d+}/"


@api.post(r"/api/livestreams/livestreams/{id:\d+}/polls/", body=PollIn, response=PollOut, status=201,
          conflicts=["not_live", "poll_open"],
          summary="Ask the room a question with 2 to 4 options (the show's seller or a moderator; poll_started)")
async def start_poll(request: web.Request, me: Principal, body: PollIn) -> PollOut:
    return await request.app[POLLS].start(me, path_id(request), body)


@api.get(POLL, auth="optional", response=PollOut, summary="A poll with its counts (your vote only to you)")
async def get_poll(request: web.Request, me: Principal | None) -> PollOut:
    return await request.app[POLLS].get(path_id(request), me)


@api.post(POLL + "vote/", body=VoteIn, response=VotedOut, status=201, conflicts=["already_voted", "poll_closed"],
          summary="Vote once: the option's index (also the socket's `vote` frame)")
async def vote_poll(request: web.Request, me: Principal, body: VoteIn) -> VotedOut:
    return await request.app[POLLS].vote(me, path_id(request), body.option)


@api.post(POLL + "close/", response=PollOut, conflicts=["poll_closed"],
          summary="Close a poll early (the show's seller or a moderator; poll_closed with the final counts)")
async def close_poll(request: web.Request, me: Principal) -> PollOut:
    return await request.app[POLLS].close(me, path_id(request))
