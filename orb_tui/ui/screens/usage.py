"""The Usage screen: runtime and disk GB-hours per day over a chosen period, with the totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Static, Tab, Tabs

from orb_tui.api.errors import OrbError
from orb_tui.api.models import DailyUsage, Usage
from orb_tui.ui.screens.org_base import OrgScreen
from orb_tui.ui.widgets.tls_warning import TlsWarning
from orb_tui.ui.widgets.usage_chart import UsageChart, format_amount

if TYPE_CHECKING:
    from orb_tui.api.client import OrbClient

PERIODS = (7, 30, 90)
"""The periods the selector offers, in days ending now."""


def period(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """(start, end) of the last `days` days ending at `now` (UTC), the end rounded up to a whole
    second: the API takes whole seconds, and rounding down would leave out what happened just now."""
    end = now or datetime.now(timezone.utc)
    if end.microsecond:
        end = end.replace(microsecond=0) + timedelta(seconds=1)
    return end - timedelta(days=days), end


def every_day(daily: Sequence[DailyUsage], start: date, end: date) -> list[DailyUsage]:
    """The server's days from `start` to `end`, with days it left out filled in as zero."""
    known = {day.date: day for day in daily}
    first = min([start, *known])
    last = max([end, *known])
    filled = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        filled.append(
            known.get(day) or DailyUsage(date=day, runtime_gb_hours=0.0, disk_gb_hours=0.0)
        )
    return filled


def totals_text(usage: Usage) -> str:
    """The period's totals as two lines of plain words."""
    start = usage.period_start.strftime("%Y-%m-%d") if usage.period_start else "?"
    end = usage.period_end.strftime("%Y-%m-%d") if usage.period_end else "?"
    return (
        f"Runtime {format_amount(usage.runtime_gb_hours)} GB-h   "
        f"Disk {format_amount(usage.disk_gb_hours)} GB-h   ({start} to {end}, UTC)\n"
        f"Computers created {usage.computers_created}   "
        f"destroyed {usage.computers_destroyed}   "
        f"Checkpoint cycles {usage.checkpoint_cycles}"
    )


class UsageScreen(OrgScreen):
    """Usage for the last 7, 30 or 90 days: totals, then a chart per quantity."""

    DEFAULT_CSS = """
    UsageScreen #usage-totals { padding: 0 1; height: auto; }
    UsageScreen UsageChart { padding: 0 1; }
    """
    ORG_NAME = "usage"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "period(7)", "7 days", show=False, id="usage-7-days"),
        Binding("2", "period(30)", "30 days", show=False, id="usage-30-days"),
        Binding("3", "period(90)", "90 days", show=False, id="usage-90-days"),
        Binding("r", "refresh", "Refresh", id="refresh-usage"),
    ]

    @dataclass
    class Loaded(Message):
        """The usage for a period answered."""

        days: int
        usage: Usage

    @dataclass
    class Failed(Message):
        """The request failed; `error` is a sentence a person can act on."""

        error: str

    def __init__(self) -> None:
        super().__init__()
        self.days = 30
        self.usage: Usage | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield TlsWarning()
        with Vertical(classes="org-screen-body"):
            yield Static(self.heading(), classes="org-screen-heading", id="usage-heading")
            yield Tabs(
                *(Tab(f"Last {days} days", id=f"period-{days}") for days in PERIODS),
                active=f"period-{self.days}",
                id="usage-periods",
            )
            yield Static("", id="usage-totals")
            yield UsageChart("Runtime GB-hours per day", id="usage-runtime")
            yield UsageChart("Disk GB-hours per day", id="usage-disk")
            yield Static("", classes="org-screen-status", id="usage-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "Usage"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """Choosing a period (arrows, a click, or 1/2/3) loads it."""
        event.stop()
        if event.tab.id is not None:
            self.days = int(event.tab.id.removeprefix("period-"))
            self.action_refresh()

    def action_period(self, days: int) -> None:
        """Select the last `days` days."""
        self.query_one("#usage-periods", Tabs).active = f"period-{days}"

    def action_refresh(self) -> None:
        """Fetch the usage for the selected period."""
        if (client := self.signed_in_client()) is not None:
            self.set_status(f"loading usage for the last {self.days} days…")
            self.load_usage(client, self.days)

    @work(exclusive=True, group="usage", exit_on_error=False)
    async def load_usage(self, client: OrbClient, days: int) -> None:
        """Fetch the usage for the last `days` days."""
        start, end = period(days)
        try:
            self.post_message(self.Loaded(days, await client.usage(start, end)))
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot load usage: {exc}"))

    def on_usage_screen_loaded(self, message: Loaded) -> None:
        """Render the totals and both charts."""
        if message.days != self.days:
            return
        usage = self.usage = message.usage
        self.query_one("#usage-totals", Static).update(totals_text(usage))
        start, end = period(message.days)
        days = every_day(usage.daily, start.date(), end.date())
        dates = [day.date for day in days]
        runtime = self.query_one("#usage-runtime", UsageChart)
        runtime.set_series(dates, [day.runtime_gb_hours for day in days])
        disk = self.query_one("#usage-disk", UsageChart)
        disk.set_series(dates, [day.disk_gb_hours for day in days])
        self.set_status(f"last {message.days} days; 1, 2, 3 choose the period, r refreshes")

    def on_usage_screen_failed(self, message: Failed) -> None:
        """Say what failed."""
        self.set_status(message.error, error=True)
