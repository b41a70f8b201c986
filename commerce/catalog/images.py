"""Product images: streamed to disk with a size limit, accepted only if their content is JPEG, PNG or WebP."""

from __future__ import annotations

import asyncio
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from aiohttp import BodyPartReader, web
from PIL import Image, UnidentifiedImageError

from server.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PIXELS = 40_000_000  # beyond this a small file can still expand into gigabytes of pixels
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredImage:
    relative_path: str
    content_type: str
    size: int
    width: int
    height: int


async def receive_upload(request: web.Request, field: str, folder: Path, max_bytes: int) -> Path:
    """Stream the multipart `field` into a temporary file in `folder`, refusing more than max_bytes."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(f"Send the image as multipart/form-data with a '{field}' field.")
    reader = await request.multipart()
    part = await reader.next()
    while part is not None and not (isinstance(part, BodyPartReader) and part.name == field):
        part = await reader.next()
    if part is None:
        raise InvalidInput(f"No '{field}' field in the form.", fields={field: ["This field is required."]})
    temp, out = await asyncio.to_thread(_open_temp, folder)
    size = 0
    try:
        with out:
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"The image is larger than the limit of {max_bytes} bytes.")
                # A 64 KiB write lands in the page cache; a thread hop would cost more than it saves.
                out.write(chunk)
        if size == 0:
            raise InvalidInput("The file is empty.", fields={field: ["The file is empty."]})
    except BaseException:
        await discard(temp)
        raise
    return temp


def _open_temp(folder: Path) -> tuple[Path, BinaryIO]:
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".upload-{uuid.uuid4().hex}"
    return temp, temp.open("wb")


async def discard(path: Path) -> None:
    """Delete a file if it is there (an upload refused, or a copy no longer wanted)."""
    await asyncio.to_thread(path.unlink, missing_ok=True)


def _inspect(path: Path) -> tuple[str, int, int]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as img:
                fmt, (width, height) = img.format, img.size
                if fmt not in FORMATS:
                    raise UnsupportedMediaType(f"{fmt or 'This'} images are not accepted; send JPEG, PNG or WebP.")
                if width * height > MAX_PIXELS:
                    raise InvalidInput(f"The image has more than {MAX_PIXELS} pixels.", fields={"file": ["Too large."]})
                img.verify()
        except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise UnsupportedMediaType("The file is not a JPEG, PNG or WebP image.") from None
        except (OSError, SyntaxError, ValueError):
            raise InvalidInput("The image is damaged.", fields={"file": ["The image is damaged."]}) from None
    return fmt, width, height


def _check_and_store(temp: Path, folder: Path, relative_dir: str) -> StoredImage:
    try:
        fmt, width, height = _inspect(temp)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    content_type, ext = FORMATS[fmt]
    target_dir = folder / relative_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{ext}"
    size = temp.stat().st_size
    temp.replace(target_dir / name)
    return StoredImage(f"{relative_dir}/{name}", content_type, size, width, height)


async def accept_image(temp: Path, folder: Path, relative_dir: str) -> StoredImage:
    """Check the uploaded file's content and move it to its final name (in a worker thread); delete it if refused."""
    return await asyncio.to_thread(_check_and_store, temp, folder, relative_dir)
