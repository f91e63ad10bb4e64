"""credentials.toml stays 0600: every wider mode refused (reading and writing), with the chmod to run.

tests/unit/test_config.py covers the basic case (written 0600, a 0644 file refused on read); these
add every group/other bit, the write path, a permissive umask, the folder, and the console's start.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from leak_kit import assert_no_key, org_key, screen_text

from orb_tui.config.credentials import CredentialsError, load_credentials, save_credential
from orb_tui.config.paths import Paths
from orb_tui.config.settings import resolve_endpoint
from orb_tui.ui.app import _load, make_app


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(config_dir=tmp_path / "config", state_dir=tmp_path / "state")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that masks nothing, as some systems set: files would be created 0666."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


WIDER = [0o640, 0o620, 0o610, 0o604, 0o602, 0o601, 0o660, 0o666, 0o777]


@pytest.mark.parametrize("mode", WIDER, ids=[f"{m:04o}" for m in WIDER])
def test_every_group_or_other_bit_is_refused_on_read_and_write(paths: Paths, mode: int) -> None:
    key = org_key()
    save_credential(paths, "work", key)
    os.chmod(paths.credentials_file, mode)
    before = paths.credentials_file.read_bytes()
    for attempt in (lambda: load_credentials(paths), lambda: save_credential(paths, "x", "y")):
        with pytest.raises(CredentialsError) as caught:
            attempt()
        message = str(caught.value)
        assert f"chmod 600 {paths.credentials_file}" in message
        assert f"{mode:04o}" in message
        assert_no_key(message, key, "the refusal")
    assert paths.credentials_file.read_bytes() == before, "a refused write changed the file"
    assert mode_of(paths.credentials_file) == mode, "the user's mode was changed behind their back"


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_owner_only_modes_are_accepted(paths: Paths, mode: int) -> None:
    save_credential(paths, "work", "orb_owner-only-key-123456")
    os.chmod(paths.credentials_file, mode)
    assert load_credentials(paths) == {"work": "orb_owner-only-key-123456"}


@pytest.mark.usefixtures("open_umask")
def test_written_0600_in_a_0700_folder_even_with_umask_0(paths: Paths) -> None:
    save_credential(paths, "a", org_key())
    save_credential(paths, "b", org_key())  # a rewrite goes through a new temporary file
    assert mode_of(paths.credentials_file) == 0o600
    assert mode_of(paths.config_dir) == 0o700
    assert sorted(p.name for p in paths.config_dir.iterdir()) == ["credentials.toml"]


@pytest.mark.usefixtures("open_umask")
def test_a_rewrite_of_a_0400_file_is_0600_again(paths: Paths) -> None:
    save_credential(paths, "a", "orb_first-key-1234567890")
    os.chmod(paths.credentials_file, 0o400)
    save_credential(paths, "b", "orb_second-key-123456789")
    assert mode_of(paths.credentials_file) == 0o600
    assert set(load_credentials(paths)) == {"a", "b"}


async def test_the_console_refuses_an_open_file_and_says_the_chmod(paths: Paths, org: Any) -> None:
    """Started on a 0644 credentials file: not signed in with it, and the chmod on screen."""
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(
        f'default_profile = "work"\n[profiles.work]\napi_url = "{org.url}"\n'
    )
    save_credential(paths, "work", org.api_key)
    os.chmod(paths.credentials_file, 0o644)
    settings, credentials = _load(paths)  # what `orb-tui` does before the console starts
    endpoint = resolve_endpoint(settings, credentials, env={})
    assert endpoint.api_key is None
    notices: list[str] = []

    def hook(message: object) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            notices.append(str(message.notification.message))

    app = make_app(settings=settings, paths=paths, endpoint=endpoint)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        for _ in range(200):  # the console, not signed in, opens Profiles by itself
            if type(app.screen).__name__ == "ProfilesScreen":
                break
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "ProfilesScreen"
        assert app.client is None, "the console signed in with a key from an open file"
    assert any(f"chmod 600 {paths.credentials_file}" in n for n in notices), notices
    for text in notices:
        assert_no_key(text, org.api_key, "a notification")


def test_a_stored_key_goes_only_where_its_profile_points(paths: Paths) -> None:
    """A profile dropped for a bad api_url must not send its key to the default (cloud) endpoint."""
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(
        'default_profile = "lab"\n[profiles.lab]\napi_url = "http://[::1"\n'
    )
    save_credential(paths, "lab", "orb_lab-key-1234567890")
    settings, credentials = _load(paths)
    assert "lab" not in settings.profiles
    assert any("api_url" in p.message and p.line == 3 for p in settings.problems)
    endpoint = resolve_endpoint(settings, credentials, env={})
    assert endpoint.api_key is None, f"the lab key would go to {endpoint.api_url}"
    chosen = resolve_endpoint(settings, credentials, api_url="http://127.0.0.1:9", env={})
    assert chosen.api_key == "orb_lab-key-1234567890"  # the user pointed it there
    assert "orb_lab-key" not in repr(chosen)


async def sign_in_over_an_open_file(paths: Paths, org: Any) -> bytes:
    """Sign in from Profiles while credentials.toml is 0644; returns the file as it was before."""
    from textual.widgets import Input

    from orb_tui.config.settings import Settings
    from orb_tui.ui.screens.profiles import ProfileDialog, ProfilesScreen

    save_credential(paths, "old", "orb_old-key-1234567890")
    os.chmod(paths.credentials_file, 0o644)
    before = paths.credentials_file.read_bytes()
    app = make_app(settings=Settings(), paths=paths, endpoint=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ProfilesScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ProfileDialog))
        app.screen.query_one("#profile-first", Input).value = "work"
        app.screen.query_one("#profile-url", Input).value = org.url
        app.screen.query_one("#profile-key", Input).value = org.api_key
        await pilot.press("enter")
        await wait_for(pilot, lambda: "cannot save" in screen_text(app))
        shown = screen_text(app)
        assert "chmod 600" in shown and app.client is None
        assert_no_key(shown, org.api_key, "the Profiles screen")
    return before


async def test_signing_in_over_an_open_file_refuses_and_says_the_chmod(
    paths: Paths, org: Any
) -> None:
    before = await sign_in_over_an_open_file(paths, org)
    assert paths.credentials_file.read_bytes() == before


async def test_signing_in_over_an_open_file_leaves_config_toml_alone(
    paths: Paths, org: Any
) -> None:
    await sign_in_over_an_open_file(paths, org)
    assert not paths.config_file.exists(), paths.config_file.read_text()


async def wait_for(pilot: Any, check: Any, timeout: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)
