"""The main screen: the computers table, the selected computer's tabs, polling with backoff."""

from __future__ import annotations

from typing import Any

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Header, Input

from orb_tui.api.errors import NotFound, OrbError, RateLimited
from orb_tui.api.models import Computer
from orb_tui.ui.messages import ComputerChanged, ComputersFailed, ComputersLoaded
from orb_tui.ui.widgets.agents_tab import AgentsTab
from orb_tui.ui.widgets.base import ReportsWorkerErrors, client_of, orb_app, plain_words
from orb_tui.ui.widgets.computer_table import ComputerTable
from orb_tui.ui.widgets.computer_tabs import ComputerTabs
from orb_tui.ui.widgets.dialogs import ConfirmDialog, CreateComputerDialog, NewComputer
from orb_tui.ui.widgets.status_line import (
    DEFAULT_HINT,
    TERMINAL_HINT,
    TYPING_HINT,
    KeyHint,
    StatusLine,
)
from orb_tui.ui.widgets.tls_warning import TlsWarning

MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 300.0
"""The longest Retry-After the poll honours: a server asking for hours is not left to stop it."""
WIDE_LAYOUT = 140
"""Columns from which the table and the tabs sit side by side."""
TABS = Binding.Group("Tabs")


def backoff_delay(interval: float, failures: int) -> float:
    """Seconds before the next poll after `failures` failures in a row: doubling, capped."""
    cap = min(MAX_BACKOFF, interval * 15)
    return min(cap, interval * float(2 ** max(0, failures - 1)))


def _in_terminal(widget: Widget | None) -> bool:
    # by name: importing the terminal widget here would load it before its tab is opened
    return type(widget).__name__ == "TerminalView"


