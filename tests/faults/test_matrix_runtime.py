"""Fault matrix, the actions that run things in a computer: deploy and build.

Both wait a minute or more for their answer by design, so a delay is a slow build, not a fault;
the other action faults (see `test_matrix.py`) apply. A cut or truncated answer arrives after the
server acted: the console must say it failed, and deploying or building again must work.
"""

from __future__ import annotations

from typing import Any

import pytest
from fault_kit import ACTIONS, CONFIG, Row, action, last, nothing, run_row
from proxy import FaultProxy
from server_harness import Org

from orb_tui.api.client import OrbClient
from orb_tui.ui.widgets.computer_table import ComputerTable

NO_DELAY = tuple(f for f in ACTIONS if f != "delay")
AGENT = "mkdir -p /agent/code && printf 'import time\\ntime.sleep(600)\\n' > /agent/code/agent.py"


def rows(notices: list[str]) -> dict[str, Row]:
    return {
        "deploy": Row(
            "deploy", r"/agents$", "POST", nothing, action("deploy"),
            lambda app: last(notices, "deployed", "deploy failed").startswith("deployed"),
            NO_DELAY,
        ),
        "build": Row(
            "build", r"/build$", "POST", nothing, action("build"),
            lambda app: last(notices, "build").startswith("build succeeded"),
            NO_DELAY,
        ),
    }  # fmt: skip


@pytest.mark.parametrize("row", ["deploy", "build"])
async def test_runtime_action(
    row: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
    async with OrbClient(proxied_org.url, proxied_org.api_key) as direct:
        made = await direct.create_computer("runner")
        await direct.upload_config(made.id, CONFIG)
        assert (await direct.exec(made.id, AGENT)).exit_code == 0
    app = faulty_app()
    async with app.run_test(size=(120, 40), message_hook=notices.hook) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        problems = await run_row(rows(notices)[row], app, pilot, proxy, notices, until)
        assert not problems, "\n".join(problems)
