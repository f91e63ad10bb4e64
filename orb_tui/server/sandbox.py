"""Sandboxed child processes: one bubblewrap namespace per computer, one per process, or none.

`ENTER` mode (root here): each computer gets a long-lived sandbox (a `sleep` held by bwrap's own init,
the computer's folder bound at `/agent`, system folders read-only, its own `/tmp`, PID, IPC and UTS
namespaces, dying with the server, no capabilities); every process of the computer enters it with `nsenter`, so work
an exec leaves running (`cmd & disown`) lives on until the computer is destroyed, and killing the
sandbox kills everything in it. `SPAWN` mode (where namespaces cannot be entered, e.g. bwrap with
unprivileged user namespaces): each process gets its own sandbox of the same shape, which ends with
it. Without bubblewrap, processes run in the computer's host folder as process groups. Every process
carries marker variables in its environment so strays can be found and killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from orb_tui.server.processes import (
    Child,
    adopt_orphans,
    exited_nowait,
    kill_marked,
    own,
    reap_adopted,
    reap_pending,
    released,
)

AGENT = "/agent"
"""Where a computer's folder appears inside the sandbox."""
SOURCE = "/orb/source"
"""Where the computer's fetched source repository appears inside the sandbox, read-only."""

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_SYMLINKS = (
    ("usr/bin", "/bin"),
    ("usr/sbin", "/sbin"),
    ("usr/lib", "/lib"),
    ("usr/lib64", "/lib64"),
)
_NSENTER = ["nsenter", "--mount", "--pid", "--ipc", "--uts", "--root"]
# root in a computer keeps uid 0 but no capability: with them it could make device nodes and mount
# the host's disk, or reconfigure the host's network (the network namespace is shared)
_NO_CAPS = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all",
            "--no-new-privs", "--"]  # fmt: skip

Stdio = int | IO[Any] | None


@dataclass(frozen=True)
class Box:
    """One computer as the sandbox sees it: its host folder and its limits."""

    computer_id: str
    root: Path
    """`<state_dir>/computers/<id>`; `root / "agent"` is what the sandbox calls `/agent`."""
    runtime_mb: int | None = None
    """RLIMIT_DATA per process, in MiB (None: no limit)."""

    @property
    def agent_dir(self) -> Path:
        """The host folder bound at `/agent`."""
        return self.root / "agent"


ENTER = "enter"
"""One sandbox per computer, entered with nsenter (needs root, or the rights to enter namespaces)."""
SPAWN = "spawn"
"""One sandbox per process (works wherever bwrap does, e.g. unprivileged with user namespaces)."""


def bwrap_usable() -> bool:
    """Whether processes can run in bubblewrap here, in either mode."""
    return sandbox_mode() is not None


@functools.cache
def sandbox_mode() -> str | None:
    """`ENTER` if a long-lived sandbox can be entered here, else `SPAWN` if bwrap runs at all, else
    None (probed once per process)."""
    if shutil.which("bwrap") is None:
        return None
    with tempfile.TemporaryDirectory(prefix="orb-probe-") as tmp:
        box = Box("probe", Path(tmp))
        (box.agent_dir / "data").mkdir(parents=True)
        if shutil.which("nsenter") is not None and _can_enter(box):
            return ENTER
        argv = [*_bwrap_argv(box.agent_dir), "true"]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return SPAWN if done.returncode == 0 else None


def _can_enter(box: Box) -> bool:
    try:
        holder = _Holder.start(box, {"PATH": PATH})
    except OSError:
        return False
    try:
        argv = [*holder.enter_argv(), "true"]
        done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        holder.kill()
        try:
            holder.child.popen.wait(2.0)
        except subprocess.TimeoutExpired:
            holder.child.signal_group(signal.SIGKILL)
            holder.child.popen.wait()
        released(holder.child.pid)
    return done.returncode == 0


