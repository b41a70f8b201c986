"""Benchmark: personalized feed latency with 100,000 reels, 10,000 users and 1,000,000 interactions.

Starts embedded PostgreSQL and Valkey under var/bench (or uses LSC_BENCH_DATABASE_URL and
LSC_BENCH_REDIS_URL), fills a fresh database in SQL, runs the server as a separate process on
127.0.0.1 pinned to CPU 0, and times sequential feed pages of 20 for:
  - cold users: signed in, no history at all;
  - warm users: the users with the most interactions (likes, views, watch time, follows);
  - signed-out visitors (pages 1 to 3: their feed is the best of the trending and recent candidates).
Each signed-in user scrolls --pages pages of one session (every page excludes what the session saw).
Bounded: users x pages requests per kind. Prints p50 and p99 in milliseconds.

    .venv/bin/python loadtest/bench_feed.py [--reels 100000] [--users 10000] [--interactions 1000000]
"""

from __future__ import annotations

import argparse
import time

import aiohttp
import asyncpg
from common import fresh_database, print_latencies, run_benchmark, start_server, stop

from feed.videos.store import refresh_trending
from server.config import load_config
from server.tokens import TokenCodec

SEED = """
INSERT INTO users (username, email, password_hash, role)
SELECT 'bench_user_' || g, 'bench_user_' || g || '@example.com', 'x', 'buyer' FROM generate_series(1, {users}) g;
INSERT INTO users (username, email, password_hash, role)
SELECT 'bench_creator_' || g, 'bench_creator_' || g || '@example.com', 'x', 'buyer' FROM generate_series(1, 200) g;
INSERT INTO creator_profiles (user_id, handle, display_name)
SELECT id, username, username FROM users WHERE username LIKE 'bench_creator_%';
INSERT INTO video_categories (name, slug) SELECT 'Category ' || g, 'category-' || g FROM generate_series(1, 20) g;
INSERT INTO videos (creator_id, category_id, content_type, title, image_file, tags, likes_count, views_count,
                    shares_count, created_at)
SELECT (SELECT array_agg(user_id) FROM creator_profiles)[1 + g % 200],
       (SELECT array_agg(id) FROM video_categories)[1 + (g * 7) % 20],
       'IMAGE', 'Reel ' || g, 'videos/bench.png',
       ARRAY['tag' || (g % 150), 'tag' || ((g * 13) % 150), 'tag' || ((g * 29) % 150)],
       (g * 31) % 500, (g * 97) % 20000, (g * 11) % 50,
       now() - make_interval(secs => (g * 53) % (60 * 86400))
FROM generate_series(1, {reels}) g;
INSERT INTO video_interactions (user_id, video_id, event_type, dwell_ms, created_at)
SELECT 1 + (hashint4(g) & 2147483647) % {users},
       1 + (hashint4(g + 1) & 2147483647) % {reels},
       (ARRAY['view', 'view', 'view', 'watch_time', 'like', 'cta_click', 'scroll_pause', 'share', 'save',
              'add_to_cart'])[1 + g % 10],
       (g * 7) % 30000, now() - make_interval(secs => (g * 17) % (30 * 86400))
FROM generate_series(1, {interactions}) g;
INSERT INTO video_likes (video_id, user_id, created_at)
SELECT video_id, user_id, max(created_at) FROM video_interactions WHERE event_type = 'like'
GROUP BY video_id, user_id;
INSERT INTO video_saves (video_id, user_id, created_at)
SELECT video_id, user_id, max(created_at) FROM video_interactions WHERE event_type = 'save'
GROUP BY video_id, user_id;
INSERT INTO follows (follower_id, following_id)
SELECT u, (SELECT array_agg(user_id) FROM creator_profiles)[1 + (u * k) % 200]
FROM generate_series(1, {users}) u, generate_series(1, 5) k ON CONFLICT DO NOTHING;
INSERT INTO users (username, email, password_hash, role)
SELECT 'bench_new_' || g, 'bench_new_' || g || '@example.com', 'x', 'buyer' FROM generate_series(1, 100) g;
ANALYZE;
"""


