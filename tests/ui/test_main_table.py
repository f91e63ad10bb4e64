"""The computers table against the local server: rows, diffed updates, filter, sort, header."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Header, Input
from textual.widgets._header import HeaderTitle

from orb_tui.api.client import OrbClient
from orb_tui.api.models import Computer
from orb_tui.config.credentials import mask_key
from orb_tui.ui.background import BackgroundClient
from orb_tui.ui.widgets import computer_table
from orb_tui.ui.widgets.computer_table import ComputerTable, table_data
from orb_tui.ui.widgets.status_line import StatusLine


def names(table: ComputerTable) -> list[str]:
    return [str(table.get_row(key)[0]) for key in table.shown_ids]


async def test_table_shows_computers_and_follows_changes(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    await client.create_computer("alpha", runtime_mb=256, disk_mb=2048)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        row = [str(cell) for cell in table.get_row(table.shown_ids[0])]
        assert row[0] == "alpha" and row[2] == "ready" and row[4] == "256/2048 MB"
        polls = app.screen.polls
        beta = await client.create_computer("beta")
        await until(pilot, lambda: table.row_count == 2)
        assert app.screen.polls > polls
        assert beta.short_id in [str(table.get_row(k)[1]) for k in table.shown_ids]
        await client.delete_computer(beta.id)
        await until(pilot, lambda: table.row_count == 1)
        assert "1 computer ·" in str(app.screen.query_one(StatusLine).render())


async def test_filter_and_sort(client: OrbClient, make_test_app: Any, until: Any) -> None:
    for name in ("web-b", "db-a", "web-a"):
        await client.create_computer(name)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 3)
        assert names(table) == ["db-a", "web-a", "web-b"]
        await pilot.press("slash", "w", "e", "b")
        assert app.screen.query_one("#filter", Input).has_focus
        await until(pilot, lambda: table.row_count == 2)
        assert names(table) == ["web-a", "web-b"]
        await pilot.press("enter")
        assert table.has_focus
        await pilot.press("slash", "escape")
        await until(pilot, lambda: table.row_count == 3)
        await pilot.press("o", "o", "o", "o", "o", "o")  # back to name, now descending
        assert names(table) == ["web-b", "web-a", "db-a"]


async def test_header_shows_profile_and_masked_key(make_test_app: Any, ui_env: Any) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        key = ui_env.endpoint.api_key
        assert app.sub_title.startswith("test · ")
        assert mask_key(key) in app.sub_title
        assert key not in app.sub_title


async def test_the_masked_key_fits_a_read_only_header_at_80_columns(
    make_test_app: Any, ui_env: Any, until: Any
) -> None:
    app = make_test_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        title = app.screen.query_one(Header).query_one(HeaderTitle)

        def drawn() -> str:
            return "".join(strip.text for strip in title.render_lines(title.region.reset_offset))

        # the header copies the sub-title in a watcher of its own, after the app set it
        await until(pilot, lambda: "read-only" in drawn())
        shown = drawn()
        assert mask_key(ui_env.endpoint.api_key) in shown, shown
        assert "http://" not in shown  # the local server's scheme says nothing


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ComputerTable(id="computers")


def fake_computers(count: int, prefix: str = "c") -> list[Computer]:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [
        Computer(
            id=f"{i:08d}-id",
            name=f"{prefix}-{i:05d}",
            status="ready",
            runtime_mb=512,
            disk_mb=1024,
            created_at=start,
        )
        for i in range(count)
    ]


async def test_big_table_fills_in_chunks_and_diffs(
    until: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no time for a chunk: each stops at its 100-row minimum, whatever the machine's speed
    monkeypatch.setattr(computer_table, "ADD_BUDGET", 0.0)
    app = TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(ComputerTable)
        computers = fake_computers(1500)
        random.Random(3).shuffle(computers)
        table.apply(computers)
        assert table.row_count == 100  # the rest after the next paints
        await until(pilot, lambda: table.row_count == len(computers))
        assert names(table) == sorted(c.name for c in computers)
        survivors = computers[10:]
        renamed = [replace(c, name=c.name.replace("c-", "z-")) for c in survivors[:5]]
        table.apply([*renamed, *survivors[5:]])
        assert table.row_count == len(survivors)
        assert names(table)[-5:] == sorted(c.name for c in renamed)
        assert sorted(names(table)) == names(table)
        kept = [replace(c, name=c.name + "b") if c.name == "c-00020" else c for c in survivors[5:]]
        table.apply([*renamed, *kept])  # still in order: updated in place
        assert "c-00020b" in names(table) and sorted(names(table)) == names(table)
        everything = names(table)
        table.set_filter("c-011")
        assert names(table) == [name for name in everything if "c-011" in name]
        table.set_filter("")  # thousands of rows come back around the hundred that stayed
        await until(pilot, lambda: table.row_count == len(survivors))
        assert sorted(names(table)) == names(table)


async def test_polls_reuse_what_did_not_change(client: OrbClient, ui_env: Any) -> None:
    for name in ("one", "two", "three"):
        await client.create_computer(name)
    background = BackgroundClient(ui_env.endpoint)
    try:
        first, first_data = await background.computers()
        again, again_data = await background.computers()
        assert again is first and again_data is first_data  # the same answer: nothing parsed
        two = next(c for c in first.computers if c.name == "two")
        await client.delete_computer(two.id)
        await client.create_computer("four")
        listing, data = await background.computers()
        assert sorted(c.name for c in listing.computers) == ["four", "one", "three"]
        assert listing.total == 3
        old = {c.id: c for c in first.computers}
        for computer in listing.computers:  # kept computers are the very same objects
            assert (
                (computer is old[computer.id])
                if computer.name != "four"
                else computer.id not in old
            )
            if computer.id in old:
                assert data.rows[computer.id] is first_data.rows[computer.id]
    finally:
        await background.aclose()


def row_text(table: ComputerTable, row: int) -> str:
    y = row + table.header_height - table.scroll_offset.y
    return "".join(segment.text for segment in table.render_line(y))


async def test_changed_cells_repaint_their_rows_only() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(ComputerTable)
        computers = fake_computers(50)
        table.apply(computers)
        await pilot.pause()
        before = table._update_count
        busy = [replace(c, status="busy") if i in (2, 40) else c for i, c in enumerate(computers)]
        table.apply(busy)
        await pilot.pause()
        assert table._update_count == before  # the table-wide render caches were kept
        assert "busy" in row_text(table, 2) and "ready" in row_text(table, 3)
        assert str(table.get_row(busy[40].id)[2]) == "busy"
        longer = [
            replace(c, name=c.name + "-with-a-longer-name") if i == 3 else c
            for i, c in enumerate(busy)
        ]
        table.apply(longer)  # wider than its column: the column grows to show it all
        await pilot.pause()
        assert "c-00003-with-a-longer-name" in row_text(table, 3)


async def test_a_filter_removes_thousands_of_rows_at_once(until: Any) -> None:
    app = TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(ComputerTable)
        table.apply(fake_computers(3000))
        await until(pilot, lambda: table.row_count == 3000)
        table.move_cursor(row=2500)
        table.set_filter("c-0250")
        await pilot.pause()
        assert names(table) == [f"c-{i:05d}" for i in range(2500, 2510)]
        assert [table.get_row_index(key) for key in table.shown_ids] == list(range(10))
        assert table.cursor_row < 10 and table.selected is not None
        assert "c-02500" in row_text(table, 0)


async def test_names_are_shown_as_written_not_as_markup() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(ComputerTable)
        table.apply([replace(fake_computers(1)[0], name="[red]x[/red]")])
        await pilot.pause()
        assert "[red]x[/red]" in row_text(table, 0)


def test_table_data_reuses_rows_until_an_age_changes() -> None:
    created = datetime.now(timezone.utc) - timedelta(seconds=50)
    young, old = fake_computers(2)
    young = replace(young, created_at=created)
    first = table_data([young, old])
    assert first.rows[young.id][5] == "<1m"
    assert first.fresh_until == created + timedelta(seconds=60)
    assert table_data([young, old], first) is first
    renamed = replace(old, name="renamed")
    second = table_data([young, renamed], first)
    assert second.rows[young.id] is first.rows[young.id] and second.rows[old.id][0] == "renamed"
    stale = replace(first, fresh_until=datetime.now(timezone.utc))
    assert table_data([young, old], stale).rows[old.id] is first.rows[old.id]  # same text, same row
