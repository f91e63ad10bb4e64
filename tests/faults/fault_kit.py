"""What every fault-matrix test checks: the console still runs, says what failed in plain words,
kept what was on screen, and comes back once the fault is gone."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from proxy import FAULTS, FaultProxy
from textual.pilot import Pilot
from textual.widgets import RichLog, Static

from orb_tui.ui.app import OrbApp
from orb_tui.ui.screens.main import MainScreen
from orb_tui.ui.widgets.status_line import StatusLine

INTERVAL = 0.2
"""The poll interval of the console under test: short, so recovery and backoff show quickly."""
REQUEST_TIMEOUT = 2.0
"""The console's per-request timeout: a delayed answer fails after this long."""

CONFIG = """\
[agent]
name = "faulty"
lang = "python"
entry = "agent.py"

[build]
working_dir = "/agent/data"
steps = ["echo built"]
"""
"""An orb.toml the action rows upload, build and deploy."""

WORDS: dict[str, str] = {
    "refuse": "connection refused",
    "reset": "broke",
    "delay": "no answer within 2 s",
    "cut": "cut off",
    "500-json": "database is locked (500)",
    "500-html": "the server failed; try again later (500)",
    "502-html": "the server failed; try again later (502)",
    "502-empty": "the server failed; try again later (502)",
    "503-json": "down for maintenance (503)",
    "429-json": "slow down (429)",
    "429-retry-after": "try again in 2 s (429)",
    "truncated-json": "a cut-off JSON answer",
    "not-json": "not JSON (200, text/html)",
}
"""What the console must say for each fault: a phrase a person can act on."""

LOADS = ("refuse", "cut", "delay", "503-json", "502-html", "truncated-json", "not-json")
"""Faults for a screen or tab loading: one of each way a read can fail (see test_matrix.py)."""
ACTIONS = ("refuse", "cut", "delay", "503-json", "truncated-json")
"""Faults for an action that changes something: no answer, an answer lost after the server
acted (cut, truncated), an error with words, and a timeout."""

RECOVERY = 4.0
"""Seconds a polled row may take to come back once the fault is gone: its backoff after the
one or two failures of a cell (at most 0.8 s at a 0.2 s interval), a poll interval, and slack
for a loaded 2-core machine."""

_RAW = re.compile(
    r"Traceback|\b[A-Z]\w*(?:Error|Exception)\(|\bunexpected \w+|<[\w.]+ object at"
    r"|\bhttpx\b|\bhttpcore\b|\bh11\b|\[Errno|Connect call failed"
)
"""Signs of an exception shown as it is rather than in words."""


def status_text(app: OrbApp) -> str:
    """The main screen's status line."""
    return str(app.screen.query_one(StatusLine).render())


def visible_text(app: OrbApp, notices: list[str]) -> str:
    """Every notification so far and the text of the current screen's labels and logs."""
    parts = list(notices)
    for widget in app.screen.query("*"):
        if isinstance(widget, Static):
            parts.append(str(widget.render()))
        elif isinstance(widget, RichLog):
            parts.extend(strip.text for strip in widget.lines)
        elif hasattr(widget, "banner"):
            parts.append(str(widget.banner or ""))
    return "\n".join(parts)


def assert_healthy(app: OrbApp, notices: list[str]) -> None:
    """No exception reached Textual, the app runs, and nothing on screen is a raw exception."""
    assert app._exception is None, app._exception
    assert app.is_running
    raw = _RAW.search(visible_text(app, notices))
    assert raw is None, (
        f"raw exception text on screen: {raw.group(0)!r}\n{visible_text(app, notices)}"
    )


def said(app: OrbApp, notices: list[str], fault: str) -> bool:
    """True once the console shows the plain-words phrase for `fault`."""
    return WORDS[fault] in visible_text(app, notices)


async def inject(proxy: FaultProxy, fault: str, path: str | None, method: str | None) -> None:
    """Put `fault` in force for `path` and `method` (refuse and reset hit every request)."""
    await proxy.inject(FAULTS[fault], path=path, method=method)


Step = Callable[[Pilot[Any], OrbApp], Awaitable[None]]


async def nothing(pilot: Pilot[Any], app: OrbApp) -> None:
    """For rows the console refreshes by itself (polls, retries)."""