async def scroll(session: aiohttp.ClientSession, url: str, token: str | None, pages: int) -> list[float]:
    """One session: `pages` feed pages in a row; the times of each."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    times, seen = [], set()
    for page in range(1, pages + 1):
        started = time.perf_counter()
        async with session.get(url + (f"&page={page}" if token is None else ""), headers=headers) as resp:
            body = await resp.json()
            assert resp.status == 200, body
        times.append((time.perf_counter() - started) * 1000)
        ids = [v["id"] for v in body["results"]]
        assert len(ids) == 20 and not seen & set(ids), "a page repeated a reel or came short"
        seen.update(ids)
    return times


async def run(database_url: str, redis_url: str, reels: int, users: int, interactions: int, sessions: int,
              pages: int) -> None:
    url = await fresh_database(database_url, "lsc_bench_feed")
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    await conn.execute(SEED.format(reels=int(reels), users=int(users), interactions=int(interactions)))
    counts = await conn.fetchrow("""SELECT (SELECT count(*) FROM videos) AS reels,
                                           (SELECT count(*) FROM users) AS users,
                                           (SELECT count(*) FROM video_interactions) AS interactions,
                                           (SELECT count(*) FROM video_likes) AS likes""")
    print(f"seeded {counts['reels']} reels, {counts['users']} users, {counts['interactions']} interactions "
          f"({counts['likes']} likes) in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    changed = await refresh_trending(conn, 30 * 86400)
    print(f"trend scores of {changed} reels computed in {time.perf_counter() - started:.2f} s")
    warm = [r["user_id"] for r in await conn.fetch(
        "SELECT user_id FROM video_interactions GROUP BY user_id ORDER BY count(*) DESC LIMIT $1", sessions)]
    history = await conn.fetchval("SELECT avg(n) FROM (SELECT count(*) AS n FROM video_interactions "
                                  "WHERE user_id = ANY($1::bigint[]) GROUP BY user_id) x", warm)
    cold = [r["id"] for r in await conn.fetch(
        "SELECT id FROM users WHERE username LIKE 'bench_new_%' ORDER BY id LIMIT $1", sessions)]
    await conn.close()
    print(f"warm users: {len(warm)} with {history:.0f} interactions each on average; cold users: {len(cold)}")

    codec = TokenCodec(load_config(env={}).auth.jwt_secret, 3600, 3600)
    server, port = await start_server(url, redis_url, cpu=0)
    try:
        feed = f"http://127.0.0.1:{port}/api/v1/shoppable-videos/?page_size=20"
        async with aiohttp.ClientSession() as session:
            await scroll(session, feed, codec.issue_access(warm[-1], "buyer"), 3)  # warm up the server
            results = {}
            for label, ids in (("cold user", cold[:-1]), ("warm user", warm[:-1])):
                times: list[float] = []
                for user_id in ids:
                    times += await scroll(session, feed, codec.issue_access(user_id, "buyer"), pages)
                results[label] = times
            anonymous: list[float] = []
            for _ in range(len(cold) - 1):  # signed out: one fixed pool of trending and recent reels
                anonymous += await scroll(session, feed, None, min(pages, 3))
            results["signed out"] = anonymous
        print_latencies("feed page of 20", results, f"{sessions - 1} sessions x {pages} pages, sequential")
    finally:
        await stop(server, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reels", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=21, help="users per kind (one is used to warm up)")
    parser.add_argument("--pages", type=int, default=15, help="pages each user scrolls in one session")
    args = parser.parse_args()
    params = (args.reels, args.users, args.interactions, args.sessions, args.pages)
    run_benchmark(lambda db, rd: run(db, rd, *params), core=None)


if __name__ == "__main__":
    main()
