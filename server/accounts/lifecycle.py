"""Background work of accounts: purging expired refresh tokens."""

from __future__ import annotations

import logging

from aiohttp import web

from server.accounts.store import purge_refresh
from server.background import periodic
from server.keys import CONFIG, DB

log = logging.getLogger(__name__)


async def purge_step(app: web.Application) -> None:
    """Delete the refresh tokens past their expiry."""
    removed = await purge_refresh(app[DB])
    if removed:
        log.info("purged %d expired refresh token(s)", removed)


token_purge_ctx = periodic("token-purge", lambda app: app[CONFIG].auth.token_purge_interval_s, purge_step)
