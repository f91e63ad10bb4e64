"""Run one command to completion: capped output capture, a timeout that kills the whole group."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import IO, Any

from orb_tui.server.processes import Child

OUTPUT_CAP = 1 << 20
TRUNCATED = "\n[... output truncated at 1 MiB]\n"
TIMEOUT_EXIT = 124
DRAIN_GRACE = 0.25
"""How long to keep reading pipes after the process exits (a stray child may hold them open)."""


@dataclass(frozen=True)
class ExecOutcome:
    """The result of one command: captured output, shell-style exit code, whether it timed out."""

    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    duration_ms: int


class _Capture:
    """Reads one pipe with `add_reader`, keeping the first `cap` bytes and discarding the rest."""

    def __init__(self, pipe: IO[Any], cap: int) -> None:
        self._pipe = pipe
        self._fd = pipe.fileno()
        self._cap = cap
        self.data = bytearray()
        self.truncated = False
        self.closed = False
        self.eof: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        os.set_blocking(self._fd, False)
        asyncio.get_running_loop().add_reader(self._fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.close()
            return
        room = self._cap - len(self.data)
        if len(chunk) > room:
            self.truncated = True
        self.data += chunk[: max(room, 0)]

    def close(self) -> None:
        """Stop reading and close the pipe (a writer still holding it then gets SIGPIPE)."""
        if not self.closed:
            self.closed = True
            asyncio.get_running_loop().remove_reader(self._fd)
            self._pipe.close()
        if not self.eof.done():
            self.eof.set_result(None)

    def text(self) -> str:
        """The captured bytes as text, with the truncation marker if bytes were dropped."""
        text = self.data.decode("utf-8", errors="replace")
        return text + TRUNCATED if self.truncated else text


async def complete(child: Child, timeout: float, *, cap: int = OUTPUT_CAP) -> ExecOutcome:
    """Wait for `child` (started with piped stdout and stderr) at most `timeout` seconds.

    On timeout the whole group is killed and the exit code is 124. After the process exits its pipes
    are drained for a short grace period, so a backgrounded child holding them cannot stall us.
    """
    started = time.monotonic()
    assert child.popen.stdout is not None and child.popen.stderr is not None
    captures = [_Capture(child.popen.stdout, cap), _Capture(child.popen.stderr, cap)]
    timed_out = False
    try:
        try:
            code = await asyncio.wait_for(child.wait(), timeout)
        except asyncio.TimeoutError:
            timed_out = True
            child.kill()
            await child.wait()
            code = TIMEOUT_EXIT
        await asyncio.wait([c.eof for c in captures], timeout=DRAIN_GRACE)
    finally:
        for capture in captures:
            capture.close()
        if child.popen.returncode is None:
            child.kill()
    return ExecOutcome(
        stdout=captures[0].text(),
        stderr=captures[1].text(),
        exit_code=code,
        timed_out=timed_out,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
