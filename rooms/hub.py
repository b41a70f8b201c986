"""The process-local hub: rooms with local members, fed by the process's one Redis subscription.

Fan-out never awaits a socket: an event is written straight to a socket that accepts data, else put in
the member's bounded queue, which a writer task (started only then, gone once the queue is empty)
drains. A member whose queue is full is disconnected (1013) instead of buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiohttp import WSCloseCode, web

from rooms.bridge import Bridge, Position, Subscriber
from rooms.events import Broadcast, Event, now_ms
from rooms.metrics import DELIVERIES, DROPS, EVENT_DELAY, RESYNCS
from rooms.names import RoomName
from server.background import report_failure
from server.redis_errors import REDIS_DOWN
from server.tokens import Principal

log = logging.getLogger(__name__)
T = TypeVar("T")
PING = b"\x89\x00"  # a WebSocket ping frame with no payload (server frames are never masked)
HEARTBEAT_CHUNK = 500


class Member:
    """One WebSocket connection in one room."""

    # Thousands per process: slots instead of a dict each.
    __slots__ = ("__weakref__", "_flow", "_kick", "_limit", "_pending", "_protocol", "_queue", "_transport",
                 "_writer", "closed", "codec", "epoch", "heard_at", "last_seq", "reopen", "request", "types", "user",
                 "ws")

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, codec: str,
                 user: Principal | None, queue_size: int, types: frozenset[str] | None = None) -> None:
        self.ws = ws
        # What a new hello is built from, should the room's log need one (resync): the request, and the
        # endpoint's function that opened the room for it (set by the gateway).
        self.request = request
        self.reopen: Callable[[web.Request], Awaitable[Any]] | None = None
        self.codec = codec
        self.user = user
        self.types = types  # None: every event; else only these (the chat-only endpoint)
        # The member's place in the room's log: the last event it got (or that its hello covers), and the
        # log's epoch. Before hello: where the client asked to resume from (-1 and None: nowhere).
        self.last_seq = -1
        self.epoch: str | None = None
        self.closed = False
        self._transport: asyncio.Transport | None = request.transport
        self._flow = request.writer  # its drain() waits while the transport's buffer is over its limit
        self._protocol = request.protocol
        # Frames waiting for a socket that is not accepting data, and the task that writes them: both
        # exist only while something waits, so an idle viewer costs no task and no queue.
        self._queue: deque[bytes] | None = None
        self._pending: list[Event] | None = []  # events that came before hello; None once live
        self._limit = queue_size
        self._writer: asyncio.Task[None] | None = None
        self._kick: asyncio.Task[None] | None = None
        self.heard_at = asyncio.get_running_loop().time()  # the last frame from the client (pongs too)

    def offer(self, events: list[Event]) -> None:
        """Send the room events this member has not seen, as one write; never waits."""
        if self.closed:
            return
        if self._pending is not None:
            self._pending.extend(events)
            if len(self._pending) > self._limit:
                self.overflow()
            return
        frames = []
        for event in events:
            if event.seq <= self.last_seq or event.epoch != self.epoch:
                continue  # a duplicate (resume overlap), or of a log the member is not on: its hello follows
            self.last_seq = event.seq
            if self.types is None or event.type in self.types:
                frames.append(event.wire(self.codec))
        if frames:
            self.send(frames[0] if len(frames) == 1 else b"".join(frames))

    def send_broadcast(self, event: Broadcast) -> None:
        """An event from outside this member's room (such as the leaderboard): it carries the position this
        member has reached, so the room's own numbering shows no gap."""
        if self._pending is None and not self.closed and self.epoch is not None:
            self.send(event.wire(self.codec, self.epoch, self.last_seq))

    def go_live(self, first: Iterable[bytes], epoch: str, last_seq: int) -> None:
        """Send `first` (hello or the resumed backlog), then what arrived meanwhile past (epoch, last_seq)."""
        for frame in first:
            self.send(frame)
        self.epoch = epoch
        self.last_seq = last_seq
        pending, self._pending = self._pending or [], None
        if pending:
            self.offer(pending)

    def hold(self) -> bool:
        """Keep the room's events back until the next go_live (a new hello is on its way). False if the
        member is closed or already held."""
        if self.closed or self._pending is not None:
            return False
        self._pending = []
        return True

    def send(self, frame: bytes) -> None:
        """Send a wire frame: straight to the socket when nothing waits and it accepts data, else to the
        queue (in order behind what waits). A full queue means the client is not keeping up."""
        if self.closed:
            return
        transport = self._transport
        if (self._writer is None and transport is not None and not transport.is_closing()
                and not self._protocol.writing_paused):
            transport.write(frame)  # no task switch: the common case for a reader that keeps up
            return
        if self._queue is None:
            self._queue = deque()
        elif len(self._queue) >= self._limit:
            self.overflow()
            return
        self._queue.append(frame)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="ws-writer")

    def heard(self) -> None:
        """The client sent something (a pong counts): it is alive."""
        self.heard_at = asyncio.get_running_loop().time()

    def ping_or_drop(self, now: float, silence_s: float) -> None:
        """One heartbeat round: drop a client silent for longer than silence_s, else ping it."""
        if self.closed:
            return
        if now - self.heard_at > silence_s:
            log.info("dropping a connection silent for %.0f s", now - self.heard_at)
            DROPS.labels("silent").inc()
            self._start_close(WSCloseCode.GOING_AWAY, "no pong", graceful=False)
            return
        if self._pending is None:  # hello is always the first frame a client gets
            self.send(PING)

    def overflow(self) -> None:
        if self.closed:
            return
        log.info("dropping a connection that fell %d frames behind", self._limit)
        DROPS.labels("slow").inc()
        # Its writer is stuck behind data the peer does not read, so a close frame would wait there
        # too: the connection is dropped at once and its buffers freed. The client resumes by last_seq.
        self._start_close(WSCloseCode.TRY_AGAIN_LATER, "too slow", graceful=False)

    def flush_then_close(self, code: int, reason: str) -> None:
        """Close with `code` once what is written has gone (a last error frame, say); never waits."""
        if self._kick is None and not self.closed:
            self._start_close(code, reason, graceful=True)

    def _start_close(self, code: int, reason: str, *, graceful: bool) -> None:
        self.closed = True
        self._kick = asyncio.create_task(self._close(code, reason, graceful), name="ws-kick")

    async def _close(self, code: int, reason: str, graceful: bool) -> None:
        await self._stop_writer()
        if graceful:
            try:
                await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()), 1.0)
                return
            except (TimeoutError, ConnectionError, RuntimeError):
                pass
        # A transport asked to close still flushes its buffer first, which a peer that reads nothing
        # never allows: abort it so the handler ends.
        if self._transport is not None:
            self._transport.abort()

    async def close(self, code: int = WSCloseCode.GOING_AWAY, reason: str = "server shutting down") -> None:
        """Close after the frames already queued (or at once if the writer is stuck)."""
        if self._kick is None:
            self._start_close(code, reason, graceful=True)
        assert self._kick is not None
        with contextlib.suppress(asyncio.CancelledError):
            await self._kick

    async def finish(self) -> None:
        """Stop the writer once the connection's handler is done."""
        self.closed = True
        await self._stop_writer()
        if self._kick is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._kick

    async def _stop_writer(self) -> None:
        writer = self._writer
        if writer is not None and writer is not asyncio.current_task():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _write(self) -> None:
        """Wait while the socket's buffer is over its limit, then write everything queued in one go (one
        system call for many frames); end once nothing is queued. A reader that does not keep up fills
        the queue."""
        transport = self._transport
        try:
            while self._queue:
                await self._flow.drain()
                if transport is None or transport.is_closing():
                    self.closed = True
                    return
                batch = b"".join(self._queue)
                self._queue = None
                transport.write(batch)
        except (ConnectionError, RuntimeError):
            self.closed = True
        finally:
            self._writer = None


