"""The API key is in no error the client raises: not from a hostile server, not from the real one."""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable

import pytest
from leak_kit import Answer, HostileServer, assert_no_key, org_key
from server_harness import RunningServer, register_org

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import NotFound, OrbError, Unauthorized

CID = "abc12345-1234-5678-9abc-def012345678"

JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}
HTML = {"Content-Type": "text/html"}

# Every answer repeats the key it was sent, the way a careless proxy or server error page might.
ANSWERS = {
    "401-json": Answer(401, '{"error": "unauthorized", "message": "bad key {key}"}', JSON),
    "403-text": Answer(403, "Forbidden for Authorization: Bearer {key}", TEXT),
    "404-json": Answer(404, '{"error": "not_found", "message": "nothing for key={key}"}', JSON),
    "409-detail": Answer(409, '{"detail": "key {key} is busy"}', JSON),
    "422-fastapi": Answer(422, '{"detail": [{"loc": ["header"], "msg": "{key}"}]}', JSON),
    "429-retry": Answer(429, '{"message": "{key}"}', {**JSON, "Retry-After": "{key}"}),
    "400-code": Answer(400, '{"error": "{key}", "message": "bad request"}', JSON),
    "500-html": Answer(500, "<pre>Traceback: api_key='{key}'</pre>", HTML),
    "502-text": Answer(502, "{key}", TEXT),
    "200-not-json": Answer(200, "key: {key}", TEXT),
    "200-cut-json": Answer(200, '{"computers": [{"id": "{key}"', JSON),
    "200-wrong-shape": Answer(200, '{"computers": "{key}", "keys": "{key}", "id": 7}', JSON),
    "301-away": Answer(301, "", {"Location": "https://evil.example/steal?key={key}&x={key}"}),
}

Call = Callable[[OrbClient], Awaitable[object]]

CALLS: dict[str, Call] = {
    "list_computers": lambda c: c.list_computers(),
    "get_computer": lambda c: c.get_computer(CID),
    "exec": lambda c: c.exec(CID, "true"),
    "build": lambda c: c.build(CID),
    "list_files": lambda c: c.list_files(CID, "/"),
    "read_file": lambda c: c.read_file(CID, "orb.toml"),
    "list_keys": lambda c: c.list_keys(),
    "create_key": lambda c: c.create_key("ci"),
    "revoke_key": lambda c: c.revoke_key("k1"),
    "usage": lambda c: c.usage(),
    "login": lambda c: c.login(c.api_key or ""),
}


def everything_said(error: BaseException) -> str:
    """str, repr and the full printed traceback (with every chained cause) of `error`."""
    parts = [str(error), repr(error), *(str(a) for a in error.args)]
    parts.append("".join(traceback.format_exception(error)))
    return "\n".join(parts)


async def terminal_connect(client: OrbClient) -> None:
    channel = client.terminal(CID)
    try:
        await channel.connect()
    finally:
        await channel.close()


@pytest.mark.parametrize("answer", ANSWERS)
async def test_no_error_from_a_hostile_server_carries_the_key(
    hostile: HostileServer, answer: str
) -> None:
    key = org_key()
    hostile.answer = ANSWERS[answer]
    raised: dict[str, BaseException] = {}
    async with OrbClient(hostile.url, key, timeout=5.0) as client:
        assert_no_key(repr(client), key, "repr(OrbClient)")
        for name, call in [*CALLS.items(), ("terminal", terminal_connect)]:
            try:
                await call(client)
            except Exception as exc:
                raised[name] = exc
    assert {k for _, _, k in hostile.seen} == {key}, "the server was not reached with the key"
    for name, error in raised.items():
        assert isinstance(error, OrbError), f"{name}: {error!r} is not an OrbError"
        assert_no_key(everything_said(error), key, f"the {name} error on {answer}")
    if ANSWERS[answer].status >= 300:
        assert set(raised) == {*CALLS, "terminal"}, "an error status was taken as success"


async def test_no_error_from_the_real_server_carries_the_key(server: RunningServer) -> None:
    """A revoked key (401 on every call, HTTP and WebSocket) and another org's computer (404)."""
    org = await register_org(server.url)
    other = await register_org(server.url)
    async with OrbClient(org.url, org.api_key) as owner, OrbClient(other.url, other.api_key) as c:
        created = await owner.create_key("soon-revoked")
        computer = await owner.create_computer("not-yours")
        keys = [k for k in await owner.list_keys() if created.api_key.startswith(k.prefix)]
        await owner.revoke_key(keys[0].key_id)
        errors: list[tuple[str, BaseException, str]] = []
        for name, call in [
            ("get_computer", lambda: c.get_computer(computer.id)),
            ("exec", lambda: c.exec(computer.id, "echo hi")),
            ("read_file", lambda: c.read_file(computer.id, "orb.toml")),
            ("terminal", lambda: terminal_connect_to(c, computer.id)),
        ]:
            with pytest.raises(NotFound) as caught:
                await call()
            errors.append((name, caught.value, other.api_key))
    async with OrbClient(org.url, created.api_key) as revoked:
        for name, call in [
            ("list_computers", lambda: revoked.list_computers()),
            ("get_computer", lambda: revoked.get_computer(computer.id)),
            ("list_keys", lambda: revoked.list_keys()),
            ("terminal", lambda: terminal_connect_to(revoked, computer.id)),
        ]:
            with pytest.raises(Unauthorized) as caught:
                await call()
            errors.append((f"revoked {name}", caught.value, created.api_key))
    for name, error, key in errors:
        assert_no_key(everything_said(error), key, f"the {name} error")


async def terminal_connect_to(client: OrbClient, computer_id: str) -> None:
    channel = client.terminal(computer_id)
    try:
        await channel.connect()
    finally:
        await channel.close()
