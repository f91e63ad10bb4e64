"""What the org screens share: their base screen, a form dialog, and the one-time display of a secret."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, Static

from orb_tui.config.credentials import mask_key

if TYPE_CHECKING:
    from orb_tui.api.client import OrbClient
    from orb_tui.ui.app import OrbApp

T = TypeVar("T")

DIALOG_CSS = """
OrgDialog, OnceDialog {
    align: center middle;
}
.org-dialog {
    width: 72;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    border: thick $primary 60%;
    background: $surface;
    padding: 0 1;
    overflow-y: auto;
}
.org-dialog .org-dialog--title {
    text-style: bold;
    width: 100%;
}
.org-dialog .org-dialog--error {
    color: $error;
    height: auto;
}
.org-dialog .org-dialog--hint {
    color: $text-muted;
    height: auto;
}
.org-dialog .org-dialog--buttons {
    height: auto;
    align-horizontal: right;
}
.org-dialog Button {
    margin-left: 1;
    min-width: 10;
}
"""


NOT_SIGNED_IN = "not signed in: press P for Profiles to sign in or register"
NOT_HERE = "not signed in: s signs in with a key, g registers"
"""The same, said on the Profiles screen itself."""

ORG_SCREEN_CSS = """
.org-screen-heading { padding: 0 1; color: $text-muted; height: auto; }
.org-screen-status { padding: 0 1; height: auto; max-height: 3; }
.org-screen-status.-error { color: $error; }
.org-screen-body DataTable { height: 1fr; }
"""


def when(value: object) -> str:
    """A creation time as `2026-11-28 20:15` (UTC), or an empty cell."""
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


class OrgScreen(Screen[None]):
    """What the org screens share: the typed app, a status line, and leaving with q or Escape."""

    DEFAULT_CSS = ORG_SCREEN_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="org-back"),
        # The app's K/W/U/P again, hidden: they keep the footer short at 80 columns and
        # replace this screen instead of piling org screens up.
        Binding("K", "org_screen('keys')", "Keys", show=False, id="keys-screen"),
        Binding("W", "org_screen('webhooks')", "Webhooks", show=False, id="webhooks-screen"),
        Binding("U", "org_screen('usage')", "Usage", show=False, id="usage-screen"),
        Binding("P", "org_screen('profiles')", "Profiles", show=False, id="profiles-screen"),
    ]
    ORG_NAME = ""
    """This screen's name in the app's org_screen action."""

    @property
    def orb(self) -> OrbApp:
        """The app, typed: org screens only run inside an OrbApp."""
        return cast("OrbApp", self.app)

    def signed_in_client(self) -> OrbClient | None:
        """The app's client, or None after saying on the status line that nobody is signed in
        (or that the console is still connecting: it tells the screen when it is done)."""
        client = self.orb.client
        if client is None and self.orb.connecting:
            self.set_status("connecting…")
        elif client is None:
            self.set_status(NOT_SIGNED_IN, error=True)
        return client

    def endpoint_changed(self) -> None:
        """The console connected, or moved to another endpoint: say which, and load again."""
        if not self.query(".org-screen-status"):  # not composed yet: its own mount loads it
            return
        for heading in self.query(".org-screen-heading").results(Static):
            heading.update(self.heading())
        refresh = getattr(self, "action_refresh", None)
        if callable(refresh):
            refresh()

    def set_status(self, text: str, *, error: bool = False) -> None:
        """Say what happened (or went wrong) on the screen's status line."""
        status = self.query_one(".org-screen-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def heading(self) -> str:
        """Which endpoint this screen is showing, for the line under the header."""
        client = self.orb.client
        endpoint = self.orb.endpoint
        if client is None and self.orb.connecting and endpoint is not None:
            return f"connecting to {endpoint.api_url}…"
        if client is None:
            return NOT_HERE if self.ORG_NAME == "profiles" else NOT_SIGNED_IN
        profile = self.orb.profile_name or "(no profile)"
        return f"profile {profile} at {client.base_url}"

    def action_back(self) -> None:
        """Return to the screen below."""
        self.dismiss(None)

    def action_org_screen(self, name: str) -> None:
        """Open another org screen in place of this one."""
        if name != self.ORG_NAME:
            self.app.pop_screen()
            self.orb.action_org_screen(name)


class OrgDialog(ModalScreen[T], Generic[T]):
    """A form: the first field has focus, Enter submits from any field, Escape cancels.

    Subclasses compose their fields inside `self.frame(...)` and implement `collect`, which returns
    the result or None after calling `self.show_error` with what is wrong.
    """

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Submit", priority=True, id="dialog-submit"),
        Binding("escape", "cancel", "Cancel", id="dialog-cancel"),
    ]
    TITLE_TEXT = ""
    SUBMIT_LABEL = "OK"

    def compose_buttons(self) -> ComposeResult:
        """The hint, error line and buttons at the foot of the form."""
        yield Static("", classes="org-dialog--error", id="dialog-error")
        with Horizontal(classes="org-dialog--buttons"):
            yield Button(self.SUBMIT_LABEL, variant="primary", id="dialog-ok")
            yield Button("Cancel", id="dialog-cancel")

    def collect(self) -> T | None:
        """The result of the form, or None when a field is wrong."""
        raise NotImplementedError

    def show_error(self, text: str) -> None:
        """Show what is wrong with the form, under the fields."""
        self.query_one("#dialog-error", Static).update(text)

    def action_submit(self) -> None:
        """Enter: a focused Cancel button cancels; anything else submits the form."""
        focused = self.focused
        if isinstance(focused, Button) and focused.id == "dialog-cancel":
            self.dismiss(None)
            return
        result = self.collect()
        if result is not None:
            self.dismiss(result)

    def action_cancel(self) -> None:
        """Escape: close without a result."""
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The mouse path to submit or cancel."""
        event.stop()
        if event.button.id == "dialog-ok":
            self.action_submit()
        else:
            self.dismiss(None)


class OnceDialog(ModalScreen[None]):
    """Shows a new secret in full, once, with a copy action through OSC 52 and a mask toggle."""

    DEFAULT_CSS = DIALOG_CSS
    AUTO_FOCUS = "#once-done"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy", id="copy-secret"),
        Binding("m", "toggle_mask", "Mask", id="mask-secret"),
        Binding("escape,enter", "close", "Done", id="close-secret"),
    ]

    def __init__(self, title: str, secret: str, note: str) -> None:
        super().__init__()
        self._title = title
        self._secret = secret
        self._note = note
        self.masked = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="org-dialog"):
            yield Label(self._title, classes="org-dialog--title")
            yield Static(self._note, classes="org-dialog--hint")
            yield Static(self._secret, id="once-secret", markup=False)
            yield Static("c copies it, m masks it, Enter closes", classes="org-dialog--hint")
            with Horizontal(classes="org-dialog--buttons"):
                yield Button("Copy", id="once-copy")
                yield Button("Done", variant="primary", id="once-done")

    def action_copy(self) -> None:
        """Copy the secret to the clipboard (OSC 52, so it works over SSH)."""
        self.app.copy_to_clipboard(self._secret)
        self.notify("copied to the clipboard")

    def action_toggle_mask(self) -> None:
        """Hide or show the secret on screen (for screen sharing or a screenshot)."""
        self.masked = not self.masked
        shown = mask_key(self._secret) if self.masked else self._secret
        self.query_one("#once-secret", Static).update(shown)

    def action_close(self) -> None:
        """Close; the secret cannot be shown again."""
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The mouse path to copy and close."""
        event.stop()
        if event.button.id == "once-copy":
            self.action_copy()
        else:
            self.dismiss(None)


def org_binding_groups() -> list[tuple[str, list[Binding], type[OrgScreen]]]:
    """Each org screen's own bindings with a group title, for `?` help and the command palette."""
    from orb_tui.ui.screens.keys import KeysScreen
    from orb_tui.ui.screens.profiles import ProfilesScreen
    from orb_tui.ui.screens.usage import UsageScreen
    from orb_tui.ui.screens.webhooks import WebhooksScreen

    screens: list[tuple[str, type[OrgScreen]]] = [
        ("Keys screen", KeysScreen),
        ("Webhooks screen", WebhooksScreen),
        ("Usage screen", UsageScreen),
        ("Profiles screen", ProfilesScreen),
    ]
    back = [b for b in OrgScreen.BINDINGS if isinstance(b, Binding) and b.show]
    return [
        (title, [*back, *(b for b in cls.BINDINGS if isinstance(b, Binding))], cls)
        for title, cls in screens
    ]
