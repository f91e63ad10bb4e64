"""Terminal cells, rows and SGR attribute parsing for the emulator."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from pyte.graphics import FG_BG_256
from pyte.screens import wcwidth

#: Names of the eight base colours, as pyte names them ("brown" is yellow).
BASE_COLORS = ("black", "red", "green", "brown", "blue", "magenta", "cyan", "white")
#: Colour name -> ANSI index 0-15, for the renderer (pyte's own spellings included).
COLOR_INDEX: dict[str, int] = {name: i for i, name in enumerate(BASE_COLORS)}
COLOR_INDEX.update({"bright" + name: i + 8 for i, name in enumerate(BASE_COLORS)})
COLOR_INDEX.update({"yellow": 3, "brightyellow": 11, "bfightmagenta": 13})

# Field positions in a Cell, for building attribute lists quickly.
_FG, _BG, _BOLD, _ITALICS, _UNDERSCORE, _STRIKE, _REVERSE, _BLINK, _DIM = range(1, 10)
# SGR codes that set a boolean attribute: code -> (field, value) pairs.
_FLAGS: dict[int, tuple[tuple[int, bool], ...]] = {
    1: ((_BOLD, True),),
    2: ((_DIM, True),),
    3: ((_ITALICS, True),),
    4: ((_UNDERSCORE, True),),
    5: ((_BLINK, True),),
    6: ((_BLINK, True),),
    7: ((_REVERSE, True),),
    9: ((_STRIKE, True),),
    21: ((_UNDERSCORE, True),),
    22: ((_BOLD, False), (_DIM, False)),
    23: ((_ITALICS, False),),
    24: ((_UNDERSCORE, False),),
    25: ((_BLINK, False),),
    27: ((_REVERSE, False),),
    29: ((_STRIKE, False),),
}


class Cell(NamedTuple):
    """One character cell: its text and attributes (pyte's ``Char`` fields plus ``dim``).

    ``data`` is one character, a character with zero-width marks attached, or ``""`` for the
    right half of a wide character.
    """

    data: str
    fg: str = "default"
    bg: str = "default"
    bold: bool = False
    italics: bool = False
    underscore: bool = False
    strikethrough: bool = False
    reverse: bool = False
    blink: bool = False
    dim: bool = False


#: Attributes in effect after ``SGR 0``.
DEFAULT_ATTRS = Cell(" ")
#: ``data`` of the cell right of a wide character.
STUB = ""


class Row(list[Cell]):
    """One line of cells (``columns`` of them on screen; scrollback lines keep the width they
    had); ``version`` grows on every change, so a renderer can cache by it."""

    version = 0  # bumped in place (row.version += 1) by every edit: the hot path


_new_cell = tuple.__new__  # skips NamedTuple's keyword handling: cells are made often


class CellCache(dict[str, Cell]):
    """Cells for one attribute set, keyed by text, built on first use."""

    def __init__(self, attrs: Cell) -> None:
        super().__init__()
        self.attrs = attrs
        self._rest = tuple(attrs)[1:]

    def __missing__(self, data: str) -> Cell:
        cell = self[data] = _new_cell(Cell, (data, *self._rest))
        return cell


def indexed_color(index: int) -> str:
    """Colour string for a 256-colour index: base names for 0-15 (themeable), else hex."""
    if index < 8:
        return BASE_COLORS[index]
    if index < 16:
        return "bright" + BASE_COLORS[index - 8]
    return FG_BG_256[min(index, 255)]


def _number(text: str) -> int:
    return min(int(text), 9999) if text.isdigit() else 0


@lru_cache(maxsize=4096)
def csi_numbers(params: str) -> tuple[int, ...]:
    """CSI parameters as integers (empty or malformed ones are 0; sub-parameters dropped)."""
    if not params:
        return ()
    return tuple(_number(part.partition(":")[0]) for part in params.split(";"))


def _extended_color(parts: list[str]) -> tuple[str | None, int]:
    """Parse the colour after 38/48/58 from semicolon parts; returns (colour, parts used)."""
    kind = _number(parts[0]) if parts else -1
    if kind == 5 and len(parts) >= 2:
        return indexed_color(_number(parts[1])), 2
    if kind == 2 and len(parts) >= 4:
        red, green, blue = (min(_number(p), 255) for p in parts[1:4])
        return f"{red:02x}{green:02x}{blue:02x}", 4
    return None, len(parts)


def _colon_color(sub: list[str]) -> str | None:
    """Parse ``38:5:n``, ``38:2::r:g:b`` or ``38:2:r:g:b`` (``sub`` excludes the 38)."""
    if sub and sub[0] == "2" and len(sub) >= 5:
        sub = ["2", *sub[2:5]]  # drop the colour-space id
    return _extended_color(sub)[0]


def _apply_code(fields: list[Any], code: int) -> None:
    if code == 0:
        fields[:] = DEFAULT_ATTRS
    elif code in _FLAGS:
        for index, value in _FLAGS[code]:
            fields[index] = value
    elif 30 <= code <= 37:
        fields[_FG] = BASE_COLORS[code - 30]
    elif 40 <= code <= 47:
        fields[_BG] = BASE_COLORS[code - 40]
    elif 90 <= code <= 97:
        fields[_FG] = "bright" + BASE_COLORS[code - 90]
    elif 100 <= code <= 107:
        fields[_BG] = "bright" + BASE_COLORS[code - 100]
    elif code == 39:
        fields[_FG] = "default"
    elif code == 49:
        fields[_BG] = "default"


def _apply_colon(fields: list[Any], part: str) -> None:
    code, *sub = part.split(":")
    if code in ("38", "48"):
        color = _colon_color(sub)
        if color is not None:
            fields[_FG if code == "38" else _BG] = color
    elif code == "4":
        fields[_UNDERSCORE] = not sub or _number(sub[0]) != 0
    elif code.isdigit() and code != "58":
        _apply_code(fields, _number(code))


def apply_sgr(attrs: Cell, params: str) -> Cell:
    """Return ``attrs`` changed by the SGR parameter string ``params`` (``"1;38;5;208"``)."""
    if params in ("", "0"):
        return DEFAULT_ATTRS
    fields: list[Any] = list(attrs)
    parts = params.split(";")
    i = 0
    while i < len(parts):
        part = parts[i]
        i += 1
        if ":" in part:
            _apply_colon(fields, part)
            continue
        code = _number(part)
        if code in (38, 48, 58):
            color, used = _extended_color(parts[i:])
            i += used
            if color is not None and code != 58:  # 58 is the underline colour: not kept
                fields[_FG if code == 38 else _BG] = color
        else:
            _apply_code(fields, code)
    fields[0] = " "
    return _new_cell(Cell, fields)


def fit_row(row: Row, columns: int) -> None:
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
        if data == STUB:
            if not wide:
                parts.append(" ")
            wide = False
            continue
        wide = wcwidth(data[0]) == 2
        if wide and (x + 1 >= len(row) or row[x + 1].data != STUB):
            wide = False
            data = " "
        parts.append(data)
    return "".join(parts)
