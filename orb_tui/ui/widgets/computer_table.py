"""The computers table: updated by diff (never cleared and refilled), filtered and sorted."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowKey

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
ADD_BUDGET = 0.04
"""Seconds of adding rows between two paints, so a key is handled soon even during a big fill."""


def format_age(created: datetime | None, now: datetime) -> str:
    """A coarse age ("<1m", "12m", "3h", "5d"), so a poll rarely changes the cell."""
    if created is None:
        return "-"
    seconds = max(0, int((now - created).total_seconds()))
    if seconds < 60:
        return "<1m"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "0s"  # pragma: no cover - unreachable


def row_values(computer: Computer, now: datetime) -> RowValues:
    """The plain text of each column for `computer`."""
    return (
        computer.name,
        computer.short_id,
        computer.status,
        str(computer.agent_count),
        f"{computer.runtime_mb}/{computer.disk_mb} MB",
        format_age(computer.created_at, now),
    )


@dataclass(frozen=True)
class TableData:
    """The computers by id and each one's cell text: what the table shows."""

    computers: Mapping[str, Computer]
    rows: Mapping[str, RowValues]


def table_data(computers: Iterable[Computer]) -> TableData:
    """The table's data for `computers` (pure: safe to compute on any thread)."""
    now = datetime.now(timezone.utc)
    by_id = {c.id: c for c in computers}
    return TableData(by_id, {cid: row_values(c, now) for cid, c in by_id.items()})


def render_cell(column: str, value: str) -> str | Text:
    """A cell for the table: the status column is coloured."""
    if column == "status":
        return Text(value, style=STATUS_STYLES.get(value, "yellow"))
    return value


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

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

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
        data = computers if isinstance(computers, TableData) else table_data(computers)
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
        # set operations on dict views run in C: cheap even for 10,000 rows
        added = want.keys() - shown.keys()
        changed = {key for key, _ in want.items() - shown.items()} - added
        for key in shown.keys() - want.keys():
            self.remove_row(key)
        index = self._sort_column
        for key in changed:
            self._update_row(key, shown[key], want[key])
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
            return want
        # thousands of new rows: add the rest after the next paint, so keys stay responsive
        self.call_after_refresh(self._sync)
        return {key: values for key, values in want.items() if key not in self._pending}

    def _add_rows(self, order: list[str], want: Mapping[str, RowValues]) -> int:
        """Add rows in `order` for at most ADD_BUDGET seconds (at least 100); returns how many."""
        deadline = time.perf_counter() + ADD_BUDGET
        for done, key in enumerate(order):
            if done >= 100 and done % 50 == 0 and time.perf_counter() > deadline:
                return done
            cells = [render_cell(c, v) for c, v in zip(COLUMN_KEYS, want[key], strict=True)]
            self.add_row(*cells, key=key)
        return len(order)

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

    def _update_row(self, key: str, old: RowValues, new: RowValues) -> None:
        for column, before, after in zip(COLUMN_KEYS, old, new, strict=True):
            if before != after:
                self.update_cell(key, column, render_cell(column, after))

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


def _sort_key(cell: object) -> tuple[int, str]:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    digits = text.split("/")[0].rstrip("smhd MB")
    if digits.isdigit():
        return (int(digits) * _unit_factor(text), "")
    return (0, text.lower())


def _unit_factor(text: str) -> int:
    return {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:], 1)
