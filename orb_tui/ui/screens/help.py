"""The `?` help screen: every binding with the key that runs it now."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from orb_tui.ui.palette import commands

if TYPE_CHECKING:
    from orb_tui.ui.app import OrbApp


class HelpScreen(ModalScreen[None]):
    """A scrollable list of every binding, grouped by where it works."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 86; max-width: 100%; height: 90%; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "dismiss_help", "Close", id="help-close"),
        Binding("q", "dismiss_help", "Close", show=False, id="help-close-q"),
        Binding("question_mark", "dismiss_help", "Close", show=False, id="help-close-question"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._table(), id="help-table")

    def _table(self) -> Table:
        app = cast("OrbApp", self.app)
        table = Table(title="orb-tui keys · Esc closes", expand=True, show_edge=False)
        table.add_column("Key", style="bold cyan", no_wrap=True)
        table.add_column("Action")
        table.add_column("Where", style="dim")
        table.add_column("Id", style="dim")
        for command in commands(app):
            table.add_row(command.key(app), command.title, command.group, command.binding.id or "")
        table.add_row("ctrl+]", "Leave the terminal", "Terminal tab", "")
        return table

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
