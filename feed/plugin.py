"""The feed package as the app factory sees it: its endpoints and background lifecycles.

Endpoints are declared on `api` by this package's routes modules as its issue lands;
background tasks (hubs, sweepers, senders) join `lifecycles`.
"""

from server.api import ApiRouter
from server.plugin import Plugin

api = ApiRouter("feed")
plugin = Plugin(routers=(api,))
