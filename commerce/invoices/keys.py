"""Where the invoices service lives on the app."""

from __future__ import annotations

from aiohttp import web

from commerce.invoices.service import Invoices

INVOICES = web.AppKey("invoices", Invoices)
