"""Dialogs: a reusable yes/no confirmation and the create-computer form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,63}$")
RUNTIME_RANGE = (64, 65536)
DISK_RANGE = (64, 1048576)

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 60; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 1 2; overflow-y: auto;
}}
{name} .dialog-title {{ text-style: bold; margin-bottom: 1; }}
{name} .dialog-error {{ color: $error; height: auto; }}
{name} .dialog-field {{ height: auto; }}
{name} .dialog-label {{ width: 14; padding-top: 1; }}
{name} .dialog-field Input {{ width: 1fr; }}
{name} .dialog-buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 1; }}
"""


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only on an explicit yes."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "answer(False)", "Cancel", id="confirm-cancel"),
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(self, title: str, body: str, *, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self._title, self._body, self._yes, self._no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="dialog-title")
            yield Static(self._body)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._no, id="no")
                yield Button(self._yes, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


@dataclass(frozen=True)
class NewComputer:
    """What the create-computer dialog asks the server for."""

    name: str
    runtime_mb: int
    disk_mb: int


def validate_new_computer(name: str, runtime: str, disk: str) -> NewComputer | str:
    """A `NewComputer`, or a sentence saying which field is wrong and why."""
    if not NAME_RE.match(name):
        return "name: 1-63 characters of letters, digits, '.', '_' or '-'"
    numbers: list[int] = []
    for label, text, (low, high) in (
        ("runtime_mb", runtime, RUNTIME_RANGE),
        ("disk_mb", disk, DISK_RANGE),
    ):
        if not text.strip().isdigit() or not low <= int(text) <= high:
            return f"{label}: a whole number from {low} to {high}"
        numbers.append(int(text))
    return NewComputer(name, numbers[0], numbers[1])


class CreateComputerDialog(ModalScreen[NewComputer | None]):
    """Ask for a name, runtime_mb and disk_mb, validated before anything is sent."""

    DEFAULT_CSS = DIALOG_CSS.format(name="CreateComputerDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="create-cancel")]  # noqa: RUF012

    def __init__(self, default_name: str = "") -> None:
        super().__init__()
        self._default_name = default_name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New computer", classes="dialog-title")
            # a label beside each field, so the form fits a 24-line terminal
            for label, field in (
                ("Name", Input(self._default_name, id="name", placeholder="my-agent")),
                ("Runtime (MB)", Input("512", id="runtime", type="integer")),
                ("Disk (MB)", Input("1024", id="disk", type="integer")),
            ):
                with Horizontal(classes="dialog-field"):
                    yield Label(label, classes="dialog-label")
                    yield field
            yield Static("", id="error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "create":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _submit(self) -> None:
        result = validate_new_computer(
            self.query_one("#name", Input).value.strip(),
            self.query_one("#runtime", Input).value,
            self.query_one("#disk", Input).value,
        )
        if isinstance(result, str):
            self.query_one("#error", Static).update(result)
            return
        self.dismiss(result)
