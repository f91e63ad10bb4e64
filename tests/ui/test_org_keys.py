"""The Keys screen against the local server: create (shown once, copied), revoke, read-only."""

from __future__ import annotations

import pytest
from test_org_support import open_screen, screen_text, status_of, until
from textual.widgets import DataTable, Static

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import Unauthorized
from orb_tui.config.credentials import mask_key
from orb_tui.ui.screens.keys import KeysScreen, NewKeyDialog
from orb_tui.ui.screens.org_base import OnceDialog
from orb_tui.ui.widgets.dialogs import ConfirmDialog


async def create_key(pilot, name: str) -> str:
    """Create a key through the dialog; returns the full key from the one-time display."""
    app = pilot.app
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, NewKeyDialog), "the new-key dialog")
    assert app.focused is not None and app.focused.id == "key-name"
    app.focused.value = ""
    await pilot.press(*name, "enter")
    await until(pilot, lambda: isinstance(app.screen, OnceDialog), "the new key")
    return str(app.screen.query_one("#once-secret", Static).content)


async def test_create_shows_the_key_once_and_it_works(make_test_app, ui_env) -> None:
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, KeysScreen)
        key = await create_key(pilot, "ci")
        assert key.startswith("orb_")
        await pilot.press("c")
        assert app.clipboard == key
        await pilot.press("m")
        assert key not in screen_text(app.screen)
        assert mask_key(key) in screen_text(app.screen)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen, "the keys screen again")
        table = screen.query_one("#keys-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, "the new key listed")
        assert table.get_row_at(0)[:2] == ["ci", key[:8]]
        assert key not in screen_text(screen)
    async with OrbClient(ui_env.endpoint.api_url, key) as with_new_key:
        assert [k.name for k in await with_new_key.list_keys()] == ["ci"]


async def test_revoke_asks_then_the_key_fails(make_test_app, ui_env) -> None:
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, KeysScreen)
        key = await create_key(pilot, "doomed")
        await pilot.press("enter")
        table = screen.query_one("#keys-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, "the key listed")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        assert "doomed" in screen_text(app.screen)
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen, "back on the keys screen")
        assert table.row_count == 1
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: table.row_count == 0, "the key gone from the list")
        assert "revoked key doomed" in status_of(screen)
    async with OrbClient(ui_env.endpoint.api_url, key) as with_revoked:
        with pytest.raises(Unauthorized):
            await with_revoked.list_keys()
