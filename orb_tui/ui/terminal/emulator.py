"""TerminalScreen: a fast pyte Screen with the xterm features programs expect."""

from __future__ import annotations

import re

from pyte import modes as mo
from pyte.screens import Margins, wcwidth

from orb_tui.ui.terminal.cells import STUB, Cell, Row, fit_row, row_text
from orb_tui.ui.terminal.parser import Parser
from orb_tui.ui.terminal.state import ScreenState

__all__ = ["Cell", "Row", "TerminalScreen", "row_text"]

_NON_ASCII = re.compile(r"([^\x00-\x7f]+)")
_MAX_CLUSTER = 16  # zero-width characters kept on one cell, at most


class TerminalScreen(ScreenState):
    """The emulator: a pyte ``Screen`` with a fast parser, an alternate screen and a scrollback.

    ``feed()`` takes decoded text and never raises. Runs of text are drawn a row slice at a time
    from cached cells; rows are lists, so scrolling moves references, and each row carries a
    version the renderer caches by.
    """

    def __init__(self, columns: int, lines: int, *, scrollback: int = 5000) -> None:
        super().__init__(columns, lines, scrollback=scrollback)
        self._parser = Parser(self)

    def feed(self, data: str) -> None:
        """Parse and apply ``data`` (decoded text). Never raises; a bad sequence is skipped."""
        self._parser.feed(data)

    # -- drawing -----------------------------------------------------------------------------

    def draw(self, data: str) -> None:
        """Draw printable text at the cursor, wrapping and scrolling as needed."""
        if self._xlate is not None:
            data = data.translate(self._xlate)
        self._last_char = data[-1]
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
        if x + size >= self.columns or mo.IRM in self.mode:
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
        """``_draw_ascii`` for text that reaches the line end or meets insert mode.

        With autowrap the cursor then waits past the last column (x == columns) until more
        text wraps it; without, it stays on the last column and each further character
        overwrites that one.
        """
        cursor = self.cursor
        columns = self.columns
        cells = self._cells_for(cursor.attrs)
        wrap = mo.DECAWM in self.mode
        if not wrap and cursor.x >= columns:
            return  # autowrap went off while waiting to wrap: nowhere to draw (tmux)
        if not wrap and cursor.x + len(text) > columns:
            text = text[: max(columns - 1 - cursor.x, 0)] + text[-1]
        pos, end = 0, len(text)
        while pos < end:
            x = cursor.x
            if x >= columns:
                if wrap:
                    self._wrap()
                x = 0 if wrap else columns - 1
            chunk = text[pos : pos + columns - x]
            size = len(chunk)
            row = self.buffer[cursor.y]
            if mo.IRM in self.mode:
                self._insert_blanks(row, x, size)
            row[x : x + size] = map(cells.__getitem__, chunk)
            row.version += 1
            self.dirty.add(cursor.y)
            cursor.x = x + size if wrap else min(x + size, columns - 1)
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
            if mo.DECAWM not in self.mode:
                return  # it does not fit and may not wrap: dropped, as tmux does
            if cursor.x < columns:  # a wide char never splits: pad the last column
                self._put(cursor.x, self._erase_cell())
            self._wrap()
        cells = self._cells
        if cells.attrs is not cursor.attrs:
            cells = self._cells_for(cursor.attrs)
        if mo.IRM in self.mode:
            self._insert_blanks(self.buffer[cursor.y], cursor.x, width)
        self._put(cursor.x, cells[char])
        if width == 2:
            self._put(cursor.x + 1, cells[STUB])
        cursor.x += width
        if cursor.x == columns and mo.DECAWM not in self.mode:
            cursor.x = columns - 1

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
        if row[x].data == STUB and x > 0:
            x -= 1
        cell = row[x]
        if len(cell.data) < _MAX_CLUSTER and cell.data != STUB:
            row[x] = cell._replace(data=cell.data + mark)
            row.version += 1
            self.dirty.add(y)

    def _wrap(self) -> None:
        self.cursor.x = 0
        self.index()

    def repeat(self, count: int = 0) -> None:
        """REP: draw the last printed character ``count`` more times, up to the line end
        (as tmux does; programs repeat runs within a line)."""
        char = self._last_char
        if char and wcwidth(char) > 0:
            room = (self.columns - self.cursor.x) // wcwidth(char)
            if room > 0:
                self.draw(char * min(max(count, 1), room))

    # -- scrolling ---------------------------------------------------------------------------

    def _scroll_up(self, top: int, bottom: int, count: int, *, keep: bool = False) -> None:
        """Move rows top..bottom up by ``count``; ``keep`` puts the rows leaving into the
        scrollback (only lines leaving the top of the primary screen belong there)."""
        buffer = self.buffer
        count = min(max(count, 1), bottom - top + 1)
        scrollback = self.scrollback
        if count == 1 and keep and top == 0 and not self.alternate:
            # the common case of a stream: the line the full scrollback forgets becomes the new
            # blank line. A fresh row per line left thousands of young rows for each of Python's
            # garbage collections to walk, and frames paid for most of them.
            full = len(scrollback) == scrollback.maxlen
            old = scrollback[0] if full and scrollback else None
            scrollback.append(buffer.pop(0))
            if old is None:
                buffer.insert(bottom, self._blank_row())
            else:
                old[:] = self._blank_template()
                old.version += 1
                buffer.insert(bottom, old)
            self._mark(top, bottom)
            return
        if keep and top == 0 and not self.alternate:
            scrollback.extend(buffer[:count])
        if count == 1:  # one line up inside a region, or on the alternate screen
            del buffer[top]
            buffer.insert(bottom, self._blank_row())
        else:
            del buffer[top : top + count]
            blank = self._blank_rows(count, self._erase_cell())
            buffer[bottom + 1 - count : bottom + 1 - count] = blank
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
            self._scroll_up(top, bottom, 1, keep=True)
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
        self._scroll_up(*self._region(), count, keep=True)

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
            self._scroll_up(self.cursor.y, bottom, count or 1)
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
        """ICH: insert blanks at the cursor, shifting the rest of the line right.

        Like DCH, ECH and EL 0, it does nothing while the cursor waits past the last column
        (tmux's rule; xterm would act on the last column)."""
        x = self.cursor.x
        if x >= self.columns:
            return
        self._insert_blanks(self.buffer[self.cursor.y], x, min(count or 1, self.columns - x))
        self._touch_cursor_row()

    def delete_characters(self, count: int | None = None) -> None:
        """DCH: delete characters at the cursor, shifting the rest of the line left."""
        row = self.buffer[self.cursor.y]
        x = self.cursor.x
        if x >= self.columns:
            return
        count = min(count or 1, self.columns - x)
        del row[x : x + count]
        row.extend([self._erase_cell()] * count)
        self._touch_cursor_row()

    def erase_characters(self, count: int | None = None) -> None:
        """ECH: blank ``count`` characters from the cursor on."""
        x = self.cursor.x
        if x >= self.columns:
            return
        count = min(count or 1, self.columns - x)
        self.buffer[self.cursor.y][x : x + count] = [self._erase_cell()] * count
        self._touch_cursor_row()

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        """EL: erase to the end (0), from the start (1) or all (2) of the cursor's line."""
        row = self.buffer[self.cursor.y]
        x = self.cursor.x  # may be past the last column: then EL 0 erases nothing
        cell = self._erase_cell()
        if how == 0:
            row[x:] = [cell] * (self.columns - x)
        elif how == 1:
            end = min(x, self.columns - 1) + 1
            row[:end] = [cell] * end
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
        """DECALN: fill the screen with E, reset the margins, home the cursor."""
        self.buffer[:] = [Row([Cell("E")] * self.columns) for _ in range(self.lines)]
        self.dirty.update(range(self.lines))
        self.margins = None
        self.cursor.x = self.cursor.y = 0

    def _touch_cursor_row(self) -> None:
        self.buffer[self.cursor.y].version += 1
        self.dirty.add(self.cursor.y)

    def next_line(self) -> None:
        """NEL (and CR LF): carriage return and line feed."""
        self.cursor.x = 0
        self.index()

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """Resize both screens: rows are cut or padded on the right, lines leave at the top
        (into the scrollback) only as far as needed to keep the cursor on screen."""
        lines, columns = max(lines or self.lines, 1), max(columns or self.columns, 1)
        if (lines, columns) == (self.lines, self.columns):
            return
        for buffer in (self._primary, self._alt):
            for row in buffer:
                fit_row(row, columns)
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
        """Give both screens ``lines`` rows, keeping the cursor row of each: the live cursor,
        or for the primary screen behind the alternate one, the cursor 1049 saved."""
        for alternate, buffer in ((False, self._primary), (True, self._alt)):
            if lines > len(buffer):
                buffer.extend(self._blank_rows(lines - len(buffer)))
                continue
            live = alternate == self.alternate
            saved = None if live or alternate else self._saved_by_1049
            cursor_y = self.cursor.y if live else saved.y if saved else 0
            drop = max(0, cursor_y - (lines - 1))
            if live:
                self.cursor.y -= drop
            elif saved is not None:
                self._saved_by_1049 = saved._replace(y=saved.y - drop)
            if not alternate:
                self.scrollback.extend(buffer[:drop])
            del buffer[:drop]
            del buffer[lines:]
