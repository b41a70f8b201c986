"""Comments with threaded replies, and reports that hide a video pending an admin's review."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from feed.comments import store
from feed.comments.store import Comment
from feed.engine.service import COUNT_SCOPE
from feed.schemas import CommentIn, CommentOut, ReportIn, ReportOut, UserBrief
from feed.videos import store as videos_store
from feed.videos.service import Videos
from rooms.notifications.service import notify_after_commit
from server.counts import bump_version
from server.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.tokens import Principal

REPLIES_SHOWN = 3


@dataclass
class Comments:
    videos: Videos

    @property
    def pool(self) -> asyncpg.Pool:
        return self.videos.pool

    async def page(self, me: Principal | None, video_id: int, limit: int,
                   offset: int) -> tuple[int, list[CommentOut]]:
        """Top-level comments newest first, each with its first replies and its reply count."""
        await self.videos.visible(video_id, me)
        total, roots, replies, counts = await store.threads(self.pool, video_id, limit, offset, REPLIES_SHOWN)
        by_parent: dict[int | None, list[CommentOut]] = {}
        for r in replies:
            by_parent.setdefault(r.parent_id, []).append(comment_out(r))
        return total, [comment_out(r, by_parent.get(r.id, []), counts.get(r.id, 0)) for r in roots]

    async def create(self, me: Principal, data: CommentIn) -> CommentOut:
        """Comment on a video, or reply to a comment of the same video (a reply to a reply joins its thread)."""
        video = await self.videos.visible(data.video, me)
        parent = None
        if data.parent is not None:
            parent = await store.fetch_comment(self.pool, data.parent)
            if parent is None or parent.video_id != data.video:
                raise InvalidInput("The parent comment is not on this video.", fields={"parent": ["No such comment."]})
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.insert_comment(conn, data.video, me.user_id, data.text,
                                             (parent.parent_id or parent.id) if parent else None)
            await videos_store.bump(conn, data.video, "comments_count", 1)
            await videos_store.record(conn, me.user_id, data.video, "comment")
            # The creator hears of comments and replies on their reel; a comment's author of replies to it.
            told = {me.user_id}
            about = {"video_id": video.id, "comment_id": row.id}
            if video.creator_id not in told:
                what = "replied on" if parent else "commented on"
                await notify_after_commit(conn, video.creator_id, "reel_comment",
                                          f"{row.username} {what} your reel {video.title}: {row.text[:100]}", about,
                                          me.user_id)
                told.add(video.creator_id)
            if parent is not None and parent.user_id not in told:
                await notify_after_commit(conn, parent.user_id, "comment_reply",
                                          f"{row.username} replied to your comment: {row.text[:100]}", about,
                                          me.user_id)
        return comment_out(row)

    async def delete(self, me: Principal, comment_id: int) -> None:
        """Its author, the video's creator or an admin deletes a comment (and its replies)."""
        row = await store.fetch_comment(self.pool, comment_id)
        if row is None:
            raise NotFound(f"No comment with id {comment_id}.", code="comment_not_found")
        video = await videos_store.fetch(self.pool, row.video_id)
        if not (me.role == "admin" or me.user_id == row.user_id or (video and video.creator_id == me.user_id)):
            raise PermissionDenied("Only its author, the video's creator or an admin can delete a comment.")
        async with self.pool.acquire() as conn, conn.transaction():
            removed = await store.delete_comment(conn, comment_id)
            await videos_store.bump(conn, row.video_id, "comments_count", -removed)

    async def report(self, me: Principal, data: ReportIn) -> ReportOut:
        """Report a video once; at the configured number of open reports it is hidden until reviewed."""
        video = await self.videos.visible(data.video, me)
        if video.creator_id == me.user_id:
            raise InvalidInput("You cannot report your own video.", code="own_video")
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.insert_report(conn, data.video, me.user_id, data.reason, data.description)
            if row is None:
                raise Conflict("You have already reported this video.", code="already_reported")
            hidden = await store.hide_if_reported(conn, data.video, self.videos.config.report_threshold)
        if hidden:
            await bump_version(self.videos.redis, COUNT_SCOPE)
        return ReportOut(id=row.id, video=row.video_id, reason=row.reason, description=row.description,
                         status=row.status, created_at=row.created_at)

    async def reported(self, limit: int, offset: int) -> tuple[int, list[dict[str, object]]]:
        """For admins: videos with open reports and the reasons given."""
        total, rows = await store.reported_videos(self.pool, limit, offset)
        outs = {v.id: v for v in await self.videos.outs([r.video_id for r in rows], None)}
        return total, [{"video": outs[r.video_id].model_dump(mode="json") if r.video_id in outs else None,
                        "video_id": r.video_id, "status": r.status, "open_reports": r.open_reports,
                        "reasons": sorted(r.reasons)} for r in rows]

    async def review(self, me: Principal, video_id: int, action: str) -> None:
        """An admin decides on a reported video: "hide" removes it, "keep" shows it again."""
        async with self.pool.acquire() as conn, conn.transaction():
            if await videos_store.lock(conn, video_id) is None:
                raise NotFound(f"No video with id {video_id}.", code="video_not_found")
            if not await store.review(conn, video_id, me.user_id, action):
                raise Conflict("This video has no open reports.", code="no_open_reports")
        await bump_version(self.videos.redis, COUNT_SCOPE)


def comment_out(row: Comment, replies: list[CommentOut] | None = None, replies_count: int = 0) -> CommentOut:
    return CommentOut(id=row.id, video=row.video_id, user=UserBrief(id=row.user_id, username=row.username),
                      text=row.text, parent=row.parent_id, replies=replies or [],
                      replies_count=replies_count, created_at=row.created_at)
