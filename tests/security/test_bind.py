"""The local server listens on loopback unless told otherwise, and says so on stderr when told.

tests/contract/test_serve.py checks the warning for 0.0.0.0; this checks the default, the other
loopback spellings (no warning) and the other ways to name every interface (warning).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from server_harness import REPO, start_server

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
    finally:
        assert running.stop() == 0
