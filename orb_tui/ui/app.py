"""The Textual application: wires settings, the client and the screens; `make_app` and `run_console`."""

from __future__ import annotations

import contextlib
import gc
import importlib
import time
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider

from orb_tui.config.credentials import mask_key
from orb_tui.config.paths import Paths
from orb_tui.config.settings import (
    ConfigProblem,
    Endpoint,
    Settings,
    api_url_problem,
    resolve_endpoint,
)
from orb_tui.server.main import is_loopback
from orb_tui.ui import guard
from orb_tui.ui.palette import ActionsProvider
from orb_tui.ui.screens.help import HelpScreen
from orb_tui.ui.screens.main import MainScreen
from orb_tui.ui.widgets.base import plain_words
from orb_tui.ui.widgets.tls_warning import TlsWarning

if TYPE_CHECKING:
    from collections.abc import Iterable

    import httpx
    from textual.app import SystemCommand
    from textual.screen import Screen

    from orb_tui.api.client import OrbClient
    from orb_tui.ui.background import BackgroundClient

COLLECTOR_THRESHOLDS = (10_000, 10, 10)
"""The collector's thresholds once the console runs (Python's are 700, 10, 10).

A terminal streaming output keeps most of what it makes (rows held in the scrollback): at 700 a
4 MB `cat` brought about 20 young and 2 middle collections, 10-20 ms in all, and at times a full
one of 20-30 ms in the middle of the stream. At 10,000 it brings one young collection of 6-9 ms."""


def start_collector() -> None:
    """The console's collector from now on: what exists lives on (frozen out of full
    collections), young collections come every COLLECTOR_THRESHOLDS[0] objects, and it runs."""
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    gc.enable()


REPEAT_QUIET = 5.0
"""Seconds during which the same unexpected error is logged again but not shown again."""
HIDDEN_SYSTEM_COMMANDS = {"Keys", "Quit"}
"""Textual's palette entries that clash with ours: its "Keys" panel beside our Keys screen, and a
"Quit" that would skip the config editor's question about unsaved edits."""

ORG_SCREENS = {
    "keys": ("orb_tui.ui.screens.keys", "KeysScreen"),
    "webhooks": ("orb_tui.ui.screens.webhooks", "WebhooksScreen"),
    "usage": ("orb_tui.ui.screens.usage", "UsageScreen"),
    "profiles": ("orb_tui.ui.screens.profiles", "ProfilesScreen"),
}


