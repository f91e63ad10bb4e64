"""TerminalView: a live shell over a TerminalChannel, drawn through our emulator line by line."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip

from orb_tui.api.errors import OrbError
from orb_tui.ui.terminal.connection import Connector, ShellConnection, TerminalLink
from orb_tui.ui.terminal.emulator import TerminalScreen
from orb_tui.ui.terminal.feed import (
    BACKLOG_LIMIT,
    BULK_SLICE,
    FRAME_INTERVAL,
    MAX_SLICE,
    MIN_FRAME_INTERVAL,
    QUIET_AFTER,
    Backlog,
    FramePacer,
    StreamWatch,
)
from orb_tui.ui.terminal.keys import encode_key, encode_paste
from orb_tui.ui.terminal.renderer import StripRenderer
from orb_tui.ui.terminal.selection import MouseSelection, Span, row_selection

__all__ = [
    "BACKLOG_LIMIT",
    "MAX_SLICE",
    "Connector",
    "TerminalLink",
    "TerminalView",
    "row_selection",
]

TYPING_FRAME_INTERVAL = 1 / 60
"""Frame interval while a key's echo is awaited. Textual paints up to 120 a second in the console
(`orb_tui.cli.TEXTUAL_FPS`), so a frame goes out at most 8 ms after it is due. Frames at 1/120
gave a lower p50 in a minimal app but cost more than they saved where a frame is dear: the
console's 120x26 terminal had an echo p99 of 57-73 ms, against 43-51 ms at 1/60."""
SYNC_TIMEOUT = 0.15  # longest a synchronized update (mode 2026) may hold frames back
RESIZE_DEBOUNCE = 0.12
CLOSE_TIMEOUT = 3.0
LEAVE_KEY = "ctrl+right_square_bracket"


