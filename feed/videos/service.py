"""Reels use cases: upload and edit, the API shape of a page of videos, engagement, add to cart."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from commerce.cart.service import Cart
from feed.briefs.views import creator_brief, product_brief
from feed.engine.service import COUNT_SCOPE, Engine, FeedPage
from feed.engine.session import Session
from feed.leaderboard.service import Leaderboard
from feed.media import accept_any, accept_picture, accept_video
from feed.schemas import (
    AddToCartIn,
    AddToCartOut,
    ItemIn,
    LikeOut,
    ProductBrief,
    SaveOut,
    TrackIn,
    VideoCategoryOut,
    VideoIn,
    VideoItemOut,
    VideoOut,
    VideoPatch,
)
from feed.social import store as social_store
from feed.videos import store
from feed.videos.store import Video, VideoRow
from rooms.bridge import Bridge
from rooms.notifications.service import notify_followers, notify_once
from server.accounts import store as accounts
from server.api import validate
from server.config import FeedConfig
from server.counts import PageCache, bump_version
from server.db import reading
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.media import media_url
from server.tokens import Principal
from server.uploads import Form, discard

log = logging.getLogger(__name__)
MAX_ITEMS = 20
COLUMN = {"category": "category_id", "product": "product_id"}  # API field -> videos column
BRIEF_FIELDS = {"id", "title", "video_file", "image_file", "likes_count", "creator"}
CLEARED = {"tags": [], "description": ""}  # what null means for a PATCH field (others: NULL)
LIST_FIELDS = ("additional_products", "tags")
VIEWER_FLAGS = {"is_liked", "is_saved"}


LIKE_MILESTONES = (10, 100, 1000, 10_000, 100_000)


@dataclass
class Videos:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    bridge: Bridge
    config: FeedConfig
    media: Path  # where uploads are kept
    engine: Engine
    cart: Cart
    max_image_bytes: int  # commerce.max_image_bytes: a `file` that is a picture may be no larger

    _items: PageCache = field(init=False)  # (reels version, video id) -> the feed item's JSON, unclosed

    def __post_init__(self) -> None:
        self._items = PageCache(self.config.render_cache_s, size=20_000)

    @property
    def session(self) -> Session:
        return self.engine.session

    # ---- reading ----

    async def outs(self, ids: list[int], me: Principal | None, *, active_only: bool = False) -> list[VideoOut]:
        """The API shape of these videos, in the order given, in three queries whatever their number (with
        active_only, those no longer active are left out)."""
        if not ids:
            return []
        viewer = me.user_id if me else 0
        async with reading(self.pool).acquire() as conn:
            rows = await store.rows_by_id(conn, ids, viewer)
            if active_only:
                rows = {i: row for i, row in rows.items() if row.video.status == "active"}
            with_products = [i for i, row in rows.items() if row.has_products]
            with_items = [i for i, row in rows.items() if row.has_items]
            products = await store.products_of(conn, with_products) if with_products else []
            items = await store.items_of(conn, with_items) if with_items else []
        primary: dict[int, ProductBrief] = {}
        extra: dict[int, list[ProductBrief]] = {}
        for p in products:
            if p.position < 0:
                primary[p.video_id] = product_brief(p.product)
            else:
                extra.setdefault(p.video_id, []).append(product_brief(p.product))
        slides: dict[int, list[VideoItemOut]] = {}
        for it in items:
            slides.setdefault(it.video_id, []).append(VideoItemOut(
                id=it.item_id, position=it.position, image_file=media_url(it.image_file),
                video_file=media_url(it.video_file), caption=it.caption,
                product=product_brief(it.product) if it.product is not None else None,
            ))
        return [video_out(rows[i], primary.get(i), extra.get(i, []), slides.get(i, [])) for i in ids if i in rows]

    async def visible(self, video_id: int, me: Principal | None) -> Video:
        """The video's row if the caller may see it: active ones for everyone, others for their creator and admins."""
        row = await store.fetch(reading(self.pool), video_id)
        if row is None or not (row.status == "active" or _may_edit(me, row)):
            raise NotFound(f"No video with id {video_id}.", code="video_not_found")
        return row

    async def get(self, video_id: int, me: Principal | None) -> VideoOut:
        await self.visible(video_id, me)
        return (await self.outs([video_id], me))[0]

    async def feed(self, me: Principal | None, category: int | None, size: int, page: int) -> tuple[FeedPage, bytes]:
        """A page of the personalized feed, each reel with the part of the mix that chose it, as a JSON array.

        Each reel's item without the viewer's flags is kept in this process (feed.render_cache_s, under the
        reels' version); the flags of kept items are read per page in one query."""
        chosen = await self.engine.page(me, category, size, page)
        items = {}
        for video_id in chosen.ids:
            if (item := self._items.get((chosen.version, video_id))) is not None:
                items[video_id] = item
        kept = list(items)
        liked: set[int] = set()
        saved: set[int] = set()
        for out in await self.outs([i for i in chosen.ids if i not in items], me, active_only=True):
            # The item's JSON without its closing brace: the viewer's flags and the source are appended.
            items[out.id] = item = out.model_dump_json(exclude=VIEWER_FLAGS)[:-1].encode()
            self._items.put((chosen.version, out.id), item)
            liked.update([out.id] if out.is_liked else [])
            saved.update([out.id] if out.is_saved else [])
        if me is not None and kept:  # the items read just now came with the viewer's flags; kept ones did not
            async with reading(self.pool).acquire() as conn:
                kept_liked, kept_saved = await store.flags(conn, kept, me.user_id)
            liked |= kept_liked
            saved |= kept_saved
        parts = [b'%s,"is_liked":%s,"is_saved":%s,"feed_source":"%s"}' % (
            items[i], b"true" if i in liked else b"false", b"true" if i in saved else b"false",
            chosen.sources[i].encode()) for i in chosen.ids if i in items]
        return chosen, b"[" + b",".join(parts) + b"]"

    async def in_category(self, me: Principal | None, category_id: int, limit: int,
                          offset: int) -> tuple[int, list[VideoOut]]:
        total, ids = await store.by_category(reading(self.pool), category_id, limit, offset)
        return total, await self.outs(ids, me)

    async def by_creator(self, me: Principal | None, creator_id: int, limit: int,
                         offset: int) -> tuple[int, list[VideoOut]]:
        """A creator's reels, newest first (their hidden ones too, for the creator and admins)."""
        mine = me is not None and (me.user_id == creator_id or me.role == "admin")
        total, ids = await store.by_creator(reading(self.pool), creator_id, limit, offset, all_statuses=mine)
        return total, await self.outs(ids, me)

    async def _owned(self, me: Principal, video_id: int) -> Video:
        row = await self.visible(video_id, me)
        if not _may_edit(me, row):
            raise PermissionDenied("Only the creator of this video can change it.")
        return row

    # ---- writing ----

    async def upload(self, me: Principal, form: Form) -> VideoOut:
        """Create a video from a multipart form: fields checked, files checked by content, then one transaction
        (the creator's post count and the followers' notifications with it). Nothing is left on refusal."""
        async with self._cleanup_on_failure(form) as stored:
            data = validate(VideoIn, form_data(form.fields))
            await self._check_refs(data.category, [p for p in [data.product, *data.additional_products] if p])
            files = await self._store_files(me.user_id, form, stored)
            if data.content_type == "VIDEO" and "video_file" not in files:
                raise InvalidInput("A VIDEO needs its video_file.", fields={"video_file": ["This field is required."]})
            if data.content_type == "IMAGE" and "image_file" not in files:
                raise InvalidInput("An IMAGE needs its image_file.", fields={"image_file": ["This field is required."]})
            async with self.pool.acquire() as conn, conn.transaction():
                await social_store.ensure_profile(conn, me.user_id)
                video_id = await store.insert(conn, me.user_id, {**data.model_dump(), **files})
                await store.set_additional_products(conn, video_id, data.additional_products)
                await social_store.bump_posts(conn, me.user_id, 1)
                name = await accounts.username(conn, me.user_id)
                await notify_followers(conn, me.user_id, "new_reel", f"{name} posted a new reel: {data.title}",
                                       {"video_id": video_id})
        await bump_version(self.redis, COUNT_SCOPE)
        return await self.get(video_id, me)

    @contextlib.asynccontextmanager
    async def _cleanup_on_failure(self, form: Form) -> AsyncIterator[list[str]]:
        """If the block fails, delete the form's temporary files and the media paths it stored (the list
        yielded): a refused upload leaves nothing on disk."""
        stored: list[str] = []
        try:
            yield stored
        except BaseException:
            await form.discard()
            for path in stored:
                await discard(self.media / path)
            raise

    async def _store_files(self, creator_id: int, form: Form, stored: list[str]) -> dict[str, str]:
        files: dict[str, str] = {}
        folder = f"videos/{creator_id}"
        if "video_file" in form.files:
            files["video_file"] = await accept_video(form.files.pop("video_file"), self.media, folder)
            stored.append(files["video_file"])
        if "image_file" in form.files:
            files["image_file"] = await accept_picture(form.files.pop("image_file"), self.media, folder)
            stored.append(files["image_file"])
        if "file" in form.files:  # the apps' one `file`: a picture or a video, told apart by its content
            temp = form.files.pop("file")
            if files:  # image_file or video_file was sent as well: those win
                await discard(temp)
            else:
                kind, path = await accept_any(temp, self.media, folder, self.max_image_bytes)
                files[kind] = path
                stored.append(path)
        return files

    async def _check_refs(self, category: int | None, products: list[int]) -> None:
        if category is not None and not await store.category_exists(self.pool, category):
            raise InvalidInput(f"No video category with id {category}.", fields={"category": ["No such category."]})
        missing = await store.missing_products(self.pool, products) if products else []
        if missing:
            raise InvalidInput(f"No active product with id {missing[0]}.", code="product_not_found",
                               fields={"product": [f"No active product with id {missing[0]}."]})

    async def update(self, me: Principal, video_id: int, data: VideoPatch) -> VideoOut:
        """Change the fields sent (title, description, category, tags, products) of one's own video."""
        await self._owned(me, video_id)
        changes = {name: getattr(data, name) for name in data.model_fields_set}
        if changes.get("title") is None and "title" in changes:
            raise InvalidInput("The title cannot be null.", fields={"title": ["This field cannot be null."]})
        extra = changes.pop("additional_products", None)
        await self._check_refs(changes.get("category"), [p for p in [changes.get("product"), *(extra or [])] if p])
        # null clears: no tags, no description, no category or product
        columns = {name: (CLEARED.get(name) if value is None else value) for name, value in changes.items()}
        async with self.pool.acquire() as conn, conn.transaction():
            await store.update(conn, video_id, {COLUMN.get(name, name): value for name, value in columns.items()})
            if extra is not None:
                await store.set_additional_products(conn, video_id, extra)
        await bump_version(self.redis, COUNT_SCOPE)  # cached feed items and counts show the edit
        return await self.get(video_id, me)

    async def delete(self, me: Principal, video_id: int) -> None:
        """Delete one's own video (or any, for an admin) with its files."""
        await self._owned(me, video_id)
        async with self.pool.acquire() as conn, conn.transaction():
            files = await store.media_files(conn, video_id)
            creator = await store.delete(conn, video_id)
            if creator is not None:
                await social_store.bump_posts(conn, creator, -1)
        await bump_version(self.redis, COUNT_SCOPE)
        for path in files:
            await discard(self.media / path)

    async def add_item(self, me: Principal, video_id: int, form: Form) -> VideoOut:
        """Append a slide (an image or a video, optionally a product) to one's own COLLECTION."""
        async with self._cleanup_on_failure(form) as stored:
            row = await self._owned(me, video_id)
            if row.content_type != "COLLECTION":
                raise Conflict("Items belong to COLLECTION videos only.", code="not_a_collection")
            data = validate(ItemIn, form_data(form.fields))
            await self._check_refs(None, [data.product] if data.product else [])
            files = await self._store_files(me.user_id, form, stored)
            if not files:
                raise InvalidInput("An item needs a file (an image or a video), an image_file or a video_file.",
                                   fields={"image_file": ["This field is required."]})
            async with self.pool.acquire() as conn, conn.transaction():
                await store.lock(conn, video_id)
                item = await store.add_item(conn, video_id, files.get("image_file"), files.get("video_file"),
                                            data.product, data.caption, MAX_ITEMS, data.order)
            if item is None:
                raise Conflict(f"A collection holds at most {MAX_ITEMS} items.", code="too_many_items")
        await bump_version(self.redis, COUNT_SCOPE)  # cached feed items show the new slide
        return await self.get(video_id, me)

    # ---- engagement ----

    async def like(self, me: Principal, video_id: int, leaderboard: Leaderboard) -> LikeOut:
        """Toggle the caller's like. The like, the video's counter and the week's leaderboard move together."""
        row = await self.visible(video_id, me)
        async with self.pool.acquire() as conn, conn.transaction():
            liked_at = await store.like(conn, video_id, me.user_id)
            if liked_at is not None:
                count = await store.bump(conn, video_id, "likes_count", 1)
                await leaderboard.count_like(conn, video_id, liked_at, 1)
                await store.record(conn, me.user_id, video_id, "like")
                if count in LIKE_MILESTONES:  # told once: the bump holds the video's row lock to commit
                    await notify_once(conn, row.creator_id, "like_milestone",
                                      f"Your reel {row.title} reached {count:,} likes.",
                                      {"video_id": video_id, "likes": count})
            else:
                unliked = await store.unlike(conn, video_id, me.user_id)
                count = await store.bump(conn, video_id, "likes_count", -1 if unliked else 0)
                if unliked is not None:
                    await leaderboard.count_like(conn, video_id, unliked, -1)
        if liked_at is not None:
            await self.session.touch(me.user_id, row.category_id)
        return LikeOut(liked=liked_at is not None, likes_count=count or 0)

    async def save(self, me: Principal, video_id: int) -> SaveOut:
        row = await self.visible(video_id, me)
        async with self.pool.acquire() as conn, conn.transaction():
            saved = await store.save(conn, video_id, me.user_id)
            if saved:
                count = await store.bump(conn, video_id, "saves_count", 1)
                await store.record(conn, me.user_id, video_id, "save")
            else:
                removed = await store.unsave(conn, video_id, me.user_id)
                count = await store.bump(conn, video_id, "saves_count", -1 if removed else 0)
        if saved:
            await self.session.touch(me.user_id, row.category_id)
        return SaveOut(saved=saved, saves_count=count or 0)

    async def view(self, me: Principal | None, video_id: int) -> int:
        """Count a view; a signed-in viewer's session will not be shown the video again."""
        await self.visible(video_id, me)
        async with self.pool.acquire() as conn, conn.transaction():
            count = await store.bump(conn, video_id, "views_count", 1)
            await store.record(conn, me.user_id if me else None, video_id, "view")
        if me is not None:
            await self.session.seen(me.user_id, [video_id])
        return count or 0

    async def share(self, me: Principal | None, video_id: int) -> int:
        row = await self.visible(video_id, me)
        async with self.pool.acquire() as conn, conn.transaction():
            count = await store.bump(conn, video_id, "shares_count", 1)
            await store.record(conn, me.user_id if me else None, video_id, "share")
        if me is not None:
            await self.session.touch(me.user_id, row.category_id)
        return count or 0

    async def track(self, me: Principal, video_id: int, data: TrackIn) -> None:
        """Log watch time, a product tap or a scroll pause; a real engagement makes the category active in
        the session (3 s of watching or pausing, or any product tap)."""
        row = await self.visible(video_id, me)
        await store.record(self.pool, me.user_id, video_id, data.event_type, int(data.dwell_time * 1000),
                           data.extra_data)
        if data.event_type == "cta_click" or data.dwell_time >= 3:
            await self.session.touch(me.user_id, row.category_id)

    async def add_to_cart(self, me: Principal, video_id: int, data: AddToCartIn) -> AddToCartOut:
        """Put the video's product (or one of its other products) in the cart with source "video"."""
        row = await self.visible(video_id, me)
        product_id = data.product_id or row.product_id
        if product_id is None:
            raise InvalidInput("This video has no main product; say which one with product_id.",
                               fields={"product_id": ["This field is required for this video."]})
        if not await store.product_in_video(self.pool, video_id, product_id):
            raise InvalidInput(f"Product {product_id} is not shown in this video.", code="product_not_in_video",
                               fields={"product_id": ["Not a product of this video."]})
        cart = await self.cart.add(me.user_id, product_id, data.quantity, source="video")
        await store.record(self.pool, me.user_id, video_id, "add_to_cart", extra={"product_id": product_id})
        await self.session.touch(me.user_id, row.category_id)
        name = next((line.product.name for line in cart.items if line.product.id == product_id), "the product")
        return AddToCartOut(status="success", message=f"Added {name} to cart", cart_item_count=cart.count)

    async def more_like_this(self, me: Principal | None, video_id: int, limit: int) -> list[VideoOut]:
        await self.visible(video_id, me)
        return await self.outs(await store.more_like_this(self.pool, video_id, limit), me)

    async def also_watched(self, me: Principal | None, video_id: int, limit: int) -> list[VideoOut]:
        await self.visible(video_id, me)
        return await self.outs(await store.also_watched(self.pool, video_id, limit), me)

    async def leaderboard(self, board: Leaderboard, week: str, limit: int, me: Principal | None = None, *,
                          brief: bool = False) -> list[dict[str, Any]]:
        """[{rank, video, likes}] for a week: videos no longer shown are left out, ranks are 1, 2, 3 ...
        `brief` keeps only what a list row shows of each video (for the push to every socket)."""
        pairs = await board.top(self.pool, week, limit)
        outs = {v.id: v for v in await self.outs([vid for vid, _ in pairs], me) if v.status == "active"}
        rows = [(outs[vid], likes) for vid, likes in pairs if vid in outs][:limit]
        keep = BRIEF_FIELDS if brief else None
        return [{"rank": i + 1, "video": v.model_dump(mode="json", include=keep), "likes": likes}
                for i, (v, likes) in enumerate(rows)]


