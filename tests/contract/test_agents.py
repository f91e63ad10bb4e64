"""Agents over HTTP: deploy a real Python agent, watch it run and end, demote and promote it."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import Machine
from proc_probe import eventually, process_state

from orb_tui.api.errors import Conflict, NotFound
from orb_tui.api.models import Agent, AgentState

CONFIG = """
[agent]
name = "sleeper"
lang = "python"
entry = "agent.py"
args = ["{seconds}", "{code}"]

[agent.env]
MOOD = "calm"
"""

AGENT = """
import os, sys, time
print("mood", os.environ["MOOD"], "port", os.environ["PORT"], file=sys.stderr, flush=True)
time.sleep(float(sys.argv[1]))
sys.exit(int(sys.argv[2]))
"""


async def deploy(machine: Machine, seconds: float, code: int) -> int:
    """Write the agent into /agent/code, upload the config, deploy; returns the agent's port."""
    script = await machine.client.exec(
        machine.computer_id, f"cat > ../code/agent.py <<'EOF'\n{AGENT}\nEOF"
    )
    assert script.exit_code == 0, script.stderr
    config = CONFIG.format(seconds=seconds, code=code)
    await machine.client.upload_config(machine.computer_id, config)
    deployment = await machine.client.deploy(machine.computer_id)
    assert deployment.deployed == 1
    port = deployment.agents[0].port
    assert port is not None
    return port


async def agent_on(machine: Machine, port: int) -> Agent:
    agents = await machine.client.list_agents(machine.computer_id)
    return next(a for a in agents if a.port == port)


async def settled(machine: Machine, port: int, timeout: float = 10.0) -> Agent:
    """The agent on `port` once it is no longer running (polling the list, as a client would)."""
    deadline = time.monotonic() + timeout
    while (agent := await agent_on(machine, port)).state is AgentState.RUNNING:
        assert time.monotonic() < deadline, f"still running after {timeout} s"
        await asyncio.sleep(0.05)
    return agent


async def test_an_agent_runs_then_fails_with_its_exit_code(machine: Machine) -> None:
    port = await deploy(machine, 0.5, 3)
    assert (await agent_on(machine, port)).state is AgentState.RUNNING
    agent = await settled(machine, port)
    assert agent.state is AgentState.FAILED, agent
    assert agent.exit_code == 3
    assert agent.stderr_tail == f"mood calm port {port}\n"
    assert agent.finished_at is not None


async def test_a_clean_exit_is_finished(machine: Machine) -> None:
    agent = await settled(machine, await deploy(machine, 0, 0))
    assert (agent.state, agent.exit_code) == (AgentState.FINISHED, 0)


async def test_demote_and_promote(machine: Machine) -> None:
    port = await deploy(machine, 600, 0)
    agent = await agent_on(machine, port)
    assert agent.pid is not None
    demoted = await machine.client.demote(machine.computer_id, port)
    assert demoted.status == "demoted" and str(port) in demoted.checkpoint_dir
    assert (await agent_on(machine, port)).state is AgentState.CHECKPOINTED
    await eventually(lambda: process_state(agent.pid or 0) == "T", what="stopped")
    with pytest.raises(Conflict):
        await machine.client.demote(machine.computer_id, port)
    promoted = await machine.client.promote(machine.computer_id, port)
    assert (promoted.status, promoted.port) == ("promoted", port)
    assert (await agent_on(machine, port)).state is AgentState.RUNNING
    await eventually(lambda: process_state(agent.pid or 0) in "RS", what="running again")
    with pytest.raises(NotFound):
        await machine.client.promote(machine.computer_id, 1)
