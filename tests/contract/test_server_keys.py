"""Contract: org `orb_` keys: created once in full, listed by prefix, stored hashed, revoked at once."""

from __future__ import annotations

import pytest
from server_harness import Org, RunningServer

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import NotFound, Unauthorized, ValidationFailed


async def test_create_list_and_use_a_key(client: OrbClient, org: Org) -> None:
    created = await client.create_key("ci")
    assert created.api_key.startswith("orb_")
    assert created.prefix == created.api_key[:8]
    assert created.name == "ci"
    listed = await client.list_keys()
    assert [(k.key_id, k.name, k.prefix) for k in listed] == [
        (created.key_id, "ci", created.prefix)
    ]
    async with OrbClient(org.url, created.api_key) as by_key:
        assert [k.key_id for k in await by_key.list_keys()] == [created.key_id]


async def test_listing_never_shows_a_key(
    http_raw_keys: tuple[str, list[dict[str, object]]],
) -> None:
    secret, listed = http_raw_keys
    assert listed and all(set(k) == {"key_id", "name", "prefix", "created_at"} for k in listed)
    assert secret not in str(listed)


@pytest.fixture
async def http_raw_keys(client: OrbClient, org: Org) -> tuple[str, list[dict[str, object]]]:
    import httpx

    created = await client.create_key("listing")
    async with httpx.AsyncClient(base_url=org.url) as raw:
        answer = await raw.get("/v1/keys", headers={"Authorization": f"Bearer {org.api_key}"})
    return created.api_key, answer.json()["keys"]


async def test_keys_are_stored_as_hashes(client: OrbClient, server: RunningServer) -> None:
    created = await client.create_key("hashed")
    stored = b"".join(
        path.read_bytes() for path in server.state_dir.glob("orb.db*") if path.is_file()
    )
    assert created.api_key.encode() not in stored
    assert client.api_key is not None and client.api_key.encode() not in stored


async def test_revocation_is_immediate(client: OrbClient, org: Org) -> None:
    created = await client.create_key("doomed")
    async with OrbClient(org.url, created.api_key) as by_key:
        await by_key.list_computers()
        await client.revoke_key(created.key_id)
        with pytest.raises(Unauthorized):
            await by_key.list_computers()
        with pytest.raises(Unauthorized):
            await by_key.login(created.api_key)
    assert created.key_id not in [k.key_id for k in await client.list_keys()]


async def test_revoking_twice_or_an_unknown_key_is_404(client: OrbClient) -> None:
    created = await client.create_key("once")
    await client.revoke_key(created.key_id)
    with pytest.raises(NotFound):
        await client.revoke_key(created.key_id)
    with pytest.raises(NotFound):
        await client.revoke_key("00000000-0000-4000-8000-000000000000")


async def test_a_key_needs_a_name(client: OrbClient) -> None:
    with pytest.raises(ValidationFailed, match="name"):
        await client.create_key("")
