"""TLS certificates are checked unless the profile says `verify_tls = false`; the key is never sent
to a server whose certificate was refused.

The server is real (HTTPS on loopback with a self-signed certificate no CA vouches for); checking
on means the handshake fails before any request, so the hostile server never sees the key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from leak_kit import Answer, HostileServer, assert_no_key, org_key, screen_text

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import ConnectError, OrbError
from orb_tui.config.credentials import save_credential
from orb_tui.config.paths import Paths
from orb_tui.config.settings import load_settings, resolve_endpoint
from orb_tui.ui.app import _load, make_app
from orb_tui.ui.screens.main import MainScreen

EMPTY = Answer(200, '{"computers": []}')


async def test_certificates_are_checked_by_default(hostile_tls: HostileServer) -> None:
    hostile_tls.answer = EMPTY
    key = org_key()
    async with OrbClient(hostile_tls.url, key, timeout=5.0) as client:
        with pytest.raises(ConnectError) as caught:
            await client.list_computers()
        channel = client.terminal("c1")
        with pytest.raises(OrbError):
            await channel.connect()
        await channel.close()
    assert "TLS certificate was not accepted" in str(caught.value)
    assert_no_key(str(caught.value), key, "the TLS error")
    assert hostile_tls.seen == [], "a request (and the key) reached an unverified server"


async def test_verify_false_reaches_the_same_server(hostile_tls: HostileServer) -> None:
    hostile_tls.answer = EMPTY
    key = org_key()
    async with OrbClient(hostile_tls.url, key, timeout=5.0, verify=False) as client:
        listing = await client.list_computers()
    assert listing.computers == ()
    assert [k for _, _, k in hostile_tls.seen] == [key]


def write_profiles(paths: Paths, url: str, key: str, verify_line: str) -> None:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(
        f'default_profile = "tls"\n[profiles.tls]\napi_url = "{url}"\n{verify_line}\n'
    )
    save_credential(paths, "tls", key)


@pytest.mark.parametrize(
    ("verify_line", "checked"),
    [("", True), ("verify_tls = true", True), ("verify_tls = false", False)],
    ids=["default", "true", "false"],
)
async def test_the_profile_setting_decides_for_the_console(
    hostile_tls: HostileServer, tmp_path: Path, verify_line: str, checked: bool
) -> None:
    """From config.toml to the console's own polls: refused when checked, answered when not."""
    hostile_tls.answer = EMPTY
    paths = Paths(config_dir=tmp_path / "config", state_dir=tmp_path / "state")
    key = org_key()
    write_profiles(paths, hostile_tls.url, key, verify_line)
    assert load_settings(paths).profiles["tls"].verify_tls is checked
    settings, credentials = _load(paths)
    endpoint = resolve_endpoint(settings, credentials, env={})
    assert endpoint.verify_tls is checked
    app = make_app(settings=settings, paths=paths, endpoint=endpoint, timeout=5.0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        for _ in range(200):
            if screen.polls:
                break
            await pilot.pause(0.05)
        assert screen.polls, "the console never polled"
        shown = screen_text(app)
        if checked:
            assert screen.failures and hostile_tls.seen == []
            assert "TLS certificate was not accepted" in shown
        else:
            assert not screen.failures and {k for _, _, k in hostile_tls.seen} == {key}
            assert "TLS certificates NOT checked" in shown, "no warning on screen"
        assert_no_key(shown, key, "the screen")
