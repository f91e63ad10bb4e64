"""A fault-injecting HTTP/1.1 and WebSocket proxy on loopback, between the console and the server.

The console talks to `proxy.url`; by default every request is forwarded to the real local server.
`proxy.inject(FAULTS[name], path=..., method=...)` makes matching requests fail in that way from
then on, `proxy.clear()` lets them through again. Every request is recorded (time, method, path)
so a test can count what the console sent during an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

_REASONS = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}  # fmt: skip
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
               "content-encoding", "upgrade", "date", "server"}  # fmt: skip
_HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@dataclass(frozen=True)
class Fault:
    """One way for the proxy to fail.

    `kind` is one of: refuse (no listener), reset (RST after the request), delay (hold the request
    `delay` seconds, or until the fault is cleared), cut (headers and half the body, then close),
    status (answer `status` with `body` without asking the server), truncated (the server's answer
    with half its body, as a complete 200 JSON response), ws_drop and ws_stall (terminal sockets).
    """

    name: str
    kind: str
    status: int = 200
    body: bytes = b""
    content_type: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def _error(code: str, message: str) -> bytes:
    return f'{{"error": "{code}", "message": "{message}"}}'.encode()


_ALL = (
    Fault("refuse", "refuse"),
    Fault("reset", "reset"),
    Fault("delay", "delay", delay=30.0),
    Fault("cut", "cut"),
    Fault("500-json", "status", 500, _error("internal", "database is locked"),
          "application/json"),
    Fault("500-html", "status", 500, b"<html><body>Internal Server Error</body></html>",
          "text/html"),
    Fault("502-html", "status", 502, _HTML, "text/html"),
    Fault("502-empty", "status", 502),
    Fault("503-json", "status", 503, _error("unavailable", "down for maintenance"),
          "application/json"),
    Fault("429-json", "status", 429, _error("rate_limited", "slow down"),
          "application/json"),
    Fault("429-retry-after", "status", 429, b"", "", (("Retry-After", "2"),)),
    Fault("truncated-json", "truncated"),
    Fault("not-json", "status", 200, b"<html><body>captive portal</body></html>",
          "text/html"),
    Fault("ws-drop", "ws_drop"),
    Fault("ws-stall", "ws_stall"),
)  # fmt: skip
FAULTS: dict[str, Fault] = {fault.name: fault for fault in _ALL}
"""Every fault by name."""
HTTP_FAULTS = tuple(name for name, fault in FAULTS.items() if not fault.kind.startswith("ws_"))


@dataclass(frozen=True)
class Hit:
    """One request the proxy saw."""

    at: float
    method: str
    path: str


@dataclass
class _Rule:
    fault: Fault
    method: str | None
    path: re.Pattern[str] | None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method != self.method:
            return False
        return self.path is None or self.path.search(path) is not None


@dataclass(eq=False)
class _Tunnel:
    """A WebSocket connection piped byte for byte between the console and the server."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def abort(self) -> None:
        for writer in (self.client, self.upstream):
            _reset(writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset rather than a polite FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """A loopback proxy to `upstream` that fails on purpose when told to."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.url = ""
        self.port = 0
        self.hits: list[Hit] = []
        self._rule: _Rule | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._tunnels: set[_Tunnel] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._http = httpx.AsyncClient(base_url=upstream, timeout=60)

    # control --------------------------------------------------------------------------------

    async def start(self) -> None:
        await self._listen()
        self.url = f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self._flowing.set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()

    @property
    def fault(self) -> Fault | None:
        """The fault in force, if any."""
        return None if self._rule is None else self._rule.fault

    async def inject(
        self, fault: Fault, *, path: str | None = None, method: str | None = None
    ) -> None:
        """Fail requests matching `path` (a regex searched in the path) and `method` from now on."""
        await self.clear()
        self._rule = _Rule(fault, method, re.compile(path) if path else None)
        if fault.kind == "refuse":
            assert self._server is not None
            self._server.close()
            self._server = None
            for writer in list(self._writers):
                _reset(writer)
        elif fault.kind == "ws_drop":
            self.drop_tunnels()
        elif fault.kind == "ws_stall":
            self._flowing.clear()

    async def clear(self) -> None:
        """Forward everything again (a refused listener listens again, on the same port)."""
        rule, self._rule = self._rule, None
        self._flowing.set()
        if rule is not None and rule.fault.kind == "refuse":
            await self._listen()

    def drop_tunnels(self) -> None:
        """Reset every open WebSocket connection (the next one meets whatever fault is in force)."""
        for tunnel in list(self._tunnels):
            tunnel.abort()

    def count(
        self, path: str | None = None, *, since: float = 0.0, method: str | None = None
    ) -> int:
        """How many requests matching `path` (regex) and `method` arrived at or after `since`."""
        pattern = re.compile(path) if path else None
        return sum(
            1
            for hit in self.hits
            if hit.at >= since
            and (method is None or hit.method == method)
            and (pattern is None or pattern.search(hit.path))
        )

    # serving ---------------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def _applies(self, method: str, path: str) -> Fault | None:
        rule = self._rule
        return rule.fault if rule is not None and rule.matches(method, path) else None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            self._writers.discard(writer)
            writer.transport.abort()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Serve one request; False when the connection is done with."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        path = urlsplit(target).path
        self.hits.append(Hit(time.monotonic(), method, path))
        fault = self._applies(method, path)
        if headers.get("upgrade", "").lower() == "websocket":
            await self._tunnel(head + body, reader, writer, fault)
            return False
        if fault is None or fault.kind.startswith("ws_"):
            return await self._forward(writer, method, target, headers, body)
        return await self._fail(fault, writer, method, target, headers, body)

    async def _upstream(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        keep = {
            k: v for k, v in headers.items() if k in {"authorization", "content-type", "accept"}
        }
        return await self._http.request(method, target, headers=keep, content=body)

    async def _forward(
        self,
        writer: asyncio.StreamWriter,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
    ) -> bool:
        answer = await self._upstream(method, target, headers, body)
        extra = tuple((k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP)
        await self._respond(writer, answer.status_code, answer.content, extra)
        return True

    async def _fail(
        self,
        fault: Fault,
        writer: asyncio.StreamWriter,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
    ) -> bool:
        if fault.kind in ("reset", "refuse"):
            _reset(writer)
            return False
        if fault.kind == "delay":
            rule = self._rule
            deadline = time.monotonic() + fault.delay
            while self._rule is rule and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return await self._forward(writer, method, target, headers, body)
        if fault.kind == "status":
            extra = fault.headers
            if fault.content_type:
                extra = (("content-type", fault.content_type), *extra)
            await self._respond(writer, fault.status, fault.body, extra)
            return True
        answer = await self._upstream(method, target, headers, body)
        content = answer.content
        if fault.kind == "truncated":
            kind = (("content-type", "application/json"),)
            await self._respond(writer, 200, content[: max(1, len(content) // 2)] or b"{", kind)
            return True
        assert fault.kind == "cut", fault
        full = content + b" " * max(0, 64 - len(content))  # something left to cut off
        kind = (("content-type", answer.headers.get("content-type", "application/json")),)
        await self._respond(writer, answer.status_code, full[: len(full) // 2], kind, len(full))
        _reset(writer)
        return False

    @staticmethod
    async def _respond(
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        headers: tuple[tuple[str, str], ...] = (),
        length: int | None = None,
    ) -> None:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'X')}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines.append(f"content-length: {len(body) if length is None else length}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()

    # the terminal's WebSocket ---------------------------------------------------------------

    async def _tunnel(
        self,
        request: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        fault: Fault | None,
    ) -> None:
        if fault is not None and fault.kind != "ws_stall":
            if fault.kind == "status":
                kind = (("content-type", fault.content_type),) if fault.content_type else ()
                await self._respond(writer, fault.status, fault.body, kind)
            _reset(writer)
            return
        parts = urlsplit(self.upstream)
        up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port)
        up_writer.write(request)
        tunnel = _Tunnel(writer, up_writer)
        self._tunnels.add(tunnel)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        tunnel.tasks = pumps
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._tunnels.discard(tunnel)
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            up_writer.transport.abort()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                await self._flowing.wait()  # a stall holds the bytes here until it is cleared
                sink.write(data)
                await sink.drain()
            sink.write_eof()


def describe(hits: list[Hit], pick: Callable[[Hit], bool] = lambda hit: True) -> str:
    """The hits as `+0.00s GET /path` lines, for an assertion message."""
    chosen = [hit for hit in hits if pick(hit)]
    start = chosen[0].at if chosen else 0.0
    return "\n".join(f"+{hit.at - start:.2f}s {hit.method} {hit.path}" for hit in chosen)
