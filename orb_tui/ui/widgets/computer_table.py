"""The computers table: updated by diff (never cleared and refilled), filtered and sorted."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellKey, ColumnKey, RowKey

from orb_tui.api.models import Computer

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("id", "ID"),
    ("status", "Status"),
    ("agents", "Agents"),
    ("size", "Runtime/Disk"),
    ("age", "Age"),
)
COLUMN_KEYS = tuple(key for key, _ in COLUMNS)
STATUS_STYLES = {"ready": "green", "running": "green", "error": "red", "failed": "red"}

RowValues = tuple[str, ...]
K = TypeVar("K", bound=Hashable)
ADD_BUDGET = 0.04
"""Seconds of adding rows between two paints, so a key is handled soon even during a big fill."""


FOREVER = datetime.max.replace(tzinfo=timezone.utc)


def format_age(created: datetime | None, now: datetime) -> str:
    """A coarse age ("<1m", "12m", "3h", "5d"), so a poll rarely changes the cell."""
    return _age(created, now)[0]


def _age(created: datetime | None, now: datetime) -> tuple[str, datetime]:
    """The age text of `format_age` and the moment it next changes."""
    if created is None:
        return "-", FOREVER
    seconds = max(0, int((now - created).total_seconds()))
    if seconds < 60:
        return "<1m", created + timedelta(seconds=60)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            count = seconds // size
            return f"{count}{unit}", created + timedelta(seconds=(count + 1) * size)
    raise AssertionError("unreachable")  # pragma: no cover


def row_values(computer: Computer, now: datetime) -> RowValues:
    """The plain text of each column for `computer`."""
    return _row(computer, now)[0]


def _row(computer: Computer, now: datetime) -> tuple[RowValues, datetime]:
    age, changes = _age(computer.created_at, now)
    values = (
        computer.name,
        computer.short_id,
        computer.status,
        str(computer.agent_count),
        f"{computer.runtime_mb}/{computer.disk_mb} MB",
        age,
    )
    return values, changes


@dataclass(frozen=True)
class TableData:
    """The computers by id and each one's cell text: what the table shows.

    `fresh_until` is the moment the first age cell changes; until then the rows of unchanged
    computers can be reused as they are.
    """

    computers: Mapping[str, Computer]
    rows: Mapping[str, RowValues]
    fresh_until: datetime = FOREVER


def table_data(computers: Iterable[Computer], previous: TableData | None = None) -> TableData:
    """The table's data for `computers` (pure: safe to compute on any thread).

    With `previous`, a computer that is the very object `previous` held keeps its row (the same
    tuple, so the table's diff skips it by identity) while no age in it has changed.
    """
    now = datetime.now(timezone.utc)
    by_id = {c.id: c for c in computers}
    old_rows: Mapping[str, RowValues] = {}
    old_computers: Mapping[str, Computer] = {}
    fresh_until = FOREVER
    if previous is not None:
        old_rows = previous.rows
        if now < previous.fresh_until:
            if by_id == previous.computers:  # identical objects: one C-level pass
                return previous
            old_computers, fresh_until = previous.computers, previous.fresh_until
    rows: dict[str, RowValues] = {}
    for cid, computer in by_id.items():
        if old_computers.get(cid) is computer:
            rows[cid] = old_rows[cid]
            continue
        values, changes = _row(computer, now)
        old = old_rows.get(cid)
        rows[cid] = old if old is not None and old == values else values
        fresh_until = min(fresh_until, changes)
    return TableData(by_id, rows, fresh_until)


@lru_cache(maxsize=64)
def _status_text(value: str) -> Text:
    # one Text per status, shared by every row: 10,000 rows hold a handful of objects, not
    # 20,000 (the table never changes a cell's Text in place)
    return Text(value, style=STATUS_STYLES.get(value, "yellow"))


def render_cell(column: str, value: str) -> str | Text:
    """A cell for the table: the status column is coloured."""
    if column == "status":
        return _status_text(value)
    if "[" in value:  # the table reads a plain string as markup: show it as it is
        return Text(value)
    return value


def settle_heap() -> None:
    """Collect garbage once, then exempt every object alive now from later full collections.

    A full collection walks every tracked object: with 10,000 rows that is over 200,000 and
    holds the UI for 100-300 ms. Rows, like imported modules, live long and rarely form cycles
    once made, so after a big fill they are taken out of those passes (`gc.freeze`).
    """
    gc.collect()
    gc.freeze()


class ComputerTable(DataTable[str | Text]):
    """Every computer of the org, one row each, keyed by computer id."""

    BINDINGS = [  # noqa: RUF012 - Textual reads BINDINGS as a class variable
        Binding("o", "cycle_sort", "Sort", id="sort-computers"),
    ]

    @dataclass
    class Selected(Message):
        """The highlighted computer changed (None when the table is empty)."""

        computer: Computer | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._computers: Mapping[str, Computer] = {}
        self._values: Mapping[str, RowValues] = {}
        self._shown: Mapping[str, RowValues] = {}
        self._filter = ""
        self._sort_column = 0
        self._sort_reverse = False
        self._selected_id: str | None = None
        self._pending: set[str] = set()
        self._fill_in_order = False
        self._big_fill = False
        self._settled = False
        self._last: TableData | None = None

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def on_unmount(self) -> None:
        if self._settled:  # hand what `settle_heap` froze back to the collector
            gc.unfreeze()

    @property
    def selected(self) -> Computer | None:
        """The highlighted computer, if any."""
        return None if self._selected_id is None else self._computers.get(self._selected_id)

    @property
    def computers(self) -> list[Computer]:
        """Every computer of the last poll (filtered or not)."""
        return list(self._computers.values())

    @property
    def shown_ids(self) -> list[str]:
        """Ids of the rows on screen, in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    def apply(self, computers: Iterable[Computer] | TableData) -> None:
        """Show `computers`: remove gone rows, add new ones, update only the cells that changed.

        Pass a `TableData` (see `table_data`) to have the per-row work done off the UI thread.
        """
        if not isinstance(computers, TableData):
            computers = table_data(computers, self._last)
        data = self._last = computers
        self._computers = data.computers
        self._values = data.rows
        self._sync()

    def set_filter(self, text: str) -> None:
        """Show only computers whose name, id or status contains `text` (case-insensitive)."""
        self._filter = text.strip().lower()
        self._sync()

    def _matches(self, computer: Computer) -> bool:
        hay = f"{computer.name} {computer.id} {computer.status}".lower()
        return self._filter in hay

    def _wanted(self) -> Mapping[str, RowValues]:
        if not self._filter:
            return self._values
        computers = self._computers
        return {cid: v for cid, v in self._values.items() if self._matches(computers[cid])}

    def _sync(self) -> None:
        want, shown = self._wanted(), self._shown
        if want != shown:  # one C-level comparison when nothing changed
            self._shown = self._patch(want, shown)
        self._announce()

    def _patch(
        self, want: Mapping[str, RowValues], shown: Mapping[str, RowValues]
    ) -> Mapping[str, RowValues]:
        """Bring the rows from `shown` towards `want`; returns what is on screen afterwards."""
        # set operations on dict views run in C: cheap even for 10,000 rows; unchanged rows are
        # the same tuple objects (see `table_data`), so the identity test skips them
        added = want.keys() - shown.keys()
        changed = [
            key
            for key, values in want.items()
            if (old := shown.get(key)) is not None and old is not values and old != values
        ]
        self._remove_rows(shown.keys() - want.keys())
        index = self._sort_column
        self._update_rows([(key, shown[key], want[key]) for key in changed])
        moved = any(shown[key][index] != want[key][index] for key in changed) and not all(
            self._in_order(key, want) for key in changed
        )
        if not added:
            if moved:  # a sorted-by cell changed: the row may belong elsewhere now
                self._resort()
            return want
        # a continuation of a big fill adds the rest of one sorted list: still in order if the
        # fill began on an empty table
        continuing = added == self._pending and not changed and len(shown) + len(added) == len(want)
        if not continuing:
            self._fill_in_order = not shown
        in_order = self._fill_in_order
        order = sorted(added, key=lambda k: _sort_key(want[k][index]), reverse=self._sort_reverse)
        done = self._add_rows(order, want)
        self._pending = set(order[done:])
        if not self._pending:
            if moved or not in_order:  # new rows went to the end: put them in their place
                self._resort()
            if self._big_fill:  # its rows are here to stay
                self._big_fill = False
                self._settled = True
                settle_heap()
            return want
        # thousands of new rows: add the rest after the next paint, so keys stay responsive
        self._big_fill = True
        self.call_after_refresh(self._sync)
        return {key: values for key, values in want.items() if key not in self._pending}

    def _add_rows(self, order: list[str], want: Mapping[str, RowValues]) -> int:
        """Add rows in `order` for at most ADD_BUDGET seconds (at least 100); returns how many."""
        deadline = time.perf_counter() + ADD_BUDGET
        widths = [0] * len(COLUMN_KEYS)
        added: list[RowKey] = []
        done = 0
        for done, key in enumerate(order):
            if done >= 100 and done % 50 == 0 and time.perf_counter() > deadline:
                break
            values = want[key]
            cells = [render_cell(c, v) for c, v in zip(COLUMN_KEYS, values, strict=True)]
            added.append(self.add_row(*cells, key=key))
            widths = [max(w, cell_len(v)) for w, v in zip(widths, values, strict=True)]
        else:
            done = len(order)
        self._measured(added, widths)
        return done

    def _measured(self, added: list[RowKey], widths: list[int]) -> None:
        """Widen the columns for `added` rows, whose widest cells are `widths`.

        The table would measure every new cell through Rich when next idle (~50 µs a cell: over a
        second for a few thousand rows, in one go). Our cells are plain text whose width is
        known, so the rows are taken off that list.
        """
        for column, width in zip(self.ordered_columns, widths, strict=True):
            column.content_width = max(column.content_width, width)
        self._new_rows.difference_update(added)

    def _remove_rows(self, keys: Iterable[str]) -> None:
        """Remove the rows `keys` in one pass.

        `DataTable.remove_row` renumbers every other row each time: removing thousands (a filter,
        a big delete) one by one took minutes at 10,000 rows.
        """
        doomed = {RowKey(key) for key in keys}
        if not doomed:
            return
        locations = self._row_locations
        kept = sorted(
            (key for key in locations if key not in doomed), key=lambda key: locations.get(key) or 0
        )
        self._row_locations = TwoWayDict({key: index for index, key in enumerate(kept)})
        for row_key in doomed:
            if self._updated_cells:
                for column_key in self._data[row_key]:
                    self._updated_cells.discard(CellKey(row_key, column_key))
            del self.rows[row_key]
            del self._data[row_key]
        self._require_update_dimensions = True
        self.check_idle()
        self.cursor_coordinate = self.cursor_coordinate
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        self.refresh(layout=True)

    def _in_order(self, key: str, values: Mapping[str, RowValues]) -> bool:
        """Whether row `key` still sorts between its neighbours (so no re-sort is needed)."""
        index, row = self._sort_column, self.get_row_index(key)
        mine = _sort_key(values[key][index])
        for other_row, before in ((row - 1, True), (row + 1, False)):
            if not 0 <= other_row < self.row_count:
                continue
            other_key = str(self.coordinate_to_cell_key(Coordinate(other_row, 0)).row_key.value)
            if other_key not in values:
                return False
            other = _sort_key(values[other_key][index])
            if (other > mine if before else other < mine) != self._sort_reverse and other != mine:
                return False
        return True

    def _update_rows(self, changes: list[tuple[str, RowValues, RowValues]]) -> None:
        """Write the cells that changed, repainting only their rows.

        `DataTable.update_cell` bumps the table-wide cache key, so one changed cell re-renders
        every visible row (and re-indexes all rows). Cells that still fit their column are
        written in place instead, and only their rows' cached renders are dropped; a wider one
        goes through `update_cell` so the column grows.
        """
        quiet: set[RowKey] = set()
        for key, old, new in changes:
            row_key = RowKey(key)
            cells = self._data[row_key]
            for column, before, after in zip(COLUMN_KEYS, old, new, strict=True):
                if before == after:
                    continue
                column_key = ColumnKey(column)
                cell = render_cell(column, after)
                if cell_len(after) > self.columns[column_key].content_width:
                    self.update_cell(row_key, column_key, cell, update_width=True)
                else:
                    cells[column_key] = cell
                    quiet.add(row_key)
        if quiet:
            self._forget_rows(quiet)

    def _forget_rows(self, row_keys: set[RowKey]) -> None:
        """Drop the cached renders of `row_keys` (see `_update_rows`) and repaint those rows."""
        indexes = {self._row_locations.get(key) for key in row_keys}
        _discard(self._row_render_cache, lambda key: key[0] in row_keys)
        _discard(self._cell_render_cache, lambda key: key[0] in row_keys)
        _discard(self._row_renderable_cache, lambda key: key[1] in indexes)
        _discard(self._line_cache, lambda key: self._line_row(key[0]) in row_keys)
        # every row is one line high: row i is on screen when it is within the window; the other
        # lines repaint from the line cache (`refresh_row` would sum the heights of all rows above)
        top = self.scroll_offset.y
        if any(index is not None and top <= index <= top + self.size.height for index in indexes):
            self.refresh()

    def _line_row(self, y: int) -> RowKey | None:
        try:
            return self._get_offsets(y)[0]
        except LookupError:
            return None

    def _resort(self) -> None:
        keep = self._selected_id
        self.sort(COLUMN_KEYS[self._sort_column], key=_sort_key, reverse=self._sort_reverse)
        if keep is not None and keep in self._shown:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def action_cycle_sort(self) -> None:
        """Sort by the next column (after the last, the first again in reverse)."""
        self._sort_column = (self._sort_column + 1) % len(COLUMNS)
        if self._sort_column == 0:
            self._sort_reverse = not self._sort_reverse
        self._resort()
        self.notify(f"sorted by {COLUMNS[self._sort_column][1].lower()}", timeout=2)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        index = COLUMN_KEYS.index(str(event.column_key.value))
        self._sort_reverse = not self._sort_reverse if index == self._sort_column else False
        self._sort_column = index
        self._resort()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._announce()

    def _announce(self) -> None:
        current = self._key_at_cursor()
        if current != self._selected_id:
            self._selected_id = current
            self.post_message(self.Selected(self.selected))

    def _key_at_cursor(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            key: RowKey = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return None if key.value is None else str(key.value)


def _discard(cache: LRUCache[K, Any], doomed: Callable[[K], bool]) -> None:
    keys = cache.keys()
    for key in [key for key in keys if doomed(key)]:
        cache.discard(key)


def _sort_key(cell: object) -> tuple[int, str]:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    digits = text.split("/")[0].rstrip("smhd MB")
    if digits.isdigit():
        return (int(digits) * _unit_factor(text), "")
    return (0, text.lower())


def _unit_factor(text: str) -> int:
    return {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:], 1)
