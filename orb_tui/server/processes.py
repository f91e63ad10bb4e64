"""Child processes of the server: waiting without their pipes, killing groups and marked strays,
reaping orphans reparented to us."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field


@dataclass(eq=False)
class Child:
    """A started process and its group; `wait()` reaps it without waiting for its pipes to close."""

    popen: subprocess.Popen[bytes]
    computer_id: str
    marker: str
    """Every process it starts carries `ORB_RUN=<marker>` (unless it clears its environment)."""
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
        """SIGKILL the group, every process carrying this child's marker and every descendant
        (even in new sessions, even with a cleared environment)."""
        group = self.popen.pid if self.popen.returncode is None else None
        kill_marked(f"ORB_RUN={self.marker}", group=group, tree=group)
        if group is not None:
            self.signal_group(signal.SIGKILL)

    async def wait(self) -> int:
        """Wait for the process itself to exit and reap it (what it left running is not waited for)."""
        if self.popen.returncode is None:
            if self._exited is None:
                loop = asyncio.get_running_loop()
                self._exited = loop.create_future()
                self._watcher = loop.create_task(self._watch(self._exited))
            await asyncio.shield(self._exited)
        code = self.returncode
        assert code is not None
        return code

    async def _watch(self, done: asyncio.Future[int]) -> None:
        try:
            await _exit_of(self.popen.pid)
            code = self.popen.wait()
            released(self.popen.pid)
        except BaseException as exc:  # pragma: no cover - handed to the waiter
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
    while not exited_nowait(pid):
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


def exited_nowait(pid: int) -> bool:
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def kill_marked(
    needle: str, *, also: str | None = None, group: int | None = None, tree: int | None = None
) -> int:
    """SIGKILL every process whose environment holds `needle` (and `also`), whose process group
    is `group`, or that descends from `tree` (new session and cleared environment or not);
    returns how many.

    Killed processes that are not our own children are reaped once they are reparented to us
    (see `adopt_orphans`), so they do not linger as zombies.
    """
    if not os.path.isdir("/proc"):
        return 0
    wanted = [f"{text}\0".encode() for text in (needle, also) if text]
    running: list[tuple[int, int, int | None]] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        parent, pgid = _stat_of(int(entry.name))
        if parent is not None:
            running.append((int(entry.name), parent, pgid))
    below = _descendants(tree, running) if tree is not None else set()
    killed = 0
    for pid, _, pgid in running:
        if not (pid in below or pgid == group or _environ_has(pid, wanted)):
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
            if pid not in _own and _SUBREAPER:
                _strays.add(pid)
    if _strays:
        schedule_reap(0.02)
    return killed


def _descendants(root: int, running: list[tuple[int, int, int | None]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, parent, _ in running:
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _environ_has(pid: int, wanted: list[bytes]) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = b"\0" + handle.read() + b"\0"
    except OSError:
        return False
    return all(b"\0" + item in environ for item in wanted)


def _stat_of(pid: int) -> tuple[int | None, int | None]:
    """(parent pid, process group) of `pid`, or (None, None) if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None, None
    if fields[0] == b"Z":
        return None, None
    return int(fields[1]), int(fields[2])


_SUBREAPER = False
_PR_SET_CHILD_SUBREAPER = 36
_strays: set[int] = set()
"""Killed processes of ours in other groups, to reap once they are reparented to us."""
_groups: set[int] = set()
"""Process groups (and sessions) we started: their zombies reparented to us are ours to reap."""
_own: set[int] = set()
"""Processes we started and reap ourselves (through `Child.wait`)."""
_reap_scheduled = False


def group_members(pgid: int) -> list[int]:
    """The live processes in process group `pgid`."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and _stat_of(int(entry.name))[1] == pgid:
            found.append(int(entry.name))
    return found


def process_state(pid: int) -> str:
    """The one-letter state of `pid` (`R`, `S`, `T` stopped, `Z` zombie...), or "" if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return ""


def own(pid: int, *, group: bool = True) -> None:
    """Note a process we started (and, with `group`, its process group) for the reaper."""
    _own.add(pid)
    if group:
        _groups.add(pid)


def released(pid: int) -> None:
    """Note that a process from `own` was reaped by its owner."""
    _own.discard(pid)
    schedule_reap()


def adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (Linux), so strays whose parent
    died first are reaped here instead of staying zombies under an init that may never reap."""
    global _SUBREAPER
    if _SUBREAPER or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        _SUBREAPER = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def reap_adopted() -> int:
    """Reap zombies reparented to us from our groups or killed strays; returns how many killed
    strays are still there."""
    me = os.getpid()
    present: set[int] = set()
    remaining = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pgid, sid = int(fields[2]), int(fields[3])
        present.update((pgid, sid))
        if pid in _own or not (pgid in _groups or sid in _groups or pid in _strays):
            continue
        if fields[0] == b"Z" and int(fields[1]) == me:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
                continue
        if pid in _strays:
            remaining += 1
    _strays.intersection_update(p for p in _strays if os.path.exists(f"/proc/{p}"))
    _groups.intersection_update(present | _own)
    return remaining


def schedule_reap(delay: float = 0.25) -> None:
    """Run `reap_adopted` soon (once, however often this is called meanwhile)."""
    global _reap_scheduled
    if not _SUBREAPER or _reap_scheduled:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        reap_adopted()
        return

    def run() -> None:
        global _reap_scheduled
        _reap_scheduled = False
        if reap_adopted():
            schedule_reap(0.02)

    _reap_scheduled = True
    loop.call_later(delay, run)


async def reap_pending(timeout: float = 1.0) -> None:
    """Reap what is ours until no killed stray is left or `timeout` passes."""
    if not _SUBREAPER:
        return
    deadline = time.monotonic() + timeout
    while reap_adopted() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
