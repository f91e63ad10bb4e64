"""The poll row of the fault matrix: the computers list under each fault, then recovery."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fault_kit import INTERVAL, WORDS, assert_healthy, inject, status_text
from proxy import FaultProxy, describe
from server_harness import Org

from orb_tui.ui.screens.main import MainScreen, backoff_delay
from orb_tui.ui.widgets.computer_table import ComputerTable

OUTAGE = 1.5
"""Seconds each poll fault lasts."""
MAX_POLLS = 5
"""Polls allowed during the outage: backoff gives 4 (at 0, 0.2, 0.6 and 1.4 s), none 7 or 8."""
SLACK = 1.5
"""Scheduling slack on a shared 2-core machine."""
LIST = r"^/v1/computers$"


async def one_computer(org: Org) -> None:
    async with httpx.AsyncClient(base_url=org.url, timeout=10) as http:
        made = await http.post(
            "/v1/computers",
            json={"name": "survivor"},
            headers={"Authorization": f"Bearer {org.api_key}"},
        )
    assert made.status_code == 201, made.text


async def poll_cell(
    fault: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
    """One cell of the poll row: `fault` on the computers list for OUTAGE seconds, then gone."""
    await one_computer(proxied_org)
    app = faulty_app()
    async with app.run_test(size=(120, 40), message_hook=notices.hook) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        table = screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)

        started, polls = time.monotonic(), screen.polls
        await inject(proxy, fault, LIST, "GET")
        await until(pilot, lambda: WORDS[fault] in status_text(app))
        assert "retrying in" in status_text(app)
        await pilot.pause(max(0.0, started + OUTAGE - time.monotonic()))
        sent = screen.polls - polls if fault == "refuse" else proxy.count(LIST, since=started)
        assert sent <= MAX_POLLS, describe(proxy.hits, lambda h: h.at >= started)
        if fault == "429-retry-after":  # "wait 2 s" outlasts the outage: no second ask in it
            assert sent == 1, describe(proxy.hits, lambda h: h.at >= started)
        assert table.row_count == 1  # the last answer stays on screen
        assert_healthy(app, notices)

        failures = screen.failures
        cleared = time.monotonic()
        await proxy.clear()
        await until(pilot, lambda: "1 computer · updated" in status_text(app), timeout=10)
        took = time.monotonic() - cleared
        assert took <= backoff_delay(INTERVAL, failures + 1) + INTERVAL + SLACK, took
        # the notice is a message to the app, handled after the status line changed
        await until(pilot, lambda: "connection restored" in notices, timeout=2)
        assert not status_text(app).startswith("✖")
        assert table.row_count == 1
        assert_healthy(app, notices)
