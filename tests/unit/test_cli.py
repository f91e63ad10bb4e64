"""The command line: --version, locate, python -m orb_tui."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orb_tui import __version__


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orb_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"orb-tui {__version__}"


def test_locate_prints_the_overridden_paths(tmp_path: Path) -> None:
    env = {"ORB_TUI_CONFIG_DIR": str(tmp_path / "c"), "ORB_TUI_STATE_DIR": str(tmp_path / "s")}
    result = _run("locate", env=env)
    assert result.returncode == 0, result.stderr
    assert f"config:      {tmp_path / 'c' / 'config.toml'}" in result.stdout
    assert f"credentials: {tmp_path / 'c' / 'credentials.toml'}" in result.stdout
    assert f"state:       {tmp_path / 's'}" in result.stdout


def test_unknown_option_is_a_usage_error() -> None:
    result = _run("--no-such-flag")
    assert result.returncode == 2
    assert "usage: orb-tui" in result.stderr
