"""A TCP proxy the adversity tests put between a server process and PostgreSQL or Redis, to make faults on cue:
cut every connection and refuse new ones for a while (as a restart does), or hold a connection forever once it
carries some bytes (a process stuck right where the test wants it)."""

from __future__ import annotations

import asyncio
import contextlib


class FaultProxy:
    """Forwards 127.0.0.1:<port> to the upstream (a TCP port, or a Unix socket path)."""

    def __init__(self, upstream: int | str) -> None:
        self.upstream = upstream
        self.port = 0
        self.freeze_on: bytes | None = None  # hold a connection forever once the client sends these bytes
        self.frozen = asyncio.Event()
        self.refusing = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut()

    def cut(self) -> None:
        """Close every connection going through, at once, as a server that stops does."""
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if isinstance(self.upstream, str):
            return await asyncio.open_unix_connection(self.upstream)
        return await asyncio.open_connection("127.0.0.1", self.upstream)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        up_reader, up_writer = await self._open_upstream()
        self._writers |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, watch: bool) -> None:
            tail = b""
            with contextlib.suppress(ConnectionError, OSError):
                while not self.frozen.is_set():
                    chunk = await src.read(65536)
                    if not chunk:
                        break
                    if watch and self.freeze_on is not None and self.freeze_on in tail + chunk:
                        self.frozen.set()
                        return
                    tail = chunk[-64:]
                    dst.write(chunk)
                    await dst.drain()
            if not self.frozen.is_set():
                with contextlib.suppress(Exception):
                    dst.transport.abort()

        # Once frozen, both sockets stay open (kept in _writers until cut or close): the process waits for an
        # answer that never comes.
        await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False))