class Room:
    """A room's local members and where this process stands in the room's log (epoch, seq). Events are
    passed on in seq order with none missing: a duplicate is dropped, a gap is filled from the log's history
    before anything later goes out, and a new epoch (the log was lost) or a gap the history cannot fill
    sends every member `resync` and a new hello. Events that arrive in one turn of the event loop go out
    together: one write per member per turn, however many events, and no added delay when there is one."""

    def __init__(self, name: RoomName, hub: Hub) -> None:
        self.name = name
        self.members: set[Member] = set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.epoch: str | None = None
        self.seq = 0
        self.generation = 0  # how many times the room has seen its log start again (a new epoch)
        self._hub = hub
        self._batch: list[Event] = []
        self._held: list[Event] | None = None  # events that came while a gap is being filled
        # What members are greeted with (hello as an anonymous viewer sees it, the log's history), each at the
        # log position it was read after.
        self._kept: dict[str, tuple[tuple[str, int], asyncio.Future[Any]]] = {}
        self._last: dict[str, Any] = {}
        self._next_position: asyncio.Future[Position] | None = None  # the log read that starts after the current
        self._reading_position = False

    def deliver(self, event: Event) -> None:
        if self._held is not None:
            self._held.append(event)
        elif self.epoch is None:
            self._accept(event)  # the first event this process sees of the room
        elif event.epoch != self.epoch:
            log.warning("room %s: its log has a new epoch (%s after %s): members resync", self.name,
                        event.epoch, self.epoch)
            self._new_log(event.epoch)
            self.deliver(event)  # from the start of the new log: what came before it is read from history
        elif event.seq <= self.seq:
            return  # a duplicate
        elif event.seq == self.seq + 1:
            self._accept(event)
        else:
            self._held = [event]
            self._hub.spawn(self.repair(), "room-repair")

    async def at_position(self, what: str, epoch: str, seq: int, read: Callable[[], Awaitable[Any]]) -> Any:
        """`read()` (made after the room's log position (epoch, seq) was read) once by this process for `what`
        (the room's hello, its history), however many members are greeted there meanwhile. Every change to what
        is read comes as an event of the room, which moves the position: while it stands, what was read holds.
        A read that fails is not kept."""
        kept = self._kept.get(what)
        if kept is not None and kept[0] == (epoch, seq):
            return await asyncio.shield(kept[1])
        reading = self._hub.own(asyncio.ensure_future(read()), f"room-{what}")
        self._kept[what] = ((epoch, seq), reading)

        def done(read: asyncio.Future[Any]) -> None:
            if not read.cancelled() and read.exception() is None:
                self._last[what] = read.result()
                return
            now = self._kept.get(what)
            if now is not None and now[1] is read:  # a failed read is not kept
                del self._kept[what]

        reading.add_done_callback(done)
        return await asyncio.shield(reading)

    async def log_position(self) -> Position:
        """Where the room's log stands, read from Redis after this call began, so it covers every event published
        before: a member that joined first misses nothing between it and the live events. Callers that come while
        a read is under way share the next one (a reconnect storm of thousands makes a few reads, not thousands);
        a failed read fails all who share it."""
        waiting = self._next_position
        if waiting is None:
            waiting = self._next_position = asyncio.get_running_loop().create_future()
            if not self._reading_position:
                self._hub.own(asyncio.ensure_future(self._read_positions()), "room-position")
        return await asyncio.shield(waiting)

    async def _read_positions(self) -> None:
        self._reading_position = True
        try:
            while self._next_position is not None:
                waiting, self._next_position = self._next_position, None
                try:
                    waiting.set_result(await self._hub.bridge.position(self.name))
                except asyncio.CancelledError:
                    waiting.cancel()
                    raise
                except Exception as exc:
                    waiting.set_exception(exc)
                    waiting.exception()  # retrieved here; each sharer raises it from its own await
        finally:
            self._reading_position = False
            if self._next_position is not None and not self._next_position.done():  # cancelled with the hub
                self._next_position.cancel()
                self._next_position = None

    def position_here(self) -> tuple[str, int] | None:
        """Where this process stands in the room's log (the last event it took, in order), or None while it
        does not know or is filling a gap. A member greeted here gets every later event from this process;
        the log itself may be a little ahead, and its later events reach the member when they reach the room."""
        if not self.ready.done() or self.ready.cancelled() or self.ready.exception() is not None:
            return None
        if self.epoch is None or self._held is not None:
            return None
        return self.epoch, self.seq

    def kept(self, what: str) -> Any | None:
        """The last `what` read for this room, at whatever position (a newer read may be under way): for checks
        that may be a moment late (is the show there, has it ended), never to greet with."""
        return self._last.get(what)

    def place(self, epoch: str, seq: int) -> None:
        """Where the room's log stands, read before any member got an event: take it as this room's."""
        if self.epoch is None or (epoch == self.epoch and seq > self.seq):
            self.epoch, self.seq = epoch, seq

    def _accept(self, event: Event) -> None:
        self.epoch, self.seq = event.epoch, event.seq
        if not self._batch:
            asyncio.get_running_loop().call_soon(self._flush)
        self._batch.append(event)

    def _flush(self) -> None:
        events, self._batch = self._batch, []
        members = list(self.members)
        for member in members:
            member.offer(events)
        DELIVERIES.inc(len(members) * len(events))
        now = now_ms()
        for event in events:
            EVENT_DELAY.observe(max(0, now - event.ts) / 1000)

    async def repair(self) -> None:
        """Fill the gap after `seq` from the log's history, then pass on what was held; members resync if
        the history no longer has what is missing (or Redis cannot say)."""
        if self._held is None:
            self._held = []
        try:
            history = await self._hub.bridge.history(self.name)
        except REDIS_DOWN as exc:
            log.warning("room %s: could not read its history to fill a gap: %r", self.name, exc)
            history = []
        held, self._held = self._held, None
        found = {e.seq: e for e in history if e.epoch == self.epoch and e.seq > self.seq}
        for e in held:
            if e.epoch == self.epoch and e.seq > self.seq:
                found.setdefault(e.seq, e)
        top = max(found, default=self.seq)
        if all(seq in found for seq in range(self.seq + 1, top + 1)):
            for seq in range(self.seq + 1, top + 1):
                self._accept(found[seq])
        else:
            log.warning("room %s: events %d..%d are gone from its history: members resync", self.name,
                        self.seq + 1, top)
            RESYNCS.labels("gap").inc()
            self.seq = top
            self.resync()
        for e in held:
            if e.epoch != self.epoch:
                self.deliver(e)

    async def check(self) -> None:
        """Compare with the room's log (after the subscription was lost): fill what was missed, or resync
        everyone when the log is a new one."""
        try:
            position = await self._hub.bridge.position(self.name)
        except REDIS_DOWN as exc:
            log.warning("room %s: could not check its log: %r", self.name, exc)
            return
        if self.epoch is not None and position.epoch != self.epoch:
            log.warning("room %s: its log is new (epoch %s): members resync", self.name, position.epoch)
            self._new_log(position.epoch)
        if position.seq > self.seq and self._held is None:
            await self.repair()

    def _new_log(self, epoch: str) -> None:
        """The room's log started again: members on the old one resync; a member greeted on the new one
        meanwhile gets the new log's events from its start (each member skips what its hello covered)."""
        self.epoch, self.seq = epoch, 0
        self.generation += 1
        RESYNCS.labels("new_log").inc()
        self.resync(everyone=False)

    def resync(self, *, everyone: bool = True) -> None:
        """Members get `resync` and a new hello (built by the hub's regreet): every one after a gap nobody can
        fill, or those not on the log's epoch yet (one greeted meanwhile already is)."""
        for member in list(self.members):
            if (everyone or member.epoch != self.epoch) and member.hold():
                self._hub.spawn(self._hub.regreet(self.name, member), "room-resync")