class MainScreen(ReportsWorkerErrors, Screen[None]):
    """Every computer on the left, the selected one's tabs on the right."""

    BINDINGS = [  # noqa: RUF012
        Binding("n", "new_computer", "New", id="new-computer"),
        Binding("d", "delete_computer", "Delete", id="delete-computer"),
        Binding("b", "build", "Build", id="build"),
        Binding("p", "deploy", "Deploy", id="deploy"),
        Binding("r", "refresh", "Refresh", show=False, id="refresh"),  # polling refreshes anyway
        Binding("slash", "filter", "Filter", id="filter"),
        # the tab keys share one footer entry, so an 80-column footer still has room
        Binding("a", "agents", "Agents", id="agents", group=TABS),
        Binding("f", "files", "Files", id="files", group=TABS),
        Binding("l", "build_log", "Build log", id="build-log", group=TABS),
        Binding("e", "config", "Config", id="config", group=TABS),
        Binding("t", "terminal", "Terminal", id="terminal", group=TABS),
        Binding("x", "exec", "Exec", id="exec", group=TABS),
        Binding("escape", "leave", "Back to table", show=False, id="focus-table"),
    ]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.failures = 0
        self.polls = 0
        self._timer: Timer | None = None
        self.suspended = True
        self.computer: Computer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield TlsWarning()
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Input(id="filter", placeholder="filter by name, id or status")
                yield ComputerTable(id="computers")
            yield ComputerTabs(id="tabs")
        with Horizontal(id="status-bar"):
            yield StatusLine(id="status")
            yield KeyHint(id="key-hint")
        yield Footer(compact=True)

    @property
    def table(self) -> ComputerTable:
        return self.query_one("#computers", ComputerTable)

    @property
    def tabs(self) -> ComputerTabs:
        return self.query_one("#tabs", ComputerTabs)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def interval(self) -> float:
        return max(0.05, orb_app(self).settings.poll_interval)

    def on_mount(self) -> None:
        self.table.focus()
        self._update_layout(self.app.size.width)

    def on_screen_resume(self) -> None:
        # first shown, or back from a dialog or another screen: look again now
        self.suspended = False
        self.poll_now()

    def on_screen_suspend(self) -> None:
        # covered by another screen: nobody sees the table, so stop polling until it is back
        self.suspended = True
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def on_resize(self, event: events.Resize) -> None:
        self._update_layout(event.size.width)

    def _update_layout(self, width: int) -> None:
        # side by side only when both halves get room: below that the table sits above the tabs
        self.set_class(width < WIDE_LAYOUT, "-narrow")

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._show_hint()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._show_hint()

    def _show_hint(self) -> None:
        focused = self.focused
        if _in_terminal(focused):
            hint = TERMINAL_HINT
        elif isinstance(focused, Input) and focused.id == "exec-input":
            hint = TYPING_HINT
        else:
            hint = DEFAULT_HINT
        self.query_one("#key-hint", KeyHint).update(hint)
        # working in a tab on a short terminal: the table gives the tab some of its rows
        self.set_class(focused is not None and self.tabs in focused.ancestors, "-in-tab")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what a key cannot do where the focus is, so the footer only offers what works."""
        focused = self.focused
        if _in_terminal(focused):
            return False  # every key goes to the shell
        # a "/" typed in a field is text (Textual cannot tell that from the key's name)
        return not (
            action == "filter" and focused is not None and focused.check_consume_key("slash", "/")
        )

    # polling ---------------------------------------------------------------------------------

    def poll_now(self) -> None:
        """Poll the computers (and the selected computer's agents) now, then on schedule."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        app = orb_app(self)
        if app.client is None:
            endpoint = app.endpoint
            if app.connecting and endpoint is not None:
                self.status.paused(f"connecting to {endpoint.api_url}…")
            else:
                self.status.paused("not signed in: press P to open Profiles")
            return
        self.poll_computers()
        agents = self.tabs.built.get("agents")
        if self.computer is not None and isinstance(agents, AgentsTab):
            agents.refresh_agents()

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not self.suspended:
            self._timer = self.set_timer(delay, self.poll_now)

    @work(exclusive=True, group="computers", exit_on_error=False)
    async def poll_computers(self) -> None:
        """Fetch the computers list on the background client and post it (or what went wrong)."""
        background = orb_app(self).background
        try:
            if background is None:
                raise OrbError("not signed in: press P to open Profiles and sign in")
            listing, data = await background.computers()
        except OrbError as exc:
            self.post_message(
                ComputersFailed(str(exc), exc.retry_after if isinstance(exc, RateLimited) else None)
            )
            return
        except Exception as exc:  # polling must survive anything and say so
            self.post_message(ComputersFailed(plain_words(exc)))
            return
        self.post_message(ComputersLoaded(listing, data))

    def on_computers_loaded(self, message: ComputersLoaded) -> None:
        self.polls += 1
        if self.failures:
            self.notify("connection restored", timeout=3)
        self.failures = 0
        table = self.table
        table.apply(message.data)
        self.status.polled(table.row_count, len(message.listing.computers), self.interval)
        self._schedule(self.interval)

    def on_computers_failed(self, message: ComputersFailed) -> None:
        self.polls += 1
        self.failures += 1
        delay = backoff_delay(self.interval, self.failures)
        if message.retry_after is not None:  # the server said when: never sooner than that
            delay = max(delay, min(message.retry_after, MAX_RETRY_AFTER))
        self.status.failed(message.error, delay)
        self._schedule(delay)

    def on_computer_changed(self, message: ComputerChanged) -> None:
        self.notify(message.text, severity="information" if message.ok else "error")
        self.poll_now()

    # selection -------------------------------------------------------------------------------

    def on_computer_table_selected(self, message: ComputerTable.Selected) -> None:
        self.computer = message.computer
        self.tabs.set_computer(message.computer)

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

    async def show_tab(self, tab: str) -> Widget:
        """Switch to `tab` (building it on first use) and focus its main widget."""
        return await self.tabs.show(tab)

    async def action_agents(self) -> None:
        await self.show_tab("agents")

    async def action_files(self) -> None:
        await self.show_tab("files")

    async def action_build_log(self) -> None:
        await self.show_tab("build")

    async def action_config(self) -> None:
        await self.show_tab("config")

    async def action_terminal(self) -> None:
        await self.show_tab("terminal")

    async def action_exec(self) -> None:
        await self.show_tab("exec")

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

    async def action_build(self) -> None:
        from orb_tui.ui.widgets.build_tab import BuildTab

        tab = await self.show_tab("build")
        assert isinstance(tab, BuildTab)
        tab.run_build()

    async def action_deploy(self) -> None:
        tab = await self.show_tab("agents")
        assert isinstance(tab, AgentsTab)
        tab.deploy()

    def action_new_computer(self) -> None:
        if orb_app(self).refuse_if_read_only("create computer"):
            return
        taken = {c.name for c in self.table.computers}
        number = next(n for n in range(1, len(taken) + 2) if f"computer-{n}" not in taken)
        self.app.push_screen(CreateComputerDialog(f"computer-{number}"), self._create)

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
        except NotFound:  # gone already (an earlier try whose answer was lost): that was the aim
            self.post_message(ComputerChanged(f"deleted {computer.name}: it was already gone"))
            return
        except OrbError as exc:
            self.post_message(ComputerChanged(f"could not delete {computer.name}: {exc}", ok=False))
            return
        self.post_message(ComputerChanged(f"deleted {computer.name} ({computer.short_id})"))
