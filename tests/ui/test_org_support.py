"""Helpers for the org-screen tests: open a screen, wait for a condition, read what a screen shows."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

WAIT = 15.0


async def until(pilot: Pilot[object], condition: Callable[[], object], what: str) -> None:
    """Let the app run until `condition()` holds; fail naming `what` after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"waited {WAIT} s for {what}; the screen shows:\n" + screen_text(pilot.app.screen)
            )
        await pilot.pause(0.02)


async def open_screen(pilot: Pilot[object], screen_type: type[Screen[None]]) -> Screen[None]:
    """Push a new `screen_type` and wait until it is the active screen."""
    screen = screen_type()
    pilot.app.push_screen(screen)
    await until(
        pilot, lambda: pilot.app.screen is screen and screen.is_mounted, screen_type.__name__
    )
    return screen


def screen_text(screen: Screen[object]) -> str:
    """What `screen` draws, as plain text lines (its own widgets, without screens below it)."""
    strips = screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def status_of(screen: Screen[object]) -> str:
    """The text of an org screen's status line."""
    return str(screen.query_one(".org-screen-status", Static).content)


def fit_problem(screen: Screen[object]) -> str | None:
    """What is cut off or squashed to nothing on `screen`, or None when every widget fits."""
    for widget in screen.query("*"):
        if not widget.display or not widget.visible:
            continue
        region = widget.region
        if region.width <= 0 or region.height <= 0:
            return f"{widget!r} has no room ({region})"
        parent = widget.parent
        for outer in (screen, parent if isinstance(parent, Widget) else screen):
            if not outer.region.contains_region(region):
                return f"{widget!r} at {region} is cut off by {outer!r} at {outer.region}"
    return None


async def assert_fits(pilot: Pilot[object], screen: Screen[object]) -> None:
    """Wait for the layout to settle with every widget of `screen` inside it; fail saying what is not."""
    try:
        await until(pilot, lambda: fit_problem(screen) is None, "every widget to fit")
    except AssertionError:
        raise AssertionError(fit_problem(screen)) from None


def notifications(app: App[object]) -> list[str]:
    """The messages of the notifications the app is showing."""
    return [notification.message for notification in app._notifications]


async def paste(pilot: Pilot[object], text: str) -> None:
    """Paste `text` into the focused widget, as a terminal's bracketed paste delivers it."""
    focused = pilot.app.focused
    assert focused is not None, "nothing has focus to paste into"
    focused.post_message(events.Paste(text))
    await pilot.pause()
