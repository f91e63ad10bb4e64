"""TerminalView: a live shell over a TerminalChannel, drawn through our emulator line by line."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import ClassVar, Protocol

from rich.segment import Segment
from textual import events, work
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import Worker

from orb_tui.api.errors import ApiError, OrbError, TerminalClosed, TerminalClosedError
from orb_tui.ui.terminal.emulator import TerminalScreen, row_text
from orb_tui.ui.terminal.keys import (
    MOUSE_OFF,
    MouseAction,
    MouseInput,
    encode_key,
    encode_mouse,
    encode_paste,
)
from orb_tui.ui.terminal.renderer import StripRenderer

MAX_SLICE = 4096  # characters fed to the emulator before the loop gets a turn
BACKLOG_LIMIT = 1 << 20  # stop reading the socket while this much waits to be fed
FRAME_INTERVAL = 1 / 30
MAX_FRAME_INTERVAL = 1 / 4
STREAMING_CHARS = 16 << 10  # fed between two frames: output is streaming, not being typed
OTHER_CPU_SHARE = 0.12  # while streaming, what frames and the rest may take beside the emulator
SYNC_TIMEOUT = 0.15  # longest a synchronized update (mode 2026) may hold frames back
RESIZE_DEBOUNCE = 0.12
CLOSE_TIMEOUT = 3.0
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
STABLE_AFTER = 10.0  # a session that lived this long resets the backoff
LEAVE_KEY = "ctrl+right_square_bracket"
WHEEL_LINES = 3


class TerminalLink(Protocol):
    """What the widget needs from a terminal connection (`orb_tui.api.terminal.TerminalChannel`)."""

    @property
    def supports_resize(self) -> bool: ...

    async def connect(self) -> None: ...
    async def send(self, text: str) -> None: ...
    async def recv(self) -> bytes: ...
    async def resize(self, cols: int, rows: int) -> object: ...
    async def close(self) -> None: ...


Connector = Callable[[int, int], TerminalLink]


class FramePacer:
    """Time between frames: 1/30 s, stretched while output streams so the emulator keeps the CPU.

    A streamed frame nobody can read costs as much as a readable one; when work other than
    feeding the emulator takes more than OTHER_CPU_SHARE of the process's CPU, frames slow down
    (to 4 a second at least) and speed up again when it does not.
    """

    def __init__(self) -> None:
        self.interval = FRAME_INTERVAL
        self._feed_cpu = 0.0
        self._cpu_mark = time.process_time()
        self._fed_mark = 0

    def fed(self, cpu: float) -> None:
        """Count CPU seconds spent feeding the emulator."""
        self._feed_cpu += cpu

    def frame(self, fed_total: int) -> None:
        """A frame went out; choose the next interval."""
        now = time.process_time()
        spent = now - self._cpu_mark
        if fed_total - self._fed_mark <= STREAMING_CHARS:
            self.interval = FRAME_INTERVAL
        elif spent > 0 and (spent - self._feed_cpu) / spent > OTHER_CPU_SHARE:
            self.interval = min(self.interval * 1.5, MAX_FRAME_INTERVAL)
        else:
            self.interval = max(self.interval / 1.2, FRAME_INTERVAL)
        self._cpu_mark, self._fed_mark, self._feed_cpu = now, fed_total, 0.0


class Backlog:
    """Text received but not yet fed to the emulator, taken in bounded slices."""

    def __init__(self) -> None:
        self._chunks: deque[str] = deque()
        self.size = 0

    def push(self, text: str) -> None:
        if text:
            self._chunks.append(text)
            self.size += len(text)

    def take(self, limit: int) -> str:
        """Remove and return at most `limit` characters."""
        parts: list[str] = []
        want = limit
        while want and self._chunks:
            head = self._chunks[0]
            if len(head) <= want:
                parts.append(self._chunks.popleft())
                want -= len(head)
            else:
                parts.append(head[:want])
                self._chunks[0] = head[want:]
                want = 0
        taken = "".join(parts)
        self.size -= len(taken)
        return taken

    def clear(self) -> None:
        self._chunks.clear()
        self.size = 0


Span = tuple[tuple[int, int], tuple[int, int]]  # (row, col) start and end in view rows, inclusive


def _ordered(span: Span) -> Span:
    return (span[0], span[1]) if span[0] <= span[1] else (span[1], span[0])


def row_selection(span: Span | None, row: int, width: int) -> tuple[int, int] | None:
    """The [start, end) columns of `row` covered by a selection, or None."""
    if span is None:
        return None
    (r0, c0), (r1, c1) = _ordered(span)
    if not r0 <= row <= r1:
        return None
    start = c0 if row == r0 else 0
    end = c1 + 1 if row == r1 else width
    return (start, min(end, width)) if start < end else None


class TerminalView(Widget, can_focus=True):
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
        self._connector: Connector | None = None
        self._channel: TerminalLink | None = None
        self._backlog = Backlog()
        self._has_data = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._reconnect_now = asyncio.Event()
        self._waiting_for_enter = False
        self._outgoing: asyncio.Queue[str | tuple[int, int]] = asyncio.Queue()
        self._frame_handle: asyncio.TimerHandle | None = None
        self._resize_handle: asyncio.TimerHandle | None = None
        self._last_frame = 0.0
        self._pacer = FramePacer()
        self._sync_since: float | None = None
        self._cursor_row = 0
        self._selection: Span | None = None
        self._selecting = False
        self._refused_at = 0.0
        self._worker: Worker[None] | None = None
        self.screen_model.reply = self._reply

    # -- public seam -------------------------------------------------------------------------

    def set_connector(self, connect: Connector | None) -> None:
        """Connect to a new shell through `connect(cols, rows)`, or disconnect when None."""
        self._connector = connect
        self._waiting_for_enter = False
        if connect is None:
            self.workers.cancel_group(self, "terminal-session")
            self._set_banner("no computer selected")
        elif self.is_mounted and self.size.area:
            self._worker = self._session()

    @property
    def connected(self) -> bool:
        """True while a channel is open."""
        return self._channel is not None

    def copy_screen(self) -> str:
        """Copy the visible screen's text to the clipboard (OSC 52) and return it."""
        text = "\n".join(line.rstrip() for line in self.screen_model.text_lines()).rstrip("\n")
        self.app.copy_to_clipboard(text)
        return text

    def copy_selection(self) -> str:
        """Copy the mouse selection (if any) to the clipboard and return it."""
        if self._selection is None:
            return ""
        text = self._selection_text(self._selection)
        if text:
            self.app.copy_to_clipboard(text)
        return text

    # -- lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.run_worker(self._feed_loop(), group="terminal-feed", exit_on_error=False)

    async def on_unmount(self) -> None:
        for handle in (self._frame_handle, self._resize_handle):
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
            self._resize_handle = loop.call_later(RESIZE_DEBOUNCE, self._send_size)
        if self._connector is not None and not self._session_running():
            self._worker = self._session()

    def _session_running(self) -> bool:
        return self._worker is not None and not self._worker.is_finished

    def _send_size(self) -> None:
        self._resize_handle = None
        channel = self._channel
        if channel is not None and channel.supports_resize:
            self._outgoing.put_nowait((self.screen_model.columns, self.screen_model.lines))

    # -- the connection ----------------------------------------------------------------------

    @work(exclusive=True, group="terminal-session", exit_on_error=False)
    async def _session(self) -> None:
        failures = 0
        while (connect := self._connector) is not None:
            started = time.monotonic()
            try:
                closed = await self._run_channel(connect(*self._grid()))
            except ApiError as error:
                if error.status in (401, 403, 404):
                    await self._wait_for_enter(f"cannot open the terminal: {error}")
                    continue
                closed = TerminalClosed(None, str(error))
            except OrbError as error:
                closed = TerminalClosed(None, str(error))
            if closed.by_client or self._connector is None:
                return
            if closed.code == 1000:
                await self._wait_for_enter(closed.describe())
                failures = 0
                continue
            failures = 0 if time.monotonic() - started > STABLE_AFTER else failures + 1
            await self._back_off(closed, failures)

    def _grid(self) -> tuple[int, int]:
        return self.screen_model.columns, self.screen_model.lines

    async def _run_channel(self, channel: TerminalLink) -> TerminalClosed:
        """Connect, then pump the socket into the backlog until it closes."""
        try:
            await channel.connect()
            self._on_connected(channel)
            writer = asyncio.create_task(self._write_loop(channel))
            try:
                return await self._read_loop(channel)
            finally:
                writer.cancel()
        finally:
            self._channel = None
            await channel.close()

    def _on_connected(self, channel: TerminalLink) -> None:
        self._channel = channel
        self._set_banner(None)
        while not self._outgoing.empty():
            self._outgoing.get_nowait()
        # A new connection is a new shell: start from a clean screen.
        self._backlog.clear()
        self._room.set()
        self.screen_model.reset()
        self.history_offset = 0
        self._selection = None
        self.refresh()
        if self._grid() != (self.size.width, self.size.height) and self.size.area:
            self.screen_model.resize(self.size.height, self.size.width)
        self._send_size()

    async def _read_loop(self, channel: TerminalLink) -> TerminalClosed:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            await self._room.wait()
            try:
                data = await channel.recv()
            except TerminalClosedError as error:
                return error.closed
            self._backlog.push(decoder.decode(data))
            if self._backlog.size > BACKLOG_LIMIT:
                self._room.clear()
            self._has_data.set()

    async def _write_loop(self, channel: TerminalLink) -> None:
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty():
                batch.append(self._outgoing.get_nowait())
            try:
                for item in _coalesce(batch):
                    if isinstance(item, str):
                        await channel.send(item)
                    else:
                        await channel.resize(*item)
            except OrbError:
                return  # the reader sees the close and says why

    async def _wait_for_enter(self, why: str) -> None:
        self._set_banner(f"{why} — press Enter to reconnect")
        self._waiting_for_enter = True
        self._reconnect_now.clear()
        try:
            await self._reconnect_now.wait()
        finally:
            self._waiting_for_enter = False
        self._set_banner("reconnecting…")

    async def _back_off(self, closed: TerminalClosed, failures: int) -> None:
        delay = BACKOFF[min(failures, len(BACKOFF)) - 1]
        self._set_banner(f"{closed.describe()} — reconnecting in {delay:g} s (Enter: now)")
        self._reconnect_now.clear()
        self._waiting_for_enter = True
        try:
            await asyncio.wait_for(self._reconnect_now.wait(), timeout=delay)
        except asyncio.TimeoutError:
            pass
        finally:
            self._waiting_for_enter = False
        self._set_banner("reconnecting…")

    def _reply(self, text: str) -> None:
        if self._channel is not None:
            self._outgoing.put_nowait(text)

    # -- feeding and frames ------------------------------------------------------------------

    async def _feed_loop(self) -> None:
        while True:
            await self._has_data.wait()
            self._has_data.clear()
            while self._backlog.size:
                chunk = self._backlog.take(MAX_SLICE)
                started = time.process_time()
                self.screen_model.feed(chunk)
                self._pacer.fed(time.process_time() - started)
                self.fed += len(chunk)
                if self._backlog.size <= BACKLOG_LIMIT:
                    self._room.set()
                self._schedule_frame()
                await asyncio.sleep(0)

    def _schedule_frame(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.screen_model.synchronized:
            if self._sync_since is None:
                self._sync_since = now
            due = max(self._sync_since + self.sync_timeout, now)
        else:
            self._sync_since = None
            due = max(self._last_frame + self._pacer.interval, now)
        if self._frame_handle is not None:
            if self._frame_handle.when() <= due:
                return
            self._frame_handle.cancel()  # a synchronized update ended early
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
        if self._channel is None:
            return
        if self.history_offset:
            self._scroll_view(-self.history_offset)
        self._clear_selection()
        self._outgoing.put_nowait(data)

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

    # -- mouse -------------------------------------------------------------------------------

    def _reporting(self, event: events.MouseEvent) -> bool:
        return self.screen_model.mouse_mode != MOUSE_OFF and not event.shift

    def _report(self, event: events.MouseEvent, action: MouseAction) -> None:
        offset = event.get_content_offset_capture(self)
        report = encode_mouse(
            MouseInput(
                action, offset.x, offset.y, event.button, event.shift, event.meta, event.ctrl
            ),
            mode=self.screen_model.mouse_mode,
            sgr=self.screen_model.mouse_sgr,
        )
        if report is not None:
            self._send_input(report)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._wheel(event, MouseAction.WHEEL_UP, "up")

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._wheel(event, MouseAction.WHEEL_DOWN, "down")

    def _wheel(self, event: events.MouseEvent, action: MouseAction, arrow: str) -> None:
        if self._reporting(event):
            self._report(event, action)
        elif self.screen_model.alternate:
            # Full-screen programs without mouse reporting scroll with arrows, as in xterm.
            key = encode_key(arrow, None, app_cursor=self.screen_model.app_cursor) or ""
            self._send_input(key * WHEEL_LINES)
        else:
            self._scroll_view(WHEEL_LINES if arrow == "up" else -WHEEL_LINES)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        event.stop()
        if self._reporting(event):
            self._report(event, MouseAction.PRESS)
            return
        offset = event.get_content_offset_capture(self)
        self._clear_selection()
        self._selection = ((offset.y, offset.x), (offset.y, offset.x))
        self._selecting = True
        self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._selecting and self._selection is not None:
            offset = event.get_content_offset_capture(self)
            row = max(0, min(offset.y, self.screen_model.lines - 1))
            col = max(0, min(offset.x, self.screen_model.columns - 1))
            self._selection = (self._selection[0], (row, col))
            self.refresh()
        elif self._reporting(event):
            self._report(event, MouseAction.MOTION)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        event.stop()
        if self._selecting:
            self._selecting = False
            self.release_mouse()
            if self._selection is not None and self._selection[0] != self._selection[1]:
                self.copy_selection()
            else:
                self._clear_selection()
        elif self._reporting(event):
            self._report(event, MouseAction.RELEASE)

    def _clear_selection(self) -> None:
        if self._selection is not None:
            self._selection = None
            self.refresh()

    def _selection_text(self, span: Span) -> str:
        (r0, _), (r1, _) = _ordered(span)
        picked = []
        for y in range(r0, r1 + 1):
            row = self.screen_model.row_at(y, self.history_offset)
            cols = row_selection(span, y, self.screen_model.columns)
            line = row_text(row) if row is not None else ""
            picked.append(line[cols[0] : cols[1]].rstrip() if cols else "")
        return "\n".join(picked)


def _coalesce(items: list[str | tuple[int, int]]) -> list[str | tuple[int, int]]:
    """Join neighbouring text items so a burst of keys goes out as one frame."""
    out: list[str | tuple[int, int]] = []
    for item in items:
        if isinstance(item, str) and out and isinstance(out[-1], str):
            out[-1] += item
        else:
            out.append(item)
    return out


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (start, count) runs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][0] + runs[-1][1] == row:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((row, 1))
    return runs
