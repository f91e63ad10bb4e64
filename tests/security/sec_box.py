"""A computer of a fresh org, as the security tests drive it (the `box` fixture makes one)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from server_harness import RunningServer

CONFIG = '[agent]\nname = "a"\nlang = "python"\nentry = "main.py"\n'
TOML = {"Content-Type": "application/toml"}


@dataclass
class Box:
    """A fresh org's computer on the session server, with a raw client for that org."""

    http: httpx.AsyncClient
    computer_id: str
    server: RunningServer
    sandboxed: bool

    @property
    def root(self) -> Path:
        """The computer's folder on the host (`agent/` inside it is what the computer sees)."""
        return self.server.state_dir / "computers" / self.computer_id

    async def exec(self, command: str, timeout: float = 30) -> dict[str, object]:
        """Run `command` in the computer; the exec answer."""
        answer = await self.http.post(
            f"/v1/computers/{self.computer_id}/exec", json={"command": command, "timeout": timeout}
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, object] = answer.json()
        return result

    async def upload(self, config: str) -> httpx.Response:
        """Upload an orb.toml."""
        return await self.http.post(
            f"/v1/computers/{self.computer_id}/config", content=config, headers=TOML
        )
