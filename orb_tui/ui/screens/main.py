"""The main screen: the computers table, the selected computer's tabs, polling with backoff."""

from __future__ import annotations

import importlib
from typing import Any

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane

from orb_tui.api.errors import OrbError
from orb_tui.api.models import Computer
from orb_tui.ui.messages import ComputerChanged, ComputersFailed, ComputersLoaded
from orb_tui.ui.widgets.agents_tab import AgentsTab
from orb_tui.ui.widgets.base import ReportsWorkerErrors, client_of, orb_app, plain_words
from orb_tui.ui.widgets.build_tab import BuildTab
from orb_tui.ui.widgets.computer_table import ComputerTable
from orb_tui.ui.widgets.dialogs import ConfirmDialog, CreateComputerDialog, NewComputer
from orb_tui.ui.widgets.exec_tab import ExecTab
from orb_tui.ui.widgets.files_tab import FilesTab
from orb_tui.ui.widgets.status_line import StatusLine

MAX_BACKOFF = 30.0


def backoff_delay(interval: float, failures: int) -> float:
    """Seconds before the next poll after `failures` failures in a row: doubling, capped."""
    cap = min(MAX_BACKOFF, interval * 15)
    return min(cap, interval * float(2 ** max(0, failures - 1)))


def optional_widget(module: str, name: str, widget_id: str, missing: str) -> Widget:
    """Another helper's widget if its module is installed, else a placeholder saying so."""
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return Static(missing, id=widget_id, classes="placeholder")
    widget: Widget = cls(id=widget_id)
    return widget


