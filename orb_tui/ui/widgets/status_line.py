"""The status line: polling state, the last error in plain words, and when the next try is."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    """One line under the main screen saying how polling goes (an error may take up to three)."""

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    StatusLine.-error { background: $error 30%; color: $text; height: auto; max-height: 3; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("starting…", id=id)
        self.last_error: str | None = None

    def polled(self, count: int, total: int, interval: float) -> None:
        """A poll answered: show the time, how many computers, and the interval."""
        self.last_error = None
        self.remove_class("-error")
        shown = f"{count} of {total}" if count != total else str(total)
        noun = "computer" if total == 1 else "computers"
        stamp = datetime.now().strftime("%H:%M:%S")
        self.update(f"● polling every {interval:g} s · {shown} {noun} · updated {stamp}")

    def failed(self, error: str, retry_in: float) -> None:
        """A poll failed: say what went wrong and when polling tries again."""
        self.last_error = error
        self.add_class("-error")
        text = Text.assemble(("✖ ", "bold"), error, f" · retrying in {retry_in:g} s")
        self.update(text)

    def paused(self, reason: str) -> None:
        """Polling is not running (e.g. not signed in)."""
        self.remove_class("-error")
        self.update(f"○ {reason}")


DEFAULT_HINT = "? help · q quit"
TERMINAL_HINT = "keys go to the shell · ctrl+] leaves"
TYPING_HINT = "Enter runs · Esc: table"


class KeyHint(Static):
    """The keys that matter where the focus is, at the right end of the status line."""

    DEFAULT_CSS = """
    KeyHint { width: auto; height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(DEFAULT_HINT, id=id, markup=False)
