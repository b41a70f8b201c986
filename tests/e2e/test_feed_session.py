"""The feed's session over HTTP: the queue of ranked reels, the sources read on from where they stopped, uploads
during a session, engagement that re-ranks the next page, the per-process items and Redis losing the script."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from server.app import create_app
from server.keys import REDIS
from tests.conftest import make_config
from tests.e2e.test_reels import upload
from tests.helpers import Account, Api

FEED = "/api/v1/shoppable-videos/"


async def reels(db: asyncpg.Connection, creator: Account, count: int, category: int, *, title: str = "reel",
                tags: tuple[str, ...] = ()) -> list[int]:
    """`count` active reels by the creator, made straight in the database (the engine is what is tested)."""
    await db.execute("INSERT INTO creator_profiles (user_id, handle, display_name) VALUES ($1, $2, $2) "
                     "ON CONFLICT DO NOTHING", creator.id, f"c{creator.id}")
    rows = await db.fetch(
        """INSERT INTO videos (creator_id, category_id, content_type, title, image_file, tags, created_at)
           SELECT $1, $2, 'IMAGE', $3 || ' ' || g, 'videos/x.png', $4::text[], now() - make_interval(secs => g)
           FROM generate_series(1, $5) g RETURNING id""",
        creator.id, category, title, list(tags), count)
    return [r["id"] for r in rows]


async def scroll(api: Api, who: Account, pages: int, size: int = 5, query: str = "") -> list[tuple[int, str]]:
    shown = []
    for _ in range(pages):
        page = await api.get(f"{FEED}?page_size={size}{query}", token=who.access)
        assert page.status == 200, page.body
        shown += [(v["id"], v["feed_source"]) for v in page.body["results"]]
    return shown


async def test_a_long_session_reads_every_source_on_and_shows_each_reel_once(
        aiohttp_client: Any, clean: Any, db: asyncpg.Connection, video_categories: dict[str, int]) -> None:
    # Five candidates per source per read: 48 reels take many reads, each after where the last stopped.
    api = Api(await aiohttp_client(create_app(make_config(clean, feed={"candidates_per_source": 5}))))
    creator, viewer = await api.register("ritu"), await api.register("viewer")
    made = await reels(db, creator, 30, video_categories["food"], tags=("spice",))
    made += await reels(db, creator, 18, video_categories["fashion"], tags=("silk",))
    await api.post(f"{FEED}{made[0]}/like/", token=viewer.access)  # interests and tags to read on from
    shown = await scroll(api, viewer, 10)
    ids = [i for i, _ in shown]
    assert sorted(ids[:48]) == sorted(made), "every reel once before any repeat"
    assert [s for _, s in shown[48:]] == ["repeat"] * 2 and ids[48:] == ids[:2]


async def test_a_reel_uploaded_during_a_session_comes_in_before_any_repeat(
        api: Api, db: asyncpg.Connection, video_categories: dict[str, int]) -> None:
    creator, viewer = await api.register("ritu"), await api.register("viewer")
    await reels(db, creator, 12, video_categories["food"])
    first = await scroll(api, viewer, 1)  # every source is read to its end here: 12 reels, 30 a read
    new = await upload(api, creator, "fresh", category=video_categories["food"])
    rest = await scroll(api, viewer, 2)
    ids, sources = [i for i, _ in rest], [s for _, s in rest]
    assert not {i for i, _ in first} & set(ids[:8]) and new["id"] in ids[:8]
    assert sources[8:] == ["repeat"] * 2


async def test_an_engagement_re_ranks_the_pages_already_queued(
        api: Api, db: asyncpg.Connection, video_categories: dict[str, int]) -> None:
    creator, viewer = await api.register("ritu"), await api.register("viewer")
    food = video_categories["food"]
    liked = (await reels(db, creator, 1, food, title="curry"))[0]
    for slug in ("fashion", "beauty", "home", "kids", "fitness"):
        await reels(db, creator, 6, video_categories[slug])
    await reels(db, creator, 8, food)
    before = await scroll(api, viewer, 1)  # the queue holds the next pages, ranked without any interest
    await api.post(f"{FEED}{liked}/like/", token=viewer.access)
    after = await api.get(f"{FEED}?page_size=5", token=viewer.access)
    personalized = [v for v in after.body["results"] if v["feed_source"] == "personalized"]
    assert before and personalized and all(v["category"] == food for v in personalized)


async def test_kept_items_carry_each_viewers_flags_and_drop_on_an_edit(
        aiohttp_client: Any, clean: Any, video_categories: dict[str, int]) -> None:
    config = make_config(clean, feed={"render_cache_s": 3600})
    first, second = Api(await aiohttp_client(create_app(config))), Api(await aiohttp_client(create_app(config)))
    creator, fan, other = (await first.register("ritu"), await first.register("fan"),
                           await first.register("other"))
    reel = await upload(first, creator, "Old title", category=video_categories["food"])
    await first.post(f"{FEED}{reel['id']}/like/", token=fan.access)
    # Each process keeps the item, without anyone's flags (one reel: later pages show it again, as a repeat).
    for api in (first, second):
        for who, liked in ((fan, True), (other, False)):
            item = (await api.get(f"{FEED}?page_size=5", token=who.access)).body["results"][0]
            assert (item["id"], item["title"], item["is_liked"]) == (reel["id"], "Old title", liked)
    await first.patch(f"{FEED}{reel['id']}/", {"title": "New title"}, token=creator.access)
    for api in (first, second):  # an edit on one process shows at once on both
        item = (await api.get(f"{FEED}?page_size=5", token=fan.access)).body["results"][0]
        assert (item["title"], item["is_liked"]) == ("New title", True)
        signed_out = (await api.get(f"{FEED}?page_size=5")).body["results"][0]
        assert (signed_out["title"], signed_out["is_liked"]) == ("New title", False)


async def test_the_feed_goes_on_when_redis_forgets_the_script(
        api: Api, db: asyncpg.Connection, video_categories: dict[str, int]) -> None:
    creator, viewer = await api.register("ritu"), await api.register("viewer")
    await reels(db, creator, 12, video_categories["food"])
    first = await scroll(api, viewer, 1)
    await api.client.app[REDIS].script_flush()  # as after a Redis restart without persistence of scripts
    second = await scroll(api, viewer, 1)
    assert len(first) == len(second) == 5 and not {i for i, _ in first} & {i for i, _ in second}


async def test_pages_asked_at_the_same_moment_by_one_user_never_repeat_a_reel(
        api: Api, db: asyncpg.Connection, video_categories: dict[str, int]) -> None:
    creator, viewer = await api.register("ritu"), await api.register("viewer")
    made = await reels(db, creator, 30, video_categories["food"])
    together = await asyncio.gather(*(scroll(api, viewer, 1) for _ in range(4)))  # four refills at once
    after = await scroll(api, viewer, 3)
    ids = [i for page in together for i, _ in page] + [i for i, _ in after]
    fresh = [i for i in ids if i in made][:30]
    assert len(set(fresh)) == len(fresh) == 30 and ids[:30] == fresh  # each reel once before any repeat
