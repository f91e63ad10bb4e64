"""The terminal over a real WebSocket: size and resize, Ctrl-C, exit closes 1000, no process left."""

from __future__ import annotations

import pytest
from conftest import Machine
from proc_probe import eventually, pids_running, unique_seconds

from orb_tui.api.errors import TerminalClosedError
from orb_tui.api.terminal import TerminalChannel


async def read_until(channel: TerminalChannel, needle: bytes) -> bytes:
    """Output up to and including `needle`."""
    out = b""
    while needle not in out:
        out += await channel.recv()
    return out


async def test_size_resize_and_ctrl_c(machine: Machine) -> None:
    async with machine.client.terminal(machine.computer_id, cols=91, rows=27) as channel:
        assert channel.supports_resize
        await channel.send("stty size\n")
        await read_until(channel, b"27 91\r\n")
        assert await channel.resize(120, 40)
        await channel.send("stty size\n")
        await read_until(channel, b"40 120\r\n")
        seconds = unique_seconds()
        await channel.send(f"sleep {seconds}\n")
        await eventually(lambda: bool(pids_running(seconds)), what="sleep starts")
        await channel.send("\x03")
        await eventually(lambda: not pids_running(seconds), what="Ctrl-C ends sleep")
        await read_until(channel, b"^C")
        await channel.send("echo code-$?\n")
        await read_until(channel, b"code-130")


async def test_closing_the_socket_leaves_no_process(machine: Machine) -> None:
    job, nohup = unique_seconds(), unique_seconds()
    channel = machine.client.terminal(machine.computer_id)
    await channel.connect()
    await channel.send(f"sleep {job} & nohup sleep {nohup} >/dev/null 2>&1 &\n")
    await eventually(lambda: bool(pids_running(job) and pids_running(nohup)), what="jobs start")
    await channel.close()
    await eventually(lambda: not pids_running(job) and not pids_running(nohup), what="jobs end")


async def test_exit_closes_the_socket_with_1000(machine: Machine) -> None:
    async with machine.client.terminal(machine.computer_id) as channel:
        await channel.send("exit\n")
        with pytest.raises(TerminalClosedError) as closed:
            while True:
                await channel.recv()
    assert closed.value.closed.code == 1000
