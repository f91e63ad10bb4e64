"""Port forwards over HTTP: `[ports] expose` gives a host port that reaches the agent's web server."""

from __future__ import annotations

import asyncio
import socket

import httpx
from conftest import Machine

CONFIG = """
[agent]
name = "web"
lang = "python"
entry = "-m"
args = ["http.server", "--bind", "127.0.0.1", "{port}"]

[ports]
expose = [{port}]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_a_forward_answers_for_the_agent(machine: Machine) -> None:
    app_port = free_port()
    await machine.client.exec(machine.computer_id, "echo forwarded > ../code/page.txt")
    await machine.client.upload_config(machine.computer_id, CONFIG.format(port=app_port))
    await machine.client.deploy(machine.computer_id)
    computer = await machine.client.get_computer(machine.computer_id)
    [mapping] = computer.port_mappings
    assert mapping.container_port == app_port and mapping.host_port != app_port
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(250):
            try:
                answer = await http.get(f"http://127.0.0.1:{mapping.host_port}/page.txt")
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the forward never answered")
    assert answer.text == "forwarded\n"
