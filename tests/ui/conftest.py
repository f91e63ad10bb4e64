"""Pilot-test fixtures: an isolated config/state folder, settings and an endpoint on the local server."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from orb_tui.config.paths import Paths
from orb_tui.config.settings import Endpoint, Settings
from orb_tui.ui.app import OrbApp, make_app

TEST_POLL_INTERVAL = 0.3


class UiEnv(NamedTuple):
    """What a UI test needs: paths in tmp, settings, and an endpoint for a fresh org."""

    paths: Paths
    settings: Settings
    endpoint: Endpoint


@pytest.fixture
def ui_env(tmp_path: Path, org: Any) -> UiEnv:
    """Paths under tmp, settings polling every 0.3 s, an endpoint for a fresh org."""
    paths = Paths(config_dir=tmp_path / "config", state_dir=tmp_path / "state")
    settings = Settings(poll_interval=TEST_POLL_INTERVAL)
    endpoint = Endpoint(profile="test", api_url=org.url, api_key=org.api_key)
    return UiEnv(paths, settings, endpoint)


@pytest.fixture
def make_test_app(ui_env: UiEnv) -> Callable[..., OrbApp]:
    """Build an OrbApp through `make_app`; keywords override `ui_env`'s (and `settings` fields)."""

    def make(**overrides: Any) -> OrbApp:
        settings = overrides.pop("settings", ui_env.settings)
        fields = {k: overrides.pop(k) for k in list(overrides) if k in _SETTINGS_FIELDS}
        if fields:
            settings = dataclasses.replace(settings, **fields)
        options: dict[str, Any] = {
            "settings": settings,
            "paths": ui_env.paths,
            "endpoint": ui_env.endpoint,
        }
        options.update(overrides)
        return make_app(**options)

    return make


_SETTINGS_FIELDS = {f.name for f in dataclasses.fields(Settings)}


async def _until(pilot: Any, predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until `predicate()` is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.02)


@pytest.fixture
def until() -> Callable[..., Any]:
    """`await until(pilot, predicate, timeout=10)`: run the app until the predicate holds."""
    return _until


class Notices(list[str]):
    """Every notification the app showed, recorded through `run_test(message_hook=...)`."""

    def hook(self, message: object) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            self.append(str(message.notification.message))


@pytest.fixture
def notices() -> Notices:
    """Pass `message_hook=notices.hook` to `run_test`; the list keeps notifications that expired."""
    return Notices()
