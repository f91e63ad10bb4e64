"""The Profiles screen: sign in with a key, register an account, add an endpoint, switch profile."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, Static

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import OrbError, Unauthorized
from orb_tui.config.credentials import CredentialsError, load_credentials, mask_key, save_credential
from orb_tui.config.settings import (
    CLOUD_URL,
    Endpoint,
    Profile,
    api_url_problem,
    load_settings,
    save_profile,
)
from orb_tui.config.toml_io import TomlSyntaxError
from orb_tui.ui.screens.org_base import OrgDialog, OrgScreen
from orb_tui.ui.widgets.tls_warning import TlsWarning

PROFILE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SAVE_ERRORS = (TomlSyntaxError, CredentialsError, OSError)
"""What saving a profile or key can raise: a broken file, a too-open credentials file, the disk."""


@dataclass(frozen=True)
class ProfileForm:
    """What the profile dialogs ask for; `secret` is the key (sign in) or the email (register)."""

    name: str
    api_url: str
    secret: str = ""
    verify_tls: bool = True


def check_profile(name: str, url: str) -> str | None:
    """A sentence saying what is wrong with a profile name or URL, or None."""
    if not PROFILE_NAME_RE.match(name):
        return "profile: 1-40 letters, digits, '_' or '-'"
    if not url.startswith(("http://", "https://")) or len(url) < len("http://x"):
        return "API URL: an http:// or https:// address, e.g. https://api.orbcloud.dev"
    problem = api_url_problem(url)
    return f"API URL: {problem}" if problem else None


class ProfileDialog(OrgDialog[ProfileForm]):
    """A profile name and an API URL, plus a key, an email, or a TLS check box (per `kind`)."""

    AUTO_FOCUS = "#profile-first"
    TITLES: ClassVar[dict[str, tuple[str, str]]] = {
        "sign-in": ("Sign in with an API key", "Sign in"),
        "register": ("Register a new account", "Register"),
        "endpoint": ("Add an endpoint", "Add"),
    }

    def __init__(self, kind: str, name: str, url: str) -> None:
        super().__init__()
        self.kind = kind
        self.heading, self.SUBMIT_LABEL = self.TITLES[kind]
        self.default_name = name
        self.default_url = url

    def compose(self) -> ComposeResult:
        with Vertical(classes="org-dialog"):
            yield Label(self.heading, classes="org-dialog--title")
            if self.kind == "register":
                yield Label("Email")
                yield Input(id="profile-first", placeholder="you@example.com")
            yield Label("Profile name")
            name_id = "profile-name" if self.kind == "register" else "profile-first"
            yield Input(self.default_name, id=name_id)
            yield Label("API URL")
            yield Input(self.default_url, id="profile-url")
            if self.kind == "sign-in":
                yield Label("API key (checked with the server before it is saved)")
                yield Input(id="profile-key", password=True, placeholder="orb_…")
            if self.kind == "endpoint":
                yield Checkbox("Check the TLS certificate", True, id="profile-tls")
            yield from self.compose_buttons()

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def collect(self) -> ProfileForm | None:
        first = self._value("#profile-first")
        name = first if self.kind != "register" else self._value("#profile-name")
        url = self._value("#profile-url").rstrip("/")
        problem = check_profile(name, url)
        secret = ""
        if self.kind == "register":
            secret = first
            problem = problem or (None if EMAIL_RE.match(first) else "email: e.g. you@example.com")
        elif self.kind == "sign-in":
            secret = self._value("#profile-key")
            problem = problem or (None if secret else "API key: paste the key to sign in with")
        if problem:
            self.show_error(problem)
            return None
        tls = self.query_one("#profile-tls", Checkbox).value if self.kind == "endpoint" else True
        return ProfileForm(name, url, secret, tls)


class ProfilesScreen(OrgScreen):
    """Profiles from config.toml with their masked keys; Enter switches to the highlighted one."""

    ORG_NAME = "profiles"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "switch", "Switch", id="switch-profile"),
        Binding("s", "sign_in", "Sign in", id="sign-in"),
        Binding("g", "register", "Register", id="register"),
        Binding("a", "add_endpoint", "Add endpoint", id="add-endpoint"),
    ]

    @dataclass
    class SignedIn(Message):
        """A profile and its key were checked and saved; the console should move to it."""

        endpoint: Endpoint
        note: str

    @dataclass
    class Failed(Message):
        """Signing in or registering failed; nothing was saved."""

        error: str

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield TlsWarning()
        with Vertical(classes="org-screen-body"):
            yield Static("", classes="org-screen-heading", id="profiles-heading")
            yield DataTable(id="profiles-table", cursor_type="row", zebra_stripes=True)
            yield Static("", classes="org-screen-status", id="profiles-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "Profiles"
        table = self.query_one("#profiles-table", DataTable)
        table.add_columns(" ", "Profile", "API URL", "Key", "TLS")
        self.render_profiles()

    def render_profiles(self) -> None:
        """Fill the table from the app's settings and the credentials file, keys masked."""
        try:
            self.keys = load_credentials(self.orb.paths)
        except CredentialsError as exc:
            self.keys = {}
            self.set_status(str(exc), error=True)
        table = self.query_one("#profiles-table", DataTable)
        table.clear()
        settings = self.orb.settings
        for name, profile in sorted(settings.profiles.items()):
            mark = "●" if name == self.orb.profile_name else ""
            label = f"{name} (default)" if name == settings.default_profile else name
            tls = "checked" if profile.verify_tls else "NOT checked"
            key = mask_key(self.keys.get(name)) if name in self.keys else "(none)"
            table.add_row(mark, label, profile.api_url, key, tls, key=name)
        active = self.orb.profile_name
        if active is not None and active in settings.profiles:
            table.move_cursor(row=table.get_row_index(active))
        self.query_one("#profiles-heading", Static).update(self.heading())
        if not settings.profiles:
            self.set_status(
                "no profiles yet: s signs in with a key, g registers, a adds an endpoint"
            )

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row switches to it."""
        event.stop()
        await self.action_switch()

    def _highlighted(self) -> Profile | None:
        table = self.query_one("#profiles-table", DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self.orb.settings.profiles.get(str(row_key.value))

    def _defaults(self) -> tuple[str, str]:
        profile = self._highlighted()
        if profile is not None:
            return profile.name, profile.api_url
        client = self.orb.client
        name = "default" if not self.orb.settings.profiles else ""
        return name, client.base_url if client else CLOUD_URL

    async def action_switch(self) -> None:
        """Move the console to the highlighted profile, with its saved key."""
        profile = self._highlighted()
        if profile is None:
            self.set_status("no profile selected", error=True)
            return
        key = self.keys.get(profile.name)
        endpoint = Endpoint(profile.name, profile.api_url, key, profile.verify_tls)
        await self.orb.switch_endpoint(endpoint)
        self.render_profiles()
        note = "" if key else "; it has no key yet: s signs in"
        self.set_status(f"switched to {profile.name} at {profile.api_url}{note}")

    def action_sign_in(self) -> None:
        """Ask for a profile, URL and key; the key is checked with the server before saving."""
        self.app.push_screen(ProfileDialog("sign-in", *self._defaults()), self._sign_in)

    def _keep_tls(self, form: ProfileForm) -> ProfileForm:
        """Sign-in and register ask no TLS question: a profile that exists keeps its setting."""
        saved = self.orb.settings.profiles.get(form.name)
        return replace(form, verify_tls=saved.verify_tls) if saved is not None else form

    def _sign_in(self, form: ProfileForm | None) -> None:
        if form is not None:
            form = self._keep_tls(form)
            self.set_status(f"checking the key with {form.api_url}…")
            self.sign_in(form)

    def action_register(self) -> None:
        """Ask for an email, profile and URL; registering creates an account on that server."""
        if self.orb.refuse_if_read_only("register"):
            return
        name, url = self._defaults()
        self.app.push_screen(ProfileDialog("register", name, url), self._register)

    def _register(self, form: ProfileForm | None) -> None:
        if form is not None:
            form = self._keep_tls(form)
            self.set_status(f"registering {form.secret} at {form.api_url}…")
            self.register(form)

    def action_add_endpoint(self) -> None:
        """Ask for a profile name and URL and save them, with no key."""
        self.app.push_screen(ProfileDialog("endpoint", "", CLOUD_URL), self._add_endpoint)

    def _add_endpoint(self, form: ProfileForm | None) -> None:
        if form is None:
            return
        try:
            save_profile(self.orb.paths, Profile(form.name, form.api_url, form.verify_tls))
        except SAVE_ERRORS as exc:
            self.set_status(f"cannot save profile {form.name}: {exc}", error=True)
            return
        self.orb.settings = load_settings(self.orb.paths)
        self.render_profiles()
        self.set_status(f"added profile {form.name}; Enter switches to it, s signs in")

    def _probe(self, form: ProfileForm) -> OrbClient:
        """A keyless client for the form's URL, to log in or register with."""
        return OrbClient(
            form.api_url,
            verify=form.verify_tls,
            transport=self.orb.transport,
            timeout=self.orb.request_timeout,
        )

    @work(exclusive=True, group="profiles", exit_on_error=False)
    async def sign_in(self, form: ProfileForm) -> None:
        """Check the key with the server (login), then save the profile and the key."""
        try:
            async with self._probe(form) as probe:
                await probe.login(form.secret)
        except Unauthorized:
            self.post_message(self.Failed(f"{form.api_url} refused this key; nothing was saved"))
            return
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot sign in: {exc}; nothing was saved"))
            return
        self._save(form, form.secret, f"signed in as profile {form.name}")

    @work(exclusive=True, group="profiles", exit_on_error=False)
    async def register(self, form: ProfileForm) -> None:
        """Register the email, then save the profile and the new key."""
        try:
            async with self._probe(form) as probe:
                registration = await probe.register(form.secret)
        except OrbError as exc:
            self.post_message(self.Failed(f"cannot register {form.secret}: {exc}"))
            return
        self._save(form, registration.api_key, f"registered {form.secret} as profile {form.name}")

    def _save(self, form: ProfileForm, key: str, note: str) -> None:
        paths = self.orb.paths
        first = not self.orb.settings.profiles or self.orb.settings.default_profile is None
        try:  # the key first: a profile must never be the default without its key
            save_credential(paths, form.name, key)
            save_profile(
                paths, Profile(form.name, form.api_url, form.verify_tls), make_default=first
            )
        except SAVE_ERRORS as exc:
            self.post_message(self.Failed(f"cannot save profile {form.name}: {exc}"))
            return
        endpoint = Endpoint(form.name, form.api_url, key, form.verify_tls)
        self.post_message(self.SignedIn(endpoint, note))

    async def on_profiles_screen_signed_in(self, message: SignedIn) -> None:
        """Reload the settings, move the console to the new profile and show it."""
        self.orb.settings = load_settings(self.orb.paths)
        await self.orb.switch_endpoint(message.endpoint)
        self.render_profiles()
        self.set_status(message.note)

    def on_profiles_screen_failed(self, message: Failed) -> None:
        """Say what failed."""
        self.set_status(message.error, error=True)
