"""The non-UI layers load no Textual, and `import orb_tui.api` stays light."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_api_config_and_server_import_no_textual() -> None:
    run(
        "import sys, orb_tui.api, orb_tui.config, orb_tui.server\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith(('textual.', 'orb_tui.ui')))\n"
        "assert not loaded, loaded"
    )


def test_importing_the_api_defers_httpx_and_websockets() -> None:
    run(
        "import sys, orb_tui.api\n"
        "heavy = sorted(m for m in ('httpx', 'websockets', 'fastapi') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "from orb_tui.api import OrbClient, TerminalChannel\n"
        "assert OrbClient.__module__ == 'orb_tui.api.client'\n"
        "assert 'httpx' in sys.modules and 'websockets' in sys.modules"
    )
