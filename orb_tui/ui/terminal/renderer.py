"""StripRenderer: terminal rows to cached Textual Strips of run-length Segments."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from pyte.screens import wcwidth
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.color import Color as TextualColor
from textual.strip import Strip

from orb_tui.ui.terminal.cells import COLOR_INDEX, DEFAULT_ATTRS, STUB, Cell, Row

if TYPE_CHECKING:
    from orb_tui.ui.terminal.emulator import TerminalScreen

__all__ = ["StripRenderer"]

StyleKey = tuple[str, str, bool, bool, bool, bool, bool, bool, bool]
_ATTRS = itemgetter(1, 2, 3, 4, 5, 6, 7, 8, 9)  # every Cell field but data
_DATA = attrgetter("data")
_CACHE_ROWS = 512  # rows kept rendered: a screen or two plus some scrollback


class StripRenderer:
    """Render ``TerminalScreen`` rows as Strips, one cached Strip per row version.

    Args:
        ansi_colors: the 16 base colours (theme's ANSI palette); ``None`` keeps them as ANSI
            colours, so the host terminal's own palette applies. 256-colour and truecolor
            cells pass through as RGB.
    """

    def __init__(self, ansi_colors: Sequence[Color | TextualColor] | None = None) -> None:
        self._palette = _palette(ansi_colors)
        self._styles: dict[tuple[StyleKey, bool], Style] = {}
        # id(row) -> (row, (version, columns, reverse video), strip); the row is kept so that
        # an id reused by a new row after the old one died can never match.
        self._rows: OrderedDict[int, tuple[Row, tuple[int, int, bool], Strip]] = OrderedDict()

    def invalidate(self) -> None:
        """Forget every cached Strip and Style (after a theme or palette change)."""
        self._styles.clear()
        self._rows.clear()

    def set_palette(self, ansi_colors: Sequence[Color | TextualColor] | None) -> None:
        """Use other base colours from now on."""
        self._palette = _palette(ansi_colors)
        self.invalidate()

    def render_row(
        self,
        screen: TerminalScreen,
        y: int,
        *,
        scroll_offset: int = 0,
        cursor: bool = True,
        selection: tuple[int, int] | None = None,
    ) -> Strip:
        """The Strip for display line ``y``.

        Args:
            screen: the emulator.
            y: display line, 0 at the top of the view.
            scroll_offset: how many lines the view is scrolled back into the scrollback.
            cursor: draw the cursor (reversed cell) if it is on this line and visible.
            selection: columns ``[start, end)`` of this line to show selected (reversed).
        """
        columns = screen.columns
        row = screen.row_at(y, scroll_offset)
        if row is None:
            return Strip.blank(columns)
        overlay = set(range(*selection)) if selection else set()
        if cursor and not screen.cursor_hidden and y - scroll_offset == screen.cursor.y:
            overlay ^= {min(screen.cursor.x, columns - 1)}
        if overlay:  # the cursor and selected rows change often: not worth caching
            return self._build(_overlay(row, columns, overlay), columns, screen.reverse_video)
        return self._cached(row, columns, screen.reverse_video)

    def _cached(self, row: Row, columns: int, reverse: bool) -> Strip:
        """The row's Strip from the cache, if the row has not changed since it was built."""
        key = id(row)
        stamp = (row.version, columns, reverse)
        cached = self._rows.get(key)
        if cached is not None and cached[0] is row and cached[1] == stamp:
            self._rows.move_to_end(key)
            return cached[2]
        strip = self._build(row, columns, reverse)
        self._rows[key] = (row, stamp, strip)
        if len(self._rows) > _CACHE_ROWS:
            self._rows.popitem(last=False)
        return strip

    def _build(self, cells: list[Cell], columns: int, reverse: bool) -> Strip:
        """Run-length segments for one row of cells."""
        if len(cells) != columns:
            cells = (cells + [DEFAULT_ATTRS] * columns)[:columns]
        text = "".join(map(_DATA, cells))
        simple = text.isascii() and len(text) == columns
        if not simple:
            cells = _mend_wide(cells)
        styles = self._styles
        segments = []
        for attrs, group in groupby(cells, _ATTRS):
            style = styles.get((attrs, reverse))
            if style is None:
                style = styles[(attrs, reverse)] = self._style(attrs, reverse)
            segments.append(Segment("".join(map(_DATA, group)), style))
        if simple:
            return Strip(segments, columns)
        strip = Strip(segments)
        return strip if strip.cell_length == columns else strip.adjust_cell_length(columns)

    def _style(self, attrs: StyleKey, reverse_video: bool) -> Style:
        fg, bg, bold, italics, underscore, strike, reverse, blink, dim = attrs
        return Style(
            color=self._color(fg),
            bgcolor=self._color(bg),
            bold=bold or None,
            dim=dim or None,
            italic=italics or None,
            underline=underscore or None,
            strike=strike or None,
            blink=blink or None,
            reverse=(reverse != reverse_video) or None,
        )

    def _color(self, name: str) -> Color | None:
        if name == "default":
            return None
        index = COLOR_INDEX.get(name)
        if index is not None:
            return self._palette[index]
        try:
            return Color.from_rgb(int(name[0:2], 16), int(name[2:4], 16), int(name[4:6], 16))
        except ValueError:
            return None


def _palette(colors: Sequence[Color | TextualColor] | None) -> list[Color]:
    palette = [Color.from_ansi(index) for index in range(16)]
    for index, color in enumerate(list(colors or ())[:16]):
        palette[index] = color.rich_color if isinstance(color, TextualColor) else color
    return palette


def _overlay(row: list[Cell], columns: int, reversed_columns: set[int]) -> list[Cell]:
    """A copy of ``row`` with the given columns' reverse attribute flipped."""
    cells = (row + [DEFAULT_ATTRS] * columns)[:columns]
    for x in reversed_columns:
        if 0 <= x < columns:
            cells[x] = cells[x]._replace(reverse=not cells[x].reverse)
    return cells


def _mend_wide(cells: list[Cell]) -> list[Cell]:
    """Blank the halves of broken wide characters (overwritten partly), keeping the width."""
    mended = list(cells)
    last = len(cells) - 1
    for x, cell in enumerate(cells):
        data = cell.data
        if data == STUB:
            if x == 0 or not _is_wide(cells[x - 1].data):
                mended[x] = cell._replace(data=" ")
        elif _is_wide(data) and (x == last or cells[x + 1].data != STUB):
            mended[x] = cell._replace(data=" ")
    return mended


def _is_wide(data: str) -> bool:
    return data >= "\u1100" and wcwidth(data[0]) == 2
