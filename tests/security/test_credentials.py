"""Credentials on every route of /openapi.json: dead or forged ones are 401, another org's are 404.

tests/contract/test_auth.py checks each kind of bad credential on one route, and
tests/contract/test_isolation.py walks every route with another org's register key; this walks every
route with each kind, so a route that forgot its auth dependency cannot hide.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from server_harness import Org, RunningServer, register_org

from orb_tui.server.auth import issue_token

CONFIG = '[agent]\nname = "a"\nlang = "python"\nentry = "main.py"\n'
OPEN_ROUTES = {"POST /api/v1/auth/register", "POST /api/v1/auth/login"}
# what each route needs to get past validation, so the answer is about the credential or the id
BODIES: dict[str, dict[str, Any]] = {
    "POST /v1/keys": {"json": {"name": "k"}},
    "POST /v1/webhooks": {"json": {"url": "http://127.0.0.1:9/", "events": ["agent.finished"]}},
    "POST /v1/computers": {"json": {"name": "c"}},
    "POST /v1/computers/{computer_id}/exec": {"json": {"command": "true"}},
    "POST /v1/computers/{computer_id}/agents/demote": {"json": {"port": 1}},
    "POST /v1/computers/{computer_id}/agents/promote": {"json": {"port": 1}},
    "POST /v1/computers/{computer_id}/config": {
        "content": CONFIG.encode(), "headers": {"Content-Type": "application/toml"},
    },
}  # fmt: skip


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _routes(url: str) -> list[tuple[str, str]]:
    async with httpx.AsyncClient(base_url=url) as http:
        spec = (await http.get("/openapi.json")).json()
    return [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops]


async def _owned(org: Org) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {org.api_key}"}
    async with httpx.AsyncClient(base_url=org.url, headers=headers, timeout=30) as http:
        computer = (await http.post("/v1/computers", json={"name": "mine"})).json()["id"]
        hook = await http.post("/v1/webhooks", **BODIES["POST /v1/webhooks"])
        key = (await http.post("/v1/keys", json={"name": "k"})).json()
    return {"computer_id": computer, "webhook_id": hook.json()["id"], "key_id": key["key_id"],
            "path": "agent/data", "api_key": key["api_key"]}  # fmt: skip


async def _dead_credentials(server: RunningServer, org: Org) -> dict[str, str]:
    """One of each: expired, unsigned, forged, revoked key, token of a revoked key."""
    headers = {"Authorization": f"Bearer {org.api_key}"}
    async with httpx.AsyncClient(base_url=org.url, headers=headers, timeout=30) as http:
        doomed = (await http.post("/v1/keys", json={"name": "doomed"})).json()
        login = await http.post("/api/v1/auth/login", json={"api_key": doomed["api_key"]})
        token = login.json()["token"]
        org_id = (await http.post("/v1/computers", json={"name": "who"})).json()["org_id"]
        assert (await http.delete(f"/v1/keys/{doomed['key_id']}")).status_code == 200
        live = await http.post("/api/v1/auth/login", json={"api_key": org.api_key})
    live_claims = json.loads(base64.urlsafe_b64decode(live.json()["token"].split(".")[1] + "=="))
    secret = bytes.fromhex((server.state_dir / "jwt.secret").read_text())
    later = int(time.time()) + 3600
    return {
        "expired": issue_token(secret, org_id, live_claims["kid"], now=time.time() - 86401),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}."
        f"{_b64({'sub': org_id, 'kid': live_claims['kid'], 'exp': later})}.",
        "other secret": issue_token(b"x" * 32, org_id, live_claims["kid"]),
        "revoked key": doomed["api_key"],
        "token of a revoked key": token,
        "none": "",
    }


async def test_every_route_refuses_dead_and_forged_credentials(server: RunningServer) -> None:
    org = await register_org(server.url)
    ids = await _owned(org)
    dead = await _dead_credentials(server, org)
    walked = 0
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for method, template in await _routes(server.url):
            if f"{method} {template}" in OPEN_ROUTES:
                continue
            url = template.format(**ids)
            for kind, credential in dead.items():
                extra = dict(BODIES.get(f"{method} {template}", {}))
                headers = dict(extra.pop("headers", {}))
                if credential:
                    headers["Authorization"] = f"Bearer {credential}"
                answer = await http.request(method, url, headers=headers, **extra)
                assert answer.status_code == 401, (kind, method, template, answer.text)
                assert answer.json()["error"] == "unauthorized"
                assert credential == "" or credential not in answer.text
                walked += 1
    assert walked >= 6 * 20, "the routes were not all walked"
    # and the org's own credentials still work
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        mine = {"Authorization": f"Bearer {org.api_key}"}
        assert (
            await http.get(f"/v1/computers/{ids['computer_id']}", headers=mine)
        ).status_code == 200


@pytest.mark.parametrize("kind", ["login token", "orb_ key"])
async def test_another_orgs_ids_are_404_whatever_the_credential(
    server: RunningServer, kind: str
) -> None:
    a, b = await register_org(server.url), await register_org(server.url)
    ids = await _owned(a)
    theirs = await _owned(b)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        if kind == "login token":
            login = await http.post("/api/v1/auth/login", json={"api_key": b.api_key})
            credential = login.json()["token"]
        else:
            credential = theirs["api_key"]
        http.headers["Authorization"] = f"Bearer {credential}"
        for method, template in await _routes(server.url):
            if "{" not in template:
                continue
            extra = BODIES.get(f"{method} {template}", {})
            answer = await http.request(method, template.format(**ids), **extra)
            assert answer.status_code == 404, (method, template, answer.text)
            # exactly what an id that never existed gets: no way to tell "not yours" from "none"
            unknown = {name: "00000000-0000-4000-8000-000000000000" for name in ids}
            never = await http.request(method, template.format(**{**unknown, "path": "agent/data"}),
                                       **extra)  # fmt: skip
            assert never.status_code == 404
            assert _masked(answer.text, ids.values()) == _masked(never.text, unknown.values())


def _masked(text: str, ids: Iterable[str]) -> str:
    for value in ids:
        text = text.replace(value, "<id>")
    return text