def _bwrap_argv(agent_dir: Path, cwd: str = f"{AGENT}/data") -> list[str]:
    argv = ["bwrap", "--ro-bind", "/usr", "/usr"]
    for target, link in _SYMLINKS:
        if os.path.lexists(link):
            argv += ["--symlink", target, link]
    argv += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    argv += ["--bind", str(agent_dir), AGENT]
    # the computer's fetched source, read-only (its git must not be writable from inside)
    argv += ["--ro-bind-try", str(agent_dir.parent / "source"), SOURCE, "--chdir", cwd]
    argv += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    argv += ["--cap-drop", "ALL"]
    return argv


@dataclass(eq=False)
class _Holder:
    """A computer's long-lived sandbox; `ns_pid` is its init, the process others enter."""

    child: Child
    ns_pid: int

    @classmethod
    def start(cls, box: Box, env: dict[str, str]) -> _Holder:
        info_read, info_write = os.pipe()
        try:
            argv = [*_bwrap_argv(box.agent_dir), "--info-fd", str(info_write)]
            # the line says the mounts are done: --info-fd alone comes before they are
            argv += ["sh", "-c", "echo ready && exec sleep infinity"]
            popen = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                pass_fds=(info_write,),
                start_new_session=True,
            )
        finally:
            os.close(info_write)
        # bwrap may exit before reaping its init, which then becomes ours to reap: own the group
        own(popen.pid)
        try:
            info = _read_until(info_read, b"}")
        finally:
            os.close(info_read)
        assert popen.stdout is not None
        with popen.stdout:
            ready = _read_until(popen.stdout.fileno(), b"ready\n")
        child = Child(popen, box.computer_id, "holder")
        try:
            return cls(child, int(json.loads(info)["child-pid"]))
        except (ValueError, KeyError, TypeError):
            pass
        child.signal_group(signal.SIGKILL)
        popen.wait()
        raise OSError(f"bubblewrap could not start a sandbox for {box.computer_id} ({ready!r})")

    @property
    def alive(self) -> bool:
        return self.child.popen.returncode is None and not exited_nowait(self.child.pid)

    def kill(self) -> None:
        """Kill the sandbox's init, so everything in it dies and bwrap reaps it and exits."""
        if self.child.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.ns_pid, signal.SIGKILL)

    async def stop(self) -> None:
        """Kill the sandbox and reap bwrap (killed too if it lingers)."""
        self.kill()
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                await asyncio.wait_for(asyncio.shield(self.child.wait()), 0.05)
                return
            except asyncio.TimeoutError:
                # the init waits until every process of its namespace is reaped, and those that
                # nsenter started may have been reparented to us
                reap_adopted()
        self.child.signal_group(signal.SIGKILL)
        await self.child.wait()

    def enter_argv(self) -> list[str]:
        return [*_NSENTER, "--target", str(self.ns_pid)]


def _read_until(fd: int, end: bytes, timeout: float = 10.0) -> bytes:
    """Read `fd` until `end` was seen (or EOF, or `timeout`)."""
    data = b""
    deadline = time.monotonic() + timeout
    while end not in data:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            break
        data += chunk
    return data


