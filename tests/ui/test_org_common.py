"""What every org screen shares: nothing cut off at 80x24 and 120x40, read-only refusals, moving between them."""

from __future__ import annotations

import pytest
from test_org_support import assert_fits, notifications, open_screen, status_of, until
from textual.binding import Binding
from textual.widgets import Input

from orb_tui.ui.screens.keys import KeysScreen, NewKeyDialog
from orb_tui.ui.screens.org_base import OnceDialog, OrgDialog, OrgScreen, org_binding_groups
from orb_tui.ui.screens.profiles import ProfileDialog, ProfilesScreen
from orb_tui.ui.screens.usage import UsageScreen
from orb_tui.ui.screens.webhooks import NewWebhookDialog, WebhooksScreen
from orb_tui.ui.widgets.usage_chart import UsageChart

DIALOGS = (
    (KeysScreen, "n", NewKeyDialog),
    (WebhooksScreen, "n", NewWebhookDialog),
    (ProfilesScreen, "s", ProfileDialog),
    (ProfilesScreen, "g", ProfileDialog),
    (ProfilesScreen, "a", ProfileDialog),
)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_screen_and_dialog_fits(make_test_app, size: tuple[int, int]) -> None:
    app = make_test_app()
    async with app.run_test(size=size) as pilot:
        for screen_type in (KeysScreen, WebhooksScreen, UsageScreen, ProfilesScreen):
            screen = await open_screen(pilot, screen_type)
            await until(pilot, lambda s=screen: "loading" not in status_of(s), "the screen loaded")
            await assert_fits(pilot, screen)
            for chart in screen.query(UsageChart):
                assert chart.region.height >= 4, "a chart has room for bars"
            app.pop_screen()
        for screen_type, key, dialog_type in DIALOGS:
            screen = await open_screen(pilot, screen_type)
            await pilot.press(key)
            await until(
                pilot, lambda d=dialog_type: isinstance(app.screen, d), dialog_type.__name__
            )
            await assert_fits(pilot, app.screen)
            assert isinstance(app.focused, Input), "the first field has focus"
            await pilot.press("escape")
            await until(pilot, lambda s=screen: app.screen is s, "the dialog closed")
            app.pop_screen()


async def test_read_only_refuses_every_change(make_test_app) -> None:
    app = make_test_app(read_only=True)
    refusals = (
        (KeysScreen, "n", "create key"),
        (KeysScreen, "d", "revoke key"),
        (WebhooksScreen, "n", "create webhook"),
        (WebhooksScreen, "d", "delete webhook"),
        (ProfilesScreen, "g", "register"),
    )
    async with app.run_test(size=(100, 30)) as pilot:
        for screen_type, key, what in refusals:
            screen = await open_screen(pilot, screen_type)
            app.clear_notifications()
            await pilot.press(key)
            assert app.screen is screen, "no dialog opened"
            assert notifications(app) == [f"read-only mode: {what} refused"]
            app.pop_screen()


async def test_org_keys_replace_the_org_screen(make_test_app) -> None:
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.screen_stack) == 2, "the main screen")
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, KeysScreen), "the keys screen")
        await pilot.press("U")
        await until(pilot, lambda: isinstance(app.screen, UsageScreen), "the usage screen")
        assert len(app.screen_stack) == 3
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 2, "back on the main screen")


async def test_the_keymap_remaps_org_bindings(make_test_app) -> None:
    app = make_test_app(keymap={"new-key": "plus", "org-back": "backspace"})
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, KeysScreen)
        await pilot.press("n")
        assert app.screen is screen, "n no longer opens the dialog"
        await pilot.press("plus")
        await until(pilot, lambda: isinstance(app.screen, NewKeyDialog), "the dialog on +")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "the dialog closed")
        await pilot.press("backspace")
        await until(pilot, lambda: not isinstance(app.screen, KeysScreen), "back on backspace")


def test_every_org_binding_has_an_id() -> None:
    owners: list[type[object]] = [OrgScreen, OrgDialog, OnceDialog]
    bindings = [b for owner in owners for b in owner.BINDINGS]  # type: ignore[attr-defined]
    for _title, screen_bindings, _cls in org_binding_groups():
        bindings.extend(screen_bindings)
    missing = [b.key for b in bindings if isinstance(b, Binding) and not b.id]
    assert bindings and not missing
    assert [title for title, _, _ in org_binding_groups()] == [
        "Keys screen",
        "Webhooks screen",
        "Usage screen",
        "Profiles screen",
    ]
