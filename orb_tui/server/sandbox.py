"""Sandboxed child processes: bubblewrap when usable, else a plain process group; limits; group kills."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

AGENT = "/agent"
"""Where a computer's folder appears inside the sandbox."""

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_SYMLINKS = (
    ("usr/bin", "/bin"),
    ("usr/sbin", "/sbin"),
    ("usr/lib", "/lib"),
    ("usr/lib64", "/lib64"),
)


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


@functools.cache
def bwrap_usable() -> bool:
    """Whether `bwrap` is installed and can start a sandbox here (probed once per process)."""
    if shutil.which("bwrap") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="orb-probe-") as tmp:
        (Path(tmp) / "agent" / "data").mkdir(parents=True)
        argv = [*_bwrap_prefix(Path(tmp) / "agent", "/agent/data"), "true"]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0


def _bwrap_prefix(agent_dir: Path, cwd: str) -> list[str]:
    argv = ["bwrap", "--ro-bind", "/usr", "/usr"]
    for target, link in _SYMLINKS:
        if os.path.exists(link):
            argv += ["--symlink", target, link]
    argv += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    argv += ["--bind", str(agent_dir), AGENT, "--chdir", cwd]
    argv += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    return argv


class Sandbox:
    """Builds and starts processes for a computer, in bubblewrap or as a plain process group.

    Without bubblewrap the path `/agent` does not exist: processes run in the computer's host folder,
    paths under `/agent` given to this class are mapped onto it, and `ORB_AGENT_DIR` names it.
    """

    def __init__(self, enabled: bool | None = None) -> None:
        self.sandboxed = bwrap_usable() if enabled is None else (enabled and bwrap_usable())
        self._prlimit = shutil.which("prlimit")

    def host_path(self, box: Box, inside: str) -> Path:
        """The host path of a sandbox path (`/agent/...`, or relative to `/agent/code`)."""
        path = Path(AGENT, "code", inside) if not inside.startswith("/") else Path(inside)
        relative = path.relative_to(AGENT) if path.is_relative_to(AGENT) else None
        if relative is None:
            raise ValueError(f"{inside} is outside {AGENT}")
        return box.agent_dir / relative

    def cwd(self, box: Box, inside: str) -> str:
        """The working directory as the process sees it."""
        host = self.host_path(box, inside)
        return "/" + str(host.relative_to(box.root)) if self.sandboxed else str(host)

    def env(self, box: Box, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment every process of `box` starts with (`extra` wins)."""
        agent = AGENT if self.sandboxed else str(box.agent_dir)
        env = {
            "PATH": PATH,
            "HOME": f"{agent}/data",
            "LANG": "C.UTF-8",
            "ORB_AGENT_DIR": agent,
            "ORB_COMPUTER_ID": box.computer_id,
        }
        env.update(extra or {})
        return env

    def argv(self, box: Box, command: Sequence[str], *, cwd: str) -> list[str]:
        """The full argv that runs `command` for `box` with working directory `cwd` (a sandbox path)."""
        inner = list(command)
        if box.runtime_mb and self._prlimit:
            limit = box.runtime_mb << 20
            inner = [self._prlimit, f"--data={limit}:{limit}", "--", *inner]
        if not self.sandboxed:
            return inner
        return _bwrap_prefix(box.agent_dir, self.cwd(box, cwd)) + inner

    def spawn(
        self,
        box: Box,
        command: Sequence[str],
        *,
        cwd: str = f"{AGENT}/data",
        env: dict[str, str] | None = None,
        stdin: int | IO[Any] | None = subprocess.DEVNULL,
        stdout: int | IO[Any] | None = subprocess.PIPE,
        stderr: int | IO[Any] | None = subprocess.PIPE,
        new_session: bool = True,
    ) -> Child:
        """Start `command` for `box`; its process group (or session) is the unit that is killed."""
        marker = os.urandom(8).hex()
        full_env = self.env(box, env) | {"ORB_RUN": marker}
        host_cwd = box.root if self.sandboxed else self.host_path(box, cwd)
        return self.spawn_host(
            box,
            self.argv(box, command, cwd=cwd),
            cwd=host_cwd,
            env=full_env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            new_session=new_session,
            marker=marker,
        )

    def spawn_host(
        self,
        box: Box,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: dict[str, str],
        stdin: int | IO[Any] | None = subprocess.DEVNULL,
        stdout: int | IO[Any] | None = subprocess.PIPE,
        stderr: int | IO[Any] | None = subprocess.PIPE,
        new_session: bool = True,
        marker: str | None = None,
    ) -> Child:
        """Start `argv` on the host itself (no sandbox, no limits), e.g. git fetching a local path."""
        marker = marker or os.urandom(8).hex()
        full_env = env | {"ORB_RUN": marker, "ORB_COMPUTER_ID": box.computer_id}
        popen = subprocess.Popen(
            argv,
            cwd=cwd,
            env=full_env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=new_session,
        )
        return Child(popen, box.computer_id, marker, sweep=not self.sandboxed)


@dataclass(eq=False)
class Child:
    """A started process and its group; `wait()` reaps it without waiting for its pipes to close."""

    popen: subprocess.Popen[bytes]
    computer_id: str
    marker: str
    sweep: bool
    """Also kill stray processes carrying this child's marker (no PID namespace to do it for us)."""
    _exited: asyncio.Future[int] | None = field(default=None, repr=False)
    _watcher: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        """The process id (outside any sandbox)."""
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit status as a shell reports it (128+N for signal N), or None while it runs."""
        code = self.popen.returncode
        return None if code is None else (128 - code if code < 0 else code)

    def signal_group(self, sig: int) -> None:
        """Send `sig` to the child's process group, if it still exists."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group (and, without a sandbox, every process carrying the marker)."""
        if self.popen.returncode is None:
            self.signal_group(signal.SIGKILL)
        if self.sweep:
            kill_marked(f"ORB_RUN={self.marker}")

    async def wait(self) -> int:
        """Wait for the process itself to exit, kill what is left of its group, reap it."""
        if self.popen.returncode is None:
            if self._exited is None:
                self._exited = asyncio.get_running_loop().create_future()
                self._watcher = asyncio.get_running_loop().create_task(self._watch(self._exited))
            await asyncio.shield(self._exited)
        code = self.returncode
        assert code is not None
        return code

    async def _watch(self, done: asyncio.Future[int]) -> None:
        try:
            await _exit_of(self.popen.pid)
            # the leader is a zombie until reaped, so its group id cannot be reused yet
            self.kill()
            code = self.popen.wait()
        except BaseException as exc:  # pragma: no cover - reported to the waiter
            if not done.done():
                done.set_exception(exc)
            raise
        if not done.done():
            done.set_result(code)


async def _exit_of(pid: int) -> None:
    """Return once `pid` has exited, without reaping it."""
    loop = asyncio.get_running_loop()
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = -1
    if fd >= 0:
        ready: asyncio.Future[None] = loop.create_future()

        def on_exit() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, on_exit)
        try:
            await ready
        finally:
            loop.remove_reader(fd)
            os.close(fd)
        return
    delay = 0.002
    while not _exited_nowait(pid):
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


def _exited_nowait(pid: int) -> bool:
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def kill_marked(needle: str) -> int:
    """SIGKILL every process whose environment holds `needle` (e.g. `ORB_RUN=...`); returns how many."""
    wanted = needle.encode() + b"\0"
    killed = 0
    if not os.path.isdir("/proc"):
        return 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:
            continue
        if wanted in environ or environ.endswith(wanted[:-1]):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
    return killed
