"""The local server listens on loopback unless told otherwise, and says so on stderr when told.

tests/contract/test_serve.py checks the warning for 0.0.0.0; this checks the default, the other
loopback spellings (no warning) and the other ways to name every interface (warning).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from server_harness import REPO, RunningServer, start_server

from orb_tui.server.main import is_loopback


def test_the_default_is_loopback_and_quiet(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "orb_tui", "serve", "--port", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert url.startswith("http://127.0.0.1:"), (url, err)
    assert "WARNING" not in err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("::", False),
     ("0.0.0.0", False), ("0", False), ("", False), ("192.168.1.10", False), ("example.com", False)],
)  # fmt: skip
def test_which_hosts_count_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) == loopback


def test_a_wildcard_spelling_warns(tmp_path: Path) -> None:
    running = start_server(tmp_path / "state", host="0")
    try:
        assert "WARNING: listening on 0, reachable from other machines" in running.stderr()
        # told to listen for other machines, it answers them by whatever name they use
        named = httpx.get(running.url + "/openapi.json", headers={"Host": "orb.lan:8765"})
        assert named.status_code == 200
    finally:
        assert running.stop() == 0


async def test_on_loopback_a_foreign_host_name_is_refused(server: RunningServer) -> None:
    # DNS rebinding: a web page whose name now points at 127.0.0.1 is same-origin with us, but
    # its requests name its own host
    port = server.url.rsplit(":", 1)[1]
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for host in ("evil.example.com", f"evil.example.com:{port}", "192.168.1.10"):
            answer = await http.post(
                "/api/v1/auth/register", json={"email": "x@example.com"}, headers={"Host": host}
            )
            assert answer.status_code == 421, (host, answer.text)
            assert answer.json()["error"] == "misdirected"
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", "app.localhost", "[::1]"):
            answer = await http.get("/openapi.json", headers={"Host": host})
            assert answer.status_code == 200, host
    # the terminal's upgrade too (written by hand: a WebSocket client sends its own Host)
    reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
    writer.write(
        b"GET /v1/computers/x/terminal?key=k HTTP/1.1\r\nHost: evil.example.com\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    status = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    await writer.wait_closed()
    assert status.split()[1] == b"403", status
