"""Fault matrix, the org screens: Keys, Webhooks (and their polled deliveries) and Usage loading,
and signing in on Profiles.

Each row runs the representative faults (see `test_matrix.py`) in one console, aimed at that
screen's request; `r` (or signing in again) is the retry a person would make.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fault_kit import ACTIONS, LOADS, Row, covered, nothing, run_row
from proxy import FaultProxy
from server_harness import Org
from textual.pilot import Pilot
from textual.widgets import Input, Static

from orb_tui.api.client import OrbClient
from orb_tui.ui.app import OrbApp
from orb_tui.ui.screens.main import MainScreen


def status(app: OrbApp) -> str:
    return str(app.screen.query_one(".org-screen-status", Static).render())


def opener(key: str) -> Callable[[Pilot[Any], OrbApp], Any]:
    async def open_screen(pilot: Pilot[Any], app: OrbApp) -> None:
        assert isinstance(app.screen, MainScreen)
        app.screen.table.focus()
        await pilot.press(key)

    return open_screen


async def refresh(pilot: Pilot[Any], app: OrbApp) -> None:
    await app.screen.run_action("refresh")  # what `r` does


def sign_in(api_key: str) -> Callable[[Pilot[Any], OrbApp], Any]:
    async def submit(pilot: Pilot[Any], app: OrbApp) -> None:
        screen = app.screen
        await screen.run_action("sign_in")  # what `s` does
        await covered(pilot, app, screen, "#profile-key")
        app.screen.query_one("#profile-key", Input).value = api_key
        await pilot.press("enter")

    return submit


def deliveries_done(app: OrbApp) -> bool:
    caption = str(app.screen.query_one("#deliveries-caption", Static).render())
    ok = caption.startswith(("No deliveries yet to", "Recent deliveries to"))
    return ok and not app.screen.query_one(".org-screen-status").has_class("-error")


def rows(org: Org) -> dict[str, Row]:
    return {
        "keys": Row("keys", r"^/v1/keys$", "GET", opener("K"), refresh,
                    lambda app: re.match(r"\d+ keys?\b", status(app)) is not None,
                    LOADS),
        "webhooks": Row("webhooks", r"^/v1/webhooks$", "GET", opener("W"), refresh,
                        lambda app: re.match(r"\d+ webhooks?\b", status(app)) is not None,
                        LOADS),
        "deliveries": Row("deliveries", r"/deliveries$", "GET", opener("W"), nothing,
                          deliveries_done, LOADS, tries=None, most=5),
        "usage": Row("usage", r"^/v1/usage$", "GET", opener("U"), refresh,
                     lambda app: status(app).startswith("last 30 days"), LOADS),
        "profiles": Row("profiles", r"^/api/v1/auth/login$", "POST", opener("P"),
                        sign_in(org.api_key),
                        lambda app: status(app).startswith("signed in as profile"),
                        ACTIONS),
    }  # fmt: skip


@pytest.mark.parametrize("row", ["keys", "webhooks", "deliveries", "usage", "profiles"])
async def test_org_screen(
    row: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
    if row == "deliveries":
        async with OrbClient(proxied_org.url, proxied_org.api_key) as direct:
            await direct.create_webhook("https://example.com/orb", ["computer.created"])
    app = faulty_app()
    async with app.run_test(size=(120, 40), message_hook=notices.hook) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MainScreen) and app.client is not None)
        problems = await run_row(rows(proxied_org)[row], app, pilot, proxy, notices, until)
        assert not problems, "\n".join(problems)
