"""Uploaded images: accepted only if their content is JPEG, PNG or WebP, then moved to their final name."""

from __future__ import annotations

import asyncio
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from server.errors import InvalidInput, UnsupportedMediaType

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PIXELS = 40_000_000  # beyond this a small file can still expand into gigabytes of pixels


@dataclass(frozen=True)
class StoredImage:
    relative_path: str
    content_type: str
    size: int
    width: int
    height: int


def _inspect(path: Path) -> tuple[str, int, int]:
    from PIL import Image, UnidentifiedImageError  # at the first upload: 2 MiB of every process otherwise

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
