"""The Usage screen against the local server: the totals it reports, the period selector, the chart."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from test_org_support import open_screen, screen_text, status_of, until
from textual.app import App, ComposeResult
from textual.widgets import Tabs

from orb_tui.api.client import OrbClient
from orb_tui.ui.screens.usage import UsageScreen, period
from orb_tui.ui.widgets.usage_chart import UsageChart, format_amount


async def test_shows_the_totals_the_server_reports(make_test_app, ui_env) -> None:
    endpoint = ui_env.endpoint
    async with OrbClient(endpoint.api_url, endpoint.api_key) as orb:
        for name in ("u1", "u2"):
            computer = await orb.create_computer(name, disk_mb=2048)
            await orb.delete_computer(computer.id)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, UsageScreen)
        await until(pilot, lambda: screen.usage is not None, "the usage loaded")
        async with OrbClient(endpoint.api_url, endpoint.api_key) as orb:
            reported = await orb.usage(*period(30))
        # the totals take a second line once they arrive: wait for the layout to give it room
        created = "Computers created 2   destroyed 2"
        await until(pilot, lambda: created in screen_text(screen), "the totals shown")
        text = screen_text(screen)
        assert screen.usage is not None
        shown = screen.usage.runtime_gb_hours, screen.usage.disk_gb_hours
        assert shown == (reported.runtime_gb_hours, reported.disk_gb_hours)
        assert reported.disk_gb_hours > 0
        assert f"Runtime {format_amount(reported.runtime_gb_hours)} GB-h" in text
        assert f"Disk {format_amount(reported.disk_gb_hours)} GB-h" in text
        assert screen.query_one("#usage-disk", UsageChart).values[-1] > 0
        assert "last 30 days" in status_of(screen)


async def test_period_keys_load_that_period(make_test_app) -> None:
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, UsageScreen)
        await until(pilot, lambda: "last 30 days" in status_of(screen), "30 days loaded")
        await pilot.press("1")
        await until(pilot, lambda: "last 7 days" in status_of(screen), "7 days loaded")
        assert screen.query_one(Tabs).active == "period-7"
        assert len(screen.query_one("#usage-runtime", UsageChart).days) in (7, 8)
        await pilot.press("3")
        await until(pilot, lambda: "last 90 days" in status_of(screen), "90 days loaded")


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield UsageChart("Disk GB-hours per day", id="chart")


async def test_chart_draws_taller_bars_for_bigger_days() -> None:
    app = ChartApp()
    async with app.run_test(size=(60, 10)) as pilot:
        days = [date(2026, 11, 1) + timedelta(days=n) for n in range(3)]
        app.query_one(UsageChart).set_series(days, [0.0, 1.0, 4.0])
        await pilot.pause()
        lines = screen_text(app.screen).splitlines()
        assert lines[0].startswith("Disk GB-hours per day")
        assert "4.00" in lines[1]
        assert lines[-1].strip().startswith("11-01") and lines[-1].rstrip().endswith("11-03")
        columns = [line[8:] for line in lines[1:-1]]
        filled = [sum(row[i] != " " for row in columns) for i in (0, 7, 14)]
        assert filled[0] == 0 < filled[1] < filled[2] == len(columns)


async def test_chart_sums_days_into_bars_when_they_do_not_fit() -> None:
    app = ChartApp()
    async with app.run_test(size=(58, 8)) as pilot:
        days = [date(2026, 8, 1) + timedelta(days=n) for n in range(100)]
        app.query_one(UsageChart).set_series(days, [1.0] * 100)
        await pilot.pause()
        lines = screen_text(app.screen).splitlines()
        assert lines[0].startswith("Disk GB-hours per day (2 days a bar)")
        assert lines[1].split("│")[0].strip() == "2.00"
        assert lines[-1].strip().startswith("08-01") and lines[-1].rstrip().endswith("11-08")


def test_a_period_ends_after_what_happened_this_second() -> None:
    """The API takes whole seconds: an end rounded down left out a computer created just now."""
    now = datetime(2026, 11, 30, 7, 43, 40, 500_000, tzinfo=timezone.utc)
    start, end = period(30, now)
    assert end == datetime(2026, 11, 30, 7, 43, 41, tzinfo=timezone.utc)
    assert end - start == timedelta(days=30)
    assert period(7, end)[1] == end  # a whole second stays as it is
