"""The commerce package as the app factory sees it: its endpoint groups and background lifecycles."""

from commerce.catalog.routes import api as catalog_api
from server.plugin import Plugin

plugin = Plugin(routers=(catalog_api,))
