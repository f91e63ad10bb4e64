"""ScreenState: the terminal's state (screens, attributes, cursor, modes) and its replies."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import NamedTuple

import pyte
from pyte import modes as mo
from pyte.screens import Margins

from orb_tui.ui.terminal.cells import DEFAULT_ATTRS, Cell, CellCache, Row, apply_sgr, row_text

__all__ = ["Cursor", "ScreenState"]

_DEC_GRAPHICS = dict(zip(range(0x5F, 0x7F), " ◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·", strict=True))
_MOUSE_MODES = (9, 1000, 1002, 1003)
# Private modes that only switch an attribute the widget or renderer reads.
_FLAG_MODES = {
    1: "app_cursor",
    5: "reverse_video",
    1004: "focus_events",
    1006: "mouse_sgr",
    2004: "bracketed_paste",
    2026: "synchronized",
}
# Private modes DECRQM reports as set or reset; others are "not recognised".
_KNOWN_MODES = {3, 6, 7, 25, 47, 1047, 1048, 1049, *_MOUSE_MODES, *_FLAG_MODES}


class Cursor:
    """Cursor position and the attributes new text is drawn with."""

    __slots__ = ("attrs", "hidden", "x", "y")

    def __init__(self, x: int = 0, y: int = 0, attrs: Cell = DEFAULT_ATTRS) -> None:
        self.x = x
        self.y = y
        self.attrs = attrs
        self.hidden = False


class _Saved(NamedTuple):
    """What DECSC keeps (autowrap is a mode, not part of it, whatever pyte says)."""

    x: int
    y: int
    attrs: Cell
    charsets: tuple[dict[int, str] | None, dict[int, str] | None, int]
    origin: bool


class ScreenState(pyte.Screen):
    """A pyte ``Screen``'s state kept our way: both screens, the scrollback, the modes a program
    set (as attributes the widget reads), the cursor and its saved copies, and replies to queries.

    Rows are ``Row`` lists of ``Cell``: ``buffer[y][x]`` works as in pyte. ``TerminalScreen``
    adds drawing, scrolling and editing.
    """

    buffer: list[Row]  # type: ignore[assignment]
    cursor: Cursor  # type: ignore[assignment]

    def __init__(self, columns: int, lines: int, *, scrollback: int = 5000) -> None:
        self.columns = max(columns, 1)
        self.lines = max(lines, 1)
        self.dirty: set[int] = set()
        self.reply: Callable[[str], None] | None = None
        self.scrollback: deque[Row] = deque(maxlen=max(scrollback, 0))
        self._cell_caches: dict[Cell, CellCache] = {}
        self._cells = CellCache(DEFAULT_ATTRS)
        self._sgr_cache: dict[tuple[Cell, str], tuple[Cell, CellCache]] = {}
        self._erase_cells: dict[str, Cell] = {}
        self.reset()

    # -- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Full reset (RIS): clear both screens, modes, margins, attributes; keep scrollback."""
        self.mode = {mo.DECAWM, mo.DECTCEM}
        self.margins: Margins | None = None
        self.cursor = Cursor()
        self.title = ""
        self.icon_name = ""
        self.tabstops = set(range(8, self.columns, 8))
        self.alternate = False
        self.synchronized = False
        self.app_cursor = False
        self.app_keypad = False
        self.bracketed_paste = False
        self.focus_events = False
        self.mouse_mode = 0
        self.mouse_sgr = False
        self.reverse_video = False
        self.cursor_shape = 0
        self._charsets: list[dict[int, str] | None] = [None, None]
        self._shift = 0
        self._xlate: dict[int, str] | None = None
        self._saved: _Saved | None = None
        self._saved_by_1049: _Saved | None = None  # tmux keeps this apart from DECSC's
        self._last_char = ""  # for REP
        self._template = [DEFAULT_ATTRS] * self.columns
        self._primary = self._blank_rows(self.lines)
        self._alt = self._blank_rows(self.lines)
        self.buffer = self._primary
        self.dirty.update(range(self.lines))

    @property
    def default_char(self) -> Cell:  # type: ignore[override]
        """The blank cell."""
        return DEFAULT_ATTRS

    @property
    def cursor_hidden(self) -> bool:
        """Whether the program hid the cursor (DECTCEM reset)."""
        return mo.DECTCEM not in self.mode

    @property
    def display(self) -> list[str]:
        """Rows as text, as pyte's ``display`` gives them."""
        return self.text_lines()

    def text_lines(self) -> list[str]:
        """Rows of the active screen as text: wide characters once, trailing blanks kept."""
        return [row_text(row) for row in self.buffer]

    def row_at(self, y: int, scroll_offset: int = 0) -> Row | None:
        """The row shown at display line ``y`` when scrolled back ``scroll_offset`` lines."""
        if scroll_offset <= 0 or self.alternate:
            return self.buffer[y] if 0 <= y < self.lines else None
        index = y - scroll_offset
        if index >= 0:
            return self.buffer[index] if index < self.lines else None
        index += len(self.scrollback)
        return self.scrollback[index] if index >= 0 else None

    def _blank_rows(self, count: int, cell: Cell = DEFAULT_ATTRS) -> list[Row]:
        template = [cell] * self.columns
        return [Row(template) for _ in range(count)]

    def _blank_row(self) -> Row:
        """One blank row in the erase colour (the common case of a scroll)."""
        return Row(self._blank_template())

    def _blank_template(self) -> list[Cell]:
        """The cells of a blank row in the erase colour (shared: copy, never change it)."""
        cell = self._erase_cell()
        template = self._template
        if template[0] is not cell or len(template) != self.columns:
            template = self._template = [cell] * self.columns
        return template

    def _erase_cell(self) -> Cell:
        """The cell erasing leaves behind: blank, in the current background (like xterm)."""
        bg = self.cursor.attrs.bg
        if bg == "default":
            return DEFAULT_ATTRS
        cell = self._erase_cells.get(bg)
        if cell is None:
            if len(self._erase_cells) > 256:
                self._erase_cells.clear()
            cell = self._erase_cells[bg] = Cell(" ", bg=bg)
        return cell

    def _cells_for(self, attrs: Cell) -> CellCache:
        cache = self._cell_caches.get(attrs)
        if cache is None:
            if len(self._cell_caches) > 2048:
                self._cell_caches.clear()
            cache = self._cell_caches[attrs] = CellCache(attrs)
        self._cells = cache
        return cache

    def _region(self) -> tuple[int, int]:
        margins = self.margins
        return (margins.top, margins.bottom) if margins else (0, self.lines - 1)

    # -- cursor ------------------------------------------------------------------------------

    def cursor_position(self, line: int | None = None, column: int | None = None) -> None:
        """CUP/HVP: move to 1-based ``line`` and ``column``; in origin mode (DECOM) lines count
        from the top margin and stop at the bottom one (pyte ignored such moves instead)."""
        cursor = self.cursor
        cursor.x = min(max((column or 1) - 1, 0), self.columns - 1)
        top, bottom = self._region() if mo.DECOM in self.mode else (0, self.lines - 1)
        cursor.y = min(max(top + (line or 1) - 1, top), bottom)

    def cursor_back(self, count: int | None = None) -> None:
        """CUB/BS: left, from past the last column too (120 -> 119 on 120 columns, as tmux)."""
        self.cursor.x = max(min(self.cursor.x, self.columns) - (count or 1), 0)

    def cursor_up(self, count: int | None = None) -> None:
        """CUU: up, stopping at the top margin unless already above it (as xterm and tmux)."""
        top = self._region()[0]
        limit = top if self.cursor.y >= top else 0
        self.cursor.y = max(self.cursor.y - (count or 1), limit)
        self.cursor.x = min(self.cursor.x, self.columns - 1)

    def cursor_down(self, count: int | None = None) -> None:
        """CUD: down, stopping at the bottom margin unless already below it (as xterm and tmux)."""
        bottom = self._region()[1]
        limit = bottom if self.cursor.y <= bottom else self.lines - 1
        self.cursor.y = min(self.cursor.y + (count or 1), limit)
        self.cursor.x = min(self.cursor.x, self.columns - 1)

    def tab(self, count: int = 1) -> None:
        """HT/CHT: move to the next tab stop (``count`` times), or the last column."""
        if self.cursor.x >= self.columns - 1:
            return  # not from the last column, nor from past it (tmux)
        for _ in range(min(max(count, 1), self.columns)):
            stops = [stop for stop in self.tabstops if stop > self.cursor.x]
            self.cursor.x = min(min(stops) if stops else self.columns, self.columns - 1)

    def back_tab(self, count: int = 1) -> None:
        """CBT: move to the previous tab stop (``count`` times), or the first column."""
        for _ in range(min(max(count, 1), self.columns)):
            stops = [stop for stop in self.tabstops if stop < self.cursor.x]
            self.cursor.x = max(stops) if stops else 0

    def save_cursor(self) -> None:
        """DECSC / CSI s: remember position, attributes, charsets and origin mode (one slot for
        both screens, as in tmux)."""
        self._saved = self._snapshot()

    def restore_cursor(self) -> None:
        """DECRC / CSI u: go back to what ``save_cursor`` remembered (home if nothing)."""
        saved = self._saved
        if saved is None:
            self.mode.discard(mo.DECOM)
            self.cursor.attrs = DEFAULT_ATTRS
            self.cursor_position()
        else:
            self._return_to(saved)

    def _snapshot(self) -> _Saved:
        cursor = self.cursor
        charsets = (self._charsets[0], self._charsets[1], self._shift)
        return _Saved(cursor.x, cursor.y, cursor.attrs, charsets, mo.DECOM in self.mode)

    def _return_to(self, saved: _Saved, *, modes: bool = True) -> None:
        """Go back to ``saved``; ``modes=False`` (1049) brings back position and attributes only."""
        # the screen bounds the position, not the region; a pending wrap is not restored
        self.cursor.x = min(saved.x, self.columns - 1)
        self.cursor.y = min(saved.y, self.lines - 1)
        self.cursor.attrs = saved.attrs
        if modes:
            self._charsets[0], self._charsets[1], self._shift = saved.charsets
            self._select_charset()
            self._flag(mo.DECOM, saved.origin)

    def define_charset(self, code: str, mode: str) -> None:
        """Designate G0 (``(``) or G1 (``)``): ``0`` is DEC line drawing, anything else ASCII."""
        if mode in "()":
            self._charsets["()".index(mode)] = _DEC_GRAPHICS if code == "0" else None
            self._select_charset()

    def shift_in(self) -> None:
        """SI: use G0."""
        self._shift = 0
        self._select_charset()

    def shift_out(self) -> None:
        """SO: use G1."""
        self._shift = 1
        self._select_charset()

    def _select_charset(self) -> None:
        self._xlate = self._charsets[self._shift]

    # -- modes -------------------------------------------------------------------------------

    def set_mode(self, *modes: int, **kwargs: object) -> None:
        """SM / DECSET."""
        self._set_modes(modes, bool(kwargs.get("private")), on=True)

    def reset_mode(self, *modes: int, **kwargs: object) -> None:
        """RM / DECRST."""
        self._set_modes(modes, bool(kwargs.get("private")), on=False)

    def _set_modes(self, modes: tuple[int, ...], private: bool, *, on: bool) -> None:
        for mode in modes:
            if not private:
                if mode in (mo.IRM, mo.LNM):
                    self._flag(mode, on)
                continue
            self._flag(mode << 5, on)
            self._private_mode(mode, on)

    def _flag(self, mode: int, on: bool) -> None:
        if on:
            self.mode.add(mode)
        else:
            self.mode.discard(mode)

    def _private_mode(self, mode: int, on: bool) -> None:
        if mode in _FLAG_MODES:
            setattr(self, _FLAG_MODES[mode], on)
            if mode in (5, 2026):
                self.dirty.update(range(self.lines))  # every row looks different / may show
        elif mode in _MOUSE_MODES:
            self.mouse_mode = mode if on else 0
        elif mode in (47, 1047, 1049):
            self._switch_screen(on, clear=mode != 47, save=mode == 1049)
        elif mode == 25:
            self.cursor.hidden = not on
        elif mode == 1048:
            (self.save_cursor if on else self.restore_cursor)()
        elif mode == 3:  # DECCOLM: no switch to 132 columns, but clear and home (as tmux does)
            self.margins = None
            self.erase_in_display(2)
            self.cursor_position()
        elif mode == 6:
            self.cursor_position()

    def _switch_screen(self, on: bool, *, clear: bool, save: bool) -> None:
        """Enter (1049 saves the cursor, 1047/1049 clear) or leave the alternate screen.

        As in tmux: entering twice changes nothing, and leaving with 1049 restores the cursor
        1049 saved even when not on the alternate screen.
        """
        if save and not on and self._saved_by_1049 is not None:
            self._return_to(self._saved_by_1049, modes=False)
        if on == self.alternate:
            return
        if save and on:
            self._saved_by_1049 = self._snapshot()
        if clear:
            self._alt[:] = self._blank_rows(self.lines)
        self.alternate = on
        self.buffer = self._alt if on else self._primary
        self.dirty.update(range(self.lines))

    def report_mode(self, mode: int, *, private: bool = False) -> None:
        """DECRQM: answer whether ``mode`` is set (1), reset (2) or unknown (0)."""
        key = mode << 5 if private else mode
        if (private and mode in _KNOWN_MODES) or (not private and mode in (mo.IRM, mo.LNM)):
            state = 1 if key in self.mode else 2
        else:
            state = 0
        self._send(f"\x1b[{'?' if private else ''}{mode};{state}$y")

    def soft_reset(self) -> None:
        """DECSTR: modes, margins and attributes back to defaults; the screen stays."""
        self.mode = {mo.DECAWM, mo.DECTCEM}
        self.margins = None
        self.cursor.attrs = DEFAULT_ATTRS
        self.app_cursor = self.app_keypad = False
        self._charsets, self._shift, self._xlate = [None, None], 0, None
        self._saved = None

    # -- everything else ---------------------------------------------------------------------

    def sgr(self, params: str) -> None:
        """SGR from its parameter string (``"1;38;5;208"``), cached per attributes and string."""
        key = (self.cursor.attrs, params)
        entry = self._sgr_cache.get(key)
        if entry is None:
            if len(self._sgr_cache) > 4096:
                self._sgr_cache.clear()
            attrs = apply_sgr(self.cursor.attrs, params)
            entry = self._sgr_cache[key] = (attrs, self._cells_for(attrs))
        self.cursor.attrs, self._cells = entry

    def select_graphic_rendition(self, *attrs: int, **kwargs: object) -> None:
        """SGR from integers (pyte's interface); the parser passes the raw string instead."""
        self.sgr(";".join(map(str, attrs)))

    def _send(self, text: str) -> None:
        if self.reply is not None:
            self.reply(text)

    def write_process_input(self, data: str) -> None:
        """pyte's hook for answers to the host: forwarded to ``reply``."""
        self._send(data)

    def report_device_attributes(self, mode: int = 0, **kwargs: bool) -> None:
        """DA: a VT220 with colour; secondary DA (``CSI > c``): a VT220, version 10."""
        if mode != 0 or kwargs.get("private"):
            return
        self._send("\x1b[>1;10;0c" if kwargs.get("secondary") else "\x1b[?62;22c")

    def report_device_status(self, mode: int = 0, **kwargs: object) -> None:
        """DSR: 5 status ("OK"), 6 cursor position (``CSI ? 6 n``: the DEC form)."""
        private = bool(kwargs.get("private"))
        if mode == 5 and not private:
            self._send("\x1b[0n")
        elif mode == 6:
            y = self.cursor.y + 1
            if mo.DECOM in self.mode and self.margins is not None:
                y -= self.margins.top
            x = min(self.cursor.x, self.columns - 1) + 1
            self._send(f"\x1b[{'?' if private else ''}{y};{x}R")
