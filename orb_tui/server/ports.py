"""Port forwards: 127.0.0.1:host_port -> 127.0.0.1:container_port, one small TCP proxy per port."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import socket
from pathlib import Path

log = logging.getLogger(__name__)

_CHUNK = 64 << 10


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.transport.abort()


class Forward:
    """Listens on a loopback host port and relays each connection to the app's port."""

    def __init__(
        self, sock: socket.socket, container_port: int, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.host_port: int = sock.getsockname()[1]
        self.container_port = container_port
        self._sock = sock
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._starting = asyncio.run_coroutine_threadsafe(self._start(), loop)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, sock=self._sock)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._relay(reader, writer)
        finally:
            self._connections.discard(task)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            app_reader, app_writer = await asyncio.open_connection("127.0.0.1", self.container_port)
        except OSError:
            writer.transport.abort()
            return
        try:
            await asyncio.gather(_pipe(reader, app_writer), _pipe(app_reader, writer))
        finally:
            for w in (writer, app_writer):
                w.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await w.wait_closed()

    async def close(self) -> None:
        """Stop listening and cut open connections."""
        with contextlib.suppress(Exception):
            await asyncio.wrap_future(self._starting)
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


def _listen(preferred: int | None) -> socket.socket:
    for port in (preferred, 0) if preferred else (0,):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port or 0))
        except OSError:
            sock.close()
            continue
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise OSError("no free loopback port")  # pragma: no cover - binding port 0 does not fail


def _free_port() -> int:
    with _listen(None) as sock:
        port: int = sock.getsockname()[1]
        return port


class Forwards:
    """The forwards of one computer; host ports are kept in `record` so they survive a restart."""

    def __init__(self, record: Path, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._record = record
        self._loop = loop
        self._open: dict[int, Forward] = {}
        self._closing: set[concurrent.futures.Future[None]] = set()

    def _remembered(self) -> dict[int, int]:
        try:
            raw = json.loads(self._record.read_text())
            return {int(k): int(v) for k, v in raw.items()}
        except (OSError, ValueError, AttributeError):
            return {}

    def ensure(self, expose: list[int]) -> list[tuple[int, int]]:
        """Start forwards for `expose` (stop others); (host_port, container_port) in `expose` order.

        Safe from any thread once the forwards know their event loop (the one it is first called
        in, or the one given at construction); before that, the ports are only reserved.
        """
        with contextlib.suppress(RuntimeError):
            self._loop = self._loop or asyncio.get_running_loop()
        remembered = self._remembered()
        wanted = list(dict.fromkeys(expose))
        if self._loop is None:
            return [(remembered.get(port) or _free_port(), port) for port in wanted]
        for port in [p for p in self._open if p not in wanted]:
            closing = asyncio.run_coroutine_threadsafe(self._open.pop(port).close(), self._loop)
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        for port in wanted:
            if port not in self._open:
                self._open[port] = Forward(_listen(remembered.get(port)), port, self._loop)
        mapping = {port: self._open[port].host_port for port in wanted}
        if mapping != remembered:
            with contextlib.suppress(OSError):
                self._record.write_text(json.dumps(mapping))
        return [(mapping[port], port) for port in wanted]

    async def close(self) -> None:
        """Close every forward of this computer."""
        forwards = list(self._open.values())
        self._open.clear()
        closing = [asyncio.wrap_future(f) for f in self._closing]
        await asyncio.gather(*(f.close() for f in forwards), *closing, return_exceptions=True)
