"""The runtime facade the web layer calls: exec, builds, agents, terminals and ports of each computer.

With bubblewrap each computer runs in a sandbox: its folder bound at `/agent`, system folders
read-only, its own `/tmp`, PID, IPC and UTS namespaces, dying with the server. As root it is one
long-lived sandbox per computer that every exec, build step, agent and terminal enters (nsenter);
where namespaces cannot be entered (unprivileged bwrap) each process gets its own. Without
bubblewrap, processes run as plain process groups in the computer's host folder, `ORB_AGENT_DIR`
names that folder (the path `/agent` does not exist then; `/agent/...` paths given here are mapped
onto the folder), and nothing is hidden from them. `runtime_mb` becomes RLIMIT_DATA of each process;
disk use is measured after each write-capable operation (exec, build) and checked before the next.

What an exec leaves running (`cmd & disown`) lives on in the computer until it is destroyed (with a
sandbox per process it ends with the exec); an exec that times out has its process group and all it
started killed. A terminal's jobs end when it closes; an agent's children end when the agent exits.
Git runs on the host (so a local path or file:// URL works) and clones into `/agent/code`.

Exceptions the web layer maps:

    RuntimeRefused            the computer cannot take new work (-> 409 `conflict`)
    └── DiskQuotaExceeded     its folder is over `disk_mb` (-> 409, code `disk_full`); exec, build and
                              deploy are refused; a terminal still opens, so files can be removed
    KeyError                  demote/promote: no agent on that port (-> 404)
    ValueError                demote/promote: the agent's state does not allow it (-> 409);
                              deploy: unknown `lang` (-> 422)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from orb_tui.server import exec as exec_
from orb_tui.server.agents import AgentInfo, Agents, AgentSpec
from orb_tui.server.builds import BuildOutcome, StepOutcome, run_build
from orb_tui.server.errors import RuntimeRefused
from orb_tui.server.exec import ExecOutcome
from orb_tui.server.ports import Forwards
from orb_tui.server.processes import Child
from orb_tui.server.pty import PtySession
from orb_tui.server.sandbox import Box, Sandbox

__all__ = [
    "AgentEvent",
    "AgentInfo",
    "AgentSpec",
    "BuildOutcome",
    "DiskQuotaExceeded",
    "ExecOutcome",
    "PtySession",
    "Runtime",
    "RuntimeRefused",
    "StepOutcome",
]

MAX_EXEC_TIMEOUT = 600.0

AgentEvent = Literal["agent.spawned", "agent.checkpointed", "agent.restored", "agent.finished"]
AgentEventHandler = Callable[[str, str, AgentInfo], None]


class DiskQuotaExceeded(RuntimeRefused):
    """The computer's folder uses more than its `disk_mb`."""

    code = "disk_full"


@dataclass
class _Computer:
    box: Box
    disk_mb: int | None
    forwards: Forwards
    disk_used_mb: float | None = None
    measuring: asyncio.Future[int] | None = None
    children: set[Child] = field(default_factory=set)
    terminals: set[PtySession] = field(default_factory=set)

    def track(self, child: Child) -> Callable[[], None]:
        self.children.add(child)
        return lambda: self.children.discard(child)


