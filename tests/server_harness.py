"""Running the local ORB server for tests: start it, read its URL, stop it; register orgs on it."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import httpx

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 15.0
STOP_TIMEOUT = 20.0


@dataclass
class RunningServer:
    """A local ORB server running in a subprocess (`orb-tui serve`)."""

    url: str
    state_dir: Path
    proc: subprocess.Popen[str]
    stderr_path: Path
    stdout_rest: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None

    def stderr(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` (SIGTERM by default), wait for the exit and return the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"server did not stop within {STOP_TIMEOUT} s") from None
        finally:
            if self.drain is not None:
                self.drain.join(timeout=5)
            if self.proc.stdout is not None:
                self.proc.stdout.close()


def _read_url_line(proc: subprocess.Popen[str], deadline: float) -> str | None:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if sel.select(timeout=min(left, 0.5)):
                line = proc.stdout.readline()
                return line.strip() or None
            if proc.poll() is not None:
                return None
    return None


def _drain(stream: object, sink: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)


def start_server(
    state_dir: Path,
    *,
    sandbox: bool | None = None,
    host: str = "127.0.0.1",
    extra_env: dict[str, str] | None = None,
) -> RunningServer:
    """Start `python -m orb_tui serve` on a free loopback port; fail with its stderr if it won't start."""
    state_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("ORB_TUI_SANDBOX", None)
    if sandbox is not None:
        env["ORB_TUI_SANDBOX"] = "1" if sandbox else "0"
    env.update(extra_env or {})
    stderr_path = state_dir.parent / f"{state_dir.name}.stderr.log"
    with stderr_path.open("ab") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orb_tui",
                "serve",
                "--host",
                host,
                "--port",
                "0",
                "--state-dir",
                str(state_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            cwd=REPO,
        )
    line = _read_url_line(proc, time.monotonic() + START_TIMEOUT)
    if line is None or not line.startswith("http://"):
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        raise AssertionError(
            f"the server printed no URL within {START_TIMEOUT} s (got {line!r}, exit {proc.returncode});"
            f" stderr:\n{stderr_path.read_text(errors='replace')}"
        )
    server = RunningServer(url=line, state_dir=state_dir, proc=proc, stderr_path=stderr_path)
    server.drain = threading.Thread(
        target=_drain, args=(proc.stdout, server.stdout_rest), daemon=True
    )
    server.drain.start()
    return server


class Org(NamedTuple):
    """A freshly registered org: the server URL and its register API key."""

    url: str
    api_key: str


async def register_org(url: str) -> Org:
    """Register a fresh email on the server at `url`."""
    email = f"t-{uuid.uuid4().hex[:12]}@example.com"
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        answer = await http.post("/api/v1/auth/register", json={"email": email})
    assert answer.status_code == 201, answer.text
    return Org(url, answer.json()["api_key"])
