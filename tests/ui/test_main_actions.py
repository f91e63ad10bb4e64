"""Create and delete computers from the console, read-only refusals, help, palette and keymap."""

from __future__ import annotations

from typing import Any

from textual.command import CommandPalette
from textual.widgets import Input, Static

from orb_tui.api.client import OrbClient
from orb_tui.ui.palette import commands
from orb_tui.ui.screens.help import HelpScreen
from orb_tui.ui.screens.main import MainScreen
from orb_tui.ui.widgets.computer_table import ComputerTable
from orb_tui.ui.widgets.dialogs import ConfirmDialog, CreateComputerDialog


async def server_names(client: OrbClient) -> list[str]:
    return [c.name for c in (await client.list_computers()).computers]


async def test_create_computer_through_the_dialog(
    client: OrbClient, make_test_app: Any, until: Any, notices: Any
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24), message_hook=notices.hook) as pilot:
        table = app.screen.query_one(ComputerTable)
        await pilot.press("n")
        dialog = app.screen
        assert isinstance(dialog, CreateComputerDialog)
        assert dialog.query_one("#name", Input).has_focus
        assert dialog.query_one("#name", Input).value == "computer-1"
        assert dialog.query_one("#runtime", Input).value == "512"
        await pilot.press("b", "a", "d", "/", "n", "a", "m", "e", "enter")
        assert app.screen is dialog
        assert "name:" in str(dialog.query_one("#error", Static).render())
        dialog.query_one("#name", Input).value = "made-here"
        dialog.query_one("#disk", Input).value = "2048"
        await pilot.press("enter")
        await until(pilot, lambda: table.row_count == 1)
        assert str(table.get_row(table.shown_ids[0])[0]) == "made-here"
        # a poll may show the row before the create's answer is back and its notice handled
        await until(pilot, lambda: any("created made-here" in n for n in notices))
    made = (await client.list_computers()).computers
    assert [(c.name, c.runtime_mb, c.disk_mb) for c in made] == [("made-here", 512, 2048)]


async def test_delete_confirms_and_removes(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    keep = await client.create_computer("keep-me")
    doomed = await client.create_computer("doomed")
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 2)
        table.move_cursor(row=table.get_row_index(doomed.id))
        await pilot.press("d")
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "doomed" in dialog._title and doomed.short_id in dialog._body
        await pilot.press("escape")  # cancel: nothing happens
        assert isinstance(app.screen, MainScreen)
        assert sorted(await server_names(client)) == ["doomed", "keep-me"]
        await pilot.press("d", "y")
        await until(pilot, lambda: table.row_count == 1)
        assert table.shown_ids == [keep.id]
    assert await server_names(client) == ["keep-me"]


async def test_read_only_refuses_every_change(
    client: OrbClient, make_test_app: Any, until: Any, notices: Any
) -> None:
    await client.create_computer("ro")
    app = make_test_app(read_only=True)
    async with app.run_test(size=(120, 40), message_hook=notices.hook) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        for key in ("n", "d", "b", "p"):
            await pilot.press("escape", key)
            assert isinstance(app.screen, MainScreen), key
        await pilot.press("x")
        await pilot.press(*"echo hi", "enter")
        await pilot.pause()
        said = notices
        for what in ("create computer", "delete ro", "build", "deploy", "exec"):
            assert f"read-only mode: {what} refused" in said, what
        assert "read-only" in app.sub_title
    assert await server_names(client) == ["ro"]


async def test_help_lists_every_binding(make_test_app: Any) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen._table()
        ids = set(table.columns[3]._cells)
        for command in commands(app):
            assert command.binding.id in ids
        for binding_id in (
            "new-computer",
            "delete-computer",
            "build",
            "deploy",
            "exec",
            "terminal",
            "config",
            "files",
            "build-log",
            "agents",
            "refresh",
            "filter",
            "help",
            "back-or-quit",
            "keys-screen",
            "webhooks-screen",
            "usage-screen",
            "profiles-screen",
            "agent-sleep",
            "agent-wake",
            "build-search",
            "sort-computers",
            "exec-history-previous",
            "config-save",
            "config-external-editor",
            "config-quick-edit",
            "new-key",
            "revoke-key",
        ):
            assert binding_id in ids, binding_id
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_palette_lists_and_runs_actions(make_test_app: Any, until: Any) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"build log")
        await until(pilot, lambda: "Build log" in _palette_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query_one("#tabs").active == "build")


def _palette_text(app: Any) -> str:
    from textual.command import CommandList

    options = app.screen.query_one(CommandList)
    return "\n".join(
        str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
    )


async def test_keymap_remaps_a_binding(make_test_app: Any) -> None:
    app = make_test_app(keymap={"new-computer": "c", "help": "f1"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("c")
        assert isinstance(app.screen, CreateComputerDialog)
        await pilot.press("escape", "f1")
        assert isinstance(app.screen, HelpScreen)


async def test_tab_keys_switch_and_focus(client: OrbClient, make_test_app: Any, until: Any) -> None:
    await client.create_computer("tabbed")
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        tabs = app.screen.query_one("#tabs")
        for key, tab in (("f", "files"), ("l", "build"), ("x", "exec"), ("e", "config"),
                         ("a", "agents"), ("t", "terminal")):  # fmt: skip
            table.focus()
            await pilot.press(key)
            pane = tabs.get_pane(tab)
            await until(
                pilot, lambda p=pane: app.focused is not None and p in app.focused.ancestors
            )
            assert tabs.active == tab, key
        await pilot.press("ctrl+right_square_bracket")  # leaves the terminal
        assert table.has_focus
        polls = app.screen.polls
        await pilot.press("escape", "r")
        await until(pilot, lambda: app.screen.polls > polls, timeout=2)


async def test_no_credentials_opens_profiles(make_test_app: Any) -> None:
    from orb_tui.ui.screens.profiles import ProfilesScreen

    app = make_test_app(endpoint=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProfilesScreen)
        assert app.client is None and app.sub_title == "not signed in"


async def test_config_problems_are_notified(
    make_test_app: Any, notices: Any, tmp_path: Any
) -> None:
    from orb_tui.config.settings import ConfigProblem

    problem = ConfigProblem(tmp_path / "config.toml", 3, 7, "poll_interval must be a number")
    app = make_test_app(problems=(problem,))
    async with app.run_test(size=(120, 40), message_hook=notices.hook) as pilot:
        await pilot.pause()
        assert f"{tmp_path / 'config.toml'}:3:7: poll_interval must be a number" in notices
