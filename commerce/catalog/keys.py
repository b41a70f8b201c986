"""Where the catalog service lives on the app."""

from __future__ import annotations

from aiohttp import web

from commerce.catalog.service import Catalog

CATALOG = web.AppKey("catalog", Catalog)
