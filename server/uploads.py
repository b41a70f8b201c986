"""Multipart uploads streamed to temporary files with a size limit: never read whole into memory."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from server.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

_CHUNK = 64 * 1024
MAX_FIELD_BYTES = 8192  # a text field of a form: titles, tags, ids
MAX_FIELDS = 100


@dataclass
class Form:
    """The text fields of a multipart form (each name may repeat) and its files, saved under temporary names."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    async def discard(self) -> None:
        """Delete the temporary files that were not moved to their final place."""
        for path in self.files.values():
            await discard(path)


def require_multipart(request: web.Request, what: str) -> None:
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(f"Send {what} as multipart/form-data.")


async def receive_upload(request: web.Request, name: str, folder: Path, max_bytes: int) -> Path:
    """Stream the multipart file field `name` into a temporary file in `folder`, refusing more than max_bytes."""
    require_multipart(request, f"the file in a '{name}' field")
    try:
        reader = await request.multipart()
        part = await reader.next()
        while part is not None and not (isinstance(part, BodyPartReader) and part.name == name):
            part = await reader.next()
    except (HttpProcessingError, ValueError) as exc:
        raise _malformed(exc) from None
    if part is None:
        raise InvalidInput(f"No '{name}' field in the form.", fields={name: ["This field is required."]})
    return await stream_part(part, folder, max_bytes)


def _malformed(exc: Exception) -> InvalidInput:
    """A part's headers aiohttp cannot parse (a control character in a name, a broken boundary)."""
    return InvalidInput(f"The multipart body is malformed ({type(exc).__name__}).")


async def read_form(request: web.Request, files: dict[str, int], folder: Path) -> Form:
    """Read a whole multipart form (or, without files, a urlencoded form or a JSON object): the file fields
    named in `files` (name -> max bytes) go to temporary files in `folder`; other fields are short text.
    On any refusal nothing is left on disk."""
    form = Form()
    if request.content_type in ("application/x-www-form-urlencoded", "application/json"):
        # No files: the text fields alone (a COLLECTION's slides, say, come later).
        for name, value in (await _plain_fields(request)).items():
            form.fields[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return form
    require_multipart(request, "the form")
    try:
        reader = await request.multipart()
        count = 0
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.name:
                continue
            count += 1
            if count > MAX_FIELDS:
                raise InvalidInput(f"The form has more than {MAX_FIELDS} fields.")
            if part.name in files and part.filename == "":
                await part.release()  # a browser's file input left empty: no file, not an empty file
                continue
            if part.name in files:
                if part.name in form.files:
                    raise InvalidInput(f"Send one '{part.name}' file.", fields={part.name: ["Only one file."]})
                form.files[part.name] = await stream_part(part, folder, files[part.name])
            elif part.filename is not None:
                raise InvalidInput(f"The field '{part.name}' does not take a file.",
                                   fields={part.name: ["Not a file field."]})
            else:
                raw = bytearray()
                while chunk := await part.read_chunk(4096):
                    raw += chunk
                    if len(raw) > MAX_FIELD_BYTES:
                        raise InvalidInput(f"The field '{part.name}' is longer than {MAX_FIELD_BYTES} bytes.",
                                           fields={part.name: ["Too long."]})
                try:
                    text = bytes(raw).decode(part.get_charset(default="utf-8"))
                except (UnicodeDecodeError, LookupError):
                    raise InvalidInput(f"The field '{part.name}' is not UTF-8 text.",
                                       fields={part.name: ["Not text."]}) from None
                form.fields.setdefault(part.name, []).append(text)
    except (HttpProcessingError, ValueError) as exc:
        await form.discard()
        raise _malformed(exc) from None
    except BaseException:
        await form.discard()
        raise
    return form


async def _plain_fields(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(await request.read(), parse_float=Decimal)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidInput(f"The request body is not valid JSON: {exc}.", code="invalid_json") from None
        if not isinstance(data, dict):
            raise InvalidInput("The request body must be a JSON object.", code="invalid_json")
        return {k: v for k, v in data.items() if v is not None}
    post = await request.post()
    out: dict[str, Any] = {}
    for name in post:
        out[name] = [str(v) for v in post.getall(name)]
    return out


async def stream_part(part: BodyPartReader, folder: Path, max_bytes: int) -> Path:
    """Write one file part to a temporary file in `folder`; 413 past max_bytes, 400 if empty."""
    temp, out = await asyncio.to_thread(_open_temp, folder)
    size = 0
    try:
        with out:
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"The file is larger than the limit of {max_bytes} bytes.")
                # A 64 KiB write lands in the page cache; a thread hop would cost more than it saves.
                out.write(chunk)
        if size == 0:
            name = part.name or "file"
            raise InvalidInput("The file is empty.", fields={name: ["The file is empty."]})
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
