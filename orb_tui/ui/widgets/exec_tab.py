"""The Exec tab: a command line with history and a log of stdout, stderr, exit code and time."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, RichLog

from orb_tui.api.errors import OrbError
from orb_tui.api.models import Computer, ExecResult
from orb_tui.ui.widgets.base import ReportsWorkerErrors, client_of, orb_app


class HistoryInput(Input):
    """An Input that recalls earlier entries with up and down."""

    BINDINGS = [  # noqa: RUF012
        Binding("up", "history(-1)", "Previous", show=False, id="exec-history-previous"),
        Binding("down", "history(1)", "Next", show=False, id="exec-history-next"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history: list[str] = []
        self._index = 0

    def remember(self, command: str) -> None:
        """Add `command` to the history (not twice in a row) and reset the position."""
        if command and (not self.history or self.history[-1] != command):
            self.history.append(command)
        self._index = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._index = max(0, min(len(self.history), self._index + step))
        self.value = self.history[self._index] if self._index < len(self.history) else ""
        self.cursor_position = len(self.value)


def describe_result(result: ExecResult) -> Text:
    """The footer line of one command: exit code and duration (and a timeout, if it hit one)."""
    ok = result.exit_code == 0
    parts = [f"exit {result.exit_code}"]
    if result.duration_ms is not None:
        parts.append(f"{result.duration_ms} ms")
    if result.timed_out:
        parts.append("timed out")
    return Text(" · ".join(parts), style="green" if ok else "bold red")


class ExecTab(ReportsWorkerErrors, Vertical):
    """Run one command at a time in the selected computer and show what it printed."""

    DEFAULT_CSS = """
    ExecTab > RichLog { height: 1fr; }
    ExecTab > HistoryInput { dock: bottom; }
    """

    @dataclass
    class Ran(Message):
        """A command finished (or could not run)."""

        command: str
        result: ExecResult | None
        error: str | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.computer: Computer | None = None
        self._headed: str | None = None
        """The computer the log last named in a header."""

    def compose(self) -> ComposeResult:
        yield RichLog(id="exec-log", wrap=True, markup=False, highlight=False)
        yield HistoryInput(id="exec-input", placeholder="command · Enter runs · ↑/↓ history")

    @property
    def command_line(self) -> HistoryInput:
        return self.query_one("#exec-input", HistoryInput)

    @property
    def log_view(self) -> RichLog:
        return self.query_one("#exec-log", RichLog)

    def focus_main(self) -> None:
        """Put the cursor on the command line."""
        self.command_line.focus()

    def set_computer(self, computer: Computer | None) -> None:
        """Run later commands in `computer` (the log names it before the first one)."""
        self.computer = computer

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        command = event.value.strip()
        if not command:
            return
        line = self.command_line
        line.remember(command)
        line.value = ""
        if self.computer is None:
            self.notify("Select a computer first.", severity="warning")
        elif not orb_app(self).refuse_if_read_only("exec"):
            computer = self.computer
            if self._headed != computer.id:
                self._headed = computer.id
                self.log_view.write(
                    Text(f"── {computer.name} ({computer.short_id}) ──", style="dim")
                )
            self.log_view.write(Text(f"$ {command}", style="bold"))
            self.run_command(self.computer.id, command)

    @work(exclusive=True, group="exec", exit_on_error=False)
    async def run_command(self, computer_id: str, command: str) -> None:
        """Run `command` and post the result."""
        try:
            result = await client_of(self).exec(computer_id, command)
        except OrbError as exc:
            self.post_message(self.Ran(command, None, str(exc)))
            return
        self.post_message(self.Ran(command, result))

    def on_exec_tab_ran(self, message: ExecTab.Ran) -> None:
        log = self.log_view
        if message.result is None:
            log.write(Text(f"could not run: {message.error}", style="bold red"))
            return
        if message.result.stdout:
            log.write(Text(message.result.stdout.rstrip("\n")))
        if message.result.stderr:
            log.write(Text(message.result.stderr.rstrip("\n"), style="red"))
        log.write(describe_result(message.result))