class MainScreen(ReportsWorkerErrors, Screen[None]):
    """Every computer on the left, the selected one's tabs on the right."""

    BINDINGS = [  # noqa: RUF012
        Binding("n", "new_computer", "New", id="new-computer"),
        Binding("d", "delete_computer", "Delete", id="delete-computer"),
        Binding("b", "build", "Build", id="build"),
        Binding("p", "deploy", "Deploy", id="deploy"),
        Binding("x", "exec", "Exec", id="exec"),
        Binding("t", "terminal", "Terminal", id="terminal"),
        Binding("e", "config", "Config", id="config"),
        Binding("f", "files", "Files", id="files"),
        Binding("l", "build_log", "Build log", id="build-log"),
        Binding("a", "agents", "Agents", id="agents"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("escape", "leave", "Back to table", show=False, id="focus-table"),
    ]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.failures = 0
        self.polls = 0
        self._timer: Timer | None = None
        self.computer: Computer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Input(id="filter", placeholder="filter by name, id or status")
                yield ComputerTable(id="computers")
            with TabbedContent(id="tabs", initial="agents"):
                with TabPane("Agents", id="agents"):
                    yield AgentsTab(id="agents-tab")
                with TabPane("Files", id="files"):
                    yield FilesTab(id="files-tab")
                with TabPane("Build", id="build"):
                    yield BuildTab(id="build-tab")
                with TabPane("Config", id="config"):
                    yield optional_widget(
                        "orb_tui.ui.config_editor",
                        "ConfigEditor",
                        "config-editor",
                        "The config editor is not installed.",
                    )
                with TabPane("Terminal", id="terminal"):
                    yield optional_widget(
                        "orb_tui.ui.terminal.widget",
                        "TerminalView",
                        "terminal-view",
                        "The terminal is not installed.",
                    )
                with TabPane("Exec", id="exec"):
                    yield ExecTab(id="exec-tab")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def table(self) -> ComputerTable:
        return self.query_one("#computers", ComputerTable)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def interval(self) -> float:
        return max(0.05, orb_app(self).settings.poll_interval)

    def on_mount(self) -> None:
        self.table.focus()
        self._update_layout(self.app.size.width)
        self.poll_now()

    def on_resize(self, event: events.Resize) -> None:
        self._update_layout(event.size.width)

    def _update_layout(self, width: int) -> None:
        self.set_class(width < 110, "-narrow")

    # polling ---------------------------------------------------------------------------------

    def poll_now(self) -> None:
        """Poll the computers (and the selected computer's agents) now, then on schedule."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if orb_app(self).client is None:
            self.status.paused("not signed in: press P to open Profiles")
            return
        self.poll_computers()
        if self.computer is not None:
            self.query_one(AgentsTab).refresh_agents()

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(delay, self.poll_now)

    @work(exclusive=True, group="computers", exit_on_error=False)
    async def poll_computers(self) -> None:
        """Fetch the computers list and post it (or what went wrong)."""
        try:
            listing = await client_of(self).list_computers()
        except OrbError as exc:
            self.post_message(ComputersFailed(str(exc)))
            return
        except Exception as exc:  # polling must survive anything and say so
            self.post_message(ComputersFailed(plain_words(exc)))
            return
        self.post_message(ComputersLoaded(listing))

    def on_computers_loaded(self, message: ComputersLoaded) -> None:
        self.polls += 1
        if self.failures:
            self.notify("connection restored", timeout=3)
        self.failures = 0
        table = self.table
        table.apply(message.listing.computers)
        self.status.polled(table.row_count, len(message.listing.computers), self.interval)
        self._schedule(self.interval)

    def on_computers_failed(self, message: ComputersFailed) -> None:
        self.polls += 1
        self.failures += 1
        delay = backoff_delay(self.interval, self.failures)
        self.status.failed(message.error, delay)
        self._schedule(delay)

    def on_computer_changed(self, message: ComputerChanged) -> None:
        self.notify(message.text, severity="information" if message.ok else "error")
        self.poll_now()

    # selection -------------------------------------------------------------------------------

    def on_computer_table_selected(self, message: ComputerTable.Selected) -> None:
        self.computer = message.computer
        for tab in self._own_tabs().values():
            tab.set_computer(message.computer)
        self._tell_optional("#config-editor", "set_computer", message.computer)
        self._tell_optional("#terminal-view", "set_connector", self._connector(message.computer))

    def _own_tabs(self) -> dict[str, AgentsTab | FilesTab | BuildTab | ExecTab]:
        return {
            "agents": self.query_one(AgentsTab),
            "files": self.query_one(FilesTab),
            "build": self.query_one(BuildTab),
            "exec": self.query_one(ExecTab),
        }

    def _connector(self, computer: Computer | None) -> Any:
        client = orb_app(self).client
        if computer is None or client is None:
            return None
        return lambda cols, rows: client.terminal(computer.id, cols=cols, rows=rows)

    def _tell_optional(self, selector: str, method: str, value: object) -> None:
        widget = self.query_one(selector)
        if not widget.has_class("placeholder"):
            getattr(widget, method)(value)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            event.stop()
            event.input.set_class(bool(event.value), "-active")
            self.table.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.stop()
            self.table.focus()

    def on_terminal_view_leave_requested(self, event: Any) -> None:
        self.table.focus()

    # actions ---------------------------------------------------------------------------------

    def show_tab(self, tab: str) -> None:
        """Switch to `tab` and focus its main widget."""
        self.query_one("#tabs", TabbedContent).active = tab
        own = self._own_tabs()
        if tab in own:
            own[tab].focus_main()
        elif tab == "config":
            self._focus_optional("#config-editor", "focus_editor")
        elif tab == "terminal":
            self._focus_optional("#terminal-view", "focus")

    def _focus_optional(self, selector: str, method: str) -> None:
        widget = self.query_one(selector)
        if not widget.has_class("placeholder"):
            getattr(widget, method)()

    def action_agents(self) -> None:
        self.show_tab("agents")

    def action_files(self) -> None:
        self.show_tab("files")

    def action_build_log(self) -> None:
        self.show_tab("build")

    def action_config(self) -> None:
        self.show_tab("config")

    def action_terminal(self) -> None:
        self.show_tab("terminal")

    def action_exec(self) -> None:
        self.show_tab("exec")

    def action_refresh(self) -> None:
        self.poll_now()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_leave(self) -> None:
        """Escape: clear an active filter, else go back to the table."""
        field = self.query_one("#filter", Input)
        if field.has_focus and field.value:
            field.value = ""
        self.table.focus()

    def action_build(self) -> None:
        self.show_tab("build")
        self.query_one(BuildTab).run_build()

    def action_deploy(self) -> None:
        self.show_tab("agents")
        self.query_one(AgentsTab).deploy()

    def action_new_computer(self) -> None:
        if orb_app(self).refuse_if_read_only("create computer"):
            return
        self.app.push_screen(CreateComputerDialog(), self._create)

    def _create(self, request: NewComputer | None) -> None:
        if request is not None:
            self.create_computer(request)

    @work(group="change", exit_on_error=False)
    async def create_computer(self, request: NewComputer) -> None:
        """Ask the server for a new computer."""
        try:
            created = await client_of(self).create_computer(
                request.name, runtime_mb=request.runtime_mb, disk_mb=request.disk_mb
            )
        except OrbError as exc:
            self.post_message(ComputerChanged(f"could not create {request.name}: {exc}", ok=False))
            return
        self.post_message(ComputerChanged(f"created {created.name} ({created.short_id})"))

    def action_delete_computer(self) -> None:
        computer = self.table.selected
        if computer is None:
            self.notify("No computer selected.", severity="warning")
            return
        if orb_app(self).refuse_if_read_only(f"delete {computer.name}"):
            return
        dialog = ConfirmDialog(
            f"Delete {computer.name}?",
            f"Computer {computer.name} ({computer.short_id}) and everything on it will be "
            "deleted. This cannot be undone.",
            yes="Delete",
        )
        self.app.push_screen(dialog, lambda yes: self._delete(computer, yes))

    def _delete(self, computer: Computer, yes: bool | None) -> None:
        if yes:
            self.delete_computer(computer)

    @work(group="change", exit_on_error=False)
    async def delete_computer(self, computer: Computer) -> None:
        """Ask the server to delete `computer`."""
        try:
            await client_of(self).delete_computer(computer.id)
        except OrbError as exc:
            self.post_message(ComputerChanged(f"could not delete {computer.name}: {exc}", ok=False))
            return
        self.post_message(ComputerChanged(f"deleted {computer.name} ({computer.short_id})"))
