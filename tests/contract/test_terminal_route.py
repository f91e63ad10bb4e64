"""Contract: the terminal route: hello first, text both ways, resize, 1000 on exit, no shell left behind."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest
from server_harness import Org

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import NotFound, TerminalClosedError, Unauthorized
from orb_tui.api.terminal import TerminalChannel


async def _read_until(channel: TerminalChannel, needle: bytes, timeout: float = 10.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        seen += await asyncio.wait_for(channel.recv(), max(deadline - time.monotonic(), 0.01))
    return seen


def _alive(marker: str) -> bool:
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


async def test_hello_text_resize_and_a_clean_close(client: OrbClient) -> None:
    computer = await client.create_computer("shell")
    async with client.terminal(computer.id, cols=100, rows=30) as channel:
        assert channel.supports_resize
        await channel.send("stty size; printf 'caf\\303\\251 %s\\n' done\n")
        assert b"30 100" in await _read_until(channel, "café done".encode())
        assert await channel.resize(132, 43)
        await channel.send("stty size\n")
        await _read_until(channel, b"43 132")
        await channel.send("exit\n")
        with pytest.raises(TerminalClosedError) as closed:
            await _read_until(channel, b"never printed")
    assert closed.value.closed.code == 1000


async def test_a_client_that_goes_leaves_no_process(client: OrbClient) -> None:
    computer = await client.create_computer("dropped")
    seconds = f"{random.randint(10_000, 99_999)}.{random.randint(10_000, 99_999)}"
    async with client.terminal(computer.id) as channel:
        await channel.send(f"echo started; sleep {seconds}\n")
        await _read_until(channel, b"started\r\n")
        deadline = time.monotonic() + 5
        while not _alive(f"sleep\0{seconds}"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    deadline = time.monotonic() + 10
    while _alive(f"sleep\0{seconds}"):
        assert time.monotonic() < deadline, "the shell outlived its WebSocket"
        await asyncio.sleep(0.05)


async def test_a_bearer_header_works_too(org: Org) -> None:
    async with OrbClient(org.url, org.api_key) as orb:
        computer = await orb.create_computer("bearer")
    from websockets.asyncio.client import connect

    url = org.url.replace("http://", "ws://") + f"/v1/computers/{computer.id}/terminal"
    headers = {"Authorization": f"Bearer {org.api_key}"}
    async with connect(url, additional_headers=headers, compression=None) as ws:
        assert b'"hello"' in await ws.recv()  # type: ignore[operator]


async def test_refusals_come_before_the_upgrade(client: OrbClient, org: Org) -> None:
    computer = await client.create_computer("refuse")
    with pytest.raises(NotFound):
        async with client.terminal("00000000-0000-4000-8000-000000000000"):
            pass
    async with OrbClient(org.url, "wrong-key") as stranger:
        with pytest.raises(Unauthorized):
            async with stranger.terminal(computer.id):
                pass


@pytest.mark.parametrize("query", ["cols=0", "rows=1001", "cols=%C2%B2", "rows=x"])
async def test_a_bad_size_is_refused_before_the_upgrade(org: Org, query: str) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    async with OrbClient(org.url, org.api_key) as orb:
        computer = await orb.create_computer("sizes")
    base = org.url.replace("http://", "ws://")
    url = f"{base}/v1/computers/{computer.id}/terminal?key={org.api_key}&{query}"
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, compression=None):
            pass
    assert caught.value.response.status_code == 422


async def test_a_reader_that_stops_holds_the_shell_back_and_loses_nothing(
    client: OrbClient,
) -> None:
    count = 400_000  # 3.5 MB of output: more than every buffer on the way used to hold
    computer = await client.create_computer("flood")
    async with client.terminal(computer.id) as channel:
        await channel.send(f"seq -f n%g 1 {count} | tee seq.txt; echo DO''NE\n")
        out = await _read_until(channel, b"n1\r\n")
        out = out[out.index(b"n1\r\n") :]  # past the echoes of the command
        while out.count(b"\n") < 10_000:
            out += await asyncio.wait_for(channel.recv(), 10)
        await asyncio.sleep(1.0)  # read nothing: every buffer between seq and us fills
        written = await client.exec(computer.id, "wc -l < seq.txt")
        ahead = int(written.stdout) - out.count(b"\n")  # lines seq wrote that we did not read
        # about 9 bytes a line: under 512 KB sits in the PTY, the server and both sockets
        assert ahead * 9 < 512 << 10, f"{ahead} lines buffered"
        assert int(written.stdout) < count
        out += await _read_until(channel, b"DONE\r\n", timeout=60)
    numbers = out[: out.index(b"\r\nDONE\r\n")].split(b"\r\n")
    assert numbers == [f"n{n}".encode() for n in range(1, count + 1)]
