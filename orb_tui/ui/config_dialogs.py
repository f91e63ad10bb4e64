"""The config editor's dialogs: a choice between buttons, a diff to decide on, fields, quick actions."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import NoActiveWorker, get_current_worker

T = TypeVar("T")

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: {width}; max-width: 95%; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 1 2;
}}
{name} .config-dialog--title {{ text-style: bold; margin-bottom: 1; }}
{name} .config-dialog--error {{ color: $error; height: auto; }}
{name} .config-dialog--diff {{ height: auto; max-height: 20; border: round $panel; }}
{name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 1; }}
"""


async def ask(app: App[Any], dialog: ModalScreen[T]) -> T | None:
    """Show `dialog` and wait for its answer. Call it from a worker: the app stays responsive."""
    try:
        get_current_worker()
    except NoActiveWorker:
        raise RuntimeError(
            "ask() must run in a worker, or the app cannot take the answer"
        ) from None
    result: T | None = await app.push_screen_wait(dialog)
    return result


def unified_diff(before: str, after: str, *, before_name: str, after_name: str) -> str:
    """A unified diff of two texts, or a line saying they are the same."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=before_name,
        tofile=after_name,
    )
    return (
        "".join(line if line.endswith("\n") else line + "\n" for line in lines) or "(same text)\n"
    )


def coloured_diff(diff: str) -> Text:
    """A unified diff with added lines green, removed lines red and hunk headers dim."""
    text = Text()
    for line in diff.splitlines(keepends=True):
        style = ""
        if line.startswith(("+++", "---", "@@")):
            style = "dim"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        text.append(line, style)
    return text


@dataclass(frozen=True)
class Choice:
    """One button of a `ChoiceDialog`: its answer id, its label, its look."""

    id: str
    label: str
    variant: str = "default"


class ChoiceDialog(ModalScreen[str | None]):
    """A question with a few buttons (the first focused); escape answers None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ChoiceDialog", width=72)
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="config-dialog-cancel")]  # noqa: RUF012

    def __init__(
        self, title: str, body: str, choices: Sequence[Choice], *, diff: str | None = None
    ) -> None:
        super().__init__()
        self._title, self._body, self._choices, self._diff = title, body, choices, diff

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="config-dialog--title", markup=False)
            yield Static(self._body, id="body", markup=False)
            if self._diff is not None:
                with VerticalScroll(classes="config-dialog--diff"):
                    yield Static(coloured_diff(self._diff), id="diff")
            with Horizontal():
                for choice in self._choices:
                    yield Button(choice.label, id=choice.id, variant=choice.variant)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)


class FieldsDialog(ModalScreen[list[str] | None]):
    """A few text fields; Enter submits from any of them, escape cancels.

    `check` gets the values and returns an error sentence, or None when they are fine.
    """

    DEFAULT_CSS = DIALOG_CSS.format(name="FieldsDialog", width=64)
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="config-fields-cancel")]  # noqa: RUF012

    def __init__(
        self,
        title: str,
        fields: Sequence[tuple[str, str]],
        *,
        check: Callable[[list[str]], str | None] | None = None,
        submit: str = "OK",
    ) -> None:
        super().__init__()
        self._title, self._fields, self._check, self._submit_label = title, fields, check, submit

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="config-dialog--title", markup=False)
            for index, (label, value) in enumerate(self._fields):
                yield Label(label, markup=False)
                yield Input(value, id=f"field-{index}")
            yield Static("", id="error", classes="config-dialog--error", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self._submit_label, id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        values = [field.value for field in self.query(Input)]
        problem = self._check(values) if self._check else None
        if problem:
            self.query_one("#error", Static).update(problem)
            return
        self.dismiss(values)


class ActionsDialog(ModalScreen[str | None]):
    """A menu of quick actions; Enter picks one, escape closes."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ActionsDialog", width=56) + (
        "ActionsDialog OptionList { height: auto; max-height: 14; }"
    )
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="config-actions-cancel")]  # noqa: RUF012

    def __init__(self, actions: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._actions = actions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Quick edit", classes="config-dialog--title")
            yield OptionList(*(Option(Text(label), id=key) for key, label in self._actions))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


def errors_dialog(errors: Sequence[str]) -> ChoiceDialog:
    """Ask whether to save a config with schema errors (valid TOML) anyway."""
    noun = "error" if len(errors) == 1 else "errors"
    body = f"{len(errors)} schema {noun}; the first is at {errors[0]}\nThe server may refuse it."
    choices = [
        Choice("cancel", "Keep editing", "primary"),
        Choice("save", "Save anyway", "warning"),
    ]
    return ChoiceDialog("orb.toml has errors", body, choices)


def conflict_dialog(label: str, where: str, current: str | None, mine: str) -> ChoiceDialog:
    """Ask which to keep when the saved config changed since it was loaded."""
    body = f"The config of {label} changed {where} since you loaded it. Keep which?"
    diff = unified_diff(current or "", mine, before_name=where, after_name="yours")
    choices = [
        Choice("cancel", "Keep editing", "primary"),
        Choice("theirs", f"Take the one {where}"),
        Choice("mine", "Save mine over it", "error"),
    ]
    return ChoiceDialog("Changed since you loaded it", body, choices, diff=diff)


def leave_dialog(label: str) -> ChoiceDialog:
    """Ask what to do with unsaved edits when leaving."""
    body = f"orb.toml of {label} has edits that are not saved."
    choices = [
        Choice("stay", "Keep editing", "primary"),
        Choice("leave", "Leave (keep a draft)"),
        Choice("discard", "Discard edits", "error"),
    ]
    return ChoiceDialog("Unsaved edits", body, choices)


def upload_file_dialog(path: str, label: str, current: str | None, text: str) -> ChoiceDialog:
    """Ask before a local file replaces a computer's orb.toml, showing what changes."""
    diff = unified_diff(current or "", text, before_name="on the server", after_name=path)
    body = f"Replace the orb.toml of {label} with {path}?"
    choices = [Choice("cancel", "Cancel", "primary"), Choice("upload", "Upload", "warning")]
    return ChoiceDialog("Upload a local file", body, choices, diff=diff)
