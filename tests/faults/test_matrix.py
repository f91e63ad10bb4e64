"""The fault matrix: every screen and action of the console through every kind of server fault.

A proxy on loopback (`proxy.py`) sits between the console and the real local server and fails
on purpose. For each cell the console must: raise nothing (the app still runs, no exception
reached Textual), say what failed in plain words (a status line, a note or a notification; never
an exception's repr), lose no edit, come back once the fault is gone, and back off while it lasts.

How the matrix is chosen (rows x faults, one test each):

- The poll path (the computers list, every `poll_interval`) runs through all 13 HTTP faults
  (this file): refused and reset connections, a delay past the request timeout, an answer cut
  midway, 500/502/503/429 with a JSON body, an HTML body or none, 429 with Retry-After, truncated
  JSON and a 200 that is not JSON. It is the one path that runs unattended for hours, so it is
  the one where a request storm or a stuck error would hurt; each cell also counts the requests
  sent during a 2 s outage and checks recovery within one backoff step plus one poll interval.
- Every other row gets a representative set, one fault per way the client can fail; the other
  faults differ from these only in a status or a body text, which the poll row and
  `tests/unit/test_api_errors.py` cover through the same client code.
  Screens and tabs loading get `LOADS`: refused (no answer at all), cut (broken mid-answer),
  delay (timeout), 503-json (an error with words), 502-html (a proxy's error page),
  truncated-json and not-json (an answer that is not what the API promised). Rows: the Agents,
  Files, Build, Config and Exec tabs (`test_matrix_tabs.py`) and the Keys, Webhooks and Usage
  screens (`test_matrix_org.py`).
  Actions that change something get `ACTIONS`: refused, cut and truncated-json (the server acted
  but the answer was lost), 503-json and delay. Rows: create and delete computer and config
  upload, which also proves the edit survives in the editor and in the draft file
  (`test_matrix_actions.py`); deploy and build, where a delay is a slow build, not a fault
  (`test_matrix_runtime.py`); signing in on the Profiles screen (`test_matrix_org.py`).
  Each row runs its faults one after another in one console, aimed at that row's request only;
  a user-driven action must send exactly one request per try (no retry loop), a polled one
  stays under a bound.
- The terminal's WebSocket (`test_matrix_terminal.py`): dropped, stalled, refused before the
  upgrade and answered 503 at the upgrade; it must say so on its banner, reconnect with backoff
  and work again.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from conftest import INTERVAL
from fault_kit import WORDS, assert_healthy, inject, status_text
from proxy import HTTP_FAULTS, FaultProxy, describe
from server_harness import Org

from orb_tui.ui.screens.main import MainScreen, backoff_delay
from orb_tui.ui.widgets.computer_table import ComputerTable

OUTAGE = 2.0
"""Seconds each poll fault lasts."""
MAX_POLLS = 6
"""Polls allowed during the outage: without backoff it would be OUTAGE / INTERVAL = 10."""
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


@pytest.mark.parametrize("fault", HTTP_FAULTS)
async def test_poll(
    fault: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
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
        assert table.row_count == 1  # the last answer stays on screen
        assert_healthy(app, notices)

        failures = screen.failures
        cleared = time.monotonic()
        await proxy.clear()
        await until(pilot, lambda: "1 computer · updated" in status_text(app), timeout=10)
        took = time.monotonic() - cleared
        assert took <= backoff_delay(INTERVAL, failures + 1) + INTERVAL + SLACK, took
        assert "connection restored" in notices
        assert not status_text(app).startswith("✖")
        assert table.row_count == 1
        assert_healthy(app, notices)
