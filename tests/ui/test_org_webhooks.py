"""The Webhooks screen against the local server: create, deliveries as they arrive, delete."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from test_org_support import (
    open_screen,
    paste,
    screen_text,
    status_of,
    until,
)
from textual.widgets import DataTable, Input, SelectionList

from orb_tui.api.client import OrbClient
from orb_tui.ui.screens.org_base import OnceDialog
from orb_tui.ui.screens.webhooks import NewWebhookDialog, WebhooksScreen
from orb_tui.ui.widgets.dialogs import ConfirmDialog


class Receiver:
    """A real HTTP endpoint on loopback that answers 204 and keeps each body it was sent."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
        self.bodies.append(await reader.readexactly(int(length.group(1)) if length else 0))
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    server = await asyncio.start_server(hook.handle, "127.0.0.1", 0)
    hook.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/orb"
    yield hook
    server.close()
    await server.wait_closed()


async def create_webhook(pilot, url: str, *, keep: set[str]) -> str:
    """Fill the dialog (URL, events other than `keep` unticked); returns the secret shown once."""
    app = pilot.app
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, NewWebhookDialog), "the new-webhook dialog")
    dialog = app.screen
    assert isinstance(app.focused, Input) and app.focused.id == "webhook-url"
    await paste(pilot, url)
    events = dialog.query_one(SelectionList)
    for event in list(events.selected):
        if event not in keep:
            events.deselect(event)
    events.focus()  # Enter submits from the events list too, not only from the URL
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, OnceDialog), "the signing secret")
    secret = str(app.screen.query_one("#once-secret").content)
    await pilot.press("enter")
    return secret


async def test_create_lists_it_and_shows_its_deliveries(
    make_test_app, ui_env, receiver: Receiver
) -> None:
    app = make_test_app()
    endpoint = ui_env.endpoint
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, WebhooksScreen)
        secret = await create_webhook(pilot, receiver.url, keep={"computer.created"})
        assert secret
        table = screen.query_one("#webhooks-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, "the webhook listed")
        assert table.get_row_at(0)[::2] == [receiver.url, "computer: created"]
        assert secret not in screen_text(screen)
        await pilot.press("c")
        assert app.clipboard == receiver.url
        async with OrbClient(endpoint.api_url, endpoint.api_key) as orb:
            [hook] = await orb.list_webhooks()
            assert (hook.url, hook.events) == (receiver.url, ("computer.created",))
            await orb.create_computer("hooked")
        deliveries = screen.query_one("#deliveries-table", DataTable)
        await until(pilot, lambda: deliveries.row_count >= 1, "a delivery listed")
        row = deliveries.get_row_at(0)
        assert row[1:] == ["computer.created", "1", "204", "ok"]
        assert b"computer.created" in receiver.bodies[0]


async def test_delete_asks_then_the_server_forgets_it(make_test_app, ui_env) -> None:
    app = make_test_app()
    endpoint = ui_env.endpoint
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot, WebhooksScreen)
        await create_webhook(pilot, "https://example.com/orb", keep={"agent.finished"})
        table = screen.query_one("#webhooks-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, "the webhook listed")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: table.row_count == 0, "the webhook gone")
        assert "deleted webhook to https://example.com/orb" in status_of(screen)
    async with OrbClient(endpoint.api_url, endpoint.api_key) as orb:
        assert await orb.list_webhooks() == []


async def test_dialog_refuses_a_bad_url_and_no_events(make_test_app) -> None:
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, WebhooksScreen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewWebhookDialog), "the dialog")
        dialog = app.screen
        await pilot.press(*"ftp://x", "enter")
        assert app.screen is dialog
        assert "url: an http:// or https:// address" in screen_text(dialog)
        dialog.query_one(Input).value = "https://example.com/x"
        dialog.query_one(SelectionList).deselect_all()
        await pilot.press("enter")
        assert app.screen is dialog
        assert "events: choose at least one" in screen_text(dialog)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, WebhooksScreen), "the dialog closed")
