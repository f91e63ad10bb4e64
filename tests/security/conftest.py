"""Fixtures for the security tests: a raw client per org on the session server, and a computer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sec_box import Box
from server_harness import RunningServer, register_org


@pytest.fixture
async def box(server: RunningServer) -> AsyncIterator[Box]:
    """A computer of a fresh org on the session server (in bubblewrap when the machine has it)."""
    org = await register_org(server.url)
    headers = {"Authorization": f"Bearer {org.api_key}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as http:
        computer = (await http.post("/v1/computers", json={"name": "target"})).json()["id"]
        made = Box(http, computer, server, sandboxed=False)
        made.sandboxed = (await made.exec("echo $ORB_AGENT_DIR"))["stdout"] == "/agent\n"
        yield made
        await http.delete(f"/v1/computers/{computer}")


@pytest.fixture
def sandboxed_box(box: Box) -> Box:
    """`box`, skipping the test where computers run as plain process groups (no isolation to test)."""
    if not box.sandboxed:
        pytest.skip("computers run without bubblewrap here: there is no sandbox to escape")
    return box
