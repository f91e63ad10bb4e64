"""The runtime facade the web layer calls: exec, builds, agents, terminals and ports of each computer.

Every process runs in bubblewrap when it is usable (the computer's folder bound at `/agent`, system
folders read-only, its own PID namespace) and otherwise as a plain process group in the computer's host
folder, with `ORB_AGENT_DIR` naming it (`/agent` does not exist then). `runtime_mb` becomes RLIMIT_DATA
of each process; disk use is measured after each write-capable operation.

Exceptions the web layer maps:

    RuntimeRefused            the computer cannot take new work (-> 409 `conflict`)
    └── DiskQuotaExceeded     its folder is over `disk_mb` (-> 409, code `disk_full`); exec, build and
                              deploy are refused, a terminal still opens so files can be removed
    KeyError                  demote/promote: no agent on that port (-> 404)
    ValueError                demote/promote: the agent is not in a state that allows it (-> 409)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from orb_tui.server import exec as exec_
from orb_tui.server.sandbox import Box, Child, Sandbox, kill_marked

log = logging.getLogger(__name__)

MAX_EXEC_TIMEOUT = 600.0

AgentEvent = Literal["agent.spawned", "agent.checkpointed", "agent.restored", "agent.finished"]
AgentEventHandler = Callable[[str, str, "AgentInfo"], None]


class RuntimeRefused(Exception):
    """The computer cannot take this work now."""

    code = "conflict"


class DiskQuotaExceeded(RuntimeRefused):
    """The computer's folder uses more than its `disk_mb`."""

    code = "disk_full"


@dataclass(frozen=True)
class ExecOutcome:
    """The result of one exec."""

    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    duration_ms: int


@dataclass(frozen=True)
class StepOutcome:
    """One build step (or the failed clone, named `git clone <url>`)."""

    step: str
    exit_code: int
    stdout: str
    stderr: str
    duration_ms: int


@dataclass(frozen=True)
class BuildOutcome:
    """A whole build: `cloned` is true when the source was cloned or updated from git."""

    cloned: bool
    steps: list[StepOutcome]
    success: bool


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
    name: str
    lang: str
    entry: str
    started_at: datetime
    finished_at: datetime | None = None
    exit_code: int | None = None
    stderr_tail: str | None = None


class PtySession:
    """A shell in a PTY (placeholder until pty.py lands)."""

    returncode: int | None = None

    async def read(self) -> bytes:
        """Up to 64 KiB of output; b"" when the shell is gone."""
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        """Send keystrokes."""
        raise NotImplementedError

    def resize(self, cols: int, rows: int) -> None:
        """Change the window size."""
        raise NotImplementedError

    async def close(self) -> None:
        """Hang up, wait briefly, kill the group."""
        raise NotImplementedError


@dataclass
class _Computer:
    box: Box
    disk_mb: int | None
    disk_used_mb: float | None = None
    children: set[Child] = field(default_factory=set)


