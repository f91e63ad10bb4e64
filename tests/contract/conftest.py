"""Fixtures for the runtime contract tests: a plain-process-group server next to the session server,
and a fresh computer on either, so each process test runs under both sandbox modes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from server_harness import RunningServer, register_org, start_server

from orb_tui.api.client import OrbClient


@pytest.fixture(scope="session")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A second local server forced onto plain process groups (`ORB_TUI_SANDBOX=0`)."""
    running = start_server(tmp_path_factory.mktemp("orb-plain") / "state", sandbox=False)
    yield running
    code = running.stop()
    assert code == 0, f"server exited {code}; stderr:\n{running.stderr()}"


@dataclass
class Machine:
    """A fresh computer on a server in one sandbox mode, with a client for its org."""

    client: OrbClient
    computer_id: str
    server: RunningServer
    sandboxed: bool

    def path(self, relative: str) -> str:
        """How a process in the computer names `/agent/<relative>`."""
        root = "/agent" if self.sandboxed else str(self.agent_dir)
        return f"{root}/{relative}"

    @property
    def agent_dir(self) -> str:
        """The computer's `/agent` folder on the host."""
        return str(self.server.state_dir / "computers" / self.computer_id / "agent")


@pytest.fixture(params=["sandbox", "plain"])
async def machine(
    request: pytest.FixtureRequest, server: RunningServer, plain_server: RunningServer
) -> AsyncIterator[Machine]:
    """A computer on the session server (bubblewrap when usable) or on `plain_server`."""
    running = server if request.param == "sandbox" else plain_server
    org = await register_org(running.url)
    async with OrbClient(org.url, org.api_key) as client:
        computer = await client.create_computer("runtime-test", runtime_mb=512, disk_mb=1024)
        probe = await client.exec(computer.id, "echo $ORB_AGENT_DIR")
        made = Machine(client, computer.id, running, probe.stdout.strip() == "/agent")
        yield made
        await client.delete_computer(made.computer_id)
