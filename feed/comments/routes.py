"""HTTP endpoints of reel comments, reports and their review."""

from __future__ import annotations

from aiohttp import web

from feed.comments.keys import COMMENTS
from feed.schemas import CommentIn, CommentOut, CommentQuery, ReportIn, ReportOut, ReviewIn
from server.api import ApiRouter, Page, PageQuery, page_of, path_id
from server.tokens import Principal

api = ApiRouter("reels")


@api.get("/api/v1/video-comments/", auth="optional", query=CommentQuery, response=Page[CommentOut],
         summary="A reel's comments, newest first, each with its first replies")
async def list_comments(request: web.Request, me: Principal | None, query: CommentQuery) -> web.Response:
    total, items = await request.app[COMMENTS].page(me, query.video_id, query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.post("/api/v1/video-comments/", body=CommentIn, response=CommentOut, status=201,
          summary="Comment on a reel, or reply (parent)")
async def create_comment(request: web.Request, me: Principal, body: CommentIn) -> CommentOut:
    return await request.app[COMMENTS].create(me, body)


@api.delete(r"/api/v1/video-comments/{id:\d+}/", status=204,
            summary="Delete a comment (its author, the reel's creator or an admin)")
async def delete_comment(request: web.Request, me: Principal) -> None:
    await request.app[COMMENTS].delete(me, path_id(request))


@api.post("/api/v1/video-reports/", body=ReportIn, response=ReportOut, status=201,
          summary="Report a reel (spam, inappropriate, harassment, misleading, other); enough reports hide it")
async def report(request: web.Request, me: Principal, body: ReportIn) -> ReportOut:
    return await request.app[COMMENTS].report(me, body)


@api.get("/api/admin/video-reports/", roles=["admin"], query=PageQuery,
         summary="Reels with open reports, hidden ones first")
async def reported(request: web.Request, me: Principal, query: PageQuery) -> web.Response:
    total, items = await request.app[COMMENTS].reported(query.page_size, query.offset)
    return page_of(request, query, total, items)


@api.post(r"/api/admin/videos/{id:\d+}/review/", roles=["admin"], body=ReviewIn, status=204,
          summary="Decide on a reported reel: hide (removed) or keep (shown again)")
async def review(request: web.Request, me: Principal, body: ReviewIn) -> None:
    await request.app[COMMENTS].review(me, path_id(request), body.action)
