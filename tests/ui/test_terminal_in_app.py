"""The Terminal tab inside the console: keys the app would otherwise take go to the shell."""

from __future__ import annotations

from typing import Any

from test_terminal_widget import painted, type_line, wait_for_text
from textual.command import CommandPalette

from orb_tui.api.client import OrbClient
from orb_tui.ui.terminal.widget import TerminalView
from orb_tui.ui.widgets.computer_table import ComputerTable


async def test_ctrl_p_is_bash_history_in_the_terminal_and_the_palette_elsewhere(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    await client.create_computer("shell")
    app = make_test_app(poll_interval=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count >= 1)
        await pilot.press("t")
        await until(pilot, lambda: bool(app.screen.query(TerminalView)))
        view = app.screen.query_one(TerminalView)
        await until(pilot, lambda: view.connected and painted(view).strip())
        assert app.focused is view
        await type_line(pilot, "echo again-$((40+2))")
        await wait_for_text(pilot, view, "again-42")
        await pilot.press("ctrl+p", "enter")  # recall the last command and run it once more
        await until(pilot, lambda: painted(view).count("again-42") == 2)  # the command ran twice
        assert not isinstance(app.screen, CommandPalette)
        await pilot.press("ctrl+right_square_bracket")
        await until(pilot, lambda: app.focused is not view)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
