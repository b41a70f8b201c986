"""Reel media: videos accepted by their container signature (MP4, QuickTime, WebM), images as for products."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from commerce.catalog.images import accept_image
from server.errors import PayloadTooLarge, UnsupportedMediaType

VIDEO_EXTENSIONS = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}


def sniff_video(head: bytes) -> str | None:
    """The extension for a file that starts with `head` (its first 64 bytes), or None if not a video we take."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head:
        return "webm"
    return None


def _check_and_store_video(temp: Path, folder: Path, relative_dir: str) -> str:
    with temp.open("rb") as fh:
        ext = sniff_video(fh.read(64))
    if ext is None:
        temp.unlink(missing_ok=True)
        raise UnsupportedMediaType("The file is not an MP4, QuickTime or WebM video.")
    target_dir = folder / relative_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{ext}"
    temp.replace(target_dir / name)
    return f"{relative_dir}/{name}"


async def accept_any(temp: Path, folder: Path, relative_dir: str, max_image_bytes: int) -> tuple[str, str]:
    """A file that may be a picture or a video (the apps' `file`): checked by its content, not its name, and
    stored as such. Returns ("image_file" or "video_file", its media path)."""
    head, size = await asyncio.to_thread(_head_and_size, temp)
    if sniff_video(head) is not None:
        return "video_file", await accept_video(temp, folder, relative_dir)
    if size > max_image_bytes:
        await asyncio.to_thread(temp.unlink, missing_ok=True)
        raise PayloadTooLarge(f"An image may be at most {max_image_bytes} bytes.")
    return "image_file", await accept_picture(temp, folder, relative_dir)


def _head_and_size(path: Path) -> tuple[bytes, int]:
    with path.open("rb") as fh:
        return fh.read(64), path.stat().st_size


async def accept_video(temp: Path, folder: Path, relative_dir: str) -> str:
    """Check an uploaded video's container and move it under relative_dir; returns its media path."""
    return await asyncio.to_thread(_check_and_store_video, temp, folder, relative_dir)


async def accept_picture(temp: Path, folder: Path, relative_dir: str) -> str:
    """Check an uploaded image's content (JPEG, PNG, WebP) and move it under relative_dir."""
    return (await accept_image(temp, folder, relative_dir)).relative_path
