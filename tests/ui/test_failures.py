"""The console when the server process stops and starts again: it says so and recovers.

Every other fault (500s, timeouts, cut answers, bad bodies) is in the fault matrix, tests/faults/.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
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
        # the notice is a message to the app, handled after the status line changed
        await until(pilot, lambda: "connection restored" in notices, timeout=2)
        assert_no_traceback(app)