def form_data(fields: dict[str, list[str]]) -> dict[str, Any]:
    """Form fields as the models take them: list fields from repeated or comma-separated values, empty
    optional values as absent."""
    data: dict[str, Any] = {}
    for name, values in fields.items():
        if name in LIST_FIELDS:
            parts = [p.strip() for v in values for p in v.split(",") if p.strip()]
            data[name] = parts
        elif values[-1].strip() != "":
            data[name] = values[-1]
    return data


def _may_edit(me: Principal | None, row: Video) -> bool:
    return me is not None and (me.role == "admin" or me.user_id == row.creator_id)


def video_out(row: VideoRow, product: ProductBrief | None, extra: list[ProductBrief],
              items: list[VideoItemOut]) -> VideoOut:
    v = row.video
    category = None
    if v.category_id is not None:
        category = VideoCategoryOut(id=v.category_id, name=row.category_name or "", slug=row.category_slug or "",
                                    description=row.category_description or "", icon=media_url(row.category_icon),
                                    emoji=row.category_emoji or "", order=row.category_order or 0,
                                    is_active=bool(row.category_active))
    return VideoOut(
        id=v.id, content_type=v.content_type, category=v.category_id, category_details=category,
        title=v.title, description=v.description, video_file=media_url(v.video_file),
        image_file=media_url(v.image_file), items=items, product=product, additional_products=extra,
        tags=list(v.tags), likes_count=v.likes_count, views_count=v.views_count,
        shares_count=v.shares_count, saves_count=v.saves_count, comments_count=v.comments_count,
        is_liked=row.is_liked, is_saved=row.is_saved, trend_score=round(v.trend_score, 4),
        creator=creator_brief(row.creator), status=v.status, created_at=v.created_at,
    )
