"""The Webhooks screen: the org's webhooks, creating and deleting one, and its recent deliveries."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Label, SelectionList, Static
from textual.worker import Worker

from orb_tui.api.errors import OrbError
from orb_tui.api.models import CreatedWebhook, Delivery, Webhook
from orb_tui.ui.screens.org_base import OnceDialog, OrgDialog, OrgScreen, when
from orb_tui.ui.widgets.dialogs import ConfirmDialog
from orb_tui.ui.widgets.tls_warning import TlsWarning

if TYPE_CHECKING:
    from orb_tui.api.client import OrbClient

EVENTS = (
    "computer.created",
    "computer.destroyed",
    "agent.spawned",
    "agent.checkpointed",
    "agent.restored",
    "agent.finished",
)
"""Every event type the API documents, in the order the dialog lists them."""


def events_text(events: tuple[str, ...]) -> str:
    """A webhook's events, short: `all`, or `computer: created · agent: spawned, finished`."""
    if set(EVENTS) <= set(events):
        return "all"
    groups: dict[str, list[str]] = {}
    for event in events:
        kind, _, what = event.partition(".")
        groups.setdefault(kind, []).extend([what] if what else [])
    return " · ".join(
        f"{kind}: {', '.join(whats)}" if whats else kind for kind, whats in groups.items()
    )


@dataclass(frozen=True)
class NewWebhook:
    """What the new-webhook dialog asks the server for."""

    url: str
    events: tuple[str, ...]


def validate_webhook(url: str, events: list[str]) -> NewWebhook | str:
    """A `NewWebhook`, or a sentence saying which field is wrong."""
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) < len("http://x"):
        return "url: an http:// or https:// address, e.g. https://example.com/orb"
    if not events:
        return "events: choose at least one (space toggles)"
    return NewWebhook(url, tuple(event for event in EVENTS if event in events))


