"""Fault-matrix fixtures: a fault proxy in front of the session server and the console behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fault_kit import INTERVAL, REQUEST_TIMEOUT
from proxy import FaultProxy
from server_harness import Org, RunningServer, register_org
from ui.conftest import Notices, _until

from orb_tui.config.paths import Paths
from orb_tui.config.settings import Endpoint, Settings
from orb_tui.ui.app import OrbApp, make_app


@pytest.fixture
async def proxy(server: RunningServer) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of the session server, forwarding everything until told otherwise."""
    running = FaultProxy(server.url)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def proxied_org(server: RunningServer, proxy: FaultProxy) -> Org:
    """A fresh org, registered directly on the server (not through the proxy)."""
    return await register_org(server.url)


@pytest.fixture
def faulty_app(tmp_path: Path, proxy: FaultProxy, proxied_org: Org) -> Callable[..., OrbApp]:
    """`faulty_app()`: the console for `proxied_org`, talking to the server through `proxy`."""

    def make(**settings: Any) -> OrbApp:
        return make_app(
            settings=Settings(poll_interval=INTERVAL, **settings),
            paths=Paths(config_dir=tmp_path / "config", state_dir=tmp_path / "state"),
            endpoint=Endpoint(profile="faulty", api_url=proxy.url, api_key=proxied_org.api_key),
            timeout=REQUEST_TIMEOUT,
        )

    return make


@pytest.fixture
def until() -> Callable[..., Any]:
    """`await until(pilot, predicate, timeout=10)`: run the app until the predicate holds."""
    return _until


@pytest.fixture
def notices() -> Notices:
    """Pass `message_hook=notices.hook` to `run_test`; the list keeps notifications that expired."""
    return Notices()
