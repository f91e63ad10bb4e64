"""Contract: uploading orb.toml, reading it back exactly, and what the server refuses."""

from __future__ import annotations

import httpx
import pytest

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import BadRequest, NotFound, TooLarge, ValidationFailed

CONFIG = """# my agent
[agent]
name = "helper"   # the name
lang = "python"
entry = "main.py"

[backend]
provider = "anthropic"

[llm]
model = "claude"

[ports]
expose = [8000]
"""


async def test_upload_summarises_and_reads_back_byte_for_byte(client: OrbClient) -> None:
    computer = await client.create_computer("cfg")
    upload = await client.upload_config(computer.id, CONFIG)
    assert upload.computer_id == computer.id
    assert (upload.summary.agent_name, upload.summary.agent_lang, upload.summary.agent_entry) == (
        "helper", "python", "main.py",
    )  # fmt: skip
    assert upload.summary.raw["backend"] == {"provider": "anthropic"}
    assert upload.summary.raw["llm"] == {"model": "claude"}
    assert upload.summary.raw["ports"] == [8000]
    assert upload.source == "uploaded"
    assert await client.get_config(computer.id) == CONFIG
    after = await client.get_computer(computer.id)
    assert after.has_config is True
    assert [m.container_port for m in after.port_mappings] == [8000]
    assert all(m.host_port > 0 for m in after.port_mappings)


async def test_get_config_is_toml_and_missing_config_is_no_config(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "raw"})).json()["id"]
    missing = await http.get(f"/v1/computers/{cid}/config")
    assert missing.status_code == 404
    assert missing.json()["error"] == "no_config"
    text = '[agent]\nname = "é"\nlang = "node"\nentry = "x.js"\n'
    up = await http.post(
        f"/v1/computers/{cid}/config", content=text.encode(),
        headers={"Content-Type": "application/toml"},
    )  # fmt: skip
    assert up.status_code == 200, up.text
    got = await http.get(f"/v1/computers/{cid}/config")
    assert got.headers["content-type"].startswith("application/toml")
    assert got.content == text.encode()


async def test_get_config_of_a_fresh_computer_is_none_for_the_client(client: OrbClient) -> None:
    computer = await client.create_computer("fresh")
    assert await client.get_config(computer.id) is None


async def test_invalid_toml_names_line_and_column(client: OrbClient) -> None:
    computer = await client.create_computer("bad")
    with pytest.raises(BadRequest, match=r"line 3, column \d+") as caught:
        await client.upload_config(computer.id, '[agent]\nname = "a"\nlang = = "x"\n')
    assert caught.value.status == 400
    with pytest.raises(BadRequest, match="line 2"):
        await client.upload_config(computer.id, "[agent]\nname = ")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[source]\ngit = "x"\n', "[agent]"),
        ('agent = "flat"\n', "[agent]"),
        ('[agent]\nname = 3\nlang = "python"\nentry = "m.py"\n', "agent.name"),
        ('[agent]\nname = "a"\nentry = "m.py"\n', "agent.lang"),
        ('[agent]\nname = "a"\nlang = "python"\nentry = ["m.py"]\n', "agent.entry"),
        (
            '[agent]\nname = "a"\nlang = "p"\nentry = "m"\n[ports]\nexpose = ["80"]\n',
            "ports.expose",
        ),
    ],
)
async def test_schema_problems_are_422(client: OrbClient, text: str, field: str) -> None:
    computer = await client.create_computer("schema")
    with pytest.raises(ValidationFailed) as caught:
        await client.upload_config(computer.id, text)
    assert field in str(caught.value)
    assert await client.get_config(computer.id) is None


async def test_config_over_256_kib_is_413_and_at_the_limit_is_fine(client: OrbClient) -> None:
    computer = await client.create_computer("big")
    head = '[agent]\nname = "a"\nlang = "python"\nentry = "m.py"\n'
    exact = head + "#" * (256 * 1024 - len(head) - 1) + "\n"
    assert len(exact.encode()) == 256 * 1024
    await client.upload_config(computer.id, exact)
    with pytest.raises(TooLarge):
        await client.upload_config(computer.id, exact + "#")
    assert await client.get_config(computer.id) == exact


async def test_config_of_an_unknown_computer_is_404(client: OrbClient) -> None:
    with pytest.raises(NotFound):
        await client.upload_config("00000000-0000-4000-8000-000000000000", CONFIG)
