"""The accounts package as the app factory sees it: the service, its endpoints, the token purge."""

from __future__ import annotations

from aiohttp import web

from server.accounts.keys import ACCOUNTS
from server.accounts.lifecycle import token_purge_ctx
from server.accounts.routes import api
from server.accounts.service import Accounts
from server.keys import CONFIG, DB, REDIS, REVOCATIONS, SESSIONS, TOKENS
from server.plugin import Plugin


def build(app: web.Application) -> None:
    config = app[CONFIG]
    app[ACCOUNTS] = Accounts(app[DB], app[REDIS], app[TOKENS], config.auth, config.credits, app[SESSIONS],
                             app[REVOCATIONS])


plugin = Plugin(routers=(api,), lifecycles=(token_purge_ctx,), build=build)
