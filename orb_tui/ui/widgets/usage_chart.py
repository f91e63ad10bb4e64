"""A per-day bar chart drawn with block characters, sized to the space it is given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

EIGHTHS = " ▁▂▃▄▅▆▇█"
AXIS_WIDTH = 8


def format_amount(value: float) -> str:
    """A GB-hours figure in at most about six characters, precise where it is small."""
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.01 or value == 0:
        return f"{value:.2f}"
    return f"{value:.4f}"


def bar_cells(value: float, peak: float, rows: int) -> list[str]:
    """One bar as `rows` characters from the top down; any value above zero shows at least ▁."""
    if peak <= 0 or value <= 0:
        return [" "] * rows
    eighths = max(1, round(value / peak * rows * 8))
    cells = []
    for row in range(rows):
        base = (rows - 1 - row) * 8
        cells.append(EIGHTHS[min(8, max(0, eighths - base))])
    return cells


def bucket(values: Sequence[float], width: int) -> tuple[list[float], int]:
    """`values` summed in runs of k days, counted back from the latest, so they fit in `width`.

    Returns the sums (oldest first) and k.
    """
    k = max(1, -(-len(values) // max(1, width)))
    sums = [sum(values[max(0, end - k) : end]) for end in range(len(values), 0, -k)]
    return sums[::-1], k


def layout(count: int, width: int) -> tuple[int, int]:
    """(bar width, gap) for `count` bars in `width` columns (count <= width)."""
    slot = width // max(1, count)
    if slot >= 3:
        return min(slot - 1, 6), 1
    return 1, 1 if slot == 2 else 0


class UsageChart(Widget):
    """Bars of one quantity per day, with the peak on the axis and the first and last dates."""

    DEFAULT_CSS = """
    UsageChart {
        height: 1fr;
        min-height: 4;
    }
    UsageChart > .usage-chart--title { text-style: bold; }
    UsageChart > .usage-chart--bar { color: $accent; }
    UsageChart > .usage-chart--axis { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "usage-chart--title",
        "usage-chart--bar",
        "usage-chart--axis",
    }

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart_title = title
        self.days: tuple[date, ...] = ()
        self.values: tuple[float, ...] = ()

    def set_series(self, days: Sequence[date], values: Sequence[float]) -> None:
        """Show `values[i]` for `days[i]`; both in date order."""
        self.days = tuple(days)
        self.values = tuple(values)
        self.refresh()

    def render(self) -> RenderResult:
        width, height = self.content_size
        sums, per_bar = bucket(self.values, width - AXIS_WIDTH)
        title = self.chart_title + (f" ({per_bar} days a bar)" if per_bar > 1 else "")
        title_style = self.get_component_rich_style("usage-chart--title")
        lines = [Text(title, style=title_style, no_wrap=True, overflow="ellipsis")]
        rows = height - 2
        if rows < 1:
            return Text("\n").join(lines)
        if not self.values:
            lines.append(Text("no data for this period", style="italic"))
        elif not any(self.values):
            lines.append(Text("nothing used in this period", style="italic"))
        else:
            lines.extend(self._bars(sums, width - AXIS_WIDTH, rows))
            lines.append(self._dates(len(sums), width - AXIS_WIDTH))
        return Text("\n").join(lines)

    def _bars(self, sums: list[float], width: int, rows: int) -> list[Text]:
        bar, gap = layout(len(sums), width)
        peak = max(sums, default=0.0)
        columns = [bar_cells(value, peak, rows) for value in sums]
        axis = self.get_component_rich_style("usage-chart--axis")
        style = self.get_component_rich_style("usage-chart--bar")
        lines = []
        for row in range(rows):
            label = format_amount(peak) if row == 0 else ("0" if row == rows - 1 else "")
            line = Text(f"{label:>{AXIS_WIDTH - 2}} │", style=axis)
            for column in columns:
                line.append(column[row] * bar, style=style)
                line.append(" " * gap)
            lines.append(line)
        return lines

    def _dates(self, bars: int, width: int) -> Text:
        bar, gap = layout(bars, width)
        axis = self.get_component_rich_style("usage-chart--axis")
        first, last = self.days[0].strftime("%m-%d"), self.days[-1].strftime("%m-%d")
        if len(self.days) == 1:
            return Text(" " * AXIS_WIDTH + first, style=axis, no_wrap=True, overflow="crop")
        # each date starts under its own bar, as the first does; the last moves left only as far
        # as it must to fit, and never onto the first
        start = max(len(first) + 1, min((bars - 1) * (bar + gap), width - len(last)))
        text = f"{first}{' ' * (start - len(first))}{last}"
        return Text(" " * AXIS_WIDTH + text, style=axis, no_wrap=True, overflow="crop")
