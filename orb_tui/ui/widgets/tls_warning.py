"""A warning line shown on every screen while the active profile does not check TLS certificates."""

from __future__ import annotations

from textual.widgets import Static

from orb_tui.config.settings import Endpoint
from orb_tui.ui.widgets.base import orb_app


def tls_warning_text(endpoint: Endpoint | None) -> str | None:
    """The warning for `endpoint`, or None when its certificates are checked."""
    if endpoint is None or endpoint.verify_tls:
        return None
    name = endpoint.profile or endpoint.api_url
    return f"⚠ TLS certificates NOT checked for {name} (verify_tls = false)"


class TlsWarning(Static):
    """Hidden unless the endpoint in use has `verify_tls = false`; then one line that stays."""

    DEFAULT_CSS = """
    TlsWarning { display: none; height: 1; padding: 0 1; background: $error; color: $text; }
    TlsWarning.-on { display: block; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__("", classes="tls-warning", markup=False)

    def on_mount(self) -> None:
        self.show_for(orb_app(self).endpoint)

    def show_for(self, endpoint: Endpoint | None) -> None:
        """Show the warning when `endpoint` skips certificate checks, hide it otherwise."""
        text = tls_warning_text(endpoint)
        self.set_class(text is not None, "-on")
        self.update(text or "")
