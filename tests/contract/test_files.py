"""Contract: browsing a computer's files from `/`, confined to its `/agent` tree."""

from __future__ import annotations

import os

import httpx
import pytest
from server_harness import RunningServer

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import NotFound


@pytest.fixture
async def computer_id(client: OrbClient, server: RunningServer) -> str:
    computer = await client.create_computer("files")
    data = server.state_dir / "computers" / computer.id / "agent" / "data"
    (data / "sub").mkdir()
    (data / "sub" / "greeting.txt").write_text("hello\n")
    (data / "zeros.bin").write_bytes(b"\0" * 3000)
    (data / "host-link").symlink_to("/etc/hostname")
    (data / "out-link").symlink_to("../" * 8 + "etc")
    (data / "inner-link").symlink_to("sub/greeting.txt")
    os.mkfifo(data / "pipe")
    return computer.id


async def test_root_lists_just_agent(client: OrbClient, computer_id: str) -> None:
    for path in ("/", ""):
        listing = await client.list_files(computer_id, path)
        assert [(f.name, f.type) for f in listing.files] == [("agent", "directory")]


async def test_both_root_urls_answer_the_same(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "roots"})).json()["id"]
    bare = await http.get(f"/v1/computers/{cid}/files")
    slash = await http.get(f"/v1/computers/{cid}/files/")
    assert bare.status_code == slash.status_code == 200
    assert bare.json() == slash.json()
    assert bare.json()["path"] == "/"


async def test_directories_list_entries_with_type_size_and_time(
    client: OrbClient, computer_id: str
) -> None:
    agent = await client.list_files(computer_id, "/agent")
    assert agent.path == "/agent"
    assert {"code", "data"} <= {f.name for f in agent.files if f.is_dir}
    data = await client.list_files(computer_id, "/agent/data")
    by_name = {f.name: f for f in data.files}
    assert data.path == "/agent/data"
    assert by_name["sub"].type == "directory"
    assert (by_name["zeros.bin"].type, by_name["zeros.bin"].size) == ("file", 3000)
    assert by_name["zeros.bin"].modified is not None
    assert data.files[0].name == "sub"  # directories first


async def test_a_file_answers_its_raw_bytes(client: OrbClient, computer_id: str) -> None:
    assert await client.read_file(computer_id, "/agent/data/sub/greeting.txt") == b"hello\n"
    assert await client.read_file(computer_id, "agent/data/zeros.bin") == b"\0" * 3000
    assert await client.read_file(computer_id, "/agent/data/inner-link") == b"hello\n"


async def test_a_file_written_in_the_sandbox_is_octet_stream(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "raw"})).json()["id"]
    made = await http.post(f"/v1/computers/{cid}/exec", json={"command": "printf x > f"})
    assert made.json()["exit_code"] == 0, made.text
    answer = await http.get(f"/v1/computers/{cid}/files/agent/data/f")
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.content == b"x"


@pytest.mark.parametrize(
    "path",
    [
        "/etc",
        "/etc/passwd",
        "/agent/../limits.json",
        "/agent/data/../../limits.json",
        "/agent/data/out-link",
        "/agent/data/out-link/passwd",
        "/agent/data/host-link",
        "/agent/data/missing.txt",
        "/limits.json",
        "/agentx",
        "/agent/data/pipe",
    ],
)
async def test_anything_outside_agent_is_404(
    client: OrbClient, computer_id: str, path: str
) -> None:
    with pytest.raises(NotFound):
        await client.read_file(computer_id, path)


async def test_encoded_dot_dot_is_404(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "dots"})).json()["id"]
    for raw in ("agent/%2e%2e/limits.json", "agent/data/%2E%2E/%2E%2E/%2E%2E/etc/passwd"):
        answer = await http.get(f"/v1/computers/{cid}/files/{raw}")
        assert answer.status_code == 404, raw
        assert answer.json()["error"] == "not_found"
