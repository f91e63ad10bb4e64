"""`orb-tui serve`: the URL line, clean stops on signals with no process left, state across restarts."""

from __future__ import annotations

import asyncio
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from server_harness import RunningServer, register_org

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import ServerError

MakeServer = Callable[..., RunningServer]


def _processes_with(marker: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(proc.name))
    return found


@pytest.mark.parametrize(("sandbox", "sig"), [(None, signal.SIGTERM), (False, signal.SIGINT)])
async def test_one_url_line_then_a_signal_stops_it_with_exit_0_and_no_process_left(
    make_server: MakeServer, sandbox: bool | None, sig: int
) -> None:
    running = make_server(sandbox=sandbox)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.url)
    assert httpx.get(running.url + "/openapi.json").status_code == 200
    marker = f"orb-marker-{uuid.uuid4().hex}"
    org = await register_org(running.url)
    async with OrbClient(org.url, org.api_key) as orb:
        computer = await orb.create_computer("busy")
        code = running.state_dir / "computers" / computer.id / "agent" / "code"
        (code / "main.py").write_text("import time\ntime.sleep(600)\n")
        config = f'[agent]\nname = "s"\nlang = "python"\nentry = "main.py"\nargs = ["{marker}"]\n'
        await orb.upload_config(computer.id, config)
        await orb.deploy(computer.id)
    assert _processes_with(marker)
    assert running.stop(sig) == 0
    assert _processes_with(marker) == []
    assert running.stdout_rest == []  # the URL line was the only output
    said = running.stderr()
    assert "sandbox: none" in said if sandbox is False else "sandbox:" in said


async def test_everything_but_processes_survives_a_restart(
    make_server: MakeServer, tmp_path: Path
) -> None:
    state = tmp_path / "kept"
    first = make_server(state)
    org = await register_org(first.url)
    async with OrbClient(first.url, org.api_key) as orb:
        key = await orb.create_key("kept")
        token = (await orb.login(org.api_key)).token
        computer = await orb.create_computer("kept", runtime_mb=256, disk_mb=128)
        config = '[agent]\nname = "k"\nlang = "python"\nentry = "m.py"\n[build]\nsteps = ["true"]\n'
        await orb.upload_config(computer.id, config)
        build = await orb.build(computer.id)
        hook = await orb.create_webhook("http://127.0.0.1:9/x", ["computer.destroyed"])
    assert first.stop() == 0

    second = make_server(state)
    for credential in (org.api_key, key.api_key, token):
        async with OrbClient(second.url, credential) as orb:
            again = await orb.get_computer(computer.id)
            assert (again.name, again.runtime_mb, again.disk_mb, again.has_config) == (
                "kept", 256, 128, True,
            )  # fmt: skip
    async with OrbClient(second.url, org.api_key) as orb:
        assert await orb.get_config(computer.id) == config
        assert [b.build_id for b in await orb.list_builds(computer.id)] == [build.build_id]
        assert [k.key_id for k in await orb.list_keys()] == [key.key_id]
        assert [w.id for w in await orb.list_webhooks()] == [hook.id]
        assert (await orb.usage()).computers_created == 1
        assert await orb.list_agents(computer.id) == []


def test_warns_when_listening_beyond_loopback(make_server: MakeServer) -> None:
    running = make_server(host="0.0.0.0")
    assert running.url.startswith("http://0.0.0.0:")
    assert "WARNING" in running.stderr()


def test_a_taken_port_is_a_clear_error(server: RunningServer, tmp_path: Path) -> None:
    port = server.url.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "orb_tui", "serve", "--port", port, "--state-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_importing_the_server_entry_loads_no_web_framework() -> None:
    code = (
        "import sys, orb_tui.server, orb_tui.server.main\n"
        "heavy = sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules)\n"
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def test_a_stop_answers_long_requests_in_flight_with_503(make_server: MakeServer) -> None:
    running = make_server()
    org = await register_org(running.url)
    marker = f"{random.randint(10_000, 99_999)}.{random.randint(10_000, 99_999)}"
    async with OrbClient(org.url, org.api_key) as orb:
        computer = await orb.create_computer("long")
        long_exec = asyncio.ensure_future(orb.exec(computer.id, f"sleep {marker}", timeout=600))
        deadline = time.monotonic() + 10
        while not _processes_with(f"sleep\0{marker}"):
            assert time.monotonic() < deadline, "the exec never started"
            await asyncio.sleep(0.05)
        running.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ServerError) as caught:
            await long_exec
    assert caught.value.status == 503
    assert "stopping" in str(caught.value)
    assert running.stop() == 0
    assert _processes_with(f"sleep\0{marker}") == []
    assert "Traceback" not in running.stderr()


def test_the_listening_socket_has_nodelay_for_its_connections() -> None:
    """Without TCP_NODELAY every keep-alive answer waited ~40 ms for a delayed ACK."""
    import socket

    from orb_tui.server.main import bind

    with bind("127.0.0.1", 0) as listener:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