class TerminalView(ShellConnection, MouseSelection, can_focus=True):
    """A terminal on a computer's shell: every key goes to the shell except ctrl+] (leave)."""

    DEFAULT_CSS = """
    TerminalView {
        width: 1fr;
        height: 1fr;
        background: $background;
    }
    TerminalView > .terminal--banner {
        background: $warning;
        color: $text;
        text-style: bold;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"terminal--banner"}

    sync_timeout = SYNC_TIMEOUT
    """Longest a synchronized update may hold frames back, in seconds."""

    class LeaveRequested(Message):
        """The user pressed ctrl+] to leave the terminal."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.screen_model = TerminalScreen(80, 24)
        self.renderer = StripRenderer()
        self.banner: str | None = None
        self.history_offset = 0
        self.frames = 0  # frames flushed to Textual, for benchmarks and tests
        self.fed = 0  # characters fed to the emulator
        self._init_connection()
        self._backlog = Backlog()
        self._has_data = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._watch = StreamWatch()
        self._frame_handle: asyncio.TimerHandle | None = None
        self._quiet_handle: asyncio.TimerHandle | None = None
        self._resize_handle: asyncio.TimerHandle | None = None
        self._last_frame = 0.0
        self._pacer = FramePacer()
        self._sync_since: float | None = None
        self._cursor_row = 0
        self._selection: Span | None = None
        self._selecting = False
        self._refused_at = 0.0
        self.screen_model.reply = self._reply

    # -- public seam -------------------------------------------------------------------------

    def set_connector(self, connect: Connector | None) -> None:
        """Connect to a new shell through `connect(cols, rows)`, or disconnect when None."""
        self._connector = connect
        self._waiting_for_enter = False
        self._early_input = ""
        if connect is None:
            self.workers.cancel_group(self, "terminal-session")
            self._set_banner("no computer selected")
        elif self.is_mounted and self.size.area:
            self._worker = self._session()

    def copy_screen(self) -> str:
        """Copy the visible screen's text to the clipboard (OSC 52) and return it."""
        text = "\n".join(line.rstrip() for line in self.screen_model.text_lines()).rstrip("\n")
        self.app.copy_to_clipboard(text)
        return text

    # -- lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.run_worker(self._feed_loop(), group="terminal-feed", exit_on_error=False)

    async def on_unmount(self) -> None:
        for handle in (self._frame_handle, self._quiet_handle, self._resize_handle):
            if handle is not None:
                handle.cancel()
        # Close the socket here: a cancelled worker would leave it half closed.
        channel, self._connector = self._channel, None
        if channel is not None:
            with contextlib.suppress(OrbError, asyncio.TimeoutError):
                await asyncio.wait_for(channel.close(), CLOSE_TIMEOUT)

    def on_resize(self, event: events.Resize) -> None:
        cols, rows = event.size.width, event.size.height
        if cols <= 0 or rows <= 0:
            return
        if (cols, rows) != (self.screen_model.columns, self.screen_model.lines):
            self.screen_model.resize(rows, cols)
            self.renderer.invalidate()
            self.history_offset = min(self.history_offset, len(self.screen_model.scrollback))
            self.refresh()
            if self._resize_handle is not None:
                self._resize_handle.cancel()
            loop = asyncio.get_running_loop()
            self._resize_handle = loop.call_later(RESIZE_DEBOUNCE, self._resize_settled)
        if self._connector is not None and not self._session_running():
            self._worker = self._session()

    def _resize_settled(self) -> None:
        self._resize_handle = None
        self._send_size()

    def _grid(self) -> tuple[int, int]:
        return self.screen_model.columns, self.screen_model.lines

    def _new_shell(self) -> None:
        self.screen_model.reset()
        self.history_offset = 0
        self._selection = None
        self.refresh()
        if self._grid() != (self.size.width, self.size.height) and self.size.area:
            self.screen_model.resize(self.size.height, self.size.width)

    # -- feeding and frames ------------------------------------------------------------------

    async def _feed_loop(self) -> None:
        backlog, screen, pacer, watch = self._backlog, self.screen_model, self._pacer, self._watch
        clock, loop = time.process_time, asyncio.get_running_loop()
        while True:
            await self._has_data.wait()
            self._has_data.clear()
            while backlog.size:
                now = loop.time()
                # a key's echo is on the way: small slices keep the loop free to draw it
                chunk = backlog.take(MAX_SLICE if watch.keys_pending(now) else BULK_SLICE)
                watch.fed(now, len(chunk))
                started = clock()
                screen.feed(chunk)
                pacer.fed(clock() - started)
                self.fed += len(chunk)
                if backlog.size <= self._backlog_limit():
                    self._room.set()
                self._schedule_frame()
                await asyncio.sleep(0)
            self._watch_quiet(loop)

    def _backlog_limit(self) -> int:
        """Smaller while a key's echo is on its way: it waits behind all of the backlog."""
        now = asyncio.get_running_loop().time()
        return MAX_SLICE if self._watch.keys_pending(now) else BACKLOG_LIMIT

    def _watch_quiet(self, loop: asyncio.AbstractEventLoop) -> None:
        """Everything received is fed: paint soon if nothing more comes (the output stopped)."""
        if self._quiet_handle is not None:
            self._quiet_handle.cancel()
        self._quiet_handle = loop.call_later(QUIET_AFTER, self._on_quiet, self.fed)

    def _on_quiet(self, fed: int) -> None:
        self._quiet_handle = None
        handle = self._frame_handle
        if fed != self.fed or handle is None or self.screen_model.synchronized:
            return
        due = self._last_frame + MIN_FRAME_INTERVAL
        if due < handle.when():  # call_at with a time past runs at once
            handle.cancel()
            self._frame_handle = asyncio.get_running_loop().call_at(due, self._flush_frame)

    def _schedule_frame(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.screen_model.synchronized:
            if self._sync_since is None:
                self._sync_since = now
            due = max(self._sync_since + self.sync_timeout, now)
        else:
            self._sync_since = None
            # frames stretched to save CPU for a stream would hold back the echo of a typed key:
            # 60 a second while it is awaited, then 30 while typing goes on
            if self._watch.keys_pending(now):
                interval = TYPING_FRAME_INTERVAL
            elif self._watch.typed_into_stream(now):
                interval = FRAME_INTERVAL
            else:
                interval = self._pacer.interval
            due = max(self._last_frame + interval, now)
        if self._frame_handle is not None:
            if self._frame_handle.when() <= due:
                return
            self._frame_handle.cancel()  # a synchronized update ended early, or a key came
        self._frame_handle = loop.call_at(due, self._flush_frame)

    def _flush_frame(self) -> None:
        self._frame_handle = None
        screen = self.screen_model
        now = asyncio.get_running_loop().time()
        if screen.synchronized and self._sync_since and now - self._sync_since < self.sync_timeout:
            self._schedule_frame()
            return
        self._sync_since = now if screen.synchronized else None
        self._last_frame = now
        self._pacer.frame(self.fed)
        self.frames += 1
        if self.history_offset or self._selection is not None:
            screen.dirty.clear()
            self.refresh()
            return
        rows = set(screen.dirty)
        screen.dirty.clear()
        rows.update((self._cursor_row, screen.cursor.y))
        self._cursor_row = screen.cursor.y
        self._refresh_rows(rows)

    def _refresh_rows(self, rows: set[int]) -> None:
        width = self.size.width
        for start, count in _runs(sorted(r for r in rows if 0 <= r < self.size.height)):
            self.refresh(Region(0, start, width, count))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self.banner is not None and y == 0:
            style = self.get_component_rich_style("terminal--banner")
            text = f" {self.banner}"[:width].ljust(width)
            return Strip([Segment(text, style)], width)
        if y >= self.screen_model.lines:
            return Strip.blank(width)
        return self.renderer.render_row(
            self.screen_model,
            y,
            scroll_offset=self.history_offset,
            cursor=self.has_focus and not self.history_offset and self.banner is None,
            selection=row_selection(self._selection, y, self.screen_model.columns),
        )

    def _set_banner(self, text: str | None) -> None:
        if text != self.banner:
            self.banner = text
            self.refresh(Region(0, 0, self.size.width, 1))

    def on_focus(self) -> None:
        self._refresh_rows({self.screen_model.cursor.y})

    def on_blur(self) -> None:
        self._refresh_rows({self.screen_model.cursor.y})

    # -- input -------------------------------------------------------------------------------

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if event.key == LEAVE_KEY:
            self.post_message(self.LeaveRequested())
        elif event.key in ("shift+pageup", "shift+pagedown"):
            self._note_key()
            page = max(self.screen_model.lines - 1, 1)
            self._scroll_view(page if event.key == "shift+pageup" else -page)
        elif self._waiting_for_enter:
            if event.key == "enter":
                self._reconnect_now.set()
        else:
            data = encode_key(event.key, event.character, app_cursor=self.screen_model.app_cursor)
            if data is not None:
                self._send_input(data)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        self._send_input(encode_paste(event.text, bracketed=self.screen_model.bracketed_paste))

    def _send_input(self, data: str) -> None:
        if bool(getattr(self.app, "read_only", False)):
            self._refuse()
            return
        if self.history_offset:
            self._scroll_view(-self.history_offset)
        self._clear_selection()
        self._note_key()
        self._queue_input(data)
        if self._frame_handle is not None:
            self._schedule_frame()  # a frame paced for streaming comes sooner now

    def _note_key(self) -> None:
        """A key typed into streaming output: its echo is drawn at Textual's pace, not held back.

        At a quiet prompt nothing changes: the echo comes at once, and the next frame with it.
        """
        self._watch.key(asyncio.get_running_loop().time())

    def _refuse(self) -> None:
        now = time.monotonic()
        if now - self._refused_at < 3.0:
            return  # one message per burst of typing
        self._refused_at = now
        refuse = getattr(self.app, "refuse_if_read_only", None)
        if callable(refuse):
            refuse("terminal input")
        else:
            self.app.notify("read-only mode: terminal input refused", severity="warning")

    def _scroll_view(self, lines: int) -> None:
        limit = len(self.screen_model.scrollback)
        offset = max(0, min(self.history_offset + lines, limit))
        if offset != self.history_offset:
            self.history_offset = offset
            self.refresh()


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (start, count) runs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][0] + runs[-1][1] == row:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((row, 1))
    return runs
