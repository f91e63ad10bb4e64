"""Contract: creating, listing, reading and deleting computers, and their field validation."""

from __future__ import annotations

import uuid

import httpx
import pytest
from server_harness import RunningServer

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import NotFound, ValidationFailed


async def test_create_with_defaults_answers_the_wire_shape(http: httpx.AsyncClient) -> None:
    answer = await http.post("/v1/computers", json={"name": "my-agent"})
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {
        "id", "org_id", "name", "runtime_mb", "disk_mb", "status", "agent_count",
        "port_mappings", "created_at", "has_config",
    }  # fmt: skip
    assert uuid.UUID(body["id"]).version == 4
    assert (body["runtime_mb"], body["disk_mb"], body["status"]) == (512, 1024, "ready")
    assert (body["agent_count"], body["port_mappings"], body["has_config"]) == (0, [], False)
    assert body["created_at"].endswith("Z")


async def test_list_is_newest_first_with_a_total(client: OrbClient) -> None:
    first = await client.create_computer("first", runtime_mb=256, disk_mb=2048)
    second = await client.create_computer("second")
    listed = await client.list_computers()
    assert listed.total == 2
    assert [c.id for c in listed.computers] == [second.id, first.id]
    fetched = await client.get_computer(first.id)
    assert (fetched.name, fetched.runtime_mb, fetched.disk_mb) == ("first", 256, 2048)


async def test_delete_removes_the_computer_and_its_folder(
    client: OrbClient, server: RunningServer
) -> None:
    computer = await client.create_computer("doomed")
    folder = server.state_dir / "computers" / computer.id
    assert (folder / "agent" / "data").is_dir()
    await client.delete_computer(computer.id)
    assert not folder.exists()
    with pytest.raises(NotFound):
        await client.get_computer(computer.id)
    with pytest.raises(NotFound):
        await client.delete_computer(computer.id)
    assert (await client.list_computers()).total == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 64}, "name"),
        ({"name": "has space"}, "name"),
        ({"name": "slash/no"}, "name"),
        ({"name": "newline\n"}, "name"),
        ({"name": 42}, "name"),
        ({}, "name"),
        ({"name": "ok", "runtime_mb": 63}, "runtime_mb"),
        ({"name": "ok", "runtime_mb": 65537}, "runtime_mb"),
        ({"name": "ok", "runtime_mb": "512"}, "runtime_mb"),
        ({"name": "ok", "runtime_mb": True}, "runtime_mb"),
        ({"name": "ok", "disk_mb": 1048577}, "disk_mb"),
        ({"name": "ok", "disk_mb": 1.5}, "disk_mb"),
    ],
)
async def test_invalid_fields_are_422_naming_the_field(
    http: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    answer = await http.post("/v1/computers", json=body)
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid"
    assert answer.json()["message"].startswith(f"{field}:")


async def test_limits_at_the_edges_are_accepted(client: OrbClient) -> None:
    low = await client.create_computer("a" * 63, runtime_mb=64, disk_mb=64)
    high = await client.create_computer("A.b_c-9", runtime_mb=65536, disk_mb=1048576)
    assert (low.runtime_mb, high.disk_mb) == (64, 1048576)


async def test_a_bad_name_reaches_the_client_as_validation_failed(client: OrbClient) -> None:
    with pytest.raises(ValidationFailed, match="name"):
        await client.create_computer("no spaces please")
