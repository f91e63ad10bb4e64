"""Shared fixtures: a real local ORB server in a subprocess, fresh orgs on it, and clients for them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from server_harness import Org, RunningServer, register_org, start_server

if TYPE_CHECKING:
    from orb_tui.api.client import OrbClient


@pytest.fixture(autouse=True)
def no_unexpected_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test in which the console reported an unexpected error (it survives them by design,
    so without this a bug in a handler would only show as a notice); `@pytest.mark.provokes_errors`
    marks the tests that raise on purpose."""
    from orb_tui.ui import guard

    guard.REPORTED.clear()
    yield
    if request.node.get_closest_marker("provokes_errors") is None:
        assert not guard.REPORTED, f"the console reported unexpected errors: {list(guard.REPORTED)}"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One local server for the whole session; it must exit 0 on SIGTERM at the end."""
    running = start_server(tmp_path_factory.mktemp("orb-server") / "state")
    yield running
    code = running.stop()
    assert code == 0, f"server exited {code}; stderr:\n{running.stderr()}"


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """A factory for private servers: `make_server(state_dir=None, *, sandbox=None,
    host="127.0.0.1")`; each is stopped afterwards and must exit 0."""
    started: list[RunningServer] = []

    def make(
        state_dir: Path | None = None, *, sandbox: bool | None = None, host: str = "127.0.0.1"
    ) -> RunningServer:
        state = state_dir or tmp_path / f"state-{len(started)}"
        running = start_server(state, sandbox=sandbox, host=host)
        started.append(running)
        return running

    yield make
    for running in started:
        if running.proc.poll() is None:
            code = running.stop()
            assert code == 0, f"server exited {code}; stderr:\n{running.stderr()}"


@pytest.fixture
async def org(server: RunningServer) -> Org:
    """A fresh org on the session server: `(url, api_key)`."""
    return await register_org(server.url)


@pytest.fixture
async def client(org: Org) -> AsyncIterator[OrbClient]:
    """An `OrbClient` for a fresh org on the session server, closed afterwards."""
    from orb_tui.api.client import OrbClient

    async with OrbClient(org.url, org.api_key) as orb:
        yield orb


@pytest.fixture
async def http(org: Org) -> AsyncIterator[httpx.AsyncClient]:
    """A raw httpx client authenticated as a fresh org, for checking exact wire shapes."""
    headers = {"Authorization": f"Bearer {org.api_key}"}
    async with httpx.AsyncClient(base_url=org.url, headers=headers, timeout=30) as raw:
        yield raw
