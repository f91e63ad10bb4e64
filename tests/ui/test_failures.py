"""The console when the server fails: stopped, 500, too slow, not JSON; it says so and recovers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orb_tui.config.paths import Paths
from orb_tui.config.settings import Endpoint, Settings
from orb_tui.ui.app import OrbApp, make_app
from orb_tui.ui.screens.main import MainScreen
from orb_tui.ui.widgets.computer_table import ComputerTable
from orb_tui.ui.widgets.status_line import StatusLine

INTERVAL = 0.2
REQUEST_TIMEOUT = 1.0


class FaultyProxy:
    """A real loopback HTTP/1.1 server that forwards to the ORB server or fails on purpose."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.url = ""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._http = httpx.AsyncClient(base_url=upstream, timeout=10)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                headers = {k.lower(): v for k, v in headers.items()}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, kind, payload = await self._answer(method, target, headers, body)
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\n"
                    f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    async def _answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        if self.mode == "500":
            return 500, "text/plain", b"Internal Server Error"
        if self.mode == "html":
            return 200, "text/html", b"<html><body>Bad gateway page</body></html>"
        if self.mode == "slow":
            await asyncio.sleep(REQUEST_TIMEOUT * 3)
        keep = {k: v for k, v in headers.items() if k in {"authorization", "content-type"}}
        answer = await self._http.request(method, target, headers=keep, content=body)
        kind = answer.headers.get("content-type", "application/octet-stream")
        return answer.status_code, kind, answer.content


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FixedPortServer:
    """`orb-tui serve` on a fixed port, so it can be stopped and started again at the same URL."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "orb_tui", "serve", "--port", str(self.port),
                   "--state-dir", str(self.state_dir)]  # fmt: skip
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ)
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        assert line == self.url, line

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(timeout=20) == 0
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def fixed_server(tmp_path: Path) -> Iterator[FixedPortServer]:
    running = FixedPortServer(tmp_path / "server")
    running.start()
    yield running
    running.stop()


async def new_key(url: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        answer = await http.post("/api/v1/auth/register", json={"email": f"f{os.getpid()}@x.io"})
        key: str = answer.json()["api_key"]
        made = await http.post(
            "/v1/computers", json={"name": "survivor"}, headers={"Authorization": f"Bearer {key}"}
        )
        assert made.status_code == 201
        return key


def app_for(tmp_path: Path, url: str, key: str) -> OrbApp:
    return make_app(
        settings=Settings(poll_interval=INTERVAL),
        paths=Paths(config_dir=tmp_path / "config", state_dir=tmp_path / "state"),
        endpoint=Endpoint(profile="failing", api_url=url, api_key=key),
        timeout=REQUEST_TIMEOUT,
    )


def status_text(app: OrbApp) -> str:
    return str(app.screen.query_one(StatusLine).render())


def assert_no_traceback(app: OrbApp) -> None:
    assert app._exception is None
    assert app.is_running and isinstance(app.screen, MainScreen)
    for notice in app._notifications:
        assert "Traceback" not in str(notice.message) and "unexpected" not in str(notice.message)


@contextlib.asynccontextmanager
async def proxied(fixed_server: FixedPortServer) -> AsyncIterator[FaultyProxy]:
    proxy = FaultyProxy(fixed_server.url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


async def test_server_stopped_and_back(
    fixed_server: FixedPortServer, tmp_path: Path, until: Any, notices: Any
) -> None:
    app = app_for(tmp_path, fixed_server.url, await new_key(fixed_server.url))
    async with app.run_test(size=(80, 24), message_hook=notices.hook) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        fixed_server.stop()
        await until(pilot, lambda: "retrying in 0.8 s" in status_text(app))
        assert f"cannot reach {fixed_server.url}" in status_text(app)
        assert "connection refused" in status_text(app)
        assert table.row_count == 1  # the last answer stays on screen
        assert_no_traceback(app)
        await asyncio.get_running_loop().run_in_executor(None, fixed_server.start)
        await until(pilot, lambda: "1 computer · updated" in status_text(app), timeout=10)
        assert not app.screen.query_one(StatusLine).has_class("-error")
        assert "connection restored" in notices
        assert_no_traceback(app)


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("500", "the server failed; try again later (500)"),
        ("slow", "no answer within 1 s"),
        ("html", "not JSON (200, text/html)"),
    ],
)
async def test_bad_answers_are_said_in_plain_words_and_recovered(
    fixed_server: FixedPortServer, tmp_path: Path, until: Any, mode: str, words: str
) -> None:
    key = await new_key(fixed_server.url)
    async with proxied(fixed_server) as proxy:
        app = app_for(tmp_path, proxy.url, key)
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one(ComputerTable)
            await until(pilot, lambda: table.row_count == 1)
            proxy.mode = mode
            await until(pilot, lambda: words in status_text(app), timeout=10)
            assert "retrying in" in status_text(app)
            assert_no_traceback(app)
            proxy.mode = "pass"
            await until(pilot, lambda: "1 computer · updated" in status_text(app), timeout=10)
            assert table.row_count == 1
            assert_no_traceback(app)
