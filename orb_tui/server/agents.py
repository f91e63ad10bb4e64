"""Deployed agents: spawn per `lang`, track state and exit, stderr tail, demote (SIGSTOP) and promote."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from orb_tui.server.confined import open_file, safe_name
from orb_tui.server.errors import RuntimeRefused
from orb_tui.server.processes import Child, exited_nowait, group_members, process_state
from orb_tui.server.sandbox import AGENT, ENTER, Box, Sandbox

log = logging.getLogger(__name__)

STDERR_TAIL = 4 << 10
KEEP_FINISHED = 20
"""Finished agents kept per computer (the oldest are dropped first)."""
CODE_DIR = f"{AGENT}/code"

_INTERPRETERS = {"python": "python3", "node": "node"}
_NATIVE = {"binary", "go", "rust"}


@dataclass(frozen=True)
class AgentSpec:
    """What to run, from `[agent]` of orb.toml."""

    name: str
    lang: str
    entry: str
    args: list[str]
    env: dict[str, str]


@dataclass
class AgentInfo:
    """An agent as listed; `port` is its LLM proxy port and identifies it for demote/promote."""

    pid: int
    port: int
    state: str
    """`running`, `checkpointed` (demoted: its process group is stopped), `finished` or `failed`."""
    name: str
    lang: str
    entry: str
    started_at: datetime
    finished_at: datetime | None = None
    exit_code: int | None = None
    stderr_tail: str | None = None


Notify = Callable[[str, str, AgentInfo], None]


def agent_argv(lang: str, entry: str, args: list[str]) -> list[str]:
    """The command for `[agent]`, run in /agent/code: `python3 entry`, `node entry` or `./entry`.

    Raises:
        ValueError: `lang` is none of python, node, binary, go, rust.
    """
    key = lang.strip().lower()
    if key in _INTERPRETERS:
        return [_INTERPRETERS[key], entry, *args]
    if key in _NATIVE:
        return [entry if "/" in entry else f"./{entry}", *args]
    raise ValueError(f"unknown agent lang {lang!r}: use python, node, binary, go or rust")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass(eq=False)
class _Agent:
    computer_id: str
    info: AgentInfo
    child: Child
    tail: bytearray = dataclasses.field(default_factory=bytearray)
    watcher: asyncio.Task[None] | None = None

    @property
    def live(self) -> bool:
        return self.info.state in ("running", "checkpointed")

    def snapshot(self) -> AgentInfo:
        tail = self.tail.decode("utf-8", errors="replace") if self.tail else None
        return dataclasses.replace(self.info, stderr_tail=tail)


class Agents:
    """Every agent of a runtime; `notify(computer_id, event, info)` hears spawn/demote/promote/exit."""

    def __init__(self, sandbox: Sandbox, notify: Notify) -> None:
        self._sandbox = sandbox
        self._notify = notify
        self._by_computer: dict[str, list[_Agent]] = {}

    def listing(self, computer_id: str) -> list[AgentInfo]:
        """The computer's agents, oldest first, with their current stderr tail."""
        return [agent.snapshot() for agent in self._by_computer.get(computer_id, [])]

    def children(self, computer_id: str) -> list[Child]:
        """The processes of the computer's live agents."""
        return [a.child for a in self._by_computer.get(computer_id, []) if a.live]

    async def deploy(self, box: Box, spec: AgentSpec) -> AgentInfo:
        """Stop the computer's live agents, then start `spec` in /agent/code with a fresh port."""
        argv = agent_argv(spec.lang, spec.entry, spec.args)
        await self.stop(box.computer_id)
        port = free_port()
        env = {"PORT": str(port), "ORB_PROXY_URL": f"http://127.0.0.1:{port}", **spec.env}
        env["ORB_AGENT_NAME"] = spec.name
        log_name = f"{safe_name(spec.name, 'agent')}-{port}.log"
        try:
            log = open_file(box.agent_dir, (".orb", "logs"), log_name, append=True)
        except OSError as exc:
            message = f"/agent/.orb/logs/{log_name} cannot be written: {exc.strerror}"
            raise RuntimeRefused(message) from None
        with log as out:
            child = self._sandbox.spawn(
                box, argv, cwd=CODE_DIR, env=env, stdout=out, stderr=subprocess.PIPE
            )
        info = AgentInfo(child.pid, port, "running", spec.name, spec.lang, spec.entry, _now())
        agent = _Agent(box.computer_id, info, child)
        agents = self._by_computer.setdefault(box.computer_id, [])
        agents.append(agent)
        finished = [a for a in agents if not a.live]
        for old in finished[: max(len(finished) - KEEP_FINISHED, 0)]:
            agents.remove(old)
        agent.watcher = asyncio.get_running_loop().create_task(self._watch(agent))
        self._emit(agent, "agent.spawned")
        return agent.snapshot()

    async def _watch(self, agent: _Agent) -> None:
        pipe = agent.child.popen.stderr
        assert pipe is not None
        loop = asyncio.get_running_loop()
        fd = pipe.fileno()
        os.set_blocking(fd, False)
        loop.add_reader(fd, self._read_stderr, agent, fd)
        try:
            code = await agent.child.wait()
            agent.child.kill()  # what the agent started ends with it
            self._read_stderr(agent, fd)
        finally:
            loop.remove_reader(fd)
            pipe.close()
        agent.info.exit_code = code
        agent.info.finished_at = _now()
        agent.info.state = "finished" if code == 0 else "failed"
        self._emit(agent, "agent.finished")

    @staticmethod
    def _read_stderr(agent: _Agent, fd: int) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(fd, 65536):
                agent.tail += chunk
                del agent.tail[: max(len(agent.tail) - STDERR_TAIL, 0)]

    def _find(self, computer_id: str, port: int) -> _Agent:
        for agent in reversed(self._by_computer.get(computer_id, [])):
            if agent.info.port == port:
                return agent
        raise KeyError(f"no agent on port {port}")

    async def demote(self, box: Box, port: int) -> str:
        """Stop the agent's process group and note it; returns the checkpoint dir (a sandbox path).

        Raises:
            KeyError: no agent on `port`.
            ValueError: the agent is not running.
        """
        agent = self._find(box.computer_id, port)
        if agent.info.state != "running":
            raise ValueError(f"agent on port {port} is {agent.info.state}, not running")
        checkpoint = f"{AGENT}/.orb/checkpoints/{port}"
        parts = (".orb", "checkpoints", str(port))
        try:
            record = open_file(box.agent_dir, parts, "checkpoint.json")
        except OSError as exc:
            raise RuntimeRefused(f"{checkpoint} cannot be written: {exc.strerror}") from None
        with record:
            await self._stop_group(agent.child)
            meta: dict[str, Any] = {"pid": agent.child.pid, "at": _now().isoformat()}
            record.write(json.dumps(meta).encode())
        agent.info.state = "checkpointed"
        self._emit(agent, "agent.checkpointed")
        return checkpoint

    async def promote(self, box: Box, port: int) -> int:
        """Continue a demoted agent; returns its port (unchanged here).

        Raises:
            KeyError: no agent on `port`.
            ValueError: the agent is not checkpointed.
        """
        agent = self._find(box.computer_id, port)
        if agent.info.state != "checkpointed":
            raise ValueError(f"agent on port {port} is {agent.info.state}, not checkpointed")
        await self._continue_group(agent.child)
        agent.info.state = "running"
        self._emit(agent, "agent.restored")
        return port

    async def _stop_group(self, child: Child) -> None:
        if self._sandbox.mode != ENTER:
            child.signal_group(signal.SIGSTOP)
            return
        # nsenter waits for its child with WUNTRACED and stops itself when the child stops; leave
        # it running so it cannot consume a stop report after the agent has been continued
        inside: list[int] = []
        for _ in range(200):  # right after deploy, nsenter may not have forked yet
            inside = [pid for pid in group_members(child.pid) if pid != child.pid]
            if inside or exited_nowait(child.pid):
                break
            await asyncio.sleep(0.005)
        for pid in inside or [child.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    async def _continue_group(self, child: Child) -> None:
        child.signal_group(signal.SIGCONT)
        if self._sandbox.mode != ENTER:
            return
        for _ in range(50):  # nsenter may stop itself once more on the stale report
            await asyncio.sleep(0.005)
            if process_state(child.pid) != "T":
                return
            child.signal_group(signal.SIGCONT)

    async def stop(self, computer_id: str) -> None:
        """Kill the computer's live agents and wait until their exit is recorded."""
        live = [a for a in self._by_computer.get(computer_id, []) if a.live]
        for agent in live:
            agent.child.kill()
        await asyncio.gather(*(a.watcher for a in live if a.watcher is not None))

    def forget(self, computer_id: str) -> None:
        """Drop the computer's records (after `stop`)."""
        self._by_computer.pop(computer_id, None)

    def _emit(self, agent: _Agent, event: str) -> None:
        try:
            self._notify(agent.computer_id, event, agent.snapshot())
        except Exception:  # a faulty listener must not break the agent's bookkeeping
            log.exception("agent event handler failed for %s", event)
