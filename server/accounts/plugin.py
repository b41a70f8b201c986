"""The accounts package as the app factory sees it."""

from server.accounts.lifecycle import token_purge_ctx
from server.accounts.routes import api
from server.plugin import Plugin

plugin = Plugin(routers=(api,), lifecycles=(token_purge_ctx,))
