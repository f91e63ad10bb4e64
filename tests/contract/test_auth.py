"""Contract: register, login and every kind of Bearer credential against the local server."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from server_harness import Org, RunningServer

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import Conflict, Unauthorized, ValidationFailed
from orb_tui.server.auth import issue_token


def _email() -> str:
    return f"auth-{uuid.uuid4().hex[:10]}@example.com"


async def test_register_gives_a_43_char_key_that_works_as_bearer(server: RunningServer) -> None:
    async with OrbClient(server.url) as anon:
        reg = await anon.register(_email())
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", reg.api_key)
    assert uuid.UUID(reg.tenant_id).version == 4
    async with OrbClient(server.url, reg.api_key) as orb:
        assert (await orb.list_computers()).total == 0


async def test_register_twice_is_a_conflict(server: RunningServer) -> None:
    email = _email()
    async with OrbClient(server.url) as anon:
        await anon.register(email)
        with pytest.raises(Conflict):
            await anon.register(email.upper())


async def test_register_needs_an_email(server: RunningServer) -> None:
    async with OrbClient(server.url) as anon:
        with pytest.raises(ValidationFailed, match="email"):
            await anon.register("not-an-email")


async def test_login_token_is_an_hs256_jwt_valid_as_bearer(org: Org) -> None:
    async with OrbClient(org.url) as anon:
        login = await anon.login(org.api_key)
    assert login.expires_in == 86400
    assert login.token.count(".") == 2
    async with OrbClient(org.url, login.token) as orb:
        assert (await orb.list_computers()).total == 0


async def test_login_with_a_wrong_key_is_401(server: RunningServer) -> None:
    async with OrbClient(server.url) as anon:
        with pytest.raises(Unauthorized):
            await anon.login("not-a-key-" + "x" * 33)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc", "Bearer a.b.c"])
async def test_bad_credentials_are_401_json(server: RunningServer, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    async with httpx.AsyncClient(base_url=server.url) as raw:
        answer = await raw.get("/v1/computers", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    assert answer.json()["message"]


async def test_tampered_and_expired_tokens_are_refused(server: RunningServer, org: Org) -> None:
    async with OrbClient(org.url) as anon:
        token = (await anon.login(org.api_key)).token
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}AA"
    secret = bytes.fromhex((server.state_dir / "jwt.secret").read_text())
    claims_source = OrbClient(org.url, token)
    async with claims_source:
        tenant = (await claims_source.create_computer("who")).org_id
    # a token the server itself signed, but a day and a second old
    expired = issue_token(secret, tenant, "any-key", now=time.time() - 86401)
    for bad in (tampered, expired):
        async with OrbClient(org.url, bad) as orb:
            with pytest.raises(Unauthorized):
                await orb.list_computers()


async def test_a_token_dies_with_the_key_that_obtained_it(org: Org) -> None:
    async with OrbClient(org.url, org.api_key) as orb:
        created = await orb.create_key("short-lived")
        token = (await orb.login(created.api_key)).token
        async with OrbClient(org.url, token) as by_token:
            await by_token.list_keys()
            await orb.revoke_key(created.key_id)
            with pytest.raises(Unauthorized):
                await by_token.list_keys()


async def test_errors_never_echo_the_key(server: RunningServer) -> None:
    key = "secret-" + uuid.uuid4().hex
    async with httpx.AsyncClient(base_url=server.url) as raw:
        answer = await raw.get("/v1/computers", headers={"Authorization": f"Bearer {key}"})
        login = await raw.post("/api/v1/auth/login", json={"api_key": key})
    assert key not in answer.text
    assert key not in login.text
