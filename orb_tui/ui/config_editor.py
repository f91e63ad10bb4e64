"""The Config tab: a TOML editor on a computer's orb.toml or a local file, validated as you type."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static, TextArea
from textual.worker import NoActiveWorker, get_current_worker

from orb_tui.api.errors import OrbError
from orb_tui.api.models import Computer, ConfigSummary
from orb_tui.config import orb_toml
from orb_tui.config.drafts import DraftStore
from orb_tui.config.toml_io import write_atomic
from orb_tui.ui import config_dialogs as dialogs
from orb_tui.ui.config_dialogs import ask
from orb_tui.ui.config_problems import ProblemList
from orb_tui.ui.config_quick import QuickEdit, ask_quick_edit, open_file_dialog
from orb_tui.ui.config_support import (
    Suspender,
    Target,
    describe_summary,
    edit_in_editor,
    editor_command,
)
from orb_tui.ui.messages import ComputerChanged
from orb_tui.ui.widgets.base import ReportsWorkerErrors, client_of, orb_app

VALIDATE_DELAY = 0.25
"""Seconds of quiet typing before the buffer is checked again."""
SENT_KEPT = 8
"""Uploads remembered per target as ours when deciding whether the server text is a conflict."""
NARROW_EDITOR = 100
"""Below this many columns the problems sit under the editor instead of beside it."""


class ConfigEditor(ReportsWorkerErrors, Widget):
    """orb.toml in a code editor, its problems beside it; drafts kept on disk until saved."""

    DEFAULT_CSS = """
    ConfigEditor { height: 1fr; }
    ConfigEditor #config-header { height: 1; padding: 0 1; background: $panel; }
    ConfigEditor #config-header.-modified { background: $warning 25%; }
    ConfigEditor #config-body { height: 1fr; }
    ConfigEditor #config-text { width: 1fr; }
    ConfigEditor #config-side { width: 30%; max-width: 44; min-width: 24; }
    ConfigEditor #config-problems { height: 1fr; }
    ConfigEditor #config-summary { height: auto; max-height: 5; padding: 0 1; color: $text-muted; }
    ConfigEditor #config-summary.-empty { display: none; }
    ConfigEditor.-narrow #config-body { layout: vertical; }
    ConfigEditor.-narrow #config-side { width: 100%; max-width: 100%; height: auto; max-height: 7; }
    ConfigEditor.-narrow #config-problems { height: auto; max-height: 5; }
    """
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "save", "Save", id="config-save"),
        Binding("ctrl+o", "external_editor", "$EDITOR", id="config-external-editor"),
        Binding("ctrl+g", "quick_edit", "Quick edit", id="config-quick-edit"),
        Binding("ctrl+l", "open_file", "Open file", id="config-open-file"),
        Binding("ctrl+r", "reload", "Reload", id="config-reload"),
        # Tab indents in the editor, so the problems list is not a Tab away: this walks them
        Binding("f8", "next_problem", "Next problem", id="config-next-problem"),
    ]

    @dataclass
    class Loaded(Message, bubble=False):
        """A config (None: there is none yet) arrived for the buffer."""

        target: Target
        text: str | None

    @dataclass
    class Failed(Message, bubble=False):
        """Loading or saving went wrong; `error` is a sentence."""

        target: Target
        error: str

    @dataclass
    class Saved(Message, bubble=False):
        """`text` is now what the server (or the disk) holds; `summary` is the server's reading."""

        target: Target
        text: str
        summary: ConfigSummary | None

    @dataclass
    class Replace(Message, bubble=False):
        """Put `text` in the buffer as the saved version (the user took the server's)."""

        target: Target
        text: str | None

    @dataclass
    class Discard(Message, bubble=False):
        """Throw the edits away: the buffer goes back to the saved text."""

        target: Target

    @dataclass
    class Open(Message, bubble=False):
        """Open `target` in the buffer."""

        target: Target

    @dataclass
    class Menu(Message, bubble=False):
        """A quick-edit menu entry that opens or uploads something."""

        choice: str

    @dataclass
    class Edit(Message, bubble=False):
        """Apply a structured edit to the buffer."""

        quick: QuickEdit

    def __init__(self, *, id: str | None = None, suspend: Suspender | None = None) -> None:
        super().__init__(id=id)
        self.suspend: Suspender = suspend or (lambda: self.app.suspend())
        """Suspends the app around $EDITOR; tests that cannot suspend pass a no-op."""
        self.computer: Computer | None = None
        self.target: Target | None = None
        self.base: str | None = None
        """The saved text the edits started from (None: nothing was saved)."""
        self.saved: str | None = None
        """The saved text as last loaded or saved (None: there is none)."""
        self.pristine = ""
        """The text that counts as unmodified: the saved text, or the starter template."""
        self.report: orb_toml.Report | None = None
        self.summary = ""
        self._loaded = False
        self._checked: str | None = None
        self._timer: Timer | None = None
        self._sent: dict[str, deque[str]] = {}
        """The last texts uploaded per target, whether or not their answers arrived: an upload
        given up on may still reach the server after a later one did."""

    def compose(self) -> ComposeResult:
        yield Static("select a computer to edit its orb.toml", id="config-header", markup=False)
        with Horizontal(id="config-body"):
            yield TextArea.code_editor("", language="toml", id="config-text", read_only=True)
            with Vertical(id="config-side"):
                yield ProblemList(id="config-problems")
                yield Static("", id="config-summary", markup=False, classes="-empty")

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_EDITOR, "-narrow")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notify as plain text by default: orb.toml messages are full of [brackets]."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#config-text", TextArea)

    @property
    def store(self) -> DraftStore:
        return DraftStore(orb_app(self).paths.drafts_dir)

    @property
    def has_unsaved(self) -> bool:
        """True when the buffer differs from what is saved (or from the starter template)."""
        return self._loaded and self.text_area.text != self.pristine

    def focus_editor(self) -> None:
        """Put the cursor in the editor."""
        self.text_area.focus()

    # opening ---------------------------------------------------------------------------------

    def set_computer(self, computer: Computer | None) -> None:
        """Show `computer`'s orb.toml (a local file stays open; the computer is its upload target)."""
        same = (
            computer is not None and self.computer is not None and computer.id == self.computer.id
        )
        self.computer = computer
        if self.target is not None and self.target.path is not None:
            self._show_header()
        elif same and self.target is not None:
            self.target = Target(computer=computer)
            self._show_header()
        elif computer is None:
            self._leave_buffer()
            self.target = None
            self._show_header("select a computer to edit its orb.toml")
        else:
            self.open(Target(computer=computer))

    def open(self, target: Target) -> None:
        """Load `target`'s config into the buffer (its draft, if it has one)."""
        self._leave_buffer()
        self.target, self._loaded, self.base = target, False, None
        self.text_area.read_only = True
        self.text_area.load_text("")
        self._show_header("loading…")
        self.fetch(target)

    def _leave_buffer(self) -> None:
        if self.has_unsaved and self.target is not None:
            self._write_draft()
            self.notify(f"unsaved edits to {self.target.label} kept as a draft", timeout=4)
        self._loaded = False

    @work(exclusive=True, group="config-load", exit_on_error=False)
    async def fetch(self, target: Target) -> None:
        """Read the target's config (None when there is none yet) and post it."""
        try:
            if target.path is not None:
                text = target.path.read_text("utf-8") if target.path.exists() else None
            else:
                text = await client_of(self).get_config(target.computer_id)
        except (OrbError, OSError, UnicodeDecodeError) as exc:
            self.post_message(self.Failed(target, f"cannot load {target.label}: {exc}"))
            return
        self.post_message(self.Loaded(target, text))

    def on_config_editor_loaded(self, message: Loaded) -> None:
        target = message.target
        if self.target is None or target.key != self.target.key:
            return
        self.base = self.saved = message.text
        self.pristine = self._saved_or_template(message.text)
        draft = self.store.load(target.key)
        text = self.pristine
        if draft is not None and draft.text != self.pristine:
            text, self.base = draft.text, draft.base
            stamp = draft.saved_at.astimezone().strftime("%H:%M")
            changed = " (the saved config changed since)" if draft.base != message.text else ""
            self.notify(f"restored your unsaved draft from {stamp}{changed}", timeout=6)
        self._loaded = True
        self.text_area.read_only = False
        self.text_area.load_text(text)
        self._validate()

    def _saved_or_template(self, text: str | None) -> str:
        if text is not None:
            return text
        name = self.target.computer.name if self.target and self.target.computer else "my-agent"
        return orb_toml.starter_template(name)

    def on_config_editor_failed(self, message: Failed) -> None:
        self.notify(message.error, severity="error", timeout=8)
        if self.target is not None and message.target.key == self.target.key and not self._loaded:
            self._show_header(message.error)

    # typing ----------------------------------------------------------------------------------

    @on(TextArea.Changed, "#config-text")
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if not self._loaded:
            return
        self._write_draft()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(VALIDATE_DELAY, self._validate)
        self._show_header()

    def _write_draft(self) -> None:
        if self.target is None:
            return
        if self.has_unsaved:
            self.store.save(
                self.target.key, self.text_area.text, base=self.base, label=self.target.label
            )
        else:
            self.store.drop(self.target.key)

    def _validate(self) -> orb_toml.Report:
        text = self.text_area.text
        if self.report is None or self._checked != text:
            self.report, self._checked = orb_toml.check(text), text
            self.query_one(ProblemList).show(self.report.problems)
            self._show_header()
        return self.report

    def on_problem_list_chosen(self, message: ProblemList.Chosen) -> None:
        message.stop()
        self.goto(message.problem.line, message.problem.column)

    def action_next_problem(self) -> None:
        """Put the cursor on the next problem after it (from the top again after the last)."""
        problems = sorted(self._validate().problems, key=lambda p: (p.line, p.column))
        if not problems:
            self.notify("no problems", timeout=3)
            return
        here = self.text_area.cursor_location
        after = [p for p in problems if (p.line - 1, p.column - 1) > here]
        problem = (after or problems)[0]
        self.goto(problem.line, problem.column)
        self.notify(f"{problem.line}:{problem.column} {problem.message}", timeout=5)

    def goto(self, line: int, column: int) -> None:
        """Put the cursor at a 1-based line and column (clamped to the text) and focus the editor."""
        area = self.text_area
        row = max(0, min(line - 1, area.document.line_count - 1))
        col = max(0, min(column - 1, len(area.document.get_line(row))))
        area.cursor_location = (row, col)
        area.scroll_cursor_visible(center=True)
        area.focus()

    def _show_header(self, note: str | None = None) -> None:
        header = self.query_one("#config-header", Static)
        target = self.target
        modified = self.has_unsaved
        header.set_class(modified, "-modified")
        if note is not None or target is None:
            header.update(note or "")
            return
        where = f"local file {target.label}" if target.path else f"orb.toml of {target.label}"
        state = (
            "modified, draft kept"
            if modified
            else ("not saved yet" if self.saved is None else "saved")
        )
        counts = ""
        if self.report is not None and self.report.problems:
            counts = f" · ✖ {len(self.report.errors)} ▲ {len(self.report.warnings)}"
        upload_to = f" · uploads to {self.computer.name}" if target.path and self.computer else ""
        read_only = " · read-only" if orb_app(self).read_only else ""
        header.update(f"{where} · {state}{counts}{upload_to}{read_only}")

    def _replace_all(self, text: str) -> None:
        """Put `text` in the buffer as one undoable edit, keeping the cursor where it can."""
        area = self.text_area
        row, col = area.cursor_location
        area.replace(text, (0, 0), area.document.end)
        self.goto(row + 1, col + 1)

    # saving ----------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Upload the buffer (or write the local file); invalid TOML never leaves."""
        target = self.target
        if target is None or not self._loaded:
            self.notify("nothing to save: select a computer first", severity="warning")
            return
        if orb_app(self).refuse_if_read_only("config save"):
            return
        report = self._validate()
        if not report.syntax_ok:
            first = report.problems[0]
            self.goto(first.line, first.column)
            self.notify(f"not saved: {first}", severity="error", timeout=8)
            return
        self.save(target, self.text_area.text, self.base, report)

    @work(exclusive=True, group="config-save", exit_on_error=False)
    async def save(
        self, target: Target, text: str, base: str | None, report: orb_toml.Report
    ) -> None:
        """Check for a concurrent change, ask what to keep if there is one, then save."""
        if report.errors and not await self._upload_anyway(report):
            return
        try:
            current = await self._current(target)
            # the saved text may be ours: an upload whose answer was lost, or that we gave up on,
            # got through (perhaps after a later one)
            sent = self._sent.setdefault(target.key, deque(maxlen=SENT_KEPT))
            conflict = current not in (base, text, *sent)
            if conflict and not await self._resolve_conflict(target, current, text):
                return
            summary = None
            if target.path is not None:
                mode = target.path.stat().st_mode & 0o777 if target.path.exists() else 0o644
                write_atomic(target.path, text, mode=mode)
            else:
                if text not in sent:
                    sent.append(text)
                upload = await client_of(self).upload_config(target.computer_id, text)
                summary = upload.summary
        except (OrbError, OSError) as exc:
            self.post_message(self.Failed(target, f"not saved: {exc}"))
            return
        self.post_message(self.Saved(target, text, summary))

    async def _current(self, target: Target) -> str | None:
        if target.path is not None:
            return target.path.read_text("utf-8") if target.path.exists() else None
        return await client_of(self).get_config(target.computer_id)

    async def _upload_anyway(self, report: orb_toml.Report) -> bool:
        errors = [str(problem) for problem in report.errors]
        return await ask(self.app, dialogs.errors_dialog(errors)) == "save"

    async def _resolve_conflict(self, target: Target, current: str | None, mine: str) -> bool:
        where = "on disk" if target.path else "on the server"
        choice = await ask(self.app, dialogs.conflict_dialog(target.label, where, current, mine))
        if choice == "theirs":
            self.post_message(self.Replace(target, current))
        return choice == "mine"

    def on_config_editor_saved(self, message: Saved) -> None:
        target = message.target
        if message.summary is not None:
            self.summary = describe_summary(message.summary)
            summary = self.query_one("#config-summary", Static)
            summary.update(f"server read: {self.summary}")
            summary.remove_class("-empty")
        where = str(target.path) if target.path else target.label
        self.post_message(
            ComputerChanged(f"saved {where}" + (f": {self.summary}" if message.summary else ""))
        )
        if self.target is None or target.key != self.target.key:
            return
        self.base = self.saved = self.pristine = message.text
        self._write_draft()  # drops the draft unless there was typing during the upload
        self._show_header()

    def on_config_editor_replace(self, message: Replace) -> None:
        if self.target is None or message.target.key != self.target.key:
            return
        self.base = self.saved = message.text
        self.pristine = self._saved_or_template(message.text)
        self._replace_all(self.pristine)
        self.notify("took the saved version; your edits are undoable with ctrl+z", timeout=5)

    # leaving ---------------------------------------------------------------------------------

    async def confirm_leave(self) -> bool:
        """True when it is fine to leave; asks first when there are unsaved edits.

        Asking needs a worker (the caller's loop must stay free to take the answer); called
        elsewhere, it keeps the edits as a draft, says so and answers True.
        """
        target = self.target
        if not self.has_unsaved or target is None:
            return True
        self._write_draft()
        try:
            get_current_worker()
        except NoActiveWorker:
            self.notify(f"unsaved edits to {target.label} kept as a draft", timeout=4)
            return True
        choice = await ask(self.app, dialogs.leave_dialog(target.label))
        if choice == "discard":
            self.store.drop(target.key)
            self.post_message(self.Discard(target))
        return choice in ("leave", "discard")

    def on_config_editor_discard(self, message: Discard) -> None:
        if self.target is not None and message.target.key == self.target.key:
            self.base = self.saved
            self.text_area.load_text(self.pristine)

    # the other ways in -----------------------------------------------------------------------

    def action_external_editor(self) -> None:
        """Edit the buffer in $VISUAL/$EDITOR (the app suspends), then check what comes back."""
        if not self._loaded:
            return
        text = self.text_area.text
        command = editor_command(os.environ)
        try:
            code, edited = edit_in_editor(text, command, self.suspend)
        except (OSError, SuspendNotSupported) as exc:
            self.notify(f"cannot run the editor: {exc}", severity="error", timeout=8)
            return
        if code != 0:
            self.notify(
                f"{command[0]} exited with {code}; the buffer is unchanged", severity="warning"
            )
            return
        if edited != text:
            self._replace_all(edited)
        report = self._validate()
        verdict = f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        self.notify(f"back from the editor: {verdict if report.problems else 'no problems'}")

    def action_reload(self) -> None:
        """Load the saved config again (the draft, if any, comes back with it)."""
        if self.target is not None:
            self.open(self.target)

    def action_open_file(self) -> None:
        """Ask for a local orb.toml and open it."""
        self.ask_file()

    @work(exclusive=True, group="config-dialog", exit_on_error=False)
    async def ask_file(self) -> None:
        default = (
            str(self.target.path)
            if self.target and self.target.path
            else str(Path.cwd() / "orb.toml")
        )
        values = await ask(self.app, open_file_dialog(default))
        if values is not None:
            self.post_message(
                self.Open(
                    Target(computer=None, path=Path(values[0].strip()).expanduser().resolve())
                )
            )

    def on_config_editor_open(self, message: Open) -> None:
        self.open(message.target)

    def action_quick_edit(self) -> None:
        """The menu of quick edits: port, build step, env var, lang and entry, local files."""
        if self._loaded:
            self.quick_edit()

    @work(exclusive=True, group="config-dialog", exit_on_error=False)
    async def quick_edit(self) -> None:
        """The quick-edit menu and form; the edit itself happens in the handler."""
        extra: list[tuple[str, str]] = []
        if self.target is not None and self.target.path is not None and self.computer is not None:
            extra.append(("upload-file", f"Upload this file to {self.computer.name}"))
            extra.append(("computer", f"Back to the orb.toml of {self.computer.name}"))
        data = self.report.data if self.report else None
        choice = await ask_quick_edit(self.app, data, extra)
        if isinstance(choice, QuickEdit):
            self.post_message(self.Edit(choice))
        elif choice is not None:
            self.post_message(self.Menu(choice))

    def on_config_editor_edit(self, message: Edit) -> None:
        try:
            edited = message.quick.edit(self.text_area.text)
        except orb_toml.EditError as exc:
            self.notify(f"cannot edit: {exc}", severity="error", timeout=8)
            return
        self._replace_all(edited)
        self._validate()
        self.notify(message.quick.done, timeout=3)

    def on_config_editor_menu(self, message: Menu) -> None:
        if message.choice == "open-file":
            self.action_open_file()
        elif message.choice == "computer" and self.computer is not None:
            self.open(Target(computer=self.computer))
        elif (
            message.choice == "upload-file"
            and self.computer is not None
            and self.target is not None
        ):
            self.upload_file(self.computer, self.target, self.text_area.text)

    @work(exclusive=True, group="config-save", exit_on_error=False)
    async def upload_file(self, computer: Computer, source: Target, text: str) -> None:
        """Upload a local file's buffer to `computer`, after showing what it replaces."""
        if orb_app(self).refuse_if_read_only("config upload"):
            return
        if not orb_toml.check(text).syntax_ok:
            self.notify("not uploaded: the file is not valid TOML", severity="error")
            return
        target = Target(computer=computer)
        try:
            current = await client_of(self).get_config(computer.id)
            dialog = dialogs.upload_file_dialog(str(source.path), target.label, current, text)
            if await ask(self.app, dialog) != "upload":
                return
            upload = await client_of(self).upload_config(computer.id, text)
        except OrbError as exc:
            self.post_message(self.Failed(target, f"not uploaded: {exc}"))
            return
        self.post_message(self.Saved(target, text, upload.summary))