class NewWebhookDialog(OrgDialog[NewWebhook]):
    """Ask for the URL and the events; every event starts ticked."""

    AUTO_FOCUS = "#webhook-url"
    SUBMIT_LABEL = "Create"
    DEFAULT_CSS = """
    NewWebhookDialog SelectionList { height: auto; max-height: 8; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(classes="org-dialog"):
            yield Label("New webhook", classes="org-dialog--title")
            yield Label("URL")
            yield Input(id="webhook-url", placeholder="https://example.com/orb")
            yield Label("Events (space toggles)")
            yield SelectionList[str](
                *((event, event, True) for event in EVENTS), id="webhook-events"
            )
            yield from self.compose_buttons()

    def collect(self) -> NewWebhook | None:
        result = validate_webhook(
            self.query_one("#webhook-url", Input).value,
            self.query_one("#webhook-events", SelectionList).selected,
        )
        if isinstance(result, str):
            self.show_error(result)
            return None
        return result


DELIVERY_COLUMNS = (
    ("When (UTC)", "when"),
    ("Event", "event"),
    ("Attempt", "attempt"),
    ("Status", "status"),
    ("Result", "result"),
)


def delivery_cells(delivery: Delivery) -> tuple[str, str, str, str, str]:
    """A delivery as table cells: time (to the second), event, attempt, HTTP status, result."""
    at = delivery.created_at
    stamp = at.strftime("%Y-%m-%d %H:%M:%S") if at else ""
    status = str(delivery.status_code) if delivery.status_code is not None else "-"
    result = "ok" if delivery.success else (delivery.error or "failed")
    return (stamp, delivery.type, str(delivery.attempt), status, result)


class WebhooksScreen(OrgScreen):
    """Webhooks above, the highlighted one's recent deliveries below; `n` creates, `d` deletes."""

    DEFAULT_CSS = """
    WebhooksScreen #webhooks-table { height: 1fr; }
    WebhooksScreen #deliveries-table { height: 1fr; }
    WebhooksScreen .webhooks-caption { padding: 0 1; text-style: bold; }
    """
    ORG_NAME = "webhooks"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_webhook", "New", id="new-webhook"),
        Binding("d", "delete_webhook", "Delete", id="delete-webhook"),
        Binding("r", "refresh", "Refresh", id="refresh-webhooks"),
        Binding("c", "copy_url", "Copy URL", show=False, id="copy-webhook-url"),
    ]

    @dataclass
    class Loaded(Message):
        """The webhooks list answered."""

        webhooks: list[Webhook]

    @dataclass
    class DeliveriesLoaded(Message):
        """One webhook's recent deliveries answered."""

        webhook_id: str
        deliveries: list[Delivery]

    @dataclass
    class DeliveriesFailed(Message):
        """One webhook's deliveries could not be listed."""

        webhook_id: str
        error: str

    @dataclass
    class Created(Message):
        """A webhook was created; the one moment its signing secret is known."""

        created: CreatedWebhook

    @dataclass
    class Deleted(Message):
        """A webhook was deleted on the server."""

        webhook_id: str
        url: str

    @dataclass
    class Failed(Message):
        """A request failed; `error` is a sentence a person can act on."""

        error: str

    def __init__(self) -> None:
        super().__init__()
        self.webhooks: dict[str, Webhook] = {}
        self.shown_deliveries: str | None = None
        self.deleted: set[str] = set()
        self.note = ""
        self._deliveries: Worker[None] | None = None
        self._failures = 0
        self._retry_at = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        yield TlsWarning()
        with Vertical(classes="org-screen-body"):
            yield Static(self.heading(), classes="org-screen-heading", id="webhooks-heading")
            yield DataTable(id="webhooks-table", cursor_type="row", zebra_stripes=True)
            yield Static("Recent deliveries", classes="webhooks-caption", id="deliveries-caption")
            yield DataTable(id="deliveries-table", cursor_type="row", zebra_stripes=True)
            yield Static("", classes="org-screen-status", id="webhooks-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "Webhooks"
        webhooks = self.query_one("#webhooks-table", DataTable)
        webhooks.add_columns("URL", "Created (UTC)", "Events")
        deliveries = self.query_one("#deliveries-table", DataTable)
        for label, key in DELIVERY_COLUMNS:
            deliveries.add_column(label, key=key)
        self.action_refresh()
        self.set_interval(self.orb.settings.poll_interval, self._poll_deliveries)

    def _poll_deliveries(self) -> None:
        """Deliveries keep arriving while the screen is open; look again every poll interval,
        but not while the last look still waits for its answer, nor soon after one failed."""
        hook = self._highlighted()
        waiting = self._deliveries is not None and not self._deliveries.is_finished
        if waiting or time.monotonic() < self._retry_at:
            return
        if hook is not None and self.orb.client is not None:
            self._deliveries = self.load_deliveries(self.orb.client, hook.id)

    def action_refresh(self) -> None:
        """Fetch the webhooks and the highlighted one's deliveries again."""
        if (client := self.signed_in_client()) is not None:
            self.set_status("loading webhooks…")
            self.load_webhooks(client)

    @work(exclusive=True, group="webhooks", exit_on_error=False)
    async def load_webhooks(self, client: OrbClient) -> None:
        """Fetch the webhooks list."""
        try:
            self.post_message(self.Loaded(await client.list_webhooks()))
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot list webhooks: {exc}"))

    @work(exclusive=True, group="deliveries", exit_on_error=False)
    async def load_deliveries(self, client: OrbClient, webhook_id: str) -> None:
        """Fetch one webhook's recent deliveries."""
        try:
            deliveries = await client.list_deliveries(webhook_id)
            self.post_message(self.DeliveriesLoaded(webhook_id, deliveries))
        except OrbError as exc:
            self.post_message(self.DeliveriesFailed(webhook_id, f"cannot list deliveries: {exc}"))

    def on_webhooks_screen_loaded(self, message: Loaded) -> None:
        """Render the list; the table keeps its cursor on the same webhook where it can."""
        self.webhooks = {hook.id: hook for hook in message.webhooks}
        table = self.query_one("#webhooks-table", DataTable)
        for row_key in list(table.rows):
            if row_key.value not in self.webhooks:
                table.remove_row(row_key)
        for hook in message.webhooks:
            if hook.id not in table.rows:
                table.add_row(
                    hook.url, when(hook.created_at), events_text(hook.events), key=hook.id
                )
        count = len(message.webhooks)
        summary = f"{count} webhook{'s' if count != 1 else ''}"
        self.set_status(
            f"{summary} · {self.note}"
            if self.note
            else f"{summary}; n new, d delete, c copies the URL"
        )
        self._show_deliveries_for_cursor()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Moving through the webhooks shows each one's deliveries."""
        if event.data_table.id == "webhooks-table":
            self._show_deliveries_for_cursor()

    def _show_deliveries_for_cursor(self) -> None:
        hook = self._highlighted()
        caption = self.query_one("#deliveries-caption", Static)
        if hook is None or hook.id != self.shown_deliveries:
            self.shown_deliveries = None
            self.query_one("#deliveries-table", DataTable).clear()
            caption.update(
                "Recent deliveries" if hook is None else f"Loading deliveries to {hook.url}…"
            )
        if hook is not None and self.orb.client is not None:
            self.load_deliveries(self.orb.client, hook.id)

    def on_webhooks_screen_deliveries_loaded(self, message: DeliveriesLoaded) -> None:
        """Render the highlighted webhook's deliveries, newest first, by diff (polled)."""
        hook = self._highlighted()
        if self._failures and hook is not None:
            self.set_status(f"deliveries to {hook.url} load again")
        self._failures, self._retry_at = 0, 0.0
        if hook is None or hook.id != message.webhook_id:
            return
        table = self.query_one("#deliveries-table", DataTable)
        if self.shown_deliveries != message.webhook_id:
            table.clear()
            self.shown_deliveries = message.webhook_id
        listed = {delivery.id for delivery in message.deliveries}
        for row_key in [key for key in table.rows if key.value not in listed]:
            table.remove_row(row_key)
        fresh = [d for d in message.deliveries if d.id not in table.rows]
        for delivery in fresh:
            table.add_row(*delivery_cells(delivery), key=delivery.id)
        if fresh:
            table.sort("when", "attempt", reverse=True)
        caption = "Recent deliveries" if message.deliveries else "No deliveries yet"
        self.query_one("#deliveries-caption", Static).update(f"{caption} to {hook.url}")

    def on_webhooks_screen_deliveries_failed(self, message: DeliveriesFailed) -> None:
        """Say so, unless the webhook was deleted meanwhile (its deliveries went with it)."""
        self._failures += 1
        interval = self.orb.settings.poll_interval
        self._retry_at = time.monotonic() + min(interval * 15, interval * 2 ** (self._failures - 1))
        if message.webhook_id in self.webhooks and message.webhook_id not in self.deleted:
            self.set_status(message.error, error=True)

    def on_webhooks_screen_failed(self, message: Failed) -> None:
        """Say what failed."""
        self.set_status(message.error, error=True)

    def action_new_webhook(self) -> None:
        """Ask for a URL and events, then create the webhook."""
        if self.orb.refuse_if_read_only("create webhook"):
            return
        if (client := self.signed_in_client()) is not None:
            self.app.push_screen(NewWebhookDialog(), lambda new: self._create(client, new))

    def _create(self, client: OrbClient, new: NewWebhook | None) -> None:
        if new is not None:
            self.set_status(f"creating webhook to {new.url}…")
            self.create_webhook(client, new)

    @work(exclusive=True, group="webhooks-change", exit_on_error=False)
    async def create_webhook(self, client: OrbClient, new: NewWebhook) -> None:
        """Create a webhook on the server."""
        try:
            self.post_message(self.Created(await client.create_webhook(new.url, new.events)))
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot create the webhook: {exc}"))

    def on_webhooks_screen_created(self, message: Created) -> None:
        """Show the signing secret once, then list the webhook."""
        created = message.created
        self.note = f"created webhook to {created.url}"
        note = "Each delivery is signed with this secret (X-Orb-Signature). It is not shown again."
        self.app.push_screen(OnceDialog("Webhook signing secret", created.secret, note))
        self.action_refresh()

    def action_delete_webhook(self) -> None:
        """Ask, then delete the highlighted webhook."""
        if self.orb.refuse_if_read_only("delete webhook"):
            return
        hook = self._highlighted()
        client = self.signed_in_client()
        if hook is None or client is None:
            if client is not None:
                self.set_status("no webhook selected", error=True)
            return
        body = f"Events stop going to {hook.url}. This cannot be undone."
        dialog = ConfirmDialog("Delete this webhook?", body, yes="Delete")
        self.app.push_screen(dialog, lambda yes: self._delete(client, hook, yes))

    def _delete(self, client: OrbClient, hook: Webhook, yes: bool | None) -> None:
        if yes:
            self.deleted.add(hook.id)
            self.set_status(f"deleting webhook to {hook.url}…")
            self.delete_webhook(client, hook)

    @work(exclusive=True, group="webhooks-change", exit_on_error=False)
    async def delete_webhook(self, client: OrbClient, hook: Webhook) -> None:
        """Delete a webhook on the server."""
        try:
            await client.delete_webhook(hook.id)
            self.post_message(self.Deleted(hook.id, hook.url))
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot delete the webhook: {exc}"))

    def on_webhooks_screen_deleted(self, message: Deleted) -> None:
        """Say so and list again."""
        self.note = f"deleted webhook to {message.url}"
        self.action_refresh()

    def action_copy_url(self) -> None:
        """Copy the highlighted webhook's URL (OSC 52, so it works over SSH)."""
        if (hook := self._highlighted()) is not None:
            self.app.copy_to_clipboard(hook.url)
            self.set_status(f"copied {hook.url}")

    def _highlighted(self) -> Webhook | None:
        table = self.query_one("#webhooks-table", DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self.webhooks.get(str(row_key.value))