class Hub:
    """The rooms of this process."""

    def __init__(self, bridge: Bridge, join_timeout_s: float = 5.0) -> None:
        self.bridge = bridge
        self.rooms: dict[RoomName, Room] = {}
        self._join_timeout_s = join_timeout_s
        self._subscriber = Subscriber(bridge.redis, self._on_event, self._on_resubscribed)
        # Builds a member's new hello after a resync (set by the gateway, which knows how hello is made).
        self.regreet: Callable[[RoomName, Member], Awaitable[None]] = _no_regreet
        self._tasks: set[asyncio.Future[Any]] = set()
        self._stopped = False
        self._relays: dict[RoomName, str] = {}  # broadcast room -> prefix of the rooms whose members get it
        self._sockets_of: Counter[int] = Counter()  # signed-in user -> memberships on this process

    def start(self) -> None:
        self._subscriber.start()

    async def stop(self) -> None:
        """Close every member with 1001 so clients reconnect elsewhere and resume; stop the subscriber."""
        if self._stopped:
            return
        self._stopped = True
        members = [m for room in self.rooms.values() for m in room.members]
        await asyncio.gather(*(m.close() for m in members), return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._subscriber.close()

    def spawn(self, work: Awaitable[None], name: str) -> None:
        """Run background work of the rooms; stopped with the hub, a failure logged and counted."""
        task = asyncio.ensure_future(work)
        self.own(task, name)
        task.add_done_callback(report_failure)

    def own(self, task: asyncio.Future[T], name: str) -> asyncio.Future[T]:
        """Keep a task of the rooms (its awaiter sees how it ends): cancelled with the hub."""
        if isinstance(task, asyncio.Task):
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _on_resubscribed(self, name: RoomName) -> None:
        room = self.rooms.get(name)
        if room is not None:
            self.spawn(room.check(), "room-check")

    def _on_event(self, name: RoomName, event: Event) -> None:
        room = self.rooms.get(name)
        if room is not None:
            room.deliver(event)
        prefix = self._relays.get(name)
        if prefix is not None:
            broadcast = Broadcast(event.type, event.ts, event.data)
            for target, local in self.rooms.items():
                if target.startswith(prefix):
                    for member in list(local.members):
                        member.send_broadcast(broadcast)

    async def relay(self, broadcast: RoomName, prefix: str) -> None:
        """Deliver the events of room `broadcast` to every local member of the rooms named prefix*
        (one subscription per process, whatever the number of sockets)."""
        if self._relays.get(broadcast) != prefix:
            self._relays[broadcast] = prefix
        await self._subscriber.subscribe(broadcast)

    async def join(self, name: RoomName, member: Member) -> Room:
        """Add a member; the first member of a room waits until this process is subscribed to it and knows
        where its log stands, the others wait for the first. Fails (Redis down, or no answer within the
        join timeout) for all of them at once, leaving nothing behind: the next member tries afresh."""
        room = self.rooms.get(name)
        if room is None:
            room = self.rooms[name] = Room(name, self)
            self._add(room, member)
            try:
                await self._subscriber.subscribe(name, self._join_timeout_s)
                position = await asyncio.wait_for(self.bridge.position(name), self._join_timeout_s)
            except BaseException as exc:
                if self.rooms.get(name) is room:
                    del self.rooms[name]
                for other in list(room.members):
                    self._remove(room, other)
                room.ready.set_exception(exc if isinstance(exc, Exception) else ConnectionError("cancelled"))
                room.ready.exception()  # retrieved here; the other members raise it from their own await
                raise
            room.place(position.epoch, position.seq)
            room.ready.set_result(None)
        else:
            self._add(room, member)
            try:
                await asyncio.wait_for(asyncio.shield(room.ready), self._join_timeout_s)
            except BaseException:
                self._remove(room, member)
                raise
        return room

    def _add(self, room: Room, member: Member) -> None:
        if member not in room.members and member.user is not None:
            self._sockets_of[member.user.user_id] += 1
        room.members.add(member)

    def _remove(self, room: Room, member: Member) -> None:
        if member in room.members and member.user is not None:
            self._sockets_of[member.user.user_id] -= 1
            if self._sockets_of[member.user.user_id] <= 0:
                del self._sockets_of[member.user.user_id]
        room.members.discard(member)

    async def heartbeat(self, silence_s: float) -> None:
        """Ping every member and drop those silent for longer than silence_s. One pass for the whole
        process instead of a timer per connection (aiohttp's heartbeat): idle viewers stay cheap. The
        pass yields to the loop every HEARTBEAT_CHUNK members: a ping is a system call, and thousands in
        a row would hold up the room events behind them."""
        now = asyncio.get_running_loop().time()
        members = [m for room in list(self.rooms.values()) for m in room.members]
        for start in range(0, len(members), HEARTBEAT_CHUNK):
            for member in members[start:start + HEARTBEAT_CHUNK]:
                member.ping_or_drop(now, silence_s)
            await asyncio.sleep(0)

    def close_where(self, covered: Callable[[Principal], bool], code: int, reason: str) -> int:
        """Close (after what is queued) every member whose user is covered; how many."""
        closed = 0
        for room in list(self.rooms.values()):
            for member in list(room.members):
                if member.user is not None and covered(member.user):
                    member.flush_then_close(code, reason)
                    closed += 1
        return closed

    def users(self) -> set[int]:
        """The signed-in users with a socket on this process."""
        return set(self._sockets_of)

    def sockets_of(self, user_id: int) -> int:
        """How many room memberships the user has on this process (any room)."""
        return self._sockets_of.get(user_id, 0)

    def leave(self, name: RoomName, member: Member) -> None:
        """Remove a member; the last one out ends the process's subscription to the room."""
        room = self.rooms.get(name)
        if room is None:
            return
        self._remove(room, member)
        if not room.members and room.ready.done() and self.rooms.get(name) is room:
            del self.rooms[name]
            self.spawn(self._unsubscribe(name), "room-unsubscribe")

    async def _unsubscribe(self, name: RoomName) -> None:
        if name not in self.rooms:  # nobody came back meanwhile
            try:
                await self._subscriber.unsubscribe(name)
            except REDIS_DOWN as exc:  # the connection is gone, and its subscriptions with it
                log.info("could not unsubscribe from %s: %r", name, exc)

    def local_count(self, name: RoomName) -> int:
        room = self.rooms.get(name)
        return len(room.members) if room else 0


async def _no_regreet(name: RoomName, member: Member) -> None:
    await member.close(WSCloseCode.SERVICE_RESTART, "resync: reconnect")
