"""The Keys screen: the org's API keys, creating one (shown once, copyable) and revoking one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from orb_tui.api.errors import OrbError
from orb_tui.api.models import ApiKey, CreatedKey
from orb_tui.ui.screens.org_base import OnceDialog, OrgDialog, OrgScreen, when
from orb_tui.ui.widgets.dialogs import ConfirmDialog
from orb_tui.ui.widgets.tls_warning import TlsWarning

if TYPE_CHECKING:
    from orb_tui.api.client import OrbClient


@dataclass(frozen=True)
class NewKeyRequest:
    """What the new-key dialog asks for."""

    name: str


class NewKeyDialog(OrgDialog[NewKeyRequest]):
    """Ask for a name for the new key."""

    AUTO_FOCUS = "#key-name"
    SUBMIT_LABEL = "Create"

    def compose(self) -> ComposeResult:
        with Vertical(classes="org-dialog"):
            yield Label("New API key", classes="org-dialog--title")
            yield Label("Name")
            yield Input("console", id="key-name", placeholder="production", max_length=100)
            yield Static(
                "The key is shown once, right after it is created.", classes="org-dialog--hint"
            )
            yield from self.compose_buttons()

    def collect(self) -> NewKeyRequest | None:
        name = self.query_one("#key-name", Input).value.strip()
        if not name:
            self.show_error("name: give the key a name, e.g. production")
            return None
        return NewKeyRequest(name)


class KeysScreen(OrgScreen):
    """The org's API keys by name and prefix; `n` creates one, `d` revokes the highlighted one."""

    ORG_NAME = "keys"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_key", "New", id="new-key"),
        Binding("d", "revoke_key", "Revoke", id="revoke-key"),
        Binding("r", "refresh", "Refresh", id="refresh-keys"),
    ]

    @dataclass
    class Loaded(Message):
        """The keys list answered."""

        keys: list[ApiKey]

    @dataclass
    class Created(Message):
        """A key was created; the one moment its full value is known."""

        created: CreatedKey

    @dataclass
    class Revoked(Message):
        """A key was revoked on the server."""

        key_id: str
        name: str

    @dataclass
    class Failed(Message):
        """A request failed; `error` is a sentence a person can act on."""

        error: str

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, ApiKey] = {}
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield TlsWarning()
        with Vertical(classes="org-screen-body"):
            yield Static(self.heading(), classes="org-screen-heading", id="keys-heading")
            yield DataTable(id="keys-table", cursor_type="row", zebra_stripes=True)
            yield Static("", classes="org-screen-status", id="keys-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "API keys"
        table = self.query_one("#keys-table", DataTable)
        table.add_column("Name", key="name")
        table.add_column("Prefix", key="prefix")
        table.add_column("Created (UTC)", key="created")
        table.add_column("Key id", key="id")
        self.action_refresh()

    def action_refresh(self) -> None:
        """Fetch the keys again."""
        if (client := self.signed_in_client()) is not None:
            self.set_status("loading keys…")
            self.load_keys(client)

    @work(exclusive=True, group="keys", exit_on_error=False)
    async def load_keys(self, client: OrbClient) -> None:
        """Fetch the keys list."""
        try:
            self.post_message(self.Loaded(await client.list_keys()))
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot list keys: {exc}"))

    def on_keys_screen_loaded(self, message: Loaded) -> None:
        """Render the list, keeping the cursor on the same key where it still exists."""
        self.keys = {key.key_id: key for key in message.keys}
        table = self.query_one("#keys-table", DataTable)
        for row_key in list(table.rows):
            if row_key.value not in self.keys:
                table.remove_row(row_key)
        for key in message.keys:
            cells = (key.name, key.prefix, when(key.created_at), key.key_id[:8])
            if key.key_id in table.rows:
                for column, value in zip(("name", "prefix", "created", "id"), cells, strict=True):
                    table.update_cell(key.key_id, column, value)
            else:
                table.add_row(*cells, key=key.key_id)
        count = len(message.keys)
        summary = f"{count} key{'s' if count != 1 else ''}"
        self.set_status(f"{summary} · {self.note}" if self.note else f"{summary}; n new, d revoke")

    def on_keys_screen_failed(self, message: Failed) -> None:
        """Say what failed."""
        self.set_status(message.error, error=True)

    def action_new_key(self) -> None:
        """Ask for a name, then create the key."""
        if self.orb.refuse_if_read_only("create key"):
            return
        if (client := self.signed_in_client()) is not None:
            self.app.push_screen(NewKeyDialog(), lambda request: self._create(client, request))

    def _create(self, client: OrbClient, request: NewKeyRequest | None) -> None:
        if request is not None:
            self.set_status(f"creating key {request.name}…")
            self.create_key(client, request.name)

    @work(exclusive=True, group="keys-change", exit_on_error=False)
    async def create_key(self, client: OrbClient, name: str) -> None:
        """Create a key on the server."""
        try:
            self.post_message(self.Created(await client.create_key(name)))
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot create key {name}: {exc}"))

    def on_keys_screen_created(self, message: Created) -> None:
        """Show the new key once, then list it."""
        created = message.created
        self.note = f"created key {created.name} ({created.prefix}…)"
        note = "Copy it now: it is not shown again. Requests can use it at once."
        self.app.push_screen(OnceDialog(f"New key {created.name}", created.api_key, note))
        self.action_refresh()

    def action_revoke_key(self) -> None:
        """Ask, then revoke the highlighted key."""
        if self.orb.refuse_if_read_only("revoke key"):
            return
        key = self._highlighted()
        client = self.signed_in_client()
        if key is None or client is None:
            if client is not None:
                self.set_status("no key selected", error=True)
            return
        body = f"Requests made with {key.prefix}… fail at once. This cannot be undone."
        if self._is_own_key(client, key):
            body += " This console is signed in with this key."
        dialog = ConfirmDialog(f"Revoke key {key.name}?", body, yes="Revoke")
        self.app.push_screen(dialog, lambda yes: self._revoke(client, key, yes))

    def _revoke(self, client: OrbClient, key: ApiKey, yes: bool | None) -> None:
        if yes:
            self.set_status(f"revoking key {key.name}…")
            self.revoke_key(client, key)

    @work(exclusive=True, group="keys-change", exit_on_error=False)
    async def revoke_key(self, client: OrbClient, key: ApiKey) -> None:
        """Revoke a key on the server."""
        try:
            await client.revoke_key(key.key_id)
            self.post_message(self.Revoked(key.key_id, key.name))
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot revoke key {key.name}: {exc}"))

    def on_keys_screen_revoked(self, message: Revoked) -> None:
        """Say so and list again."""
        self.note = f"revoked key {message.name}"
        self.action_refresh()

    def _highlighted(self) -> ApiKey | None:
        table = self.query_one("#keys-table", DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self.keys.get(str(row_key.value))

    @staticmethod
    def _is_own_key(client: OrbClient, key: ApiKey) -> bool:
        return bool(client.api_key and key.prefix and client.api_key.startswith(key.prefix))
