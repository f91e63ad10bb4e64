"""TerminalChannel against a real WebSocket server on loopback that speaks the terminal protocol."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from orb_tui.api import (
    ConnectError,
    NotFound,
    OrbClient,
    OrbError,
    TerminalChannel,
    TerminalClosedError,
    Unauthorized,
)
from orb_tui.api.terminal import RECV_BUFFER

KEY = "orb_t3rm1nalS3cretK3y_0123456789"
CID_TLS = "abc12345-0000-0000-0000-000000000000"
HELLO = json.dumps({"type": "hello", "protocol": "orb-local/1", "resize": True}).encode()


@dataclass
class FakeShellServer:
    """Speaks the local server's terminal protocol; the computer id picks a behaviour."""

    url: str = ""
    received: asyncio.Queue[str | bytes] = field(default_factory=asyncio.Queue)
    requests: list[Request] = field(default_factory=list)

    def reject(self, connection: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request)
        query = parse_qs(urlsplit(request.path).query)
        if query.get("key") != [KEY]:
            return json_response(HTTPStatus.UNAUTHORIZED, "unauthorized", "the key is wrong")
        if "/missing/" in request.path:
            return json_response(HTTPStatus.NOT_FOUND, "not_found", "")
        return None

    async def handle(self, ws: ServerConnection) -> None:
        mode = urlsplit(ws.request.path if ws.request else "").path.split("/")[3]
        if mode == "nohello":
            await ws.send("cloud$ ")
        elif mode == "late":
            await ws.send("early output")
            await ws.send(HELLO)
        else:
            await ws.send(HELLO)
        if mode == "abort":
            assert ws.transport is not None
            ws.transport.abort()
            return
        if mode == "exit1011":
            await ws.close(1011, "pty failed")
            return
        await self.echo(ws)

    async def echo(self, ws: ServerConnection) -> None:
        async for message in ws:
            await self.received.put(message)
            if message == "exit\n":
                await ws.close(1000)
            elif isinstance(message, bytes):
                await ws.send(b"\x00raw binary output")
            else:
                await ws.send(message)


def json_response(status: HTTPStatus, code: str, message: str) -> Response:
    body = json.dumps({"error": code, "message": message}).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return Response(status.value, status.phrase, headers, body)


@pytest.fixture
async def shell() -> AsyncIterator[FakeShellServer]:
    fake = FakeShellServer()
    async with serve(fake.handle, "127.0.0.1", 0, process_request=fake.reject) as server:
        port = server.sockets[0].getsockname()[1]
        fake.url = f"ws://127.0.0.1:{port}/v1/computers"
        yield fake


def channel(
    shell: FakeShellServer, mode: str, key: str = KEY, cols: int = 80, rows: int = 24
) -> TerminalChannel:
    return TerminalChannel(f"{shell.url}/{mode}/terminal", key, cols=cols, rows=rows)


async def test_hello_then_echo_and_resize(shell: FakeShellServer) -> None:
    async with channel(shell, "hello", cols=100, rows=30) as term:
        assert term.supports_resize and term.hello is not None
        await term.send("résumé\n")
        assert await term.recv() == "résumé\n".encode()
        assert await term.resize(120, 40) is True
        assert await asyncio.wait_for(shell.received.get(), 5) == "résumé\n"
        resize = await asyncio.wait_for(shell.received.get(), 5)
        assert json.loads(resize) == {"type": "resize", "cols": 120, "rows": 40}
        assert await term.recv() == b"\x00raw binary output"  # binary output passes through
    query = parse_qs(urlsplit(shell.requests[0].path).query)
    assert query["cols"] == ["100"] and query["rows"] == ["30"]


async def test_the_receive_buffer_is_kept_small(shell: FakeShellServer) -> None:
    async with channel(shell, "hello") as term:
        assert term._ws is not None and term._ws.transport is not None
        sock = term._ws.transport.get_extra_info("socket")
        # Linux doubles what it is given; left alone it would grow to megabytes under a flood
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 2 * RECV_BUFFER
        await term.send("still works\n")
        assert await term.recv() == b"still works\n"


async def test_no_compression_is_offered(shell: FakeShellServer) -> None:
    async with channel(shell, "hello"):
        pass
    assert "Sec-WebSocket-Extensions" not in shell.requests[0].headers


async def test_without_hello_resize_sends_nothing(shell: FakeShellServer) -> None:
    async with channel(shell, "nohello") as term:
        assert not term.supports_resize
        assert await term.recv() == b"cloud$ "  # output that came first is kept
        assert await term.resize(100, 30) is False
        await term.send("ls\n")
        assert await asyncio.wait_for(shell.received.get(), 5) == "ls\n"


