"""Serving uploaded files from the media folder, with the content type decided by us."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from server.errors import NotFound

# Only what the upload checks accept is served; anything else in the folder stays private.
CONTENT_TYPES = {
    ".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".pdf": "application/pdf",
    ".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
}
PUBLIC_PREFIXES = ("products/", "videos/", "avatars/", "video-categories/")
MEDIA_URL = "/media/"


def media_url(path: str | None) -> str | None:
    """The public URL of a stored media path (None stays None)."""
    return MEDIA_URL + path if path else None


def media_handler(folder: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /media/{path}: a file under `folder`, only in public subfolders and of an accepted type."""
    root = folder.resolve()

    async def serve(request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"]
        target = (root / relative).resolve()
        content_type = CONTENT_TYPES.get(target.suffix.lower())
        if (
            content_type is None
            or not relative.startswith(PUBLIC_PREFIXES)
            or not target.is_relative_to(root)
            or not target.is_file()
        ):
            raise NotFound(f"Nothing at {request.path}.")
        # File names are random and never reused, so a copy never goes stale.
        return web.FileResponse(target, headers={
            "Content-Type": content_type,
            "Cache-Control": "public, max-age=31536000, immutable",
        })

    return serve
