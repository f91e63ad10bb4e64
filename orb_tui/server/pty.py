"""Shells in pseudo-terminals: non-blocking reads with backpressure, resize, hang-up then kill."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import pty
import struct
import termios

from orb_tui.server.processes import Child
from orb_tui.server.sandbox import Box, Sandbox
from orb_tui.stream_rate import StreamRate

READ_CHUNK = 16 << 10
"""Most output gathered per readable event and returned by one `read()` (one WebSocket frame)."""
PAUSE_AT = 16 << 10
"""Stop reading the PTY while this much output waits for the consumer.

Small on purpose: the kernel's PTY queue already holds about 64 KiB, and every byte held here is
one a keystroke's echo waits behind during a flood. Reading resumes as soon as `read()` takes
some, so a fast consumer still gets the full rate."""
TYPING_CHUNK = 4 << 10
"""READ_CHUNK and PAUSE_AT while someone types into streaming output (see `typing`)."""
TYPING_WINDOW = 1.0
"""Seconds after a key written into streaming output during which buffers stay small."""
STREAMING = 16 << 10
"""Output read in the last STREAMING_SPAN seconds above which it counts as streaming."""
STREAMING_SPAN = 0.25
CLOSE_GRACE = 2.0


def _winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtySession:
    """bash in a PTY of the sandbox; `read()` gathers output, `write()` sends keystrokes."""

    def __init__(self, sandbox: Sandbox, box: Box, cols: int, rows: int) -> None:
        master, slave = pty.openpty()
        try:
            _winsize(slave, cols, rows)
            # `setsid -c` makes the PTY bash's controlling terminal, inside bwrap or not; without
            # bwrap it must not be a group leader already, or setsid would fork and return at once.
            # A server started in the background of a script inherits SIGINT and SIGQUIT ignored,
            # and the shell would pass that on to every command (Ctrl-C ignored): `env` resets them.
            self.child: Child = sandbox.spawn(
                box,
                ["env", "--default-signal=INT,QUIT", "setsid", "-c", "bash", "-i"],
                env={"TERM": "xterm-256color"},
                stdin=slave,
                stdout=slave,
                stderr=slave,
                new_session=sandbox.sandboxed,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        self._fd = master
        self._loop = asyncio.get_running_loop()
        self._buffer = bytearray()
        self._pending = bytearray()
        self._ready = asyncio.Event()
        self._eof = False
        self._closed = False
        self._reading = False
        self._typed_at = float("-inf")
        self._output = StreamRate(STREAMING_SPAN, STREAMING)
        self._resume_reading()
        self.ended: asyncio.Task[int] = self._loop.create_task(self.child.wait())
        """Done with bash's exit status once it is gone."""

    @property
    def pid(self) -> int:
        """The process id of the sandbox (or of bash without one)."""
        return self.child.pid

    @property
    def buffered(self) -> int:
        """Bytes of output read from the PTY and not yet taken by `read()`."""
        return len(self._buffer)

    @property
    def typing(self) -> bool:
        """True for TYPING_WINDOW seconds after a key was written while output streamed.

        Every byte buffered between the PTY and the screen is one that key's echo waits behind,
        so buffers shrink then; the rest of the time they stay deep enough for full throughput
        (a key at a quiet prompt, such as the Enter that starts a `cat`, changes nothing)."""
        return self._loop.time() - self._typed_at < TYPING_WINDOW

    def _limits(self) -> tuple[int, int]:
        """(bytes per read, bytes buffered at which reading pauses)."""
        return (TYPING_CHUNK, TYPING_CHUNK) if self.typing else (READ_CHUNK, PAUSE_AT)

    @property
    def returncode(self) -> int | None:
        """bash's exit status once it is gone."""
        return self.child.returncode

    # -- output -------------------------------------------------------------------------------

    def _resume_reading(self) -> None:
        if not self._reading and not self._eof and not self._closed:
            self._loop.add_reader(self._fd, self._on_readable)
            self._reading = True

    def _pause_reading(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False

    def _on_readable(self) -> None:
        gathered = 0
        limit, pause_at = self._limits()
        while gathered < limit:
            try:
                chunk = os.read(self._fd, limit - gathered)
            except BlockingIOError:
                break
            except OSError as exc:  # EIO: every slave fd is closed, the shell is gone
                if exc.errno not in (errno.EIO, errno.EBADF):
                    raise
                chunk = b""
            if not chunk:
                self._eof = True
                self._pause_reading()
                break
            self._buffer += chunk
            gathered += len(chunk)
        self._output.count(self._loop.time(), gathered)
        if len(self._buffer) >= pause_at:
            self._pause_reading()
        self._ready.set()

    async def read(self) -> bytes:
        """Up to READ_CHUNK bytes of output (TYPING_CHUNK while typing); b"" once the shell is
        gone and all output was read."""
        while not self._buffer and not self._eof and not self._closed:
            self._ready.clear()
            await self._ready.wait()
        limit, pause_at = self._limits()
        data = bytes(self._buffer[:limit])
        del self._buffer[:limit]
        if len(self._buffer) < pause_at:
            self._resume_reading()
        return data

    # -- input --------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue keystrokes for the shell (buffered while the PTY's input queue is full)."""
        if self._closed or self._eof:
            return
        now = self._loop.time()
        if self._output.streaming(now):
            self._typed_at = now
        self._pending += data
        self._flush()

    def _flush(self) -> None:
        while self._pending:
            try:
                written = os.write(self._fd, self._pending)
            except BlockingIOError:
                break
            except OSError:
                self._pending.clear()
                break
            del self._pending[:written]
        if self._pending:
            self._loop.add_writer(self._fd, self._flush)
        else:
            self._loop.remove_writer(self._fd)

    def resize(self, cols: int, rows: int) -> None:
        """Set the window size; the kernel sends SIGWINCH to the shell."""
        if not self._closed:
            with contextlib.suppress(OSError):
                _winsize(self._fd, max(cols, 1), max(rows, 1))

    # -- end ----------------------------------------------------------------------------------

    async def wait(self) -> int:
        """Wait for the shell to exit; returns its status."""
        return await self.child.wait()

    async def close(self) -> None:
        """Hang up (close the master), wait up to ~2 s, then kill the group; idempotent."""
        if not self._closed:
            self._closed = True
            self._pause_reading()
            self._loop.remove_writer(self._fd)
            os.close(self._fd)
            self._buffer.clear()
            self._ready.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.child.wait(), CLOSE_GRACE)
        # jobs of the shell live on after a hang-up if they ignore it: end them too
        self.child.kill()
        await self.child.wait()