class Runtime:
    """Processes of every computer under `state_dir/computers/<id>`."""

    def __init__(
        self,
        state_dir: Path,
        *,
        sandbox: bool | None = None,
        on_agent_event: AgentEventHandler | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.sandbox = Sandbox(sandbox)
        self.sandboxed = self.sandbox.sandboxed
        self._on_agent_event = on_agent_event
        self._computers: dict[str, _Computer] = {}

    # -- computers ----------------------------------------------------------------------------

    def computer_root(self, computer_id: str) -> Path:
        """`<state_dir>/computers/<id>`; holds `agent/{data,code,.orb}`."""
        if not computer_id or "/" in computer_id or computer_id in {".", ".."}:
            raise ValueError(f"bad computer id {computer_id!r}")
        return self.state_dir / "computers" / computer_id

    def prepare(self, computer_id: str, runtime_mb: int, disk_mb: int) -> None:
        """Create the computer's folders and record its limits (kept across restarts)."""
        root = self.computer_root(computer_id)
        for sub in ("data", "code", ".orb"):
            (root / "agent" / sub).mkdir(parents=True, exist_ok=True)
        limits = {"runtime_mb": runtime_mb, "disk_mb": disk_mb}
        (root / "limits.json").write_text(json.dumps(limits))
        self._computers.pop(computer_id, None)
        self._computer(computer_id)

    def _computer(self, computer_id: str) -> _Computer:
        known = self._computers.get(computer_id)
        if known is not None:
            return known
        root = self.computer_root(computer_id)
        for sub in ("data", "code", ".orb"):
            (root / "agent" / sub).mkdir(parents=True, exist_ok=True)
        try:
            limits = json.loads((root / "limits.json").read_text())
        except (OSError, ValueError):
            limits = {}
        runtime_mb, disk_mb = limits.get("runtime_mb"), limits.get("disk_mb")
        box = Box(computer_id, root, runtime_mb if isinstance(runtime_mb, int) else None)
        computer = _Computer(box, disk_mb if isinstance(disk_mb, int) else None)
        self._computers[computer_id] = computer
        return computer

    def disk_used_mb(self, computer_id: str) -> float:
        """Measure the computer's folder now, in MiB."""
        computer = self._computer(computer_id)
        computer.disk_used_mb = _tree_bytes(computer.box.agent_dir) / (1 << 20)
        return computer.disk_used_mb

    def _check_disk(self, computer: _Computer) -> None:
        if computer.disk_mb is None:
            return
        used = computer.disk_used_mb
        if used is None:
            used = self.disk_used_mb(computer.box.computer_id)
        if used > computer.disk_mb:
            raise DiskQuotaExceeded(
                f"the computer uses {used:.0f} MB of its {computer.disk_mb} MB disk; "
                "remove files (the terminal still works) before running more"
            )

    # -- exec ---------------------------------------------------------------------------------

    async def exec(self, computer_id: str, command: str, *, timeout: float = 30.0) -> ExecOutcome:
        """Run `bash -c command` in `/agent/data`; on timeout the group is killed (exit 124).

        Raises:
            DiskQuotaExceeded: the computer is over its disk budget.
        """
        computer = self._computer(computer_id)
        self._check_disk(computer)
        timeout = min(max(timeout, 0.001), MAX_EXEC_TIMEOUT)
        child = self.sandbox.spawn(computer.box, ["bash", "-c", command])
        computer.children.add(child)
        try:
            done = await exec_.complete(child, timeout)
        finally:
            computer.children.discard(child)
            self.disk_used_mb(computer_id)
        return ExecOutcome(
            done.stdout, done.stderr, done.exit_code, done.timed_out, done.duration_ms
        )

    # -- not yet landed (same signatures as plan/server.md) ------------------------------------

    async def build(
        self, computer_id: str, *, git: str | None, branch: str, steps: list[str], working_dir: str
    ) -> BuildOutcome:
        """Clone or update `git` into /agent/code, then run `steps` in `working_dir`."""
        raise NotImplementedError

    async def deploy(
        self, computer_id: str, spec: AgentSpec, *, expose: list[int]
    ) -> list[AgentInfo]:
        """Start the agent of `spec` (replacing a running one) and the forwards of `expose`."""
        raise NotImplementedError

    def agents(self, computer_id: str) -> list[AgentInfo]:
        """The computer's agents, oldest first."""
        return []

    async def demote(self, computer_id: str, port: int) -> str:
        """Stop the agent's group; returns its checkpoint dir."""
        raise NotImplementedError

    async def promote(self, computer_id: str, port: int) -> int:
        """Continue a demoted agent; returns its port."""
        raise NotImplementedError

    async def open_terminal(self, computer_id: str, cols: int, rows: int) -> PtySession:
        """Start bash in a PTY of `cols` x `rows`."""
        raise NotImplementedError

    def port_mappings(self, computer_id: str, expose: list[int]) -> list[tuple[int, int]]:
        """(host_port, container_port) per exposed port; starts the forwards lazily."""
        return []

    # -- lifecycle ----------------------------------------------------------------------------

    async def destroy(self, computer_id: str) -> None:
        """Kill all the computer's processes, close its forwards and remove its folder."""
        computer = self._computers.pop(computer_id, None)
        if computer is not None:
            await self._kill_all(computer)
        if not self.sandboxed:
            kill_marked(f"ORB_COMPUTER_ID={computer_id}")
        shutil.rmtree(self.computer_root(computer_id), ignore_errors=True)

    async def shutdown(self) -> None:
        """Kill every process of every computer and reap them."""
        computers = list(self._computers.values())
        self._computers.clear()
        await asyncio.gather(*(self._kill_all(c) for c in computers))

    async def _kill_all(self, computer: _Computer) -> None:
        children = list(computer.children)
        for child in children:
            child.kill()
        await asyncio.gather(*(child.wait() for child in children))
        computer.children.clear()


def _tree_bytes(path: Path) -> int:
    """Total size of the regular files under `path` (symlinks not followed)."""
    total = 0
    stack = [str(path)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue
    return total
