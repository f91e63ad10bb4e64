"""Looking for processes from tests: by a unique text in their command line, and waiting on a condition."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable


def unique_seconds() -> str:
    """A `sleep` argument no other test uses (e.g. `1000.4821937`), to find that sleep in /proc."""
    return f"{1000 + uuid.uuid4().int % 1000}.{uuid.uuid4().int % 10**7:07d}"


def pids_running(text: str) -> list[int]:
    """Processes (not zombies) whose command line contains `text`, this one excluded."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != b"Z":
            found.append(int(entry.name))
    return found


def zombie_children() -> list[int]:
    """Zombies whose parent is this process (children nobody reaped)."""
    me = str(os.getpid()).encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == b"Z" and fields[1] == me:
            found.append(int(entry.name))
    return found


def process_state(pid: int) -> str:
    """The one-letter state of `pid` (`R`, `S`, `T` stopped, `Z`...), or `gone`."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0].decode()
    except OSError:
        return "gone"


def signal_report(text: str) -> str:
    """For a failure message: the state, signal masks and groups of the processes `pids_running`
    finds (why a signal did not end one: blocked, ignored, pending, another process group)."""
    lines = []
    for pid in pids_running(text):
        try:
            with open(f"/proc/{pid}/status") as handle:
                status = [line for line in handle if line.startswith(("State", "Sig", "ShdPnd"))]
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        groups = f"ppid {int(fields[1])} pgrp {int(fields[2])} tpgid {int(fields[5])}"
        lines.append(f"pid {pid}: {groups}; " + "; ".join(line.strip() for line in status))
    return "\n".join(lines) or "no such process left"


async def eventually(
    check: Callable[[], bool], timeout: float = 5.0, what: str = "", why: Callable[[], str] = str
) -> None:
    """Poll `check` until it is true; fail after `timeout` seconds, saying `why()` too."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what or check}\n{why()}")
        await asyncio.sleep(0.02)
