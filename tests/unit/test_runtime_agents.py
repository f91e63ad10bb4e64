"""Runtime agents and port forwards: real Python agents, their states, demote/promote, an HTTP forward."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from proc_probe import eventually, process_state, zombie_children

from orb_tui.server.runtime import AgentInfo, AgentSpec, Runtime
from orb_tui.server.sandbox import bwrap_usable

AGENT = """
import json, os, sys, time
keys = ["PORT", "ORB_PROXY_URL", "GREETING", "ORB_AGENT_DIR"]
with open(os.path.join(os.environ["ORB_AGENT_DIR"], "data", "env.json"), "w") as f:
    json.dump({k: os.environ.get(k) for k in keys}, f)
print("to stderr", file=sys.stderr, flush=True)
time.sleep(float(sys.argv[1]))
sys.exit(int(sys.argv[2]))
"""

SERVER = """
import http.server, os, sys
os.chdir(os.path.join(os.environ["ORB_AGENT_DIR"], "data"))
http.server.test(http.server.SimpleHTTPRequestHandler, port=int(sys.argv[1]), bind="127.0.0.1")
"""

Events = list[tuple[str, str, AgentInfo]]


@pytest.fixture(params=[True, False], ids=["bwrap", "plain"])
async def runtime(
    request: pytest.FixtureRequest, tmp_path: Path, events: Events
) -> AsyncIterator[Runtime]:
    if request.param and not bwrap_usable():
        pytest.skip("bubblewrap is not usable on this machine")
    runtime = Runtime(
        tmp_path / "state",
        sandbox=request.param,
        on_agent_event=lambda cid, kind, info: events.append((cid, kind, info)),
    )
    runtime.prepare("c1", runtime_mb=512, disk_mb=1024)
    code = runtime.computer_root("c1") / "agent" / "code"
    (code / "agent.py").write_text(AGENT)
    (code / "serve.py").write_text(SERVER)
    yield runtime
    await runtime.shutdown()
    assert zombie_children() == []


@pytest.fixture
def events() -> Events:
    return []


def spec(*args: str, entry: str = "agent.py") -> AgentSpec:
    return AgentSpec("helper", "python", entry, list(args), {"GREETING": "hi"})


def latest(runtime: Runtime) -> AgentInfo:
    return runtime.agents("c1")[-1]


async def test_an_agent_runs_then_fails_with_its_code_and_stderr(
    runtime: Runtime, events: Events
) -> None:
    [info] = await runtime.deploy("c1", spec("0.3", "3"), expose=[])
    assert info.state == "running" and info.pid > 0
    await eventually(lambda: latest(runtime).state == "failed", what="the agent ends")
    ended = latest(runtime)
    assert (ended.exit_code, ended.stderr_tail) == (3, "to stderr\n")
    assert ended.finished_at is not None and ended.finished_at >= ended.started_at
    assert [kind for _, kind, _ in events] == ["agent.spawned", "agent.finished"]
    env = json.loads((runtime.computer_root("c1") / "agent" / "data" / "env.json").read_text())
    assert env["PORT"] == str(info.port) and env["GREETING"] == "hi"
    assert env["ORB_PROXY_URL"] == f"http://127.0.0.1:{info.port}"


async def test_a_clean_exit_is_finished(runtime: Runtime) -> None:
    await runtime.deploy("c1", spec("0", "0"), expose=[])
    await eventually(lambda: latest(runtime).state == "finished", what="the agent ends")
    assert latest(runtime).exit_code == 0


async def test_demote_stops_and_promote_continues(runtime: Runtime, events: Events) -> None:
    [info] = await runtime.deploy("c1", spec("600", "0"), expose=[])
    checkpoint = await runtime.demote("c1", info.port)
    assert checkpoint == f"/agent/.orb/checkpoints/{info.port}"
    assert (runtime.computer_root("c1") / checkpoint.removeprefix("/")).is_dir()
    assert latest(runtime).state == "checkpointed"
    await eventually(lambda: process_state(info.pid) == "T", what="the process stops")
    with pytest.raises(ValueError, match="checkpointed"):
        await runtime.demote("c1", info.port)
    assert await runtime.promote("c1", info.port) == info.port
    await eventually(lambda: process_state(info.pid) in "RS", what="the process continues")
    with pytest.raises(ValueError, match="running"):
        await runtime.promote("c1", info.port)
    with pytest.raises(KeyError):
        await runtime.demote("c1", 1)
    kinds = [kind for _, kind, _ in events]
    assert kinds == ["agent.spawned", "agent.checkpointed", "agent.restored"]


async def test_a_new_deploy_replaces_the_live_agent(runtime: Runtime) -> None:
    [first] = await runtime.deploy("c1", spec("600", "0"), expose=[])
    await runtime.demote("c1", first.port)
    [second] = await runtime.deploy("c1", spec("600", "0"), expose=[])
    states = {a.port: a.state for a in runtime.agents("c1")}
    assert states == {first.port: "failed", second.port: "running"}


async def test_unknown_lang_is_refused(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="lang"):
        await runtime.deploy("c1", AgentSpec("x", "cobol", "a", [], {}), expose=[])


async def test_a_forward_reaches_an_agent_http_server(runtime: Runtime) -> None:
    app_port = free_port()
    (runtime.computer_root("c1") / "agent" / "data" / "hello.txt").write_text("hello")
    await runtime.deploy("c1", spec(str(app_port), entry="serve.py"), expose=[app_port])
    [(host_port, container_port)] = runtime.port_mappings("c1", [app_port])
    assert container_port == app_port and host_port != app_port
    async with httpx.AsyncClient(timeout=5) as http:
        answer = await until_served(http, f"http://127.0.0.1:{host_port}/hello.txt")
    assert (answer.status_code, answer.text) == (200, "hello")
    assert runtime.port_mappings("c1", [app_port]) == [(host_port, app_port)]
    await runtime.destroy("c1")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", host_port), timeout=2).close()


async def until_served(http: httpx.AsyncClient, url: str) -> httpx.Response:
    for _ in range(250):
        try:
            answer = await http.get(url)
        except httpx.TransportError:
            answer = None
        if answer is not None and answer.status_code == 200:
            return answer
        await asyncio.sleep(0.02)
    raise AssertionError(f"{url} never answered 200")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_host_ports_are_kept_across_a_restart(runtime: Runtime, tmp_path: Path) -> None:
    [(host_port, _)] = runtime.port_mappings("c1", [8000])
    await runtime.shutdown()
    again = Runtime(tmp_path / "state", sandbox=runtime.sandboxed)
    try:
        assert again.port_mappings("c1", [8000, 9000])[0] == (host_port, 8000)
        await eventually(lambda: listening(host_port), what="the forward listens")
        [(_, container_port)] = again.port_mappings("c1", [9000])
        assert container_port == 9000
        await eventually(lambda: not listening(host_port), what="8000's forward closes")
    finally:
        await again.shutdown()


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
