"""The one-sandbox-per-process mode (what unprivileged bubblewrap gets): the same behaviour, checked
on the points where it differs from a long-lived sandbox per computer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from proc_probe import eventually, pids_running, process_state, unique_seconds, zombie_children

from orb_tui.server.runtime import AgentSpec, Runtime
from orb_tui.server.sandbox import SPAWN, bwrap_usable


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    if not bwrap_usable():
        pytest.skip("bubblewrap is not usable on this machine")
    runtime = Runtime(tmp_path / "state", sandbox=SPAWN)
    assert runtime.sandbox.mode == SPAWN
    runtime.prepare("c1", runtime_mb=512, disk_mb=1024)
    yield runtime
    await runtime.shutdown()
    assert zombie_children() == []


async def test_exec_runs_in_its_own_sandbox(runtime: Runtime) -> None:
    done = await runtime.exec("c1", "pwd; cat /proc/1/cmdline | tr '\\0' ' '; echo; touch /usr/x")
    lines = done.stdout.splitlines()
    assert lines[0] == "/agent/data" and lines[1].startswith("bwrap")
    assert "Read-only file system" in done.stderr


async def test_timeout_kills_and_leftovers_end_with_the_exec(runtime: Runtime) -> None:
    slow, left = unique_seconds(), unique_seconds()
    timed = await runtime.exec("c1", f"sleep {slow}", timeout=0.5)
    assert (timed.exit_code, timed.timed_out) == (124, True)
    done = await runtime.exec("c1", f"sleep {left} & echo started")
    assert done.stdout == "started\n"
    await eventually(lambda: not pids_running(slow) and not pids_running(left), what="sleeps end")


async def test_terminal_and_agent_demote(runtime: Runtime) -> None:
    session = await runtime.open_terminal("c1", 70, 21)
    session.write(b"stty size\n")
    out = b""
    while b"21 70" not in out:
        out += await session.read()
    await session.close()
    code = runtime.computer_root("c1") / "agent" / "code"
    (code / "a.py").write_text("import time\ntime.sleep(600)\n")
    [info] = await runtime.deploy("c1", AgentSpec("a", "python", "a.py", [], {}), expose=[])
    await runtime.demote("c1", info.port)
    await eventually(lambda: process_state(info.pid) == "T", what="stopped")
    await runtime.promote("c1", info.port)
    await eventually(lambda: process_state(info.pid) in "RS", what="continued")
