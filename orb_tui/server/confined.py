"""Writing into a computer's folder from the host without following a symlink the computer planted.

Processes in a computer can replace any folder of `/agent` with a symlink; the server (on the host,
often as root) must then neither create nor write anything where that link points.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import BinaryIO

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def safe_name(text: str, fallback: str = "file") -> str:
    """`text` as one file name: letters, digits, `.`, `_` and `-` only, never hidden or `..`."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".")[:100]
    return name or fallback


def open_dir(base: Path, *parts: str) -> int:
    """A descriptor of `base/parts...`, creating missing folders, following no symlink below `base`.

    Raises:
        OSError: a part is a symlink (ELOOP) or not a folder (ENOTDIR).
    """
    fd = os.open(base, _DIR)
    try:
        for part in parts:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            inner = os.open(part, _DIR, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_file(base: Path, parts: tuple[str, ...], name: str, *, append: bool = False) -> BinaryIO:
    """`base/parts.../name` opened for writing (truncated, or appended to), as `open_dir` walks.

    Raises:
        OSError: a part or the file itself is a symlink, or a part is not a folder.
    """
    folder = open_dir(base, *parts)
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    flags |= os.O_APPEND if append else os.O_TRUNC
    try:
        fd = os.open(name, flags, 0o644, dir_fd=folder)
    finally:
        os.close(folder)
    return os.fdopen(fd, "ab" if append else "wb")