class OrbApp(App[int]):
    """The orb-tui console."""

    CSS_PATH = "app.tcss"
    TITLE = "orb-tui"
    COMMANDS: ClassVar[set[type[Provider] | object]] = {*App.COMMANDS, ActionsProvider}  # type: ignore[assignment]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "back_or_quit", "Quit", id="back-or-quit"),
        # declaring any palette binding drops Textual's own ctrl+p, so both are declared here
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True, id="palette"),
        Binding("colon", "command_palette", "Commands", show=False, id="command-palette"),
        Binding("K", "org_screen('keys')", "Keys", id="keys-screen"),
        Binding("W", "org_screen('webhooks')", "Webhooks", id="webhooks-screen"),
        Binding("U", "org_screen('usage')", "Usage", id="usage-screen"),
        Binding("P", "org_screen('profiles')", "Profiles", id="profiles-screen"),
    ]

    def __init__(
        self,
        *,
        settings: Settings,
        paths: Paths,
        endpoint: Endpoint | None,
        read_only: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        guard.install()
        super().__init__()
        self.request_timeout = timeout
        self.settings = settings
        self.paths = paths
        self.read_only = read_only
        self.transport = transport
        self.endpoint = endpoint
        self.profile_name: str | None = endpoint.profile if endpoint else None
        self.client: OrbClient | None = None
        """The client for the current endpoint; None until connected (just after the first
        screen is painted, so importing httpx does not delay it) or when not signed in."""
        self.background: BackgroundClient | None = None
        """A second client on its own thread, for polls whose answers are big to parse."""
        self.connecting = endpoint is not None and bool(endpoint.api_key)
        self._last_unexpected: tuple[str, float] = ("", 0.0)

    def _open_clients(self, endpoint: Endpoint | None) -> None:
        from orb_tui.api.client import OrbClient
        from orb_tui.ui.background import BackgroundClient

        self.client, self.background = None, None
        if endpoint is None or not endpoint.api_key:
            return
        self.client = OrbClient(
            endpoint.api_url,
            endpoint.api_key,
            transport=self.transport,
            timeout=self.request_timeout,
            verify=endpoint.verify_tls,
        )
        self.background = BackgroundClient(
            endpoint, timeout=self.request_timeout, transport=self.transport
        )

    def _connect(self) -> None:
        if not gc.isenabled():  # off since start-up (see cli): what exists now lives on
            start_collector()
        self._open_clients(self.endpoint)
        self.connecting = False
        self._poll_now()
        self._tell_org_screens()
        if self.client is None:
            self.action_org_screen("profiles")

    def _tell_org_screens(self) -> None:
        """An org screen opened before the client existed (or for another endpoint) loads now."""
        from orb_tui.ui.screens.org_base import OrgScreen  # the org screens load on first use

        for screen in self.screen_stack:
            if isinstance(screen, OrgScreen):
                screen.endpoint_changed()

    def _poll_now(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.poll_now()

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.set_keymap(dict(self.settings.keymap))
        self._show_endpoint()
        self.push_screen(MainScreen())
        for problem in self.settings.problems:
            self.notify(str(problem), title="config problem", severity="warning", timeout=10)
        self.call_after_refresh(self._connect)

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        if self.background is not None:
            await self.background.aclose()

    def _show_endpoint(self) -> None:
        endpoint = self.endpoint
        if endpoint is None:
            self.sub_title = "not signed in"
            return
        profile = endpoint.profile or "no profile"
        mode = "read-only · " if self.read_only else ""  # first: a narrow header cuts the end
        url = _shown_url(endpoint.api_url)
        self.sub_title = f"{mode}{profile} · {url} · {mask_key(endpoint.api_key)}"

    def report_unexpected(self, error: Exception, where: str) -> None:
        """Log `error` (keys redacted) and say in plain words that something failed; go on running."""
        secrets = self._secrets()
        guard.REPORTED.append(f"{where}: {type(error).__name__}")
        guard.write_log(self.paths.log_file, where, error, secrets)
        words = guard.redact(plain_words(error), secrets)
        now = time.monotonic()
        last, at = self._last_unexpected
        self._last_unexpected = (words, now)
        if words == last and now - at < REPEAT_QUIET:
            return
        self.notify(
            f"Something went wrong ({words}). The console keeps running; "
            f"the details are in {self.paths.log_file}.",
            title="unexpected error",
            severity="error",
            timeout=10,
            markup=False,
        )

    def _secrets(self) -> list[str | None]:
        """Every key the console knows: the one in use and those saved for other profiles."""
        from orb_tui.config.credentials import CredentialsError, load_credentials

        keys = [self.endpoint.api_key if self.endpoint else None]
        if self.client is not None:
            keys.append(self.client.api_key)
        with contextlib.suppress(CredentialsError, OSError):  # unreadable: nothing to leak
            keys.extend(load_credentials(self.paths).values())
        return keys

    def _handle_exception(self, error: Exception) -> None:
        # The last net, for what runs outside a message handler (timers, workers that exit on
        # error, rendering): once the console is up it reports and goes on; before, Textual exits.
        if self.is_running and self.screen_stack:
            try:
                self.report_unexpected(error, "a background task")
                return
            except Exception:  # reporting failed too: fall back to Textual's exit
                pass
        super()._handle_exception(error)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's palette entries, without those that clash with the console's own."""
        for command in super().get_system_commands(screen):
            if command.title not in HIDDEN_SYSTEM_COMMANDS:
                yield command

    def refuse_if_read_only(self, what: str) -> bool:
        """In read-only mode: say `what` is refused and return True; otherwise False."""
        if self.read_only:
            self.notify(f"read-only mode: {what} refused", severity="warning")
        return self.read_only

    async def switch_endpoint(self, endpoint: Endpoint) -> None:
        """Use `endpoint` from now on: the old client is closed, polling starts over."""
        old, old_background = self.client, self.background
        self.endpoint = endpoint
        self.profile_name = endpoint.profile
        self._open_clients(endpoint)
        if old is not None:
            await old.aclose()
        if old_background is not None:
            await old_background.aclose()
        self._show_endpoint()
        for screen in self.screen_stack:
            for warning in screen.query(TlsWarning):
                warning.show_for(endpoint)
        self._poll_now()
        self._tell_org_screens()

    def action_help(self) -> None:
        """Show every binding."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the terminal every key is the shell's (ctrl+p is bash's previous-history key), so
        no app binding is offered there."""
        # by name: importing the terminal widget here would load it before its tab is opened
        if type(self.focused).__name__ == "TerminalView" and action in _OWN_ACTIONS:
            return False
        return super().check_action(action, parameters)

    async def action_back_or_quit(self) -> None:
        """Close the top screen; on the main screen, quit (after the config editor agrees)."""
        if len(self.screen_stack) > 2 or not isinstance(self.screen, MainScreen):
            self.pop_screen()
            return
        # in a worker: the editor's question needs the message loop free to get its answer
        self.run_worker(
            self._quit_when_editor_agrees(), group="quit", exclusive=True, exit_on_error=False
        )

    async def _quit_when_editor_agrees(self) -> None:
        editors = self.screen.query("#config-editor")  # absent until the Config tab is first opened
        confirm = getattr(editors.first(), "confirm_leave", None) if editors else None
        try:
            agreed = confirm is None or await confirm()
        except Exception as exc:  # the question failed: say so and stay, the edits are on disk
            self.report_unexpected(exc, "the question before quitting")
            return
        if agreed:
            self.exit(0)

    def action_org_screen(self, name: str) -> None:
        """Open the Keys, Webhooks, Usage or Profiles screen."""
        module, cls_name = ORG_SCREENS[name]
        try:
            screen_cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            self.notify(f"The {name} screen is not installed.", severity="warning")
            return
        self.push_screen(screen_cls())


_OWN_ACTIONS = {
    binding.action.split("(")[0] for binding in OrbApp.BINDINGS if isinstance(binding, Binding)
}


def _shown_url(url: str) -> str:
    """The URL for the header: without a scheme that says nothing (https, or http on loopback),
    so the masked key still fits at 80 columns; plain http to another host keeps it as a warning."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        return url.partition("://")[2]
    return url


def make_app(
    *,
    settings: Settings,
    paths: Paths,
    endpoint: Endpoint | None,
    read_only: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
) -> OrbApp:
    """Build the console; shared by the command line and the tests.

    `timeout` is the client's per-request limit in seconds (builds and exec wait longer).
    """
    return OrbApp(
        settings=settings,
        paths=paths,
        endpoint=endpoint,
        read_only=read_only,
        transport=transport,
        timeout=timeout,
    )


def run_console(*, local: bool, profile: str | None, api_url: str | None, read_only: bool) -> int:
    """Load settings and credentials, pick the endpoint, run the console; returns the exit status.

    Config problems are shown as notifications once the console is up; `--local` failures that
    leave nothing to show are printed as one line and give status 1.
    """
    import sys

    paths = Paths.from_env()
    if local:
        from orb_tui.local import LocalServerError, ensure_local

        try:
            endpoint: Endpoint | None = ensure_local(paths)
        except LocalServerError as exc:
            print(f"orb-tui: {exc}", file=sys.stderr)
            return 1
        settings = _load(paths)[0]  # ensure_local may have saved the `local` profile
    else:
        settings, credentials = _load(paths)
        endpoint = resolve_endpoint(settings, credentials, profile=profile, api_url=api_url)
    problem = api_url_problem(endpoint.api_url) if endpoint else None
    if endpoint and problem:  # from --api-url or ORB_API_URL: profiles were checked on load
        print(f"orb-tui: the API URL {endpoint.api_url!r} {problem}", file=sys.stderr)
        return 2
    app = make_app(settings=settings, paths=paths, endpoint=endpoint, read_only=read_only)
    app.run()
    return app.return_code or 0


def _load(paths: Paths) -> tuple[Settings, dict[str, str]]:
    """Settings and credentials; an unreadable credentials file becomes a config problem."""
    from orb_tui.config.credentials import CredentialsError, load_credentials
    from orb_tui.config.settings import load_settings

    settings = load_settings(paths)
    try:
        return settings, load_credentials(paths)
    except CredentialsError as exc:
        problem = ConfigProblem(paths.credentials_file, None, None, str(exc))
        return _with_problem(settings, problem), {}


def _with_problem(settings: Settings, problem: ConfigProblem) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, problems=(*settings.problems, problem))
