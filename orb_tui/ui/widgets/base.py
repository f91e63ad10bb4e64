"""Shared helpers for widgets: the typed app, plain-words errors, a worker-error reporter."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from orb_tui.api.errors import OrbError

if TYPE_CHECKING:
    from orb_tui.api.client import OrbClient
    from orb_tui.ui.app import OrbApp


def orb_app(node: DOMNode) -> OrbApp:
    """The running OrbApp, typed."""
    return cast("OrbApp", node.app)


def client_of(node: DOMNode) -> OrbClient:
    """The app's client; raises OrbError (plain words) when not signed in."""
    client = orb_app(node).client
    if client is None:
        raise OrbError("not signed in: press P to open Profiles and sign in")
    return client


def plain_words(exc: BaseException) -> str:
    """A sentence for any exception: OrbError's own text, else its type and message."""
    if isinstance(exc, OrbError):
        return str(exc)
    detail = str(exc) or "no details"
    return f"unexpected {type(exc).__name__}: {detail}"


class Backoff:
    """How long to wait before trying again after failures in a row: the poll interval,
    doubling, at most 15 of them."""

    def __init__(self) -> None:
        self.failures = 0

    def failed(self, interval: float) -> float:
        """Count one more failure; the seconds to wait before the next try."""
        self.failures += 1
        return min(interval * 15, interval * float(2 ** (self.failures - 1)))


class ReportsWorkerErrors:
    """Mixin for a DOM node whose workers may fail unexpectedly: notify, never a traceback."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        node = cast(DOMNode, self)
        name = event.worker.name or "a background task"
        node.app.notify(
            f"{name} failed: {plain_words(event.worker.error)}", severity="error", timeout=8
        )