@dataclass(frozen=True)
class Row:
    """One screen or action of the matrix: how to reach it, what request it makes, how to
    (re)do it, and how success looks."""

    name: str
    path: str
    """A regex for the request path the faults are aimed at."""
    method: str
    open: Step
    act: Step
    done: Callable[[OrbApp], bool]
    faults: tuple[str, ...]
    retry: Step | None = None
    """What brings it back once the fault is gone, when that is not `act` again (e.g. nothing:
    the console retries by itself)."""
    kept: Callable[[OrbApp], None] | None = None
    """Checks, while the fault lasts, that nothing the user typed was lost."""
    tries: int | None = 1
    """Requests one `act` makes (None: the console polls it by itself, bounded by `most`)."""
    most: int = 0
    """For polled rows: the most requests allowed while one fault lasts."""
    words: dict[str, str] = field(default_factory=dict)
    """Phrases that differ from `WORDS` for this row."""

    def phrase(self, fault: str) -> str:
        return self.words.get(fault, WORDS[fault])


async def run_row(
    row: Row,
    app: OrbApp,
    pilot: Pilot[Any],
    proxy: FaultProxy,
    notices: list[str],
    until: Callable[..., Awaitable[None]],
) -> list[str]:
    """Put each of the row's faults in force in turn; returns what went wrong, per fault."""
    problems: list[str] = []
    await row.open(pilot, app)
    await row.act(pilot, app)
    await until(pilot, lambda: row.done(app), timeout=15)
    for fault in row.faults:
        mark = len(notices)
        try:
            started = time.monotonic()
            await inject(proxy, fault, row.path, row.method)
            await row.act(pilot, app)
            await until(pilot, _shows(app, notices, mark, row.phrase(fault)), timeout=8)
            assert_healthy(app, notices)
            if row.kept is not None:
                row.kept(app)
            sent = proxy.count(row.path, since=started, method=row.method)
            if fault != "refuse":
                if row.tries is not None:
                    assert sent == row.tries, f"{sent} requests for one try"
                else:
                    assert sent <= row.most, f"{sent} requests while the fault lasted"
            await proxy.clear()
            cleared = time.monotonic()
            await (row.retry or row.act)(pilot, app)
            await until(pilot, lambda: row.done(app), timeout=10)
            assert_healthy(app, notices)
            took = time.monotonic() - cleared
            if row.tries is None:  # polled: back at the next try, a backoff step away at most
                assert took <= RECOVERY, f"back only {took:.1f} s after the fault cleared"
        except AssertionError as exc:
            text = visible_text(app, notices[mark:]).replace("\n", " | ")[-600:]
            problems.append(f"{fault}: {exc}\n    on screen: {text}")
            await proxy.clear()
            await pilot.pause(0.5)
    return problems


def _shows(app: OrbApp, notices: list[str], mark: int, phrase: str) -> Callable[[], bool]:
    return lambda: phrase in visible_text(app, notices[mark:])


def main(app: OrbApp) -> MainScreen:
    """The main screen, under any dialog open on top of it."""
    return next(s for s in app.screen_stack if isinstance(s, MainScreen))


def last(notices: list[str], *starts: str) -> str:
    """The latest notification that starts with one of `starts`."""
    return next((n for n in reversed(notices) if n.startswith(starts)), "")


def keys(*names: str) -> Step:
    """Press `names` with the computers table focused."""

    async def press(pilot: Pilot[Any], app: OrbApp) -> None:
        main(app).table.focus()
        await pilot.press(*names)

    return press


def action(name: str, *then: str) -> Step:
    """Run the main screen's action `name` (what its key does, without Pilot waiting for the
    screen to settle between keys), then press `then` (a dialog's answer)."""

    async def run(pilot: Pilot[Any], app: OrbApp) -> None:
        screen = main(app)
        screen.table.focus()
        await screen.run_action(name)
        if then:
            await covered(pilot, app, screen)
            await pilot.press(*then)

    return run


async def covered(pilot: Pilot[Any], app: OrbApp, screen: object, field: str = "*") -> None:
    """Wait (up to 5 s) until a dialog pushed over `screen` is shown, with `field` in it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if app.screen is not screen and app.screen.query(field):
            return
        await pilot.pause(0.02)
