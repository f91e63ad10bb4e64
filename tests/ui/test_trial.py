"""What trying the console as a new user found: unexpected errors kept on screen in plain words,
the TLS warning, dialogs that fit 80x24, the footer offering only keys that work, the chart's dates."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any, ClassVar

import pytest
from test_org_support import assert_fits, open_screen, screen_text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from orb_tui.config.settings import Profile, load_settings, save_profile
from orb_tui.ui.screens.help import HelpScreen
from orb_tui.ui.screens.keys import KeysScreen
from orb_tui.ui.screens.main import MainScreen
from orb_tui.ui.screens.profiles import ProfileDialog, ProfilesScreen
from orb_tui.ui.widgets.dialogs import ConfirmDialog, CreateComputerDialog
from orb_tui.ui.widgets.usage_chart import AXIS_WIDTH, UsageChart


class Boom(Message):
    """Makes `Fragile` fail while handling it."""


class Ping(Message):
    """`Fragile` counts these, to show it still handles messages after a failure."""


class Fragile(Widget, can_focus=True):
    """A widget whose handler and action raise, with the API key in the error's text."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("z", "explode", "Explode")]

    def __init__(self, secret: str) -> None:
        super().__init__(id="fragile")
        self.secret = secret
        self.pings = 0

    def on_boom(self, message: Boom) -> None:
        raise RuntimeError(f"handler failed while using {self.secret}")

    def on_ping(self, message: Ping) -> None:
        self.pings += 1

    def action_explode(self) -> None:
        raise KeyError(f"action failed with Bearer {self.secret}")


def _errors(app: Any) -> list[str]:
    return [n.message for n in app._notifications if n.title == "unexpected error"]


@pytest.mark.provokes_errors
async def test_an_exception_in_a_handler_or_action_is_reported_and_the_console_goes_on(
    make_test_app: Any, ui_env: Any, until: Any
) -> None:
    key = ui_env.endpoint.api_key
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        fragile = Fragile(key)
        await app.screen.mount(fragile)
        fragile.post_message(Boom())
        await until(pilot, lambda: _errors(app))
        assert app.is_running and app.return_code is None
        assert "RuntimeError" in _errors(app)[0] and "keeps running" in _errors(app)[0]
        assert key not in _errors(app)[0]
        fragile.post_message(Ping())
        await until(pilot, lambda: fragile.pings == 1)  # its message loop survived

        fragile.focus()
        await pilot.press("z")
        await until(pilot, lambda: len(_errors(app)) == 2)
        assert "KeyError" in _errors(app)[1] and key not in _errors(app)[1]

        app.set_timer(0.01, lambda: 1 / 0)  # outside any handler: Textual's own last net
        await until(pilot, lambda: len(_errors(app)) == 3)
        assert "ZeroDivisionError" in _errors(app)[2]

        await pilot.press("question_mark")  # and the keys still work
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.is_running and app.return_code is None
    log = ui_env.paths.log_file.read_text()
    assert "Fragile handling Boom" in log and "Traceback" in log and "ZeroDivisionError" in log
    assert key not in log
    assert ui_env.paths.log_file.stat().st_mode & 0o077 == 0


@pytest.mark.provokes_errors
async def test_the_same_error_again_is_logged_but_not_shown_again(
    make_test_app: Any, until: Any
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        fragile = Fragile("not-a-key")
        await app.screen.mount(fragile)
        for _ in range(3):
            fragile.post_message(Boom())
        fragile.post_message(Ping())
        await until(pilot, lambda: fragile.pings == 1 and _errors(app))
        await pilot.pause()  # the app has handled every notice the three failures posted
        assert len(_errors(app)) == 1
    assert app.paths.log_file.read_text().count("Fragile handling Boom") == 3


async def test_tls_warning_stays_on_screen_while_certificates_are_not_checked(
    make_test_app: Any, ui_env: Any, until: Any
) -> None:
    insecure = dataclasses.replace(ui_env.endpoint, profile="lab", verify_tls=False)
    app = make_test_app(endpoint=insecure)
    warning = "TLS certificates NOT checked for lab"
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: warning in screen_text(app.screen))
        keys = await open_screen(pilot, KeysScreen)
        await until(pilot, lambda: warning in screen_text(keys))
        await assert_fits(pilot, keys)
        await app.switch_endpoint(ui_env.endpoint)  # a profile that checks them
        await pilot.pause()
        assert "TLS" not in screen_text(keys)
        app.pop_screen()
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert "TLS" not in screen_text(app.screen)


async def test_no_tls_warning_when_certificates_are_checked(make_test_app: Any, until: Any) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "polling every" in screen_text(app.screen))
        assert "TLS" not in screen_text(app.screen)


async def test_registering_into_a_profile_keeps_its_tls_setting(
    make_test_app: Any, ui_env: Any, until: Any
) -> None:
    paths = ui_env.paths
    save_profile(paths, Profile("lab", ui_env.endpoint.api_url, verify_tls=False))
    app = make_test_app(settings=load_settings(paths))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, ProfilesScreen)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, ProfileDialog))
        dialog = app.screen
        dialog.query_one("#profile-first", Input).value = "tls-kept@example.com"
        dialog.query_one("#profile-name", Input).value = "lab"
        dialog.query_one("#profile-url", Input).value = ui_env.endpoint.api_url
        await pilot.press("enter")
        await until(pilot, lambda: app.endpoint is not None and app.endpoint.profile == "lab")
        assert app.endpoint is not None and not app.endpoint.verify_tls
        assert "TLS certificates NOT checked for lab" in screen_text(app.screen)
    assert load_settings(paths).profiles["lab"].verify_tls is False


