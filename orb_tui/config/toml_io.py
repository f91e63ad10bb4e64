"""Reading TOML with positions in its errors, and writing files atomically with a given mode."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


class TomlSyntaxError(ValueError):
    """A TOML file that does not parse, with the 1-based position when the parser gave one."""

    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse_toml(text: str) -> dict[str, object]:
    """Parse `text`; raises TomlSyntaxError with line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _AT.search(msg)
        line, column = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        if m is None and "end of document" in msg:
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
        raise TomlSyntaxError(_AT.sub("", msg).strip(), line, column) from None


def key_line(text: str, key: str, table: str | None = None) -> int | None:
    """The 1-based line where `key = ...` is set (inside `[table]` when given), if it can be found."""
    current: str | None = None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[] ").split("]")[0].strip()
            continue
        if (table is None or current == table) and pattern.match(line):
            return number
    return None


def write_atomic(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write `text` to `path` through a temporary file in the same folder, created with `mode`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
