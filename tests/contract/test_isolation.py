"""Contract: one org never sees another's computers, keys, webhooks or usage: every route is a 404."""

from __future__ import annotations

import httpx
import pytest
from server_harness import Org, RunningServer, register_org
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

CONFIG = '[agent]\nname = "a"\nlang = "python"\nentry = "main.py"\n'

# A valid body for each route that takes one, so the 404 is about the id and not the body.
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("post", "/v1/computers/{computer_id}/exec"): {"json": {"command": "true"}},
    ("post", "/v1/computers/{computer_id}/agents/demote"): {"json": {"port": 1}},
    ("post", "/v1/computers/{computer_id}/agents/promote"): {"json": {"port": 1}},
    ("post", "/v1/computers/{computer_id}/agents"): {"json": {}},
    ("post", "/v1/computers/{computer_id}/config"): {
        "content": CONFIG.encode(), "headers": {"Content-Type": "application/toml"},
    },
}  # fmt: skip


C = "/v1/computers/{computer_id}"
EXPECTED = {
    f"GET {C}", f"DELETE {C}", f"POST {C}/config", f"GET {C}/config", f"GET {C}/files",
    f"GET {C}/files/{{path}}", f"POST {C}/exec", f"POST {C}/build", f"GET {C}/builds",
    f"POST {C}/agents", f"GET {C}/agents", f"POST {C}/agents/demote", f"POST {C}/agents/promote",
    "DELETE /v1/keys/{key_id}", "DELETE /v1/webhooks/{webhook_id}",
    "GET /v1/webhooks/{webhook_id}/deliveries",
}  # fmt: skip


async def _owned_by_a(a: Org) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {a.api_key}"}
    async with httpx.AsyncClient(base_url=a.url, headers=headers, timeout=30) as http:
        computer = (await http.post("/v1/computers", json={"name": "private"})).json()["id"]
        await http.post(
            f"/v1/computers/{computer}/config", content=CONFIG,
            headers={"Content-Type": "application/toml"},
        )  # fmt: skip
        key = (await http.post("/v1/keys", json={"name": "a-key"})).json()["key_id"]
        hook = await http.post(
            "/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["agent.finished"]}
        )
    return {
        "computer_id": computer,
        "key_id": key,
        "webhook_id": hook.json()["id"],
        "path": "agent/data",
    }


async def test_every_route_with_an_id_is_404_for_another_org(server: RunningServer) -> None:
    a, b = await register_org(server.url), await register_org(server.url)
    ids = await _owned_by_a(a)
    headers = {"Authorization": f"Bearer {b.api_key}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
        spec = (await http.get("/openapi.json")).json()
        walked = set()
        for template, methods in spec["paths"].items():
            if "{" not in template:
                continue
            for method in methods:
                url = template.format(**ids)
                answer = await http.request(method, url, **BODIES.get((method, template), {}))  # type: ignore[arg-type]
                assert answer.status_code == 404, (method, template, answer.text)
                assert answer.json()["error"] in {"not_found", "no_config"}
                walked.add(f"{method.upper()} {template}")
    assert walked == EXPECTED, "a route with an id is missing here or in the server"
    # and everything of A is still there for A
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        mine = {"Authorization": f"Bearer {a.api_key}"}
        assert (
            await http.get(f"/v1/computers/{ids['computer_id']}", headers=mine)
        ).status_code == 200
        assert [k["key_id"] for k in (await http.get("/v1/keys", headers=mine)).json()["keys"]] == [
            ids["key_id"]
        ]
        assert len((await http.get("/v1/webhooks", headers=mine)).json()["webhooks"]) == 1


async def test_lists_and_usage_show_only_your_own(server: RunningServer) -> None:
    a, b = await register_org(server.url), await register_org(server.url)
    await _owned_by_a(a)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        theirs = {"Authorization": f"Bearer {b.api_key}"}
        assert (await http.get("/v1/computers", headers=theirs)).json() == {
            "computers": [],
            "total": 0,
        }
        assert (await http.get("/v1/keys", headers=theirs)).json() == {"keys": []}
        assert (await http.get("/v1/webhooks", headers=theirs)).json() == {"webhooks": []}
        usage = (await http.get("/v1/usage", headers=theirs)).json()
        assert (usage["computers_created"], usage["disk_gb_hours"]) == (0, 0)


@pytest.mark.parametrize("whose", ["other-org", "bad-key"])
async def test_the_terminal_refuses_before_the_upgrade(server: RunningServer, whose: str) -> None:
    a, b = await register_org(server.url), await register_org(server.url)
    computer = (await _owned_by_a(a))["computer_id"]
    key = b.api_key if whose == "other-org" else "wrong"
    ws_url = server.url.replace("http://", "ws://") + f"/v1/computers/{computer}/terminal?key={key}"
    with pytest.raises(InvalidStatus) as caught:
        async with connect(ws_url, compression=None, open_timeout=10):
            pass
    assert caught.value.response.status_code == (404 if whose == "other-org" else 401)
    assert b'"error"' in caught.value.response.body
