"""Where the report service lives on the app."""

from __future__ import annotations

from aiohttp import web

from audience.report.service import Reports

REPORTS = web.AppKey("reports", Reports)
