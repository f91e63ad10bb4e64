"""Browsing a computer's files: paths from `/`, confined to its `/agent` tree."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from orb_tui.server.timefmt import iso

AGENT = "agent"


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


def listing(root: Path, target: Path) -> dict[str, Any]:
    """The directory answer for `target` (a folder `resolve` returned)."""
    if target == root:
        agent = root / AGENT
        entries = [e for e in os.scandir(root) if e.name == AGENT] if agent.is_dir() else []
        shown = "/"
    else:
        entries = list(os.scandir(target))
        shown = "/" + target.relative_to((root / AGENT).resolve().parent).as_posix()
    files = [item for e in entries if (item := _entry(e)) is not None]
    files.sort(key=lambda f: (f["type"] != "directory", f["name"]))
    return {"path": shown, "files": files}