class Runtime:
    """Processes of every computer, each in `state_dir/computers/<id>`."""

    def __init__(
        self,
        state_dir: Path,
        *,
        sandbox: bool | str | None = None,
        on_agent_event: AgentEventHandler | None = None,
    ) -> None:
        """`sandbox`: None picks the best available, False forces plain process groups, True
        asks for bubblewrap (plain groups when it is not usable), "spawn" one bwrap per process."""
        self.state_dir = Path(state_dir)
        self.sandbox = Sandbox(sandbox)
        self.sandboxed = self.sandbox.sandboxed
        """Whether bubblewrap is in use."""
        self._on_agent_event = on_agent_event
        self._computers: dict[str, _Computer] = {}
        self._agents = Agents(self.sandbox, self._agent_event)

    def _agent_event(self, computer_id: str, event: str, info: AgentInfo) -> None:
        if self._on_agent_event is not None:
            self._on_agent_event(computer_id, event, info)

    # -- computers ----------------------------------------------------------------------------

    def computer_root(self, computer_id: str) -> Path:
        """`<state_dir>/computers/<id>`; holds `agent/{data,code,.orb}`."""
        if not computer_id or "/" in computer_id or computer_id in {".", ".."}:
            raise ValueError(f"bad computer id {computer_id!r}")
        return self.state_dir / "computers" / computer_id

    def prepare(self, computer_id: str, runtime_mb: int, disk_mb: int) -> None:
        """Create the computer's folders and record its limits (kept across restarts)."""
        root = self.computer_root(computer_id)
        root.mkdir(parents=True, exist_ok=True)
        limits = {"runtime_mb": runtime_mb, "disk_mb": disk_mb}
        (root / "limits.json").write_text(json.dumps(limits))
        known = self._computers.get(computer_id)
        if known is None:
            self._computer(computer_id)
        else:
            known.box = Box(computer_id, root, runtime_mb)
            known.disk_mb = disk_mb

    def _computer(self, computer_id: str) -> _Computer:
        known = self._computers.get(computer_id)
        if known is not None:
            return known
        root = self.computer_root(computer_id)
        for sub in ("agent/data", "agent/code", "agent/.orb", "source"):
            # a computer may have swapped a folder for a symlink or a file: that is its business
            with contextlib.suppress(FileExistsError):
                (root / sub).mkdir(parents=True, exist_ok=True)
        try:
            limits = json.loads((root / "limits.json").read_text())
        except (OSError, ValueError):
            limits = {}
        runtime_mb, disk_mb = limits.get("runtime_mb"), limits.get("disk_mb")
        box = Box(computer_id, root, runtime_mb if isinstance(runtime_mb, int) else None)
        disk = disk_mb if isinstance(disk_mb, int) else None
        computer = _Computer(box, disk, Forwards(root / "ports.json"))
        self._computers[computer_id] = computer
        return computer

    def disk_used_mb(self, computer_id: str) -> float:
        """Measure the computer's folder now, in MiB."""
        computer = self._computer(computer_id)
        computer.disk_used_mb = _tree_bytes(computer.box.agent_dir) / (1 << 20)
        return computer.disk_used_mb

    def _measure_soon(self, computer: _Computer) -> None:
        """Re-measure the folder in a worker thread (a big tree takes tens of milliseconds)."""
        if computer.measuring is not None and not computer.measuring.done():
            return
        loop = asyncio.get_running_loop()
        measuring = loop.run_in_executor(None, _tree_bytes, computer.box.agent_dir)

        def measured(done: asyncio.Future[int]) -> None:
            if not done.cancelled() and done.exception() is None:
                computer.disk_used_mb = done.result() / (1 << 20)

        measuring.add_done_callback(measured)
        computer.measuring = measuring

    async def _check_disk(self, computer: _Computer) -> None:
        if computer.disk_mb is None:
            return
        if computer.measuring is not None:
            await asyncio.wait([computer.measuring])
        used = computer.disk_used_mb
        if used is None:
            used = self.disk_used_mb(computer.box.computer_id)
        if used > computer.disk_mb:
            raise DiskQuotaExceeded(
                f"the computer uses {used:.0f} MB of its {computer.disk_mb} MB disk; "
                "remove files (the terminal still works) before running more"
            )

    # -- exec and build -----------------------------------------------------------------------

    async def exec(self, computer_id: str, command: str, *, timeout: float = 30.0) -> ExecOutcome:
        """Run `bash -c command` in `/agent/data`; on timeout the group is killed (exit 124).

        Raises:
            DiskQuotaExceeded: the computer is over its disk budget.
        """
        computer = self._computer(computer_id)
        await self._check_disk(computer)
        timeout = min(max(timeout, 0.001), MAX_EXEC_TIMEOUT)
        with contextlib.suppress(FileExistsError):  # a symlink or a file the computer put there
            (computer.box.agent_dir / "data").mkdir(parents=True, exist_ok=True)
        try:
            child = self.sandbox.spawn(computer.box, ["bash", "-c", command])
        except OSError as exc:  # e.g. no /agent/data folder to start in (plain process groups)
            raise RuntimeRefused(f"cannot start the command: {exc.strerror or exc}") from None
        untrack = computer.track(child)
        try:
            return await exec_.complete(child, timeout)
        finally:
            untrack()
            self._measure_soon(computer)

    async def build(
        self, computer_id: str, *, git: str | None, branch: str, steps: list[str], working_dir: str
    ) -> BuildOutcome:
        """Clone `branch` of `git` into /agent/code (or fetch and reset), then run `steps` in order
        with `bash -c` in `working_dir` (10 min each), stopping at the first failure.

        Raises:
            DiskQuotaExceeded: the computer is over its disk budget.
        """
        computer = self._computer(computer_id)
        await self._check_disk(computer)
        try:
            return await run_build(
                self.sandbox,
                computer.box,
                git=git,
                branch=branch,
                steps=steps,
                working_dir=working_dir or "/agent/code",
                track=computer.track,
            )
        finally:
            self._measure_soon(computer)

    # -- agents -------------------------------------------------------------------------------

    async def deploy(
        self, computer_id: str, spec: AgentSpec, *, expose: list[int]
    ) -> list[AgentInfo]:
        """Start the agent of `spec` in /agent/code (replacing a live one) and the forwards of
        `expose`; the agent gets `PORT` and `ORB_PROXY_URL` for its LLM proxy port.

        Raises:
            DiskQuotaExceeded: the computer is over its disk budget.
            ValueError: unknown `spec.lang`.
        """
        computer = self._computer(computer_id)
        await self._check_disk(computer)
        info = await self._agents.deploy(computer.box, spec)
        computer.forwards.ensure(expose)
        return [info]

    def agents(self, computer_id: str) -> list[AgentInfo]:
        """The computer's agents (live and recently ended), oldest first."""
        return self._agents.listing(computer_id)

    async def demote(self, computer_id: str, port: int) -> str:
        """Stop the agent's process group (SIGSTOP); returns its checkpoint dir under /agent/.orb.

        Raises:
            KeyError: no agent on `port`.
            ValueError: the agent is not running.
        """
        return await self._agents.demote(self._computer(computer_id).box, port)

    async def promote(self, computer_id: str, port: int) -> int:
        """Continue a demoted agent (SIGCONT); returns its port.

        Raises:
            KeyError: no agent on `port`.
            ValueError: the agent is not checkpointed.
        """
        return await self._agents.promote(self._computer(computer_id).box, port)

    # -- terminals and ports ------------------------------------------------------------------

    async def open_terminal(self, computer_id: str, cols: int, rows: int) -> PtySession:
        """Start `bash -i` in a PTY of `cols` x `rows` in /agent/data."""
        computer = self._computer(computer_id)
        session = PtySession(self.sandbox, computer.box, max(cols, 1), max(rows, 1))
        computer.terminals.add(session)
        untrack = computer.track(session.child)

        def ended(_: object) -> None:
            untrack()
            computer.terminals.discard(session)

        session.ended.add_done_callback(ended)
        return session

    def port_mappings(self, computer_id: str, expose: list[int]) -> list[tuple[int, int]]:
        """(host_port, container_port) for each exposed port, starting the forwards not yet running.

        Call it from the event loop's thread.
        """
        return self._computer(computer_id).forwards.ensure(expose)

    # -- lifecycle ----------------------------------------------------------------------------

    async def destroy(self, computer_id: str) -> None:
        """Kill all the computer's processes, close its forwards and remove its folder."""
        computer = self._computers.pop(computer_id, None)
        if computer is not None:
            await self._stop(computer)
        await self.sandbox.close(computer_id)
        self._agents.forget(computer_id)
        root = self.computer_root(computer_id)
        await asyncio.get_running_loop().run_in_executor(None, _remove, root)

    async def shutdown(self) -> None:
        """Kill every process of every computer, close every forward, reap the children."""
        computers = list(self._computers.values())
        self._computers.clear()
        await asyncio.gather(*(self._stop(c) for c in computers))
        await self.sandbox.shutdown()

    async def _stop(self, computer: _Computer) -> None:
        await self._agents.stop(computer.box.computer_id)
        children = list(computer.children)
        for child in children:
            child.kill()
        await asyncio.gather(
            *(child.wait() for child in children),
            *(session.close() for session in list(computer.terminals)),
            computer.forwards.close(),
        )
        computer.children.clear()


def _remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


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
