"""TerminalScreen: a fast pyte Screen with the xterm features programs expect."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

import pyte
from pyte import modes as mo
from pyte.screens import Margins, wcwidth

from orb_tui.ui.terminal.cells import (
    DEFAULT_ATTRS,
    Cell,
    CellCache,
    Row,
    apply_sgr,
    csi_numbers,
)

__all__ = ["Cell", "Row", "TerminalScreen"]

_ESC_FINALS = "".join(chr(c) for c in range(0x30, 0x7F) if chr(c) not in "P X[]^_")
# One token per match; the group that matched tells the kind (see _parse).
_TEXT = r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff]"  # printable: no C0, DEL, C1 or lone surrogate
# One token per match; the group that matched last tells the kind (see _parse). Text right after
# a CSI or a CR LF rides in the same token: one loop turn per coloured word or per line.
_TOKEN = re.compile(
    f"({_TEXT}+)"  # 1 printable text
    r"|\x1b\[([<=>?]?)([0-?]*)([ -/]*)([@-~])"
    f"({_TEXT}*)"  # 2 prefix 3 params 4 inter 5 final 6 text
    f"|\r\n({_TEXT}*)"  # 7 text after the commonest control pair
    r"|([\x00-\x1a\x1c-\x1f\x7f-\x9f\ud800-\udfff])"  # 8 one control (or junk) character
    r"|\x1b\](.*?)(?:\x07|\x1b\\|\x9c)"  # 9 OSC body
    r"|(\x1b[PX^_].*?(?:\x1b\\|\x9c|[\x18\x1a]))"  # 10 DCS/SOS/PM/APC: swallowed
    r"|\x1b([ -/]*)([" + re.escape(_ESC_FINALS) + "])",  # 11 intermediates 12 final
    re.S,
)
_INCOMPLETE = re.compile(r"\x1b(?:\[[<=>?]?[0-?]*[ -/]*|[ -/]*|(\].*)|([PX^_].*))\Z", re.S)
_STRING_END = {
    "osc": re.compile(r"\x07|\x1b\\|\x9c|[\x18\x1a]"),
    "dcs": re.compile(r"\x1b\\|\x9c|[\x18\x1a]"),
}
_NON_ASCII = re.compile(r"([^\x00-\x7f]+)")
_MAX_PENDING = 1 << 16  # an unterminated OSC longer than this is swallowed, not buffered
_MAX_CLUSTER = 16  # zero-width characters kept on one cell, at most
_DEC_GRAPHICS = dict(zip(range(0x5F, 0x7F), " ◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·", strict=True))
_MOUSE_MODES = (9, 1000, 1002, 1003)
_STUB = ""


class Cursor:
    """Cursor position and the attributes new text is drawn with."""

    __slots__ = ("attrs", "hidden", "x", "y")

    def __init__(self, x: int = 0, y: int = 0, attrs: Cell = DEFAULT_ATTRS) -> None:
        self.x = x
        self.y = y
        self.attrs = attrs
        self.hidden = False


class _Saved(NamedTuple):
    x: int
    y: int
    attrs: Cell
    charsets: tuple[dict[int, str] | None, dict[int, str] | None, int]
    origin: bool
    wrap: bool


class TerminalScreen(pyte.Screen):
    """A pyte ``Screen`` with its own fast parser, an alternate screen and a scrollback.

    Rows are ``Row`` lists of ``Cell`` (``buffer[y][x]`` works as in pyte); ``feed()`` takes
    decoded text and never raises.
    """

    buffer: list[Row]  # type: ignore[assignment]
    cursor: Cursor  # type: ignore[assignment]

    def __init__(self, columns: int, lines: int, *, scrollback: int = 5000) -> None:
        self.columns = max(columns, 1)
        self.lines = max(lines, 1)
        self.dirty: set[int] = set()
        self.reply: Callable[[str], None] | None = None
        self.scrollback: deque[Row] = deque(maxlen=max(scrollback, 0))
        self._pending = ""
        self._in_string: str | None = None
        self._cell_caches: dict[Cell, CellCache] = {}
        self._cells = CellCache(DEFAULT_ATTRS)
        self._sgr_cache: dict[tuple[Cell, str], Cell] = {}
        self._csi = self._csi_table()
        self._controls = self._control_table()
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
        self._saved: dict[bool, _Saved] = {}
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
        cell = self._erase_cell()
        template = self._template
        if template[0] is not cell or len(template) != self.columns:
            template = self._template = [cell] * self.columns
        return Row(template)

    def _erase_cell(self) -> Cell:
        """The cell erasing leaves behind: blank, in the current background (like xterm)."""
        bg = self.cursor.attrs.bg
        return DEFAULT_ATTRS if bg == "default" else Cell(" ", bg=bg)

    def _cells_for(self, attrs: Cell) -> CellCache:
        cache = self._cell_caches.get(attrs)
        if cache is None:
            if len(self._cell_caches) > 2048:
                self._cell_caches.clear()
            cache = self._cell_caches[attrs] = CellCache(attrs)
        self._cells = cache
        return cache

    # -- input -------------------------------------------------------------------------------

    def feed(self, data: str) -> None:
        """Parse and apply ``data`` (decoded text). Never raises; a bad sequence is skipped."""
        try:
            if self._pending:
                data, self._pending = self._pending + data, ""
            if self._in_string is not None:
                data = self._skip_string(data)
            if data:
                self._parse(data)
        except Exception:  # last resort: a broken screen beats a dead terminal
            self._pending, self._in_string = "", None

    def _parse(self, data: str) -> None:
        match = _TOKEN.match
        pos, end = 0, len(data)
        while pos < end:
            m = match(data, pos)
            if m is None:
                pos = self._stray_escape(data, pos)
                continue
            pos = m.end()
            kind = m.lastindex
            try:
                if kind == 1:
                    self._text(m.group(1))
                elif kind == 6:
                    self._csi_dispatch(*m.group(2, 3, 4, 5))
                    if m.group(6):
                        self._text(m.group(6))
                elif kind == 7:
                    self.cursor.x = 0
                    self.index()
                    if m.group(7):
                        self._text(m.group(7))
                else:
                    self._rare_token(m, kind)
            except Exception:  # skip the bad sequence, keep the rest of the chunk
                continue

    def _text(self, text: str) -> None:
        if self._xlate is None and text.isascii():
            self._draw_ascii(text)
        else:
            self.draw(text)

    def _csi_dispatch(self, prefix: str, params: str, inter: str, final: str) -> None:
        try:
            if prefix or inter:
                self._csi_variant(prefix, params, inter, final)
            elif final == "m":
                self._sgr(params)
            else:
                handler = self._csi.get(final)
                if handler is not None:
                    handler(*csi_numbers(params))
        except Exception:  # a bad sequence must not lose the text after it
            return

    def _rare_token(self, m: re.Match[str], kind: int | None) -> None:
        if kind == 8:
            handler = self._controls.get(m.group(8))
            if handler is not None:
                handler()
        elif kind == 9:
            self._osc(m.group(9))
        elif kind == 12:
            self._escape(m.group(11), m.group(12))

    def _stray_escape(self, data: str, pos: int) -> int:
        """Handle an ESC that starts no complete sequence; returns where to go on."""
        m = _INCOMPLETE.match(data, pos)
        if m is None:
            return pos + 1  # malformed: drop the ESC, the rest is text
        if m.group(2) is not None:
            self._in_string = "dcs"
        elif m.group(1) is not None and len(data) - pos > _MAX_PENDING:
            self._in_string = "osc"
        else:
            self._pending = data[pos:]
        return len(data)

    def _skip_string(self, data: str) -> str:
        """Drop the rest of a swallowed string; returns what follows its terminator."""
        assert self._in_string is not None
        m = _STRING_END[self._in_string].search(data)
        if m is not None:
            self._in_string = None
            return data[m.end() :]
        if data.endswith("\x1b"):
            self._pending = "\x1b"
        return ""

    # -- drawing -----------------------------------------------------------------------------

    def draw(self, data: str) -> None:
        """Draw printable text at the cursor, wrapping and scrolling as needed."""
        if self._xlate is not None:
            data = data.translate(self._xlate)
        if data.isascii():
            self._draw_ascii(data)
            return
        for i, part in enumerate(_NON_ASCII.split(data)):
            if i % 2 == 0:
                if part:
                    self._draw_ascii(part)
            elif all(wcwidth(char) == 1 for char in part):
                self._draw_ascii(part)  # box drawing, accented text: one column each
            else:
                for char in part:
                    self._draw_wide_or_mark(char)

    def _draw_ascii(self, text: str) -> None:
        """Draw a run of one-column characters in bulk: one slice assignment per row."""
        cursor = self.cursor
        x = cursor.x
        size = len(text)
        if x + size > self.columns or mo.IRM in self.mode:
            self._draw_wrapping(text)
            return
        cells = self._cells
        if cells.attrs is not cursor.attrs:
            cells = self._cells_for(cursor.attrs)
        y = cursor.y
        row = self.buffer[y]
        row[x : x + size] = map(cells.__getitem__, text)
        row.version += 1
        self.dirty.add(y)
        cursor.x = x + size

    def _draw_wrapping(self, text: str) -> None:
        """``_draw_ascii`` for text that reaches the line end or meets insert mode."""
        cursor = self.cursor
        columns = self.columns
        cells = self._cells_for(cursor.attrs)
        pos, end = 0, len(text)
        while pos < end:
            x = cursor.x
            if x >= columns:
                if mo.DECAWM in self.mode:
                    self._wrap()
                    x = 0
                else:
                    x, pos = columns - 1, end - 1
            chunk = text[pos : pos + columns - x]
            size = len(chunk)
            row = self.buffer[cursor.y]
            if mo.IRM in self.mode:
                self._insert_blanks(row, x, size)
            row[x : x + size] = map(cells.__getitem__, chunk)
            row.version += 1
            self.dirty.add(cursor.y)
            cursor.x = x + size
            pos += size

    def _draw_wide_or_mark(self, char: str) -> None:
        """Draw one non-ASCII character: wide ones take two cells, zero-width ones attach."""
        width = wcwidth(char)
        if width <= 0:
            if width == 0:
                self._attach(char)
            return
        cursor = self.cursor
        columns = self.columns
        if cursor.x + width > columns:
            if mo.DECAWM in self.mode:
                if cursor.x < columns:  # a wide char never splits: pad the last column
                    self._put(cursor.x, self._erase_cell())
                self._wrap()
            else:
                cursor.x = columns - width
        cells = self._cells
        if cells.attrs is not cursor.attrs:
            cells = self._cells_for(cursor.attrs)
        if mo.IRM in self.mode:
            self._insert_blanks(self.buffer[cursor.y], cursor.x, width)
        self._put(cursor.x, cells[char])
        if width == 2:
            self._put(cursor.x + 1, cells[_STUB])
        cursor.x += width

    def _put(self, x: int, cell: Cell) -> None:
        row = self.buffer[self.cursor.y]
        row[x] = cell
        row.version += 1
        self.dirty.add(self.cursor.y)

    def _attach(self, mark: str) -> None:
        """Add a zero-width character (combining mark, VS16, ZWJ) to the previous cell."""
        x, y = min(self.cursor.x, self.columns) - 1, self.cursor.y
        if x < 0:
            if y == 0:
                return
            x, y = self.columns - 1, y - 1
        row = self.buffer[y]
        if row[x].data == _STUB and x > 0:
            x -= 1
        cell = row[x]
        if len(cell.data) < _MAX_CLUSTER and cell.data != _STUB:
            row[x] = cell._replace(data=cell.data + mark)
            row.version += 1
            self.dirty.add(y)

    def _wrap(self) -> None:
        self.cursor.x = 0
        self.index()

    def repeat(self, count: int = 0) -> None:
        """REP: draw the character left of the cursor ``count`` more times."""
        x = min(self.cursor.x, self.columns) - 1
        row = self.buffer[self.cursor.y]
        if x > 0 and row[x].data == _STUB:
            x -= 1
        if x >= 0 and row[x].data:
            self.draw(row[x].data * min(max(count, 1), self.columns * self.lines))

    # -- scrolling ---------------------------------------------------------------------------

    def _region(self) -> tuple[int, int]:
        margins = self.margins
        return (margins.top, margins.bottom) if margins else (0, self.lines - 1)

    def _scroll_up(self, top: int, bottom: int, count: int) -> None:
        """Move rows top..bottom up by ``count``; rows leaving the top of the screen are kept."""
        buffer = self.buffer
        if count == 1:
            row = buffer.pop(top)
            buffer.insert(bottom, self._blank_row())
            if top == 0 and not self.alternate:
                self.scrollback.append(row)
            if len(self.dirty) < self.lines:
                self.dirty.update(range(top, bottom + 1))
            return
        count = min(max(count, 1), bottom - top + 1)
        if top == 0 and not self.alternate and self.scrollback.maxlen:
            self.scrollback.extend(buffer[:count])
        del buffer[top : top + count]
        buffer[bottom + 1 - count : bottom + 1 - count] = self._blank_rows(
            count, self._erase_cell()
        )
        self._mark(top, bottom)

    def _scroll_down(self, top: int, bottom: int, count: int) -> None:
        buffer = self.buffer
        count = min(max(count, 1), bottom - top + 1)
        del buffer[bottom + 1 - count : bottom + 1]
        buffer[top:top] = self._blank_rows(count, self._erase_cell())
        self._mark(top, bottom)

    def _mark(self, top: int, bottom: int) -> None:
        if len(self.dirty) < self.lines:
            self.dirty.update(range(top, bottom + 1))

    def index(self) -> None:
        """IND/LF: move down a line, scrolling the region at its bottom margin."""
        margins = self.margins
        top, bottom = margins if margins else (0, self.lines - 1)
        y = self.cursor.y
        if y == bottom:
            self._scroll_up(top, bottom, 1)
        elif y < self.lines - 1:
            self.cursor.y = y + 1

    def reverse_index(self) -> None:
        """RI: move up a line, scrolling the region down at its top margin."""
        top, bottom = self._region()
        y = self.cursor.y
        if y == top:
            self._scroll_down(top, bottom, 1)
        elif y > 0:
            self.cursor.y = y - 1

    def scroll_up(self, count: int = 0) -> None:
        """SU: scroll the region up ``count`` lines."""
        self._scroll_up(*self._region(), count)

    def scroll_down(self, count: int = 0) -> None:
        """SD: scroll the region down ``count`` lines."""
        self._scroll_down(*self._region(), count)

    def insert_lines(self, count: int | None = None) -> None:
        """IL: insert blank lines at the cursor row, inside the scroll region."""
        top, bottom = self._region()
        if top <= self.cursor.y <= bottom:
            self._scroll_down(self.cursor.y, bottom, count or 1)
            self.cursor.x = 0

    def delete_lines(self, count: int | None = None) -> None:
        """DL: delete lines at the cursor row; blank lines enter at the bottom margin."""
        top, bottom = self._region()
        if top <= self.cursor.y <= bottom:
            buffer = self.buffer
            count = min(count or 1, bottom - self.cursor.y + 1)
            del buffer[self.cursor.y : self.cursor.y + count]
            buffer[bottom + 1 - count : bottom + 1 - count] = self._blank_rows(
                count, self._erase_cell()
            )
            self._mark(self.cursor.y, bottom)
            self.cursor.x = 0

    def set_margins(self, top: int | None = None, bottom: int | None = None) -> None:
        """DECSTBM: set the scroll region (0 or missing means the screen edge); homes the cursor."""
        top = max((top or 1) - 1, 0)
        bottom = min((bottom or self.lines) - 1, self.lines - 1)
        if bottom > top:
            self.margins = None if (top, bottom) == (0, self.lines - 1) else Margins(top, bottom)
            self.cursor_position()

    # -- erasing -----------------------------------------------------------------------------

    def _insert_blanks(self, row: Row, x: int, count: int) -> None:
        row[x:x] = [self._erase_cell()] * count
        del row[self.columns :]

    def insert_characters(self, count: int | None = None) -> None:
        """ICH: insert blanks at the cursor, shifting the rest of the line right."""
        x = min(self.cursor.x, self.columns - 1)
        self._insert_blanks(self.buffer[self.cursor.y], x, min(count or 1, self.columns - x))
        self._touch_cursor_row()

    def delete_characters(self, count: int | None = None) -> None:
        """DCH: delete characters at the cursor, shifting the rest of the line left."""
        row = self.buffer[self.cursor.y]
        x = min(self.cursor.x, self.columns - 1)
        count = min(count or 1, self.columns - x)
        del row[x : x + count]
        row.extend([self._erase_cell()] * count)
        self._touch_cursor_row()

    def erase_characters(self, count: int | None = None) -> None:
        """ECH: blank ``count`` characters from the cursor on."""
        x = min(self.cursor.x, self.columns - 1)
        count = min(count or 1, self.columns - x)
        self.buffer[self.cursor.y][x : x + count] = [self._erase_cell()] * count
        self._touch_cursor_row()

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        """EL: erase to the end (0), from the start (1) or all (2) of the cursor's line."""
        row = self.buffer[self.cursor.y]
        x = min(self.cursor.x, self.columns - 1)
        cell = self._erase_cell()
        if how == 0:
            row[x:] = [cell] * (self.columns - x)
        elif how == 1:
            row[: x + 1] = [cell] * (x + 1)
        elif how == 2:
            row[:] = [cell] * self.columns
        self._touch_cursor_row()

    def erase_in_display(self, how: int = 0, *args: object, **kwargs: object) -> None:
        """ED: erase below (0), above (1) or all (2) of the screen; 3 clears the scrollback."""
        y = self.cursor.y
        if how == 3:
            self.scrollback.clear()
            return
        rows = {0: range(y + 1, self.lines), 1: range(y), 2: range(self.lines)}.get(how)
        if rows is None:
            return
        cell = self._erase_cell()
        for index, row in zip(rows, self._blank_rows(len(rows), cell), strict=True):
            self.buffer[index] = row
        self.dirty.update(rows)
        if how in (0, 1):
            self.erase_in_line(how)

    def alignment_display(self) -> None:
        """DECALN: fill the screen with E."""
        self.buffer[:] = [Row([Cell("E")] * self.columns) for _ in range(self.lines)]
        self.dirty.update(range(self.lines))

    def _touch_cursor_row(self) -> None:
        self.buffer[self.cursor.y].version += 1
        self.dirty.add(self.cursor.y)

    # -- cursor ------------------------------------------------------------------------------

    def cursor_up(self, count: int | None = None) -> None:
        """CUU: up, stopping at the top margin when inside the region."""
        top, bottom = self._region()
        limit = top if top <= self.cursor.y <= bottom else 0
        self.cursor.y = max(self.cursor.y - (count or 1), limit)
        self.cursor.x = min(self.cursor.x, self.columns - 1)

    def cursor_down(self, count: int | None = None) -> None:
        """CUD: down, stopping at the bottom margin when inside the region."""
        top, bottom = self._region()
        limit = bottom if top <= self.cursor.y <= bottom else self.lines - 1
        self.cursor.y = min(self.cursor.y + (count or 1), limit)
        self.cursor.x = min(self.cursor.x, self.columns - 1)

    def tab(self, count: int = 1) -> None:
        """HT/CHT: move to the next tab stop (``count`` times), or the last column."""
        for _ in range(min(max(count, 1), self.columns)):
            stops = [stop for stop in self.tabstops if stop > self.cursor.x]
            self.cursor.x = min(min(stops) if stops else self.columns, self.columns - 1)

    def back_tab(self, count: int = 1) -> None:
        """CBT: move to the previous tab stop (``count`` times), or the first column."""
        for _ in range(min(max(count, 1), self.columns)):
            stops = [stop for stop in self.tabstops if stop < self.cursor.x]
            self.cursor.x = max(stops) if stops else 0

    def save_cursor(self) -> None:
        """DECSC / CSI s: remember position, attributes and charsets (one slot per screen)."""
        cursor = self.cursor
        self._saved[self.alternate] = _Saved(
            cursor.x,
            cursor.y,
            cursor.attrs,
            (self._charsets[0], self._charsets[1], self._shift),
            mo.DECOM in self.mode,
            mo.DECAWM in self.mode,
        )

    def restore_cursor(self) -> None:
        """DECRC / CSI u: go back to what ``save_cursor`` remembered (home if nothing)."""
        saved = self._saved.get(self.alternate)
        if saved is None:
            self.mode.discard(mo.DECOM)
            self.cursor.attrs = DEFAULT_ATTRS
            self.cursor_position()
            return
        self.cursor.x, self.cursor.y, self.cursor.attrs = saved.x, saved.y, saved.attrs
        self._charsets[0], self._charsets[1], self._shift = saved.charsets
        self._select_charset()
        for flag, mode in ((saved.origin, mo.DECOM), (saved.wrap, mo.DECAWM)):
            if flag:
                self.mode.add(mode)
            else:
                self.mode.discard(mode)
        self.ensure_hbounds()
        self.ensure_vbounds()

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
        if mode == 1:
            self.app_cursor = on
        elif mode in (3, 6):
            if mode == 3:
                self.margins = None
                self.erase_in_display(2)
            self.cursor_position()
        elif mode == 25:
            self.cursor.hidden = not on
        elif mode == 5:
            self.reverse_video = on
            self.dirty.update(range(self.lines))
        elif mode in (47, 1047, 1049):
            self._switch_screen(on, clear=mode != 47, save=mode == 1049)
        elif mode == 1048:
            (self.save_cursor if on else self.restore_cursor)()
        elif mode in _MOUSE_MODES:
            self.mouse_mode = mode if on else 0
        elif mode == 1006:
            self.mouse_sgr = on
        elif mode == 1004:
            self.focus_events = on
        elif mode == 2004:
            self.bracketed_paste = on
        elif mode == 2026:
            self.synchronized = on
            self.dirty.update(range(self.lines))

    def _switch_screen(self, on: bool, *, clear: bool, save: bool) -> None:
        """Enter or leave the alternate screen (47, 1047, 1049)."""
        if on and save:
            self.save_cursor()
        if on == self.alternate:
            if on and clear:
                self._alt[:] = self._blank_rows(self.lines)
                self.dirty.update(range(self.lines))
            return
        if clear and on:
            self._alt[:] = self._blank_rows(self.lines)
        if clear and not on and not save:
            self._alt[:] = self._blank_rows(self.lines)
        self.alternate = on
        self.buffer = self._alt if on else self._primary
        if save and not on:
            self.restore_cursor()
        self.dirty.update(range(self.lines))

    def _csi_variant(self, prefix: str, params: str, inter: str, final: str) -> None:
        """CSI sequences with a private prefix or intermediates; unknown ones are ignored."""
        numbers = csi_numbers(params)
        if prefix == "?" and not inter:
            if final in "hl":
                self._set_modes(numbers, True, on=final == "h")
            elif final == "J":
                self.erase_in_display(numbers[0] if numbers else 0)
            elif final == "K":
                self.erase_in_line(numbers[0] if numbers else 0)
            elif final == "n" and numbers[:1] == (6,):
                self._send(f"\x1b[?{self.cursor.y + 1};{min(self.cursor.x, self.columns - 1) + 1}R")
        elif inter == "$" and final == "p":
            self._report_mode(numbers[0] if numbers else 0, prefix == "?")
        elif prefix == ">" and final == "c":
            self._send("\x1b[>1;10;0c")
        elif not prefix and inter == " " and final == "q":
            self.cursor_shape = numbers[0] if numbers else 0
        elif not prefix and inter == "!" and final == "p":
            self._soft_reset()

    def _report_mode(self, mode: int, private: bool) -> None:
        """DECRQM: 1 set, 2 reset, 0 unknown."""
        known = {1, 5, 6, 7, 25, 47, 1000, 1002, 1003, 1004, 1006, 1047, 1049, 2004, 2026}
        key = mode << 5 if private else mode
        if (private and mode in known) or (not private and mode in (mo.IRM, mo.LNM)):
            state = 1 if key in self.mode else 2
        else:
            state = 0
        self._send(f"\x1b[{'?' if private else ''}{mode};{state}$y")

    def _soft_reset(self) -> None:
        """DECSTR: modes, margins and attributes back to defaults; the screen stays."""
        self.mode = {mo.DECAWM, mo.DECTCEM}
        self.margins = None
        self.cursor.attrs = DEFAULT_ATTRS
        self.app_cursor = self.app_keypad = False
        self._charsets, self._shift, self._xlate = [None, None], 0, None
        self._saved.pop(self.alternate, None)

    # -- everything else ---------------------------------------------------------------------

    def _sgr(self, params: str) -> None:
        attrs = self.cursor.attrs
        key = (attrs, params)
        new = self._sgr_cache.get(key)
        if new is None:
            if len(self._sgr_cache) > 4096:
                self._sgr_cache.clear()
            new = self._sgr_cache[key] = apply_sgr(attrs, params)
        self.cursor.attrs = new

    def select_graphic_rendition(self, *attrs: int, **kwargs: object) -> None:
        """SGR from integers (pyte's interface); the parser passes the raw string instead."""
        self._sgr(";".join(map(str, attrs)))

    def _escape(self, inter: str, final: str) -> None:
        if not inter:
            handler = {
                "7": self.save_cursor,
                "8": self.restore_cursor,
                "D": self.index,
                "E": self.linefeed_cr,
                "M": self.reverse_index,
                "H": self.set_tab_stop,
                "c": self.reset,
            }.get(final)
            if handler is not None:
                handler()
            elif final in "=>":
                self.app_keypad = final == "="
        elif inter == "#" and final == "8":
            self.alignment_display()
        elif inter in ("(", ")"):
            self.define_charset(final, inter)

    def linefeed_cr(self) -> None:
        """NEL: carriage return and line feed."""
        self.cursor.x = 0
        self.index()

    def _osc(self, body: str) -> None:
        code, _, text = body.partition(";")
        if code in ("0", "1"):
            self.icon_name = text[:256]
        if code in ("0", "2"):
            self.title = text[:256]

    def _send(self, text: str) -> None:
        if self.reply is not None:
            self.reply(text)

    def write_process_input(self, data: str) -> None:
        """pyte's hook for answers to the host: forwarded to ``reply``."""
        self._send(data)

    def report_device_attributes(self, mode: int = 0, **kwargs: bool) -> None:
        """DA: we are a VT220 with colour."""
        if mode == 0 and not kwargs.get("private"):
            self._send("\x1b[?62;22c")

    def report_device_status(self, mode: int = 0, **kwargs: object) -> None:
        """DSR: 5 status ("OK"), 6 cursor position."""
        if mode == 5:
            self._send("\x1b[0n")
        elif mode == 6:
            y = self.cursor.y + 1
            if mo.DECOM in self.mode and self.margins is not None:
                y -= self.margins.top
            self._send(f"\x1b[{y};{min(self.cursor.x, self.columns - 1) + 1}R")

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """Resize both screens: rows are cut or padded on the right, lines leave at the top
        (into the scrollback) only as far as needed to keep the cursor on screen."""
        lines, columns = max(lines or self.lines, 1), max(columns or self.columns, 1)
        if (lines, columns) == (self.lines, self.columns):
            return
        for buffer in (self._primary, self._alt):
            for row in buffer:
                _fit_row(row, columns)
        if columns > self.columns:
            self.tabstops.update(range((self.columns + 7) // 8 * 8, columns, 8))
        self.columns = columns
        self._fit_lines(lines)
        self.lines = lines
        self.margins = None
        self.cursor.x = min(self.cursor.x, columns)
        self.cursor.y = min(self.cursor.y, lines - 1)
        self.dirty.clear()
        self.dirty.update(range(lines))

    def _fit_lines(self, lines: int) -> None:
        """Give both screens ``lines`` rows, keeping each screen's cursor row (live or saved)."""
        for alternate, buffer in ((False, self._primary), (True, self._alt)):
            if lines > len(buffer):
                buffer.extend(self._blank_rows(lines - len(buffer)))
                continue
            saved = self._saved.get(alternate)
            live = alternate == self.alternate
            cursor_y = self.cursor.y if live else saved.y if saved else 0
            drop = max(0, cursor_y - (lines - 1))
            if live:
                self.cursor.y -= drop
            elif saved is not None:
                self._saved[alternate] = saved._replace(y=saved.y - drop)
            if not alternate:
                self.scrollback.extend(buffer[:drop])
            del buffer[:drop]
            del buffer[lines:]

    def _csi_table(self) -> dict[str, Callable[..., None]]:
        return {
            "@": self.insert_characters,
            "A": self.cursor_up,
            "B": self.cursor_down,
            "C": self.cursor_forward,
            "D": self.cursor_back,
            "E": self.cursor_down1,
            "F": self.cursor_up1,
            "G": self.cursor_to_column,
            "H": self.cursor_position,
            "I": self.tab,
            "J": self.erase_in_display,
            "K": self.erase_in_line,
            "L": self.insert_lines,
            "M": self.delete_lines,
            "P": self.delete_characters,
            "S": self.scroll_up,
            "T": self.scroll_down,
            "X": self.erase_characters,
            "Z": self.back_tab,
            "`": self.cursor_to_column,
            "a": self.cursor_forward,
            "b": self.repeat,
            "c": self.report_device_attributes,
            "d": self.cursor_to_line,
            "e": self.cursor_down,
            "f": self.cursor_position,
            "g": self.clear_tab_stop,
            "h": self.set_mode,
            "l": self.reset_mode,
            "n": self.report_device_status,
            "r": self.set_margins,
            "s": self.save_cursor,
            "u": self.restore_cursor,
        }

    def _control_table(self) -> dict[str, Callable[[], None]]:
        return {
            "\r": self.carriage_return,
            "\n": self.linefeed,
            "\x0b": self.linefeed,
            "\x0c": self.linefeed,
            "\x08": self.backspace,
            "\t": self.tab,
            "\x0e": self.shift_out,
            "\x0f": self.shift_in,
            "\x84": self.index,
            "\x85": self.linefeed_cr,
            "\x88": self.set_tab_stop,
            "\x8d": self.reverse_index,
        }


def _fit_row(row: Row, columns: int) -> None:
    """Cut or pad ``row`` to ``columns`` cells, never leaving half a wide character."""
    if len(row) > columns:
        del row[columns:]
        if row and row[-1].data and wcwidth(row[-1].data[0]) == 2:
            row[-1] = row[-1]._replace(data=" ")
    elif len(row) < columns:
        row.extend([DEFAULT_ATTRS] * (columns - len(row)))
    row.version += 1


def row_text(row: list[Cell]) -> str:
    """A row as text: wide characters once; half of a broken wide character is a space."""
    text = "".join([cell.data for cell in row])
    if text.isascii() and len(text) == len(row):
        return text
    parts: list[str] = []
    wide = False
    for x, cell in enumerate(row):
        data = cell.data
        if data == _STUB:
            if not wide:
                parts.append(" ")
            wide = False
            continue
        wide = wcwidth(data[0]) == 2
        if wide and (x + 1 >= len(row) or row[x + 1].data != _STUB):
            wide = False
            data = " "
        parts.append(data)
    return "".join(parts)
