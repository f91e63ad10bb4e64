"""Runtime.exec against real processes, in bubblewrap and as a plain process group."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from proc_probe import eventually, pids_running, unique_seconds, zombie_children

from orb_tui.server.exec import TRUNCATED
from orb_tui.server.runtime import DiskQuotaExceeded, Runtime
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


async def test_output_exit_code_and_working_directory(runtime: Runtime) -> None:
    done = await runtime.exec("c1", 'echo out; echo err >&2; echo "$PWD|$ORB_AGENT_DIR"; exit 3')
    agent = "/agent" if runtime.sandboxed else str(runtime.computer_root("c1") / "agent")
    assert done.stdout == f"out\n{agent}/data|{agent}\n"
    assert done.stderr == "err\n"
    assert (done.exit_code, done.timed_out) == (3, False)
    assert done.duration_ms >= 0


async def test_files_land_in_the_computer_folder(runtime: Runtime) -> None:
    await runtime.exec("c1", "echo hello > note.txt && mkdir -p ../code/src")
    root = runtime.computer_root("c1") / "agent"
    assert (root / "data" / "note.txt").read_text() == "hello\n"
    assert (root / "code" / "src").is_dir()


async def test_timeout_kills_the_command_and_its_children(runtime: Runtime) -> None:
    first, second = unique_seconds(), unique_seconds()
    done = await runtime.exec("c1", f"sleep {first} & sleep {second}; echo never", timeout=0.5)
    assert (done.exit_code, done.timed_out, done.stdout) == (124, True, "")
    await eventually(lambda: not pids_running(first) and not pids_running(second), what="sleeps")


async def test_a_background_child_holding_the_pipes_does_not_stall(runtime: Runtime) -> None:
    marker = unique_seconds()
    done = await runtime.exec("c1", f"sleep {marker} & echo started", timeout=20)
    assert (done.stdout, done.exit_code, done.timed_out) == ("started\n", 0, False)
    assert pids_running(marker), "what an exec leaves running lives on in the computer"
    await runtime.destroy("c1")
    await eventually(lambda: not pids_running(marker), what="destroy ends leftovers")
    assert not runtime.computer_root("c1").exists()


async def test_output_is_capped_with_a_marker(runtime: Runtime) -> None:
    done = await runtime.exec("c1", "head -c 3000000 /dev/zero | tr '\\0' a; echo tail >&2")
    assert done.stdout == "a" * (1 << 20) + TRUNCATED
    assert done.stderr == "tail\n"


async def test_invalid_utf8_is_replaced_not_fatal(runtime: Runtime) -> None:
    done = await runtime.exec("c1", "printf 'ok \\377\\n'")
    assert done.stdout == "ok \ufffd\n"


async def test_many_execs_at_once(runtime: Runtime) -> None:
    results = await asyncio.gather(*(runtime.exec("c1", f"echo {n}") for n in range(12)))
    assert [r.stdout for r in results] == [f"{n}\n" for n in range(12)]


async def test_runtime_mb_caps_process_memory(runtime: Runtime) -> None:
    runtime.prepare("c1", runtime_mb=64, disk_mb=1024)
    done = await runtime.exec("c1", "python3 -c 'bytearray(200 << 20)'")
    assert done.exit_code != 0
    small = await runtime.exec("c1", "python3 -c 'bytearray(1 << 20); print(1)'")
    assert (small.exit_code, small.stdout) == (0, "1\n")


async def test_over_the_disk_budget_new_work_is_refused(runtime: Runtime) -> None:
    runtime.prepare("c1", runtime_mb=512, disk_mb=1)
    await runtime.exec("c1", "head -c 2000000 /dev/zero > big")
    assert runtime.disk_used_mb("c1") > 1
    with pytest.raises(DiskQuotaExceeded, match="disk"):
        await runtime.exec("c1", "true")
    session = await runtime.open_terminal("c1", 80, 24)  # still opens, to clean up
    await session.close()


async def test_limits_survive_a_new_runtime(runtime: Runtime, tmp_path: Path) -> None:
    runtime.prepare("c2", runtime_mb=512, disk_mb=1)
    (runtime.computer_root("c2") / "agent" / "data" / "big").write_bytes(b"x" * 2_000_000)
    again = Runtime(tmp_path / "state", sandbox=runtime.sandboxed)
    with pytest.raises(DiskQuotaExceeded):
        await again.exec("c2", "true")
    await again.shutdown()


async def test_the_sandbox_hides_the_host(tmp_path: Path) -> None:
    if not bwrap_usable():
        pytest.skip("bubblewrap is not usable on this machine")
    runtime = Runtime(tmp_path / "state", sandbox=True)
    try:
        done = await runtime.exec("c1", f"ls {tmp_path}; touch /usr/x; ls /; cat /proc/1/cmdline")
    finally:
        await runtime.shutdown()
    assert "No such file" in done.stderr
    assert "Read-only file system" in done.stderr
    assert "agent" in done.stdout.split() and "root" not in done.stdout.split()
    assert "bwrap" in done.stdout  # PID 1 is bwrap's init, not the host's