async def test_main_dialogs_and_help_fit_80x24(make_test_app: Any, client: Any, until: Any) -> None:
    await client.create_computer("fits")
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "1 computer" in screen_text(app.screen))
        for key, dialog in (("n", CreateComputerDialog), ("d", ConfirmDialog)):
            await pilot.press(key)
            await until(pilot, lambda d=dialog: isinstance(app.screen, d))
            await assert_fits(pilot, app.screen)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("question_mark")  # help scrolls inside a frame that fits
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        frame = app.screen.query_one(VerticalScroll)
        assert app.screen.region.contains_region(frame.region)
        assert "Esc closes" in screen_text(app.screen)


async def test_footer_offers_only_keys_that_work_where_the_focus_is(
    make_test_app: Any, client: Any, until: Any
) -> None:
    await client.create_computer("footer")
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await until(pilot, lambda: "1 computer" in screen_text(screen))
        assert "? help" in screen_text(screen)
        footer = screen_text(screen).splitlines()[-1]
        assert "a f l e t x Tabs" in footer and "/ Filter" in footer
        shown = {b.binding.action for b in screen.active_bindings.values()}
        assert "filter" in shown
        await pilot.press("x")  # the exec command line: "/" is text there
        await until(pilot, lambda: isinstance(app.focused, Input))
        shown = {b.binding.action for b in screen.active_bindings.values()}
        assert "filter" not in shown
        await pilot.press("slash")
        assert app.focused.value == "/"


async def test_palette_has_no_second_keys_or_quit_and_not_itself(
    make_test_app: Any, until: Any
) -> None:
    from textual.command import CommandList, CommandPalette

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Keys" not in titles and "Quit" not in titles
        assert "Theme" in titles
        await pilot.press("colon")
        assert isinstance(app.screen, CommandPalette)
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 10)
        options = app.screen.query_one(CommandList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(p.startswith("Profiles") for p in prompts)
        assert not any(p.startswith("Commands") for p in prompts)


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield UsageChart("Runtime GB-hours per day", id="chart")


async def test_the_last_date_starts_under_the_last_bar() -> None:
    for size, count in (((120, 12), 31), ((80, 12), 31), ((60, 10), 3)):
        app = ChartApp()
        async with app.run_test(size=size) as pilot:
            days = [date(2026, 10, 31) + timedelta(days=n) for n in range(count)]
            app.query_one(UsageChart).set_series(days, [0.0] * (count - 1) + [2.0])
            await pilot.pause()
            lines = screen_text(app.screen).splitlines()
            bar_row = next(line for line in lines if "█" in line)
            dates = next(line for line in lines if days[-1].strftime("%m-%d") in line)
            bar_column = bar_row.index("█")
            assert dates.index(days[-1].strftime("%m-%d")) == bar_column, (size, lines)
            assert dates.index(days[0].strftime("%m-%d")) == AXIS_WIDTH


async def test_a_poll_error_is_read_whole_at_80_columns(
    make_test_app: Any, ui_env: Any, until: Any
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = dataclasses.replace(ui_env.endpoint, api_url=f"http://127.0.0.1:{port}")
    app = make_test_app(endpoint=down)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "retrying in" in screen_text(app.screen))
        text = screen_text(app.screen)
        assert "connection refused" in text and "? help" in text


@pytest.mark.provokes_errors
async def test_a_key_saved_for_another_profile_is_redacted_too(
    make_test_app: Any, ui_env: Any, until: Any
) -> None:
    from orb_tui.config.credentials import save_credential

    other = "k3y-of-another-profile-0123456789"
    save_credential(ui_env.paths, "other", other)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        fragile = Fragile(other)
        await app.screen.mount(fragile)
        fragile.post_message(Boom())
        await until(pilot, lambda: _errors(app))
        assert other not in _errors(app)[0] and "***" in _errors(app)[0]
    assert other not in ui_env.paths.log_file.read_text()


async def test_a_dialog_body_does_not_take_the_main_screens_layout(make_test_app: Any) -> None:
    from orb_tui.ui.config_dialogs import Choice, ChoiceDialog

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ChoiceDialog("Unsaved edits", "One line of text.", [Choice("ok", "OK")]))
        await pilot.pause()
        assert app.screen.query_one("#body").region.height == 1  # not 1fr, like MainScreen #body
        await assert_fits(pilot, app.screen)


async def test_an_org_screen_opened_while_connecting_loads_once_connected(
    make_test_app: Any, until: Any
) -> None:
    from orb_tui.ui.screens.webhooks import WebhooksScreen

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = WebhooksScreen()
        app.push_screen(screen)  # before the first refresh: the client is not there yet
        await until(
            pilot, lambda: "webhooks;" in screen_text(screen) or "webhook ·" in screen_text(screen)
        )
        assert "profile test at" in screen_text(screen)
        assert "not signed in" not in screen_text(screen)
