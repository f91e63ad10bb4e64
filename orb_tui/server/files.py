"""Browsing a computer's files: paths from `/`, confined to its `/agent` tree.

`resolve` names the real file; `open_real` then opens it one component at a time without following
a link, so a process in the computer that swaps a folder for a symlink in between gets a 404, not a
read of wherever the link points.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orb_tui.server.timefmt import iso

AGENT = "agent"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_LAST = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a FIFO must not block us
CHUNK = 1 << 16


def resolve(root: Path, path: str) -> Path | None:
    """The host path for sandbox path `path` under computer folder `root`, or None if it is
    outside `/agent` (`..`, a symlink that leaves the tree) or does not exist. `/` is `root`."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts or "\x00" in path:
        return None
    if not parts:
        return root
    if parts[0] != AGENT:
        return None
    agent = (root / AGENT).resolve()
    try:
        real = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return real if real == agent or real.is_relative_to(agent) else None


def _entry(entry: os.DirEntry[str]) -> dict[str, Any] | None:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    kind = "directory" if stat.S_ISDIR(info.st_mode) else "file"
    return {"name": entry.name, "type": kind, "size": info.st_size, "modified": iso(info.st_mtime)}


def open_real(root: Path, real: Path) -> int | None:
    """A read-only descriptor of `real` (a path `resolve` returned, not `root`), opened from
    `/agent` down without following a link; None if a part became a link or is gone."""
    agent = root / AGENT
    try:
        fd = os.open(agent, _DIR)
    except OSError:
        return None
    parts = real.relative_to(agent.resolve()).parts
    try:
        for index, part in enumerate(parts):
            inner = os.open(part, _LAST if index == len(parts) - 1 else _DIR, dir_fd=fd)
            os.close(fd)
            fd = inner
    except OSError:
        os.close(fd)
        return None
    return fd


def listing(root: Path, target: Path, fd: int | None = None) -> dict[str, Any]:
    """The directory answer for `target` (a folder `resolve` returned; `fd` opened by `open_real`
    for any but `root`)."""
    if target == root or fd is None:
        agent = root / AGENT
        entries = [e for e in os.scandir(root) if e.name == AGENT] if agent.is_dir() else []
        shown = "/"
    else:
        with os.scandir(fd) as found:
            entries = list(found)
        shown = "/" + target.relative_to((root / AGENT).resolve().parent).as_posix()
    files = [item for e in entries if (item := _entry(e)) is not None]
    files.sort(key=lambda f: (f["type"] != "directory", f["name"]))
    return {"path": shown, "files": files}


def chunks(fd: int, size: int) -> Iterator[bytes]:
    """The first `size` bytes of the open file `fd` (closed at the end, or when dropped)."""
    with os.fdopen(fd, "rb", buffering=0) as source:
        while size > 0 and (chunk := source.read(min(size, CHUNK))):
            size -= len(chunk)
            yield chunk
