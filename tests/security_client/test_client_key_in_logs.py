"""The API key is in no log record, with every logger (httpx, httpcore, websockets) at DEBUG."""

from __future__ import annotations

import asyncio
import logging

import pytest
from leak_kit import Answer, HostileServer, assert_no_key, org_key
from server_harness import RunningServer, register_org

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import OrbError

LOGGERS = ("", "httpx", "httpcore", "websockets", "websockets.client", "asyncio", "orb_tui")


def all_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record as a formatter would write it, with its raw args and traceback."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(f"{formatter.format(r)} {r.args!r}" for r in caplog.records)


def debug_everything(caplog: pytest.LogCaptureFixture) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)


async def read_until(channel: object, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        seen += await asyncio.wait_for(channel.recv(), 10)  # type: ignore[attr-defined]
    return seen


async def test_client_calls_and_a_terminal_log_no_key(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    debug_everything(caplog)
    org = await register_org(server.url)
    async with OrbClient(org.url, org.api_key) as client:
        computer = await client.create_computer("logged")
        await client.list_computers()
        await client.exec(computer.id, "echo hi")
        created = await client.create_key("logged-key")
        channel = client.terminal(computer.id)
        await channel.connect()
        await channel.send("echo log-$((6*7))\r")
        await read_until(channel, b"log-42")
        await channel.close()
        keys = [k for k in await client.list_keys() if created.api_key.startswith(k.prefix)]
        await client.revoke_key(keys[0].key_id)
    async with OrbClient(org.url, created.api_key) as revoked:
        with pytest.raises(OrbError):
            await revoked.list_computers()
        channel = revoked.terminal(computer.id)
        with pytest.raises(OrbError):
            await channel.connect()
        await channel.close()
    logged = all_logged(caplog)
    assert "HTTP Request" in logged and "websockets" in logged, "DEBUG logging was not captured"
    assert_no_key(logged, org.api_key, "the DEBUG log")
    assert_no_key(logged, created.api_key, "the DEBUG log")


async def test_a_hostile_server_echoing_the_key_puts_none_in_the_log(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    debug_everything(caplog)
    key = org_key()
    hostile.answer = Answer(500, "key={key} Bearer {key}", {"X-Echo": "{key}"})
    async with OrbClient(hostile.url, key) as client:
        with pytest.raises(OrbError):
            await client.list_computers()
        channel = client.terminal("c1")
        with pytest.raises(OrbError):
            await channel.connect()
        await channel.close()
    logged = all_logged(caplog)
    assert "HTTP Request" in logged
    assert_no_key(logged, key, "the DEBUG log")
