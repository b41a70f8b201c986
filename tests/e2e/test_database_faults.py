"""Adversity: PostgreSQL goes away mid-auction (every connection cut, new ones refused, as in a restart) and
comes back; the server process carries on by itself and nothing it acknowledged is lost or announced twice."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import aiohttp
import asyncpg

from tests.conftest import Services
from tests.e2e.test_auctions import open_auction
from tests.e2e.test_room_order import auction_events, check_commit_order, watch
from tests.e2e.test_rooms import live_show
from tests.faults import FaultProxy
from tests.helpers import Account, Api
from tests.processes import ServerProcess, start_server


class Bidding:
    """Bidders bidding over REST until told to stop, keeping what the server acknowledged."""

    def __init__(self) -> None:
        self.acked: list[int] = []  # versions of acknowledged bids
        self.unavailable = 0
        self.stop = asyncio.Event()
        self.progress = asyncio.Event()  # set on every answer; the test waits on it

    async def bidder(self, session: aiohttp.ClientSession, server: ServerProcess, who: Account,
                     bidding_id: int, first: int) -> None:
        amount = first
        for _ in range(10_000):  # bounded; stops when told
            if self.stop.is_set():
                return
            amount += 7
            try:
                async with session.post(f"{server.base}/api/livestreams/biddings/{bidding_id}/place-bid/",
                                        json={"amount": amount},
                                        headers={"Authorization": f"Bearer {who.access}"}) as resp:
                    body = await resp.json()
                    if resp.status == 201:
                        self.acked.append(body["bid"]["version"])
                    elif resp.status == 503:
                        self.unavailable += 1
                        await asyncio.sleep(0.02)  # the client backs off a little, as an app does
                    else:
                        assert resp.status == 409, body
                        amount = int(body["error"].get("needed", amount))
            except aiohttp.ClientError:
                self.unavailable += 1
            self.progress.set()

    async def until(self, done: object) -> None:
        while not done():  # type: ignore[operator]
            self.progress.clear()
            await asyncio.wait_for(self.progress.wait(), 30)


async def ready(session: aiohttp.ClientSession, server: ServerProcess) -> tuple[int, dict[str, str]]:
    async with session.get(server.base + "/readyz") as resp:
        body = await resp.json()
        return resp.status, body["checks"] if resp.status == 200 else body["error"]["checks"]


async def test_a_postgresql_restart_mid_auction_loses_nothing_acknowledged(
        api: Api, admin: Account, clean: Services, servers: list[ServerProcess], db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)
    auction = await open_auction(api, show, min_increment="1")
    bidders = [await api.register(f"pg{i}") for i in range(6)]
    parts = urlsplit(clean.database_url)
    socket = f"{parse_qs(parts.query)['host'][0]}/.s.PGSQL.{parts.port or 5432}"
    proxy = FaultProxy(socket)
    await proxy.start()
    try:
        server = await start_server(clean, database_url=f"postgresql://postgres@127.0.0.1:{proxy.port}{parts.path}",
                                    LSC_ROOMS_OUTBOX_SWEEP_S="0.2")
        servers.append(server)
        bidding = Bidding()
        async with aiohttp.ClientSession() as session:
            watchers = [await watch(session, server, show.stream_id) for _ in range(3)]
            jobs = [asyncio.create_task(bidding.bidder(session, server, who, auction["id"], 100 + i))
                    for i, who in enumerate(bidders)]
            await bidding.until(lambda: len(bidding.acked) >= 20)
            proxy.refusing = True  # PostgreSQL stops: every connection cut, none taken
            proxy.cut()
            status, checks = await ready(session, server)
            assert status == 503 and checks["database"] != "ok" and checks["redis"] == "ok"
            await bidding.until(lambda: bidding.unavailable >= 20)
            before = len(bidding.acked)
            proxy.refusing = False  # and starts again
            back = asyncio.get_running_loop().time()
            await bidding.until(lambda: len(bidding.acked) > before)
            first_ack_s = asyncio.get_running_loop().time() - back
            await bidding.until(lambda: len(bidding.acked) >= before + 20)
            print(f"PostgreSQL refused: {bidding.unavailable} bids answered 503; the first bid acknowledged "
                  f"{first_ack_s * 1000:.0f} ms after it accepted connections again")
            assert (await ready(session, server))[0] == 200
            bidding.stop.set()
            await asyncio.gather(*jobs)
            closed = await api.post(f"/api/livestreams/biddings/{auction['id']}/close/", token=show.seller.access)
            assert closed.status == 200
            stored = [r["version"] for r in await db.fetch(
                "SELECT DISTINCT version FROM bids WHERE bidding_id = $1 ORDER BY version", auction["id"])]
            assert set(bidding.acked) <= set(stored)  # nothing acknowledged is lost
            for watcher in watchers:
                events = auction_events(await watcher.until("bidding_closed"), auction["id"])
                check_commit_order(events)
                # Every committed bid announced once, those whose answer the cut lost too (by the sweeper).
                assert sorted({e["data"]["version"] for e in events if e["type"] == "bid"}) == stored
        assert server.proc.returncode is None  # no restart needed
    finally:
        await proxy.close()
