"""Quitting with `q`: at once when nothing is unsaved, after a question when the config editor has edits."""

from __future__ import annotations

from typing import Any

from test_config_editor import QUIET, computer_with_config, open_editor, showing

from orb_tui.api.client import OrbClient
from orb_tui.ui.config_dialogs import ChoiceDialog
from orb_tui.ui.widgets.computer_table import ComputerTable


async def test_q_quits_when_the_config_tab_was_never_opened(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    await client.create_computer("plain")
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count >= 1)
        await pilot.press("q")
        await until(pilot, lambda: app.return_value == 0)


async def test_q_with_unsaved_edits_asks_first(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    await computer_with_config(client)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        await pilot.press(*"#x")
        await pilot.press("escape")  # leave the editor, as a user would before `q`
        await until(pilot, lambda: not editor.query_one("TextArea").has_focus)
        await pilot.press("q")
        await until(pilot, lambda: showing(app, ChoiceDialog))
        await pilot.press("escape")  # keep editing
        await until(pilot, lambda: not isinstance(app.screen, ChoiceDialog))
        assert app.return_value is None and editor.has_unsaved
        await pilot.press("q")
        await until(pilot, lambda: showing(app, ChoiceDialog))
        await pilot.click("#discard")
        await until(pilot, lambda: app.return_value == 0)
