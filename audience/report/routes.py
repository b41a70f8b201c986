"""HTTP endpoints of the post-show report."""

from __future__ import annotations

from aiohttp import web

from audience.report.keys import REPORTS
from audience.report.schemas import SummaryOut
from audience.report.service import summary_csv
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("reports")
SUMMARY = r"/api/livestreams/livestreams/{id:\d+}/summary/"


@api.get(SUMMARY, roles=["seller", "admin"], response=SummaryOut, conflicts=["not_started"],
         summary="A show's report during or after it (its seller, admins): viewers, chat, reactions, what it sold "
                 "(paid), viewers and sales over time")
async def show_summary(request: web.Request, me: Principal) -> SummaryOut:
    return await request.app[REPORTS].summary(me, path_id(request))


@api.get(SUMMARY + "csv/", roles=["seller", "admin"], conflicts=["not_started"],
         summary="The same report as CSV (figures, auctions, flash sales, timelines)")
async def show_summary_csv(request: web.Request, me: Principal) -> web.Response:
    return csv_response(await request.app[REPORTS].summary(me, path_id(request)))


def csv_response(report: SummaryOut) -> web.Response:
    """The report as a CSV download (the API's and the console's)."""
    return web.Response(text=summary_csv(report), content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="show-{report.livestream}-report.csv"',
        "Cache-Control": "no-store"})