class Sandbox:
    """Starts the processes of each computer, in its bubblewrap sandbox or as plain process groups.

    Without bubblewrap the path `/agent` does not exist: processes run in the computer's host folder,
    paths under `/agent` given to this class are mapped onto it, and `ORB_AGENT_DIR` names it.
    """

    def __init__(self, enabled: bool | str | None = None) -> None:
        usable = sandbox_mode()
        if enabled == SPAWN and usable is not None:
            usable = SPAWN  # asked for explicitly (tests); ENTER implies SPAWN works too
        self.mode = usable if enabled is not False else None
        """`ENTER`, `SPAWN` or None (plain process groups)."""
        self.sandboxed = self.mode is not None
        self._prlimit = shutil.which("prlimit")
        self._holders: dict[str, _Holder] = {}
        adopt_orphans()
        self.marker = os.urandom(8).hex()
        """Carried by every process of this sandbox (`ORB_SANDBOX=<marker>`)."""

    def host_path(self, box: Box, inside: str) -> Path:
        """The host path of a sandbox path (`/agent/...`, or relative to `/agent/code`).

        Raises:
            ValueError: the path is outside `/agent`.
        """
        path = Path(AGENT, "code", inside) if not inside.startswith("/") else Path(inside)
        path = Path(os.path.normpath(path))
        if not path.is_relative_to(AGENT):
            raise ValueError(f"{inside} is outside {AGENT}")
        return box.agent_dir / path.relative_to(AGENT)

    def source_path(self, box: Box) -> str:
        """How a process of `box` names the computer's source repository (see builds.py)."""
        return SOURCE if self.sandboxed else str(box.root / "source")

    def env(self, box: Box, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment every process of `box` starts with (`extra` wins)."""
        agent = AGENT if self.sandboxed else str(box.agent_dir)
        env = {
            "PATH": PATH,
            "HOME": f"{agent}/data",
            "LANG": "C.UTF-8",
            "ORB_AGENT_DIR": agent,
        }
        env.update(extra or {})
        env.update(ORB_COMPUTER_ID=box.computer_id, ORB_SANDBOX=self.marker)
        return env

    def argv(self, box: Box, command: Sequence[str], *, cwd: str) -> list[str]:
        """The argv that runs `command` for `box` in `cwd` (a sandbox path), entering its sandbox."""
        inner = list(command)
        if box.runtime_mb and self._prlimit:
            limit = box.runtime_mb << 20
            inner = [self._prlimit, f"--data={limit}:{limit}", "--", *inner]
        if not self.sandboxed:
            return inner
        inside = "/" + str(self.host_path(box, cwd).relative_to(box.root))
        if self.mode == SPAWN:
            return [*_bwrap_argv(box.agent_dir, inside), *inner]
        return [*self._holder(box).enter_argv(), *_NO_CAPS, "env", "-C", inside, *inner]

    def _holder(self, box: Box) -> _Holder:
        holder = self._holders.get(box.computer_id)
        if holder is None or not holder.alive:
            holder = _Holder.start(box, self.env(box))
            self._holders[box.computer_id] = holder
        return holder

    def spawn(
        self,
        box: Box,
        command: Sequence[str],
        *,
        cwd: str = f"{AGENT}/data",
        env: dict[str, str] | None = None,
        stdin: Stdio = subprocess.DEVNULL,
        stdout: Stdio = subprocess.PIPE,
        stderr: Stdio = subprocess.PIPE,
        new_session: bool = True,
    ) -> Child:
        """Start `command` for `box` in its own process group (the unit signals go to)."""
        host_cwd = box.root if self.sandboxed else self.host_path(box, cwd)
        return self.spawn_host(
            box,
            self.argv(box, command, cwd=cwd),
            cwd=host_cwd,
            env=self.env(box, env),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            new_session=new_session,
        )

    def spawn_host(
        self,
        box: Box,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: dict[str, str],
        stdin: Stdio = subprocess.DEVNULL,
        stdout: Stdio = subprocess.PIPE,
        stderr: Stdio = subprocess.PIPE,
        new_session: bool = True,
    ) -> Child:
        """Start `argv` on the host itself (no sandbox, no limits), e.g. git fetching a local path."""
        marker = os.urandom(8).hex()
        env = env | {"ORB_RUN": marker, "ORB_COMPUTER_ID": box.computer_id}
        env["ORB_SANDBOX"] = self.marker
        popen = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=new_session,
        )
        own(popen.pid)
        return Child(popen, box.computer_id, marker)

    async def close(self, computer_id: str) -> None:
        """Kill everything of the computer: its sandbox, and any stray carrying its id."""
        holder = self._holders.pop(computer_id, None)
        if holder is not None:
            await holder.stop()
        kill_marked(f"ORB_COMPUTER_ID={computer_id}", also=f"ORB_SANDBOX={self.marker}")

    async def shutdown(self) -> None:
        """Kill every sandbox and every process this sandbox started."""
        await asyncio.gather(*(self.close(cid) for cid in list(self._holders)))
        kill_marked(f"ORB_SANDBOX={self.marker}")
        await reap_pending()
