"""The API key is never on screen in full (the one-time display of a new key is the one exception),
nor in a notification, the DEBUG log or the console's log file, while every screen is visited.

Each screen is read as Textual exports it (`export_screenshot()`), so this is what a screenshot or
a person looking over a shoulder would see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from leak_kit import assert_no_key, screen_text

from orb_tui.api.client import OrbClient
from orb_tui.config.credentials import mask_key, save_credential
from orb_tui.config.paths import Paths
from orb_tui.config.settings import Endpoint, Profile, load_settings, save_profile
from orb_tui.ui.app import make_app


async def until(pilot: Any, check: Callable[[], object], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not seen within {timeout} s")
        await pilot.pause(0.05)


async def test_no_screen_shows_the_key_and_a_new_key_only_once(
    client: OrbClient, org: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("", "httpx", "httpcore", "websockets"):
        caplog.set_level(logging.DEBUG, logger=name)
    computer = await client.create_computer("screens")
    await client.exec(computer.id, "echo 'print(1)' > main.py")
    paths = Paths(config_dir=tmp_path / "config", state_dir=tmp_path / "state")
    save_profile(paths, Profile("test", org.url), make_default=True)
    save_credential(paths, "test", org.api_key)
    endpoint = Endpoint("test", org.url, org.api_key)
    notices: list[str] = []

    def hook(message: object) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            notices.append(str(message.notification.message))

    app = make_app(settings=load_settings(paths), paths=paths, endpoint=endpoint)
    shots: dict[str, str] = {}
    async with app.run_test(size=(140, 44), message_hook=hook) as pilot:

        async def shoot(name: str, wait_for: str | None = None) -> str:
            if wait_for is not None:
                await until(pilot, lambda: wait_for in screen_text(app), repr(wait_for))
            await pilot.pause()
            shots[name] = screen_text(app)
            return shots[name]

        await shoot("main", "screens")
        assert mask_key(org.api_key) in shots["main"], "the masked key is not in the title"
        for key, tab in (("a", "agents"), ("f", "files"), ("l", "build"), ("x", "exec")):
            await pilot.press(key)
            await shoot(f"tab-{tab}")
            await pilot.press("escape")
        await pilot.press("t")
        prompt = ("$", "#")
        await until(pilot, lambda: any(p in screen_text(app) for p in prompt), "a shell prompt")
        await shoot("tab-terminal")
        await pilot.press(*"echo $((6*7))", "enter")
        await shoot("tab-terminal-used", "42")
        await pilot.press("ctrl+right_square_bracket", "question_mark")
        await shoot("help", "Help")
        await pilot.press("escape", "K")
        await shoot("keys", "API keys")
        await pilot.press("n")
        await shoot("keys-new", "New API key")
        await pilot.press("ctrl+u", *"one-time", "enter")
        once = await shoot("keys-once", "New key one-time")
        secret = str(app.screen.query_one("#once-secret").content)  # type: ignore[attr-defined]
        assert secret.startswith("orb_") and secret in once, "the new key is not shown once"
        await pilot.press("m")
        await shoot("keys-once-masked", mask_key(secret))
        await pilot.press("enter")
        await shoot("keys-after", "one-time")
        await pilot.press("escape", "W")
        await shoot("webhooks", "Webhooks")
        await pilot.press("escape", "U")
        await shoot("usage", "Usage")
        await pilot.press("escape", "P")
        await shoot("profiles", "Profiles")
        assert mask_key(org.api_key) in shots["profiles"]
        await pilot.press("s")
        await shoot("profiles-sign-in", "Sign in with an API key")
        await pilot.press("tab", "tab", "ctrl+u", *org.api_key)
        typed = app.screen.query_one("#profile-key")
        assert typed.value == org.api_key, "the key was not typed into its field"  # type: ignore[attr-defined]
        await shoot("profiles-sign-in-typed")
        await pilot.press("escape", "escape")
        await pilot.pause()
    for name, text in shots.items():
        assert_no_key(text, org.api_key, f"the {name} screen")
        if name != "keys-once":
            assert_no_key(text, secret, f"the {name} screen (after the one-time display)")
    for text in notices:
        assert_no_key(text + secret, org.api_key, "a notification")
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text}" for r in caplog.records)
    for key in (org.api_key, secret):
        assert_no_key(logged, key, "the DEBUG log")
        if paths.log_file.exists():
            assert_no_key(paths.log_file.read_text(), key, "the console's log file")
