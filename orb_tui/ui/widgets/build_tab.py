"""The Build tab: run a build, see each step's exit code and output, browse and search past builds."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Collapsible, Input, OptionList, Static
from textual.widgets.option_list import Option

from orb_tui.api.errors import OrbError
from orb_tui.api.models import Build, BuildStep, Computer
from orb_tui.ui.widgets.base import Backoff, ReportsWorkerErrors, client_of, orb_app

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def step_title(step: BuildStep) -> str:
    """`✔ exit 0 · 1200 ms · pip install -r req.txt`: the verdict first, so a narrow tab keeps it."""
    mark = "✔" if step.exit_code == 0 else "✖"
    took = "" if step.duration_ms is None else f" · {step.duration_ms} ms"
    return f"{mark} exit {step.exit_code}{took} · {step.step}"


def step_output(step: BuildStep, needle: str = "") -> Text:
    """stdout, then stderr in red; `needle` highlighted."""
    text = Text(step.stdout.rstrip("\n"))
    if step.stderr:
        if text:
            text.append("\n")
        text.append(step.stderr.rstrip("\n"), style="red")
    if not text:
        text.append("(no output)", style="dim")
    if needle:
        text.highlight_words([needle], style="reverse yellow", case_sensitive=False)
    return text


def build_label(build: Build) -> str:
    """One line for the list of builds: `✔ 11-30 06:30 · 2 steps` (fits its narrow column)."""
    when = build.started_at.strftime("%m-%d %H:%M") if build.started_at else "?"
    count = len(build.steps)
    return f"{'✔' if build.success else '✖'} {when} · {count} step{'' if count == 1 else 's'}"


class BuildTab(ReportsWorkerErrors, Vertical):
    """Builds of the selected computer: the newest opened, its failing step expanded."""

    DEFAULT_CSS = """
    BuildTab > .build--status { height: auto; padding: 0 1; }
    BuildTab > Input { display: none; }
    BuildTab > Input.-visible { display: block; }
    BuildTab > Horizontal { height: 1fr; }
    BuildTab OptionList { width: 28; height: 1fr; }
    BuildTab VerticalScroll { width: 1fr; height: 1fr; }
    BuildTab Collapsible { padding-bottom: 0; }
    """
    BINDINGS = [Binding("slash", "search", "Search log", id="build-search")]  # noqa: RUF012

    @dataclass
    class Finished(Message):
        """A build finished (or could not run)."""

        computer_id: str
        build: Build | None
        error: str | None = None

    @dataclass
    class Listed(Message):
        """Past builds arrived."""

        computer_id: str
        builds: list[Build]
        error: str | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.computer: Computer | None = None
        self.builds: list[Build] = []
        self.shown: Build | None = None
        self.running_since: float | None = None
        self._spinner: Timer | None = None
        self._needle = ""
        self._backoff = Backoff()
        self._retry_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("Select a computer.", id="build-status", classes="build--status")
        yield Input(id="build-search-input", placeholder="search the log · Enter · Escape closes")
        with Horizontal():
            yield OptionList(id="build-list")
            yield VerticalScroll(id="build-steps")

    def focus_main(self) -> None:
        """Put the focus on the list of builds (steps scroll beside it)."""
        self.query_one("#build-list", OptionList).focus()

    def _status(self, text: str | Text) -> None:
        self.query_one("#build-status", Static).update(text)

    def set_computer(self, computer: Computer | None) -> None:
        """Show `computer`'s builds."""
        if (computer and computer.id) == (self.computer and self.computer.id):
            self.computer = computer
            return
        self.computer = computer
        self._backoff.failures = 0
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self.builds, self.shown = [], None
        self.query_one("#build-list", OptionList).clear_options()
        self.query_one("#build-steps", VerticalScroll).remove_children()
        if computer is None:
            self._status("Select a computer.")
            return
        if self.running_since is None:
            self._status("Loading builds… · b runs a build")
        self.load_builds(computer.id)

    @work(exclusive=True, group="builds", exit_on_error=False)
    async def load_builds(self, computer_id: str) -> None:
        """Fetch past builds."""
        try:
            builds = await client_of(self).list_builds(computer_id)
        except OrbError as exc:
            self.post_message(self.Listed(computer_id, [], str(exc)))
            return
        self.post_message(self.Listed(computer_id, builds))

    def on_build_tab_listed(self, message: BuildTab.Listed) -> None:
        if self.computer is None or message.computer_id != self.computer.id:
            return
        if message.error:
            delay = self._backoff.failed(orb_app(self).settings.poll_interval)
            self._status(f"Builds unavailable: {message.error} · retrying in {delay:.1f} s")
            self._retry(delay, message.computer_id)
            return
        self._backoff.failures = 0
        self._list(message.builds)
        if self.running_since is None:
            count = len(message.builds)
            self._status(
                f"{count} past build{'s' if count != 1 else ''} · b runs a build"
                if count
                else "No builds yet · b runs a build"
            )
        if message.builds:
            self.show_build(message.builds[0])

    def _retry(self, delay: float, computer_id: str) -> None:
        """Load the builds again after `delay` seconds if the same computer is still selected."""
        if self._retry_timer is not None:
            self._retry_timer.stop()

        def again() -> None:
            self._retry_timer = None
            if self.computer is not None and self.computer.id == computer_id:
                self.load_builds(computer_id)

        self._retry_timer = self.set_timer(delay, again)

    def _list(self, builds: list[Build]) -> None:
        self.builds = builds
        options = self.query_one("#build-list", OptionList)
        options.clear_options()
        options.add_options([Option(build_label(b), id=str(i)) for i, b in enumerate(builds)])

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        index = int(event.option.id or 0)
        if 0 <= index < len(self.builds) and self.builds[index] is not self.shown:
            self.show_build(self.builds[index])

    def show_build(self, build: Build) -> None:
        """Show `build`'s steps; the failing one open."""
        self.shown = build
        steps = self.query_one("#build-steps", VerticalScroll)
        steps.remove_children()
        widgets = [
            Collapsible(
                Static(step_output(step, self._needle), classes="build--output"),
                title=step_title(step),
                collapsed=step.exit_code == 0,
            )
            for step in build.steps
        ]
        if not widgets:
            widgets = [Collapsible(Static("(no steps)"), title="no steps")]
        steps.mount_all(widgets)

    def run_build(self) -> None:
        """Start a build of the selected computer (refused in read-only mode)."""
        if self.computer is None:
            self.notify("Select a computer first.", severity="warning")
            return
        if orb_app(self).refuse_if_read_only("build"):
            return
        if self.running_since is not None:
            self.notify("A build is already running.", severity="warning")
            return
        self.running_since = time.monotonic()
        self._spinner = self.set_interval(0.1, self._tick)
        self._tick()
        self._build(self.computer)

    def _tick(self) -> None:
        if self.running_since is None:
            return
        elapsed = time.monotonic() - self.running_since
        frame = SPINNER[int(elapsed * 10) % len(SPINNER)]
        self._status(Text(f"{frame} building… {elapsed:.1f} s", style="bold yellow"))

    @work(exclusive=True, group="build", exit_on_error=False)
    async def _build(self, computer: Computer) -> None:
        try:
            build = await client_of(self).build(computer.id)
        except OrbError as exc:
            self.post_message(self.Finished(computer.id, None, str(exc)))
            return
        self.post_message(self.Finished(computer.id, build))

    def on_build_tab_finished(self, message: BuildTab.Finished) -> None:
        elapsed = time.monotonic() - (self.running_since or time.monotonic())
        self.running_since = None
        if self._spinner is not None:
            self._spinner.stop()
        if message.build is None:
            self._status(Text(f"Build could not run: {message.error}", style="bold red"))
            self.notify(f"build could not run: {message.error}", severity="error")
            return
        ok = message.build.success
        verdict = "succeeded" if ok else "failed"
        self._status(
            Text(f"Build {verdict} in {elapsed:.1f} s", style="green" if ok else "bold red")
        )
        self.notify(f"build {verdict}", severity="information" if ok else "error")
        if self.computer is not None and message.computer_id == self.computer.id:
            self._list(
                [message.build, *[b for b in self.builds if b.build_id != message.build.build_id]]
            )
            self.show_build(message.build)

    def action_search(self) -> None:
        """Show the search field for the log."""
        field = self.query_one("#build-search-input", Input)
        field.add_class("-visible")
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(event.value)

    def on_key(self, event: events.Key) -> None:
        field = self.query_one("#build-search-input", Input)
        if event.key == "escape" and field.has_focus:
            event.stop()
            field.remove_class("-visible")
            self.focus_main()

    def search(self, needle: str) -> int:
        """Open the steps whose output contains `needle`, highlight it; returns the match count."""
        self._needle = needle.strip()
        build = self.shown
        if build is None:
            return 0
        matches = 0
        first: Collapsible | None = None
        for step, widget in zip(build.steps, self.query(Collapsible), strict=False):
            found = bool(self._needle) and self._needle.lower() in (
                f"{step.stdout}\n{step.stderr}".lower()
            )
            count = (
                f"{step.stdout}\n{step.stderr}".lower().count(self._needle.lower()) if found else 0
            )
            matches += count
            widget.collapsed = not found if self._needle else step.exit_code == 0
            widget.query_one(".build--output", Static).update(step_output(step, self._needle))
            if found and first is None:
                first = widget
        if first is not None:
            first.scroll_visible()
        if self._needle:
            self._status(f"“{self._needle}”: {matches} match{'es' if matches != 1 else ''}")
        return matches
