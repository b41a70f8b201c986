"""Poll use cases: start (the show's seller or a moderator, live), vote once (REST or the socket), the counts
sent at most once a second, close once at the end."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import asyncpg
import redis.asyncio as aioredis

from audience.polls import store
from audience.polls.events import PollClosed, PollStarted, PollUpdated
from audience.polls.schemas import PollIn, PollOut, VotedOut
from audience.polls.store import Poll
from rooms.chat import store as chat_store
from rooms.coalesce import Coalescer
from rooms.events import RoomEvent
from rooms.names import RoomName
from rooms.outbox import Relay, stage
from server.background import once_each
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.sql import Conn
from server.tokens import Principal


@dataclass
class Polls:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    relay: Relay
    update_s: float  # rooms.poll_update_s
    changes: Coalescer = field(init=False)

    def __post_init__(self) -> None:
        self.changes = Coalescer(self.redis, "poll", self.update_s)

    async def start(self, me: Principal, stream_id: int, data: PollIn) -> PollOut:
        """The show's seller or one of its moderators asks the room a question while live (`poll_started`)."""
        who = await chat_store.sender_context(self.pool, stream_id, me.user_id)
        if who is None:
            raise NotFound(f"No livestream with id {stream_id}.", code="livestream_not_found")
        if not who.moderates:
            raise PermissionDenied("Only the show's seller and its moderators run polls.")
        if who.status != "live":
            raise Conflict("Polls run during a live show.", code="not_live")
        if len({o.casefold() for o in data.options}) != len(data.options):
            raise InvalidInput("options: each must differ.", fields={"options": ["Each option must differ."]})
        async with self.pool.acquire() as conn, conn.transaction():
            poll_id = await store.insert(conn, stream_id, me.user_id, data.question, data.options, data.duration_s)
            if poll_id is None:
                raise Conflict("A poll is already open in this show.", code="poll_open")
            out = await self._out(conn, poll_id)
            staged = await stage(conn, RoomName.stream(stream_id), [PollStarted(**out.model_dump())])
        await self.relay.publish(staged)
        return out

    async def _out(self, conn: Conn, poll_id: int, me: Principal | None = None) -> PollOut:
        poll = await store.fetch(conn, poll_id)
        if poll is None:
            raise NotFound(f"No poll with id {poll_id}.", code="poll_not_found")
        counts = poll.counts if poll.counts is not None else await store.count(conn, poll_id, len(poll.options))
        mine = await store.my_vote(conn, poll_id, me.user_id) if me else None
        return poll_out(poll, counts, mine)

    async def get(self, poll_id: int, me: Principal | None = None) -> PollOut:
        return await self._out(self.pool, poll_id, me)

    async def open_in(self, stream_id: int, me: Principal | None) -> dict[str, object] | None:
        """The show's open poll as hello shows it (with the viewer's vote), or None."""
        poll = await store.open_in(self.pool, stream_id)
        return (await self.get(poll.id, me)).model_dump(mode="json") if poll else None

    async def vote(self, me: Principal, poll_id: int, option: int) -> VotedOut:
        """One vote per user: a second is 409 already_voted, whatever it says. The poll row is share-locked,
        so a close waits for the votes in flight and the final counts hold them all."""
        async with self.pool.acquire() as conn, conn.transaction():
            poll = await store.share_lock(conn, poll_id)
            if poll is None:
                raise NotFound(f"No poll with id {poll_id}.", code="poll_not_found")
            if not poll.open_now or poll.stream_status != "live":
                raise Conflict("The poll has closed.", code="poll_closed")
            if option >= len(poll.options):
                message = f"An option from 0 to {len(poll.options) - 1}."
                raise InvalidInput(f"option: {message}", fields={"option": [message]})
            if not await store.vote(conn, poll_id, me.user_id, option):
                raise Conflict("You have voted in this poll.", code="already_voted")
        await self.changes.mark(poll_id)
        return VotedOut(poll=poll_id, option=option)

    async def send_updates(self) -> int:
        """One round of `poll_updated` for the polls voted in since the last (see Coalescer.send)."""
        return await self.changes.send(self.pool, self.relay, self._update)

    async def _update(self, conn: asyncpg.Connection, poll_id: int) -> tuple[RoomName, RoomEvent] | None:
        poll = await store.lock(conn, poll_id)
        if poll is None or poll.status != "open":
            return None  # closed meanwhile: poll_closed has the counts
        counts = await store.count(conn, poll_id, len(poll.options))
        return RoomName.stream(poll.livestream_id), PollUpdated(id=poll_id, counts=counts)

    async def close(self, me: Principal | None, poll_id: int) -> PollOut:
        """Close once: at its end (the sweeper, me=None) or early by the show's seller or a moderator."""
        async with self.pool.acquire() as conn, conn.transaction():
            poll = await store.lock(conn, poll_id)
            if poll is None:
                raise NotFound(f"No poll with id {poll_id}.", code="poll_not_found")
            if me is not None:
                who = await chat_store.sender_context(conn, poll.livestream_id, me.user_id)
                if who is None or not who.moderates:
                    raise PermissionDenied("Only the show's seller and its moderators close its polls.")
            if poll.status != "open" or (me is None and poll.open_now):
                raise Conflict("The poll has closed.", code="poll_closed")
            counts = await store.count(conn, poll_id, len(poll.options))
            await store.close(conn, poll_id, counts)
            staged = await stage(conn, RoomName.stream(poll.livestream_id), [PollClosed(id=poll_id, counts=counts)])
            out = await self._out(conn, poll_id)
        await self.relay.publish(staged)
        return out

    async def sweep(self) -> int:
        """Close the polls past their end; each once, whichever process gets there first."""
        return await once_each(await store.due(self.pool), functools.partial(self.close, None))


def poll_out(poll: Poll, counts: list[int], mine: int | None = None) -> PollOut:
    return PollOut(id=poll.id, livestream=poll.livestream_id, question=poll.question, options=poll.options,
                   counts=counts, status=poll.status, ends_at=poll.ends_at, my_vote=mine)  # type: ignore[arg-type]
