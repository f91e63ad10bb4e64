"""TerminalChannel: a computer's shell over a WebSocket, as bytes in and out, failures as OrbError."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from orb_tui.api.errors import (
    ConnectError,
    OrbError,
    ProtocolError,
    TerminalClosed,
    TerminalClosedError,
    Timeout,
    error_from_response,
    redact,
)

__all__ = ["TerminalChannel", "TerminalClosed", "TerminalClosedError"]

HELLO_WAIT = 0.5  # seconds connect() waits for the server's hello
KEEPALIVE = 10.0
"""Seconds between pings and to wait for the pong: a socket that stalls without closing is
noticed within twice this plus the 2 s close timeout (websockets' defaults took 42 s)."""
MAX_FRAME = 16 << 20  # generous: a shell can print a lot between two reads
MAX_QUEUE = 2
"""Frames received and not yet taken by recv() before the socket stops being read."""
RECV_BUFFER = 32 << 10
"""The socket's receive buffer (bytes; Linux doubles it): about what the server may send ahead
of our reading, all of which the echo of a key typed into a flood waits behind.

Set once, before output flows: the kernel would grow it to megabytes under a flood, and
shrinking it later drops data already on the way (the sender then waits out a retransmission
timeout, 200 ms or more). 128 KiB let 0.5 MB wait ahead of an echo on loopback, 32 KiB 0.2 MB,
at the same widget throughput. Over a long round trip it caps throughput near twice this per
round trip (about 1.3 MB/s at 50 ms), still more than a terminal can show."""
_CONTROL_TYPES = frozenset({"hello"})
_COMPUTER = re.compile(r"/computers/([^/]+)/terminal")

OpenConnection = Callable[..., Awaitable[ClientConnection]]


class _RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """websockets logs the request line at DEBUG; this keeps the key out of the log."""

    def __init__(self, logger: logging.Logger, secret: str) -> None:
        super().__init__(logger, {})
        self._secret = secret

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            self.logger.log(level, "%s", redact(text, [self._secret]), **kwargs)


class TerminalChannel:
    """One shell session: `connect()`, then `send()` keystrokes and `recv()` output.

    Args:
        url: the terminal's ws:// or wss:// URL (key, cols and rows are added to its query).
        api_key: sent as `?key=` (as the reference says) and as a Bearer header.
        cols, rows: the initial size.
        connect_timeout: seconds for the connection and the WebSocket handshake.
        keepalive: seconds between pings, and to wait for each pong, before the socket counts
            as lost.
        open_connection: `websockets.asyncio.client.connect` or a stand-in.
        ssl_context: for wss:// URLs (None: the system's default verification).
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        cols: int = 80,
        rows: int = 24,
        connect_timeout: float = 10.0,
        keepalive: float = KEEPALIVE,
        open_connection: OpenConnection = connect,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url
        self.cols = cols
        self.rows = rows
        self.connect_timeout = connect_timeout
        self.keepalive = keepalive
        self.supports_resize = False
        self.hello: Mapping[str, object] | None = None
        self.closed: TerminalClosed | None = None
        self._api_key = api_key
        self._open = open_connection
        self._ssl = ssl_context
        self._ws: ClientConnection | None = None
        self._pending: deque[bytes] = deque()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("open" if self._ws else "new")
        return f"TerminalChannel({self.url!r}, {self.cols}x{self.rows}, {state})"

    @property
    def connect_url(self) -> str:
        """The URL actually dialled; it holds the API key, so never show or log it."""
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("key", "cols", "rows")]
        query += [("key", self._api_key), ("cols", str(self.cols)), ("rows", str(self.rows))]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"

    def _subject(self) -> str | None:
        found = _COMPUTER.search(urlsplit(self.url).path)
        return f"computer {found.group(1)[:8]}" if found else None

    async def connect(self) -> None:
        """Open the socket and wait briefly for the hello.

        Raises:
            Unauthorized, NotFound (ApiError): the server refused the upgrade.
            ConnectError, Timeout: the server could not be reached or did not answer.
            ProtocolError: the server does not speak WebSocket there.
        """
        if self._ws is not None:
            return
        self._ws = await self._dial()
        _limit_receive_buffer(self._ws)
        await self._await_hello(self._ws)

    async def _dial(self) -> ClientConnection:
        tls: dict[str, Any] = {}
        if self._ssl is not None and self.url.startswith("wss:"):
            tls["ssl"] = self._ssl
        try:
            return await self._open(
                self.connect_url,
                **tls,
                additional_headers={"Authorization": f"Bearer {self._api_key}"},
                user_agent_header="orb-tui",
                compression=None,  # deflate costs 3-4x throughput on terminal output
                max_size=MAX_FRAME,
                max_queue=MAX_QUEUE,
                open_timeout=self.connect_timeout,
                ping_interval=self.keepalive,
                ping_timeout=self.keepalive,
                close_timeout=2.0,
                logger=_RedactingLogger(logging.getLogger("websockets.client"), self._api_key),
            )
        except InvalidStatus as exc:
            response = exc.response
            raise error_from_response(
                response.status_code,
                bytes(response.body or b""),
                response.headers,
                subject=self._subject(),
                secrets=[self._api_key],
            ) from None
        except InvalidURI:
            raise ConnectError(f"not a WebSocket address: {self._origin()}") from None
        except InvalidHandshake as exc:
            detail = redact(str(exc), [self._api_key])
            raise ProtocolError(f"{self._origin()} did not open a terminal: {detail}") from None
        except (TimeoutError, asyncio.TimeoutError):
            raise Timeout(
                f"{self._origin()}: no answer within {self.connect_timeout:g} s"
            ) from None
        except OSError as exc:
            raise ConnectError(f"cannot reach {self._origin()}: {_os_reason(exc)}") from None

    async def _await_hello(self, ws: ClientConnection) -> None:
        """Wait up to HELLO_WAIT for the hello; output that comes first is kept for recv()."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HELLO_WAIT
        while self.hello is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                frame = await asyncio.wait_for(ws.recv(), remaining)
            except (TimeoutError, asyncio.TimeoutError):
                return
            except ConnectionClosed as exc:
                self._closed_by(exc)
                return
            output = self._output(frame)
            if output is not None:
                self._pending.append(output)
                return  # the hello always comes first; output first means there is none

    def _output(self, frame: str | bytes) -> bytes | None:
        """The output bytes in a frame, or None for a control frame (which is acted on)."""
        if isinstance(frame, str):
            return frame.encode()
        control = _control(frame)
        if control is None:
            return frame
        if control.get("type") == "hello":
            self.hello = control
            self.supports_resize = control.get("resize", True) is not False
        return None

    def _closed_by(self, exc: ConnectionClosed) -> TerminalClosed:
        if self.closed is None:
            rcvd = exc.rcvd
            code = rcvd.code if rcvd is not None else None
            reason = rcvd.reason if rcvd is not None else "no close frame received"
            self.closed = TerminalClosed(code, reason, clean=isinstance(exc, ConnectionClosedOK))
        return self.closed

    def _live(self) -> ClientConnection:
        if self.closed is not None:
            raise TerminalClosedError(self.closed)
        if self._ws is None:
            raise OrbError("the terminal is not connected yet")
        return self._ws

    async def send(self, text: str) -> None:
        """Send keystrokes (a text frame: stdin)."""
        ws = self._live()
        try:
            await ws.send(text)
        except ConnectionClosed as exc:
            raise TerminalClosedError(self._closed_by(exc)) from None

    async def recv(self) -> bytes:
        """The next piece of output, as UTF-8 bytes.

        Raises:
            TerminalClosedError: the socket is closed; `.closed` says how.
        """
        if self._pending:
            return self._pending.popleft()
        ws = self._live()
        while True:
            try:
                frame = await ws.recv()
            except ConnectionClosed as exc:
                raise TerminalClosedError(self._closed_by(exc)) from None
            output = self._output(frame)
            if output is not None:
                return output

    async def resize(self, cols: int, rows: int) -> bool:
        """Tell the server the new size; False (and nothing sent) where it said no hello."""
        self.cols, self.rows = cols, rows
        if not self.supports_resize or self.closed is not None or self._ws is None:
            return False
        message = json.dumps({"type": "resize", "cols": cols, "rows": rows}).encode()
        try:
            await self._ws.send(message)
        except ConnectionClosed as exc:
            self._closed_by(exc)
            return False
        return True

    async def close(self) -> None:
        """Close the socket (the server then hangs up the shell); safe to call more than once."""
        if self.closed is None:
            self.closed = TerminalClosed(1000, "closed by the client", clean=True, by_client=True)
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    async def __aenter__(self) -> TerminalChannel:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _limit_receive_buffer(ws: ClientConnection) -> None:
    sock = ws.transport.get_extra_info("socket") if ws.transport is not None else None
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)


def _control(frame: bytes) -> dict[str, object] | None:
    """A binary frame that is a JSON control message (`{"type": "hello", ...}`), else None."""
    if not frame.startswith(b"{") or len(frame) > 4096:
        return None
    try:
        data = json.loads(frame)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and data.get("type") in _CONTROL_TYPES:
        return data
    return None


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    text = (exc.strerror or str(exc)).lower()
    if "name or service" in text or "nodename" in text:
        return "unknown host"
    return text or "connection failed"
