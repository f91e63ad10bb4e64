"""Fault matrix, the selected computer's tabs loading: Agents, Files, Build, Config and Exec.

Each row runs the representative faults (see `test_matrix.py`) one after another in one console,
aimed at that tab's request only, so the computers poll keeps working beside it. Selecting the
other computer and back makes the tabs load again; Agents, Files and Build must then come back by
themselves once the fault is gone, Config when reloaded, Exec when the command is run again.
"""

from __future__ import annotations

from typing import Any

import pytest
from fault_kit import ACTIONS, LOADS, Row, nothing, run_row
from proxy import FaultProxy
from server_harness import Org
from textual.pilot import Pilot
from textual.widgets import Static

from orb_tui.api.client import OrbClient
from orb_tui.ui.app import OrbApp
from orb_tui.ui.screens.main import MainScreen
from orb_tui.ui.widgets.build_tab import BuildTab
from orb_tui.ui.widgets.computer_table import ComputerTable
from orb_tui.ui.widgets.exec_tab import ExecTab
from orb_tui.ui.widgets.files_tab import FilesTab

NO_DELAY = tuple(f for f in ACTIONS if f != "delay")
"""Exec waits its own timeout plus 10 s for an answer: a delay is a slow command, not a fault."""
CONFIG = '[agent]\nname = "tabs"\nlang = "python"\nentry = "agent.py"\n'


def text(widget: Static) -> str:
    return str(widget.render())


def main(app: OrbApp) -> MainScreen:
    assert isinstance(app.screen, MainScreen)
    return app.screen


def key(name: str) -> Any:
    async def press(pilot: Pilot[Any], app: OrbApp) -> None:
        await pilot.press(name)

    return press


async def reselect(pilot: Pilot[Any], app: OrbApp) -> None:
    """Select the other computer and back: what a person does to look again."""
    table = main(app).table
    table.focus()
    table.action_cursor_down()  # what the arrow keys do, without Pilot's settling
    await pilot.pause()
    table.action_cursor_up()
    await pilot.pause()


def agents_done(app: OrbApp) -> bool:
    return text(app.screen.query_one("#agents-note", Static)).startswith("No agents")


def files_done(app: OrbApp) -> bool:
    tab = app.screen.query_one(FilesTab)
    root = tab.file_tree.root
    info = text(tab.query_one("#files-info", Static))
    return info == "Select a file." and "data/" in [str(c.label) for c in root.children]


def build_done(app: OrbApp) -> bool:
    status = text(app.screen.query_one(BuildTab).query_one("#build-status", Static))
    return status.startswith("No builds yet")


def config_done(app: OrbApp) -> bool:
    header = text(app.screen.query_one("#config-header", Static))
    editor = app.screen.query_one("#config-editor")
    return header.startswith("orb.toml of") and editor.text_area.text == CONFIG  # type: ignore[attr-defined]


def exec_lines(app: OrbApp) -> list[str]:
    log = app.screen.query_one(ExecTab).log_view
    return [strip.text for strip in log.lines]


def exec_done(app: OrbApp) -> bool:
    lines = exec_lines(app)
    return bool(lines) and lines[-1].startswith("exit 0")


async def run_exec(pilot: Pilot[Any], app: OrbApp) -> None:
    line = app.screen.query_one(ExecTab).command_line
    line.focus()
    if line.history:
        line.action_history(-1)  # up: the same command again, from the history
    else:
        line.value = "echo ran"
    await line.action_submit()


def exec_kept(app: OrbApp) -> None:
    assert app.screen.query_one(ExecTab).command_line.history[-1] == "echo ran"


ROWS = {
    "agents": Row("agents", r"/agents$", "GET", key("a"), nothing, agents_done, LOADS,
                  tries=None, most=6),
    "files": Row("files", r"/files/agent$", "GET", key("f"), reselect, files_done,
                 LOADS, retry=nothing, tries=None, most=4),
    "build": Row("build", r"/builds$", "GET", key("l"), reselect, build_done, LOADS,
                 retry=nothing, tries=None, most=4),
    "config": Row("config", r"/config$", "GET", key("e"), reselect, config_done, LOADS,
                  tries=2, words={"not-json": "not the config (200, text/html)"}),
    "exec": Row("exec", r"/exec$", "POST", key("x"), run_exec, exec_done, NO_DELAY,
                kept=exec_kept),
}  # fmt: skip


@pytest.mark.parametrize("row", list(ROWS))
async def test_tab(
    row: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
    async with OrbClient(proxied_org.url, proxied_org.api_key) as direct:
        for name in ("alpha", "beta"):
            made = await direct.create_computer(name)
            await direct.upload_config(made.id, CONFIG)
    app = faulty_app()
    async with app.run_test(size=(120, 40), message_hook=notices.hook) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 2)
        problems = await run_row(ROWS[row], app, pilot, proxy, notices, until)
        assert not problems, "\n".join(problems)
