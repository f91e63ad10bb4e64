"""Runtime terminals: bash in a real PTY, size and resize, Ctrl-C, backpressure, clean close."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from proc_probe import eventually, pids_running, signal_report, unique_seconds, zombie_children

from orb_tui.server.pty import PAUSE_AT, READ_CHUNK, TYPING_CHUNK, PtySession
from orb_tui.server.runtime import Runtime
from orb_tui.server.sandbox import bwrap_usable


@pytest.fixture(params=[True, False], ids=["bwrap", "plain"])
async def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    if request.param and not bwrap_usable():
        pytest.skip("bubblewrap is not usable on this machine")
    runtime = Runtime(tmp_path / "state", sandbox=request.param)
    runtime.prepare("c1", runtime_mb=512, disk_mb=1024)
    yield runtime
    await runtime.shutdown()
    assert zombie_children() == []


async def read_until(session: PtySession, needle: bytes, seen: bytearray | None = None) -> bytes:
    """Read output until `needle` shows up; returns everything read."""
    out = seen if seen is not None else bytearray()
    while needle not in out:
        chunk = await session.read()
        assert chunk, f"the shell ended before {needle!r}; got {bytes(out[-300:])!r}"
        out += chunk
    return bytes(out)


async def test_size_resize_and_interrupt(runtime: Runtime) -> None:
    session = await runtime.open_terminal("c1", cols=100, rows=30)
    session.write(b"stty size; echo $TERM\n")
    await read_until(session, b"30 100\r\nxterm-256color")
    session.resize(132, 43)
    session.write(b"stty size\n")
    await read_until(session, b"43 132")
    seconds = unique_seconds()
    session.write(f"sleep {seconds}\n".encode())
    await eventually(lambda: bool(pids_running(seconds)), what="sleep starts")
    session.write(b"\x03")
    await eventually(
        lambda: not pids_running(seconds),
        what="Ctrl-C ends sleep",
        why=lambda: signal_report(seconds),
    )
    await read_until(session, b"^C")
    session.write(b"echo status-$?\n")
    await read_until(session, b"status-130")
    await session.close()


def ignored_signals(pid: int) -> int:
    """The mask of signals `pid` ignores (SigIgn in /proc)."""
    with open(f"/proc/{pid}/status") as handle:
        line = next(line for line in handle if line.startswith("SigIgn:"))
    return int(line.split()[1], 16)


async def test_ctrl_c_works_though_the_server_ignores_it(runtime: Runtime) -> None:
    """A server started in the background of a script inherits SIGINT and SIGQUIT ignored; the
    commands in its shells must not (a full run started that way failed the test above)."""
    quiet = (signal.SIGINT, signal.SIGQUIT)
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in quiet}
    try:
        session = await runtime.open_terminal("c1", 80, 24)  # the shell starts here
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    seconds = unique_seconds()
    session.write(f"sleep {seconds}\n".encode())
    await eventually(lambda: bool(pids_running(seconds)), what="sleep starts")
    [pid] = pids_running(seconds)
    assert ignored_signals(pid) & sum(1 << (sig - 1) for sig in quiet) == 0, signal_report(seconds)
    session.write(b"\x03")
    await eventually(lambda: not pids_running(seconds), what="Ctrl-C ends sleep")
    await session.close()


async def test_exit_ends_the_output_and_gives_the_status(runtime: Runtime) -> None:
    session = await runtime.open_terminal("c1", 80, 24)
    session.write(b"exit 7\n")
    while await session.read():
        pass
    assert await session.wait() == 7
    await session.close()
    assert session.returncode == 7


async def test_close_leaves_nothing_behind(runtime: Runtime) -> None:
    job, nohup = unique_seconds(), unique_seconds()
    session = await runtime.open_terminal("c1", 80, 24)
    session.write(f"sleep {job} & nohup sleep {nohup} >/dev/null 2>&1 & echo sta''rted\n".encode())
    await read_until(session, b"started\r\n")
    await eventually(lambda: bool(pids_running(job) and pids_running(nohup)), what="jobs start")
    await session.close()
    await session.close()  # idempotent
    await eventually(lambda: not pids_running(job) and not pids_running(nohup), what="jobs end")
    assert await session.read() == b""


async def test_output_waits_for_a_slow_reader_and_loses_nothing(runtime: Runtime) -> None:
    size = 6_000_000
    session = await runtime.open_terminal("c1", 80, 24)
    session.write(f"head -c {size} /dev/zero | tr '\\0' a; echo; echo DO''NE\n".encode())
    await eventually(lambda: session.buffered >= PAUSE_AT, what="output buffered")
    # reading stopped at the threshold: the writer is blocked on the PTY, not buffered in us
    assert session.buffered < PAUSE_AT + READ_CHUNK
    out = await read_until(session, b"DONE\r\n")
    assert out.count(b"a") >= size
    await session.close()


async def test_a_key_typed_into_a_flood_shrinks_the_buffering(runtime: Runtime) -> None:
    session = await runtime.open_terminal("c1", 80, 24)
    session.write(b"echo rea''dy\n")  # a key at a quiet prompt changes nothing
    await read_until(session, b"ready")
    assert not session.typing
    session.write(b"yes\n")
    await read_until(session, b"y\r\n" * 2000)
    await eventually(lambda: session.buffered >= PAUSE_AT, what="the flood buffered")
    session.write(b"x")  # typed while the output streams: its echo waits behind every byte held
    assert session.typing
    for _ in range(8):  # what was held before the key drains
        await session.read()
    for _ in range(50):
        assert len(await session.read()) <= TYPING_CHUNK
        assert session.buffered < 2 * TYPING_CHUNK
    await eventually(lambda: not session.typing, what="the typing window ends")
    chunks = [len(await session.read()) for _ in range(20)]
    assert max(chunks) > TYPING_CHUNK, chunks  # full-size reads again
    await session.close()