async def test_output_before_a_late_hello(shell: FakeShellServer) -> None:
    async with channel(shell, "late") as term:
        assert await term.recv() == b"early output"
        await term.send("x")
        assert await term.recv() == b"x"  # the hello in between is acted on, not returned
        assert term.supports_resize


async def test_the_shell_exiting_closes_with_a_reason(shell: FakeShellServer) -> None:
    async with channel(shell, "hello") as term:
        await term.send("exit\n")
        with pytest.raises(TerminalClosedError) as caught:
            await term.recv()
        closed = caught.value.closed
        assert (closed.code, closed.clean, str(caught.value)) == (1000, True, "the shell exited")
        with pytest.raises(TerminalClosedError):
            await term.recv()  # and it stays closed
        with pytest.raises(TerminalClosedError):
            await term.send("more")
        assert term.closed is closed


async def test_a_server_error_close(shell: FakeShellServer) -> None:
    async with channel(shell, "exit1011") as term:
        with pytest.raises(TerminalClosedError) as caught:
            await term.recv()
    assert caught.value.closed.code == 1011 and not caught.value.closed.clean
    assert str(caught.value) == "the server closed the terminal: pty failed (code 1011)"


async def test_a_dropped_connection(shell: FakeShellServer) -> None:
    async with channel(shell, "abort") as term:
        with pytest.raises(TerminalClosedError) as caught:
            await term.recv()
    assert caught.value.closed.code is None
    assert str(caught.value).startswith("connection lost")


async def test_close_is_idempotent_and_final(shell: FakeShellServer) -> None:
    term = channel(shell, "hello")
    await term.connect()
    await term.close()
    await term.close()
    with pytest.raises(TerminalClosedError, match="the terminal was closed"):
        await term.recv()
    assert await term.resize(90, 20) is False


async def test_a_wrong_key_is_refused_and_not_repeated(
    shell: FakeShellServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "orb_wr0ngK3yThatMustNotLeak_987654"
    caplog.set_level(logging.DEBUG)
    term = channel(shell, "hello", key=wrong)
    with pytest.raises(Unauthorized) as caught:
        await term.connect()
    err = caught.value
    assert err.status == 401 and str(err) == "the key is wrong (401)"
    client_log = "\n".join(r.getMessage() for r in caplog.records if r.name == "websockets.client")
    assert "GET /v1/computers" in client_log  # websockets did log the request line...
    for text in (str(err), repr(err), repr(term), client_log):
        assert wrong not in text  # ...but never the key


async def test_an_unknown_computer_is_not_found(shell: FakeShellServer) -> None:
    with pytest.raises(NotFound, match=r"^computer missing not found \(404\)$"):
        await channel(shell, "missing").connect()


async def test_a_refused_connection_on_a_real_closed_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    term = TerminalChannel(f"ws://127.0.0.1:{port}/v1/computers/abc/terminal", KEY)
    with pytest.raises(ConnectError) as caught:
        await term.connect()
    assert str(caught.value) == f"cannot reach ws://127.0.0.1:{port}: connection refused"
    assert KEY not in repr(caught.value)


async def test_recv_before_connect_is_an_orb_error() -> None:
    with pytest.raises(OrbError, match="not connected"):
        await TerminalChannel("ws://127.0.0.1:1/x", KEY).recv()


async def test_the_client_builds_the_terminal_for_a_computer(shell: FakeShellServer) -> None:
    base = shell.url.removesuffix("/v1/computers").replace("ws://", "http://")
    async with OrbClient(base, KEY) as client:
        term = client.terminal("hello", cols=90, rows=20)
        assert term.url == f"{shell.url}/hello/terminal" and KEY not in repr(term)
        async with term:
            await term.send("via client")
            assert await term.recv() == b"via client"


async def test_tls_settings_reach_the_dialler_only_for_wss() -> None:
    dialled: list[dict[str, object]] = []

    async def refuse(url: str, **options: object) -> ClientConnection:
        dialled.append({"url": url, **options})
        raise ConnectionRefusedError

    async with OrbClient("https://orb.example", KEY, verify=False) as client:
        term = client.terminal(CID_TLS)
    for url in (term.url, term.url.replace("wss://", "ws://")):
        plain = TerminalChannel(url, KEY, open_connection=refuse, ssl_context=term._ssl)
        with pytest.raises(ConnectError, match="connection refused"):
            await plain.connect()
    context = dialled[0]["ssl"]
    assert isinstance(context, ssl.SSLContext) and context.verify_mode is ssl.CERT_NONE
    assert "ssl" not in dialled[1]
    assert dialled[0]["compression"] is None and dialled[0]["max_size"] == 16 << 20
