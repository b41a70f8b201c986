"""Where the accounts service lives on the app."""

from __future__ import annotations

from aiohttp import web

from server.accounts.service import Accounts

ACCOUNTS = web.AppKey("accounts", Accounts)
