"""Fault matrix, the terminal's WebSocket: dropped, stalled, refused, and answered 503 at the upgrade.

The banner must say what happened, reconnection must back off (0.5, 1, 2 s...) instead of
hammering the server, and once the fault is gone the shell works again. A stall (bytes held, the
socket open) shorter than the keepalive is invisible by design: what is typed during it must
arrive once it ends.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fault_kit import assert_healthy
from proxy import FAULTS, FaultProxy, describe
from server_harness import Org

from orb_tui.api.client import OrbClient
from orb_tui.api.terminal import TerminalChannel, TerminalClosedError
from orb_tui.ui.terminal.widget import TerminalView
from orb_tui.ui.widgets.computer_table import ComputerTable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui"))
from test_terminal_widget import painted, type_line

OUTAGE = 2.0
MAX_CONNECTS = 3
"""Reconnections allowed during the outage: the backoff gives 2 (at 0.5 s and 1.5 s)."""
SLACK = 1.5
TERMINAL = r"/terminal$"
WORDS = {
    "ws-drop": "connection lost",
    "refuse": "connection refused",
    "503-json": "down for maintenance (503)",
}


@pytest.mark.parametrize("fault", ["ws-drop", "ws-stall", "refuse", "503-json"])
async def test_terminal(
    fault: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
    async with OrbClient(proxied_org.url, proxied_org.api_key) as direct:
        await direct.create_computer("shell")
    app = faulty_app()
    async with app.run_test(size=(120, 40), message_hook=notices.hook) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        await pilot.press("t")
        await until(pilot, lambda: bool(app.screen.query(TerminalView)))
        view = app.screen.query_one(TerminalView)
        await until(pilot, lambda: view.connected and painted(view).strip())

        started = time.monotonic()
        await proxy.inject(FAULTS[fault], path=TERMINAL)
        if fault == "503-json":
            proxy.drop_tunnels()
        if fault == "ws-stall":
            await type_line(pilot, "echo held-$((20+1))")
            await pilot.pause(OUTAGE)
            assert "held-21" not in painted(view)  # nothing went through the stall
        else:
            await until(pilot, lambda: WORDS[fault] in (view.banner or ""), timeout=8)
            assert "reconnecting in" in (view.banner or "")
            await pilot.pause(max(0.0, started + OUTAGE - time.monotonic()))
            if fault != "refuse":
                tries = proxy.count(TERMINAL, since=started)
                assert tries <= MAX_CONNECTS, describe(proxy.hits, lambda h: h.at >= started)
        assert_healthy(app, notices)

        cleared = time.monotonic()
        await proxy.clear()
        if fault == "ws-stall":
            await until(pilot, lambda: "held-21" in painted(view), timeout=5)
        else:
            await until(pilot, lambda: view.connected and view.banner is None, timeout=10)
            assert time.monotonic() - cleared <= 4.0 + SLACK
            await until(pilot, lambda: painted(view).strip(), timeout=5)
            await type_line(pilot, "echo back-$((1+1))")
            await until(pilot, lambda: "back-2" in painted(view), timeout=5)
        assert_healthy(app, notices)


async def test_a_stalled_socket_is_noticed_by_the_keepalive(
    proxy: FaultProxy, proxied_org: Org
) -> None:
    """A stall longer than the keepalive ends the channel as lost (the banner and a reconnect
    follow from that), instead of leaving a dead shell on screen until the OS gives up."""
    async with OrbClient(proxy.url, proxied_org.api_key) as orb:
        computer = await orb.create_computer("stalled")
        url = orb.terminal_url(computer.id)
    channel = TerminalChannel(url, proxied_org.api_key, keepalive=0.5)
    await channel.connect()
    try:
        await proxy.inject(FAULTS["ws-stall"], path=TERMINAL)
        started = time.monotonic()
        with pytest.raises(TerminalClosedError):
            while True:  # drain the prompt, then wait for output that cannot come
                await asyncio.wait_for(channel.recv(), timeout=10)
        # a ping, its timeout, then the 2 s close handshake that the stall cannot complete
        assert time.monotonic() - started < 2 * 0.5 + 2.0 + SLACK
    finally:
        await proxy.clear()
        await channel.close()
