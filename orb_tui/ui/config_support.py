"""The config editor's plain parts: what a buffer edits, the user's $EDITOR, the server's summary."""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from orb_tui.api.models import Computer, ConfigSummary
from orb_tui.config.drafts import computer_key, file_key

Suspender = Callable[[], AbstractContextManager[None]]
"""Gives a context in which the app is suspended (the terminal belongs to the editor)."""


@dataclass(frozen=True)
class Target:
    """What the buffer holds the config of: a computer's orb.toml, or a local file."""

    computer: Computer | None = None
    path: Path | None = None

    @property
    def key(self) -> str:
        """The draft key."""
        return file_key(self.path) if self.path else computer_key(self.computer_id)

    @property
    def computer_id(self) -> str:
        """The computer's id ("" for a local file)."""
        return self.computer.id if self.computer else ""

    @property
    def label(self) -> str:
        """How a person knows it."""
        if self.path is not None:
            return str(self.path)
        return f"{self.computer.name} ({self.computer.short_id})" if self.computer else ""


def editor_command(env: Mapping[str, str]) -> list[str]:
    """The user's editor: $VISUAL, then $EDITOR, then vi, split as a shell would."""
    for name in ("VISUAL", "EDITOR"):
        if value := env.get(name, "").strip():
            return shlex.split(value)
    return ["vi"]


def edit_in_editor(text: str, command: list[str], suspend: Suspender) -> tuple[int, str]:
    """Run `command` on a temporary orb.toml holding `text` while suspended.

    Returns:
        the editor's exit code and the file's text afterwards.

    Raises:
        OSError: the editor cannot be started (or the file cannot be written or read).
        SuspendNotSupported: the app cannot hand over the terminal (run_test, textual-serve).
    """
    with tempfile.TemporaryDirectory(prefix="orb-tui-") as folder:
        path = Path(folder) / "orb.toml"
        path.write_text(text, encoding="utf-8")
        with suspend():
            code = subprocess.run([*command, str(path)], check=False).returncode
        return code, path.read_text(encoding="utf-8")


def describe_summary(summary: ConfigSummary) -> str:
    """One line on what the server understood: agent, backend or llm, ports."""
    parts = [f"agent {summary.agent_name} ({summary.agent_lang} {summary.agent_entry})"]
    raw = summary.raw
    backend, llm, ports = raw.get("backend"), raw.get("llm"), raw.get("ports")
    if isinstance(backend, Mapping) and backend.get("provider"):
        parts.append(f"backend {backend['provider']}")
    if isinstance(llm, Mapping) and llm:
        parts.append("llm " + " ".join(str(v) for v in llm.values()))
    if isinstance(ports, list) and ports:
        parts.append("ports " + ", ".join(str(p) for p in ports))
    return " · ".join(parts)
