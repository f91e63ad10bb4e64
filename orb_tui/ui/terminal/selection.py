"""The terminal's mouse: reports to programs that asked for them, else the wheel, selection and copy."""

from __future__ import annotations

from textual import events
from textual.widget import Widget

from orb_tui.ui.terminal.emulator import TerminalScreen, row_text
from orb_tui.ui.terminal.keys import MOUSE_OFF, MouseAction, MouseInput, encode_key, encode_mouse

WHEEL_LINES = 3

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


class MouseSelection(Widget):
    """Mouse handling of TerminalView: what it needs of the view is declared here."""

    screen_model: TerminalScreen
    history_offset: int
    _selection: Span | None
    _selecting: bool

    def _send_input(self, data: str) -> None:
        raise NotImplementedError

    def _scroll_view(self, lines: int) -> None:
        raise NotImplementedError

    def copy_selection(self) -> str:
        """Copy the mouse selection (if any) to the clipboard and return it."""
        if self._selection is None:
            return ""
        text = self._selection_text(self._selection)
        if text:
            self.app.copy_to_clipboard(text)
        return text

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
