"""The Profiles screen against the local server: sign in (checked first), register, add, switch."""

from __future__ import annotations

import stat
import uuid

from test_org_support import (
    open_screen,
    paste,
    screen_text,
    status_of,
    until,
)
from textual.widgets import DataTable, Input

from orb_tui.api.client import OrbClient
from orb_tui.config.credentials import load_credentials, mask_key
from orb_tui.config.settings import load_settings
from orb_tui.ui.screens.profiles import ProfileDialog, ProfilesScreen


async def open_dialog(pilot, key: str) -> ProfileDialog:
    """Press `key` on the Profiles screen and wait for its dialog, first field focused."""
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ProfileDialog), f"the {key} dialog")
    dialog = pilot.app.screen
    first = dialog.query_one("#profile-first", Input)
    await until(pilot, lambda: pilot.app.focused is first, "the first field focused")
    return dialog


async def sign_in(pilot, name: str, url: str, key: str) -> ProfileDialog:
    """Fill the sign-in dialog (typing the name, pasting URL and key) and submit it."""
    dialog = await open_dialog(pilot, "s")
    pilot.app.focused.value = ""
    await pilot.press(*name, "tab")
    pilot.app.focused.value = ""
    await paste(pilot, url)
    await pilot.press("tab")
    await paste(pilot, key)
    assert key not in screen_text(dialog)
    await pilot.press("enter")
    return dialog


async def test_a_bad_key_is_refused_and_nothing_is_saved(make_test_app, ui_env) -> None:
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, ProfilesScreen)
        await sign_in(pilot, "work", ui_env.endpoint.api_url, "orb_" + "x" * 40)
        await until(pilot, lambda: "refused" in status_of(screen), "the refusal")
        assert "nothing was saved" in status_of(screen)
        assert app.profile_name == "test"
    assert not ui_env.paths.config_file.exists()
    assert not ui_env.paths.credentials_file.exists()


async def test_a_good_key_is_saved_0600_and_the_console_moves_to_it(make_test_app, ui_env) -> None:
    url = ui_env.endpoint.api_url
    async with OrbClient(url, ui_env.endpoint.api_key) as orb:
        key = (await orb.create_key("laptop")).api_key
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, ProfilesScreen)
        await sign_in(pilot, "work", url, key)
        # the status is the last thing the switch sets (it awaits closing the old clients)
        await until(pilot, lambda: "signed in as profile work" in status_of(screen), "signed in")
        assert app.profile_name == "work"
        table = screen.query_one("#profiles-table", DataTable)
        assert table.get_row("work")[1:4] == ["work (default)", url, mask_key(key)]
        assert key not in screen_text(screen)
        assert app.client is not None and app.client.api_key == key
        assert [k.name for k in await app.client.list_keys()] == ["laptop"]
    assert stat.S_IMODE(ui_env.paths.credentials_file.stat().st_mode) == 0o600
    assert load_credentials(ui_env.paths) == {"work": key}
    settings = load_settings(ui_env.paths)
    assert settings.default_profile == "work"
    assert settings.profiles["work"].api_url == url


async def test_register_saves_a_profile_and_its_key(make_test_app, ui_env) -> None:
    url = ui_env.endpoint.api_url
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, ProfilesScreen)
        await open_dialog(pilot, "g")
        await paste(pilot, f"r-{uuid.uuid4().hex[:10]}@example.com")
        await pilot.press("tab")
        app.focused.value = ""
        await pilot.press(*"mine", "enter")
        await until(pilot, lambda: "registered" in status_of(screen), "the new account")
        assert app.profile_name == "mine"
    assert stat.S_IMODE(ui_env.paths.credentials_file.stat().st_mode) == 0o600
    key = load_credentials(ui_env.paths)["mine"]
    assert load_settings(ui_env.paths).profiles["mine"].api_url == url
    async with OrbClient(url, key) as orb:
        assert (await orb.list_computers()).total == 0


async def test_add_an_endpoint_switch_to_it_then_sign_in(make_test_app, ui_env) -> None:
    url, key = ui_env.endpoint.api_url, ui_env.endpoint.api_key
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, ProfilesScreen)
        await open_dialog(pilot, "a")
        await pilot.press(*"spare", "tab")
        app.focused.value = ""
        await paste(pilot, url)
        await pilot.press("enter")
        table = screen.query_one("#profiles-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, "the new profile listed")
        assert table.get_row("spare")[1:4] == ["spare", url, "(none)"]
        assert not ui_env.paths.credentials_file.exists()
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: "no key yet" in status_of(screen), "the switch to spare")
        assert app.profile_name == "spare"
        assert app.client is None
        dialog = await open_dialog(pilot, "s")
        assert dialog.query_one("#profile-first", Input).value == "spare"
        assert dialog.query_one("#profile-url", Input).value == url
        await pilot.press("tab", "tab")
        await paste(pilot, key)
        await pilot.press("enter")
        await until(pilot, lambda: app.client is not None, "signed in to spare")
    assert load_credentials(ui_env.paths) == {"spare": key}


async def test_first_run_opens_profiles_and_register_signs_the_console_in(
    make_test_app, ui_env
) -> None:
    url = ui_env.endpoint.api_url
    app = make_test_app(endpoint=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ProfilesScreen), "the profiles screen")
        screen = app.screen
        await until(pilot, lambda: "not signed in" in screen_text(screen), "not signed in")
        dialog = await open_dialog(pilot, "g")
        assert dialog.query_one("#profile-name", Input).value == "default"
        await paste(pilot, f"first-{uuid.uuid4().hex[:10]}@example.com")
        dialog.query_one("#profile-url", Input).value = url
        await pilot.press("enter")
        await until(pilot, lambda: app.client is not None, "signed in")
        assert app.profile_name == "default"
        assert "profile default at " + url in screen_text(screen)
        assert (await app.client.list_computers()).total == 0
    assert load_settings(ui_env.paths).default_profile == "default"
