"""`orb-tui --local`: start or reuse the local server, sign in once, seed one demo computer."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from orb_tui import local
from orb_tui.api.client import OrbClient
from orb_tui.config.credentials import load_credentials
from orb_tui.config.paths import Paths
from orb_tui.config.settings import load_settings


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[Paths]:
    yield Paths(config_dir=tmp_path / "config", state_dir=tmp_path / "state")
    local.stop_started()


async def _demo_state(url: str, key: str) -> tuple[int, str | None, str]:
    async with OrbClient(url, key) as client:
        computers = (await client.list_computers()).computers
        config = await client.get_config(computers[0].id)
        listing = await client.exec(computers[0].id, "cat ../code/agent.py")
        return len(computers), config, listing.stdout


def test_first_run_starts_registers_and_seeds_then_reuses(paths: Paths) -> None:
    endpoint = local.ensure_local(paths)
    assert endpoint.profile == "local" and endpoint.api_key
    assert endpoint.api_url.startswith("http://127.0.0.1:")
    assert stat.S_IMODE(paths.credentials_file.stat().st_mode) == 0o600
    assert load_credentials(paths) == {"local": endpoint.api_key}
    settings = load_settings(paths)
    assert settings.default_profile == "local"
    assert settings.profiles["local"].api_url == endpoint.api_url

    count, config, agent = asyncio.run(_demo_state(endpoint.api_url, endpoint.api_key))
    assert count == 1
    assert config == local.DEMO_TOML  # comments and all
    assert agent == local.DEMO_AGENT

    again = local.ensure_local(paths)  # the server is up: reused, same key, nothing reseeded
    assert again == endpoint
    assert len(local._children) == 1
    assert asyncio.run(_demo_state(endpoint.api_url, endpoint.api_key))[0] == 1


def test_restart_keeps_the_account_and_the_demo(paths: Paths) -> None:
    first = local.ensure_local(paths)
    local.stop_started()
    second = local.ensure_local(paths)  # a new server on the same state dir
    assert second.api_key == first.api_key
    assert asyncio.run(_demo_state(second.api_url, second.api_key or ""))[0] == 1
