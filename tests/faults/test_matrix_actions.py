"""Fault matrix, the actions that change things: create and delete a computer, and upload a config
(which must also keep the edit, in the editor and in its draft file).

Each row runs the representative faults (see `test_matrix.py`) in one console, aimed at that
action's request only. A cut or truncated answer reaches the server first, so the change may have
happened though the console was told otherwise: the console must say it failed, and trying again must
work (a retried delete of a computer already gone, or a retried save of a config already
uploaded, is not an error).
"""

from __future__ import annotations

from typing import Any

import pytest
from fault_kit import ACTIONS, CONFIG, Row, action, last, main, nothing, run_row
from proxy import FaultProxy
from server_harness import Org
from textual.pilot import Pilot

from orb_tui.api.client import OrbClient
from orb_tui.config.drafts import DraftStore
from orb_tui.ui.app import OrbApp
from orb_tui.ui.widgets.computer_table import ComputerTable


class ConfigEdits:
    """Types a new line into the Config tab before each save, and checks it is never lost."""

    def __init__(self) -> None:
        self.count = 0

    @staticmethod
    def editor(app: OrbApp) -> Any:
        return main(app).query_one("#config-editor")

    async def open(self, pilot: Pilot[Any], app: OrbApp) -> None:
        await pilot.press("e")

    async def save(self, pilot: Pilot[Any], app: OrbApp) -> None:
        area = self.editor(app).text_area
        self.count += 1
        area.insert(f"# edit {self.count}\n", area.document.end)
        area.focus()
        await self.editor(app).run_action("save")  # what ctrl+s does

    def kept(self, app: OrbApp) -> None:
        editor = self.editor(app)
        marker = f"# edit {self.count}\n"
        assert marker in editor.text_area.text, "the edit left the editor"
        draft = DraftStore(app.paths.drafts_dir).load(editor.target.key)
        assert draft is not None and marker in draft.text, "the edit is not in the draft file"


def rows(notices: list[str]) -> dict[str, Row]:
    edits = ConfigEdits()

    def saved(app: OrbApp) -> bool:
        editor = edits.editor(app)
        return last(notices, "saved", "not saved").startswith("saved") and not editor.has_unsaved

    return {
        "create": Row(
            "create", r"^/v1/computers$", "POST", nothing, action("new_computer", "enter"),
            lambda app: last(notices, "created", "could not create").startswith("created"),
            ACTIONS,
        ),
        "delete": Row(
            "delete", r"^/v1/computers/[^/]+$", "DELETE", nothing, action("delete_computer", "y"),
            lambda app: last(notices, "deleted", "could not delete").startswith("deleted"),
            ACTIONS,
        ),
        "config-upload": Row(
            "config-upload", r"/config$", "POST", edits.open, edits.save, saved,
            ACTIONS, kept=edits.kept,
        ),
    }  # fmt: skip


@pytest.mark.parametrize("row", ["create", "delete", "config-upload"])
async def test_action(
    row: str, proxy: FaultProxy, proxied_org: Org, faulty_app: Any, until: Any, notices: Any
) -> None:
    wanted = 12 if row == "delete" else 1
    async with OrbClient(proxied_org.url, proxied_org.api_key) as direct:
        for number in range(wanted):
            made = await direct.create_computer(f"c{number:02d}")
            await direct.upload_config(made.id, CONFIG)
    app = faulty_app()
    async with app.run_test(size=(120, 40), message_hook=notices.hook) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == wanted)
        problems = await run_row(rows(notices)[row], app, pilot, proxy, notices, until)
        assert not problems, "\n".join(problems)
