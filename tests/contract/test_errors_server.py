"""Contract: every error is `{"error", "message"}` JSON with the right status, never a 500."""

from __future__ import annotations

import httpx
import pytest

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _is_error(answer: httpx.Response, status: int, code: str | None = None) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error", "message"}
    assert body["message"]
    if code is not None:
        assert body["error"] == code
    return body


async def test_unknown_routes_and_methods(http: httpx.AsyncClient) -> None:
    _is_error(await http.get("/v1/nothing-here"), 404, "not_found")
    _is_error(await http.get("/"), 404, "not_found")
    _is_error(await http.put("/v1/computers"), 405, "method_not_allowed")
    _is_error(await http.patch(f"/v1/computers/{UNKNOWN}"), 405)


async def test_unknown_ids_are_404(http: httpx.AsyncClient) -> None:
    for path in (f"/v1/computers/{UNKNOWN}", f"/v1/computers/{UNKNOWN}/agents", "/v1/computers/x"):
        _is_error(await http.get(path), 404, "not_found")


async def test_malformed_json_is_400(http: httpx.AsyncClient) -> None:
    json_type = {"Content-Type": "application/json"}
    for junk in (b"{", b'{"name": }', b"\xff\xfe", b"[" * 100_000):
        _is_error(
            await http.post("/v1/computers", content=junk, headers=json_type), 400, "bad_request"
        )


@pytest.mark.parametrize("body", [b"[]", b"null", b'"x"', b"3", b""])
async def test_a_body_that_is_not_an_object_is_422(http: httpx.AsyncClient, body: bytes) -> None:
    answer = await http.post("/v1/keys", content=body, headers={"Content-Type": "application/json"})
    _is_error(answer, 422, "invalid")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/keys", {}, "name"),
        ("/v1/webhooks", {"url": "https://x.example/"}, "events"),
        ("/v1/webhooks", {"url": "https://x.example/", "events": "computer.created"}, "events"),
        ("/api/v1/auth/login", {"api_key": 5}, "api_key"),
    ],
)
async def test_validation_names_the_field(
    http: httpx.AsyncClient, path: str, body: dict[str, object], field: str
) -> None:
    message = _is_error(await http.post(path, json=body), 422, "invalid")["message"]
    assert message.startswith(f"{field}:")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"command": ""}, "command"), ({"command": "true", "timeout": 0}, "timeout"),
     ({"command": "true", "timeout": 601}, "timeout"), ({"timeout": 5}, "command")],
)  # fmt: skip
async def test_exec_fields_are_checked(
    http: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    cid = (await http.post("/v1/computers", json={"name": "exec-checks"})).json()["id"]
    message = _is_error(await http.post(f"/v1/computers/{cid}/exec", json=body), 422)["message"]
    assert message.startswith(f"{field}:")


async def test_agent_port_must_be_a_port(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "ports"})).json()["id"]
    for port in ("abc", 0, 70000, None):
        answer = await http.post(f"/v1/computers/{cid}/agents/demote", json={"port": port})
        assert _is_error(answer, 422)["message"].startswith("port:")
    _is_error(await http.post(f"/v1/computers/{cid}/agents/promote", json={"port": 4}), 404)


async def test_deploy_and_build_without_config_are_409(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "bare"})).json()["id"]
    for route in ("agents", "build"):
        _is_error(await http.post(f"/v1/computers/{cid}/{route}", json={}), 409, "no_config")


async def test_json_bodies_over_1_mib_are_413(http: httpx.AsyncClient) -> None:
    pad = 1024 * 1024 - len('{"name":"k","pad":""}')
    at_limit = ('{"name":"k","pad":"' + "x" * pad + '"}').encode()
    assert len(at_limit) == 1 << 20
    json_type = {"Content-Type": "application/json"}
    assert (await http.post("/v1/keys", content=at_limit, headers=json_type)).status_code == 201
    over = at_limit[:-2] + b'x"}'
    _is_error(await http.post("/v1/keys", content=over, headers=json_type), 413, "too_large")

    async def chunks() -> object:
        for _ in range(20):
            yield b" " * 65536
        yield b"{}"

    streamed = await http.post("/v1/keys", content=chunks(), headers=json_type)  # type: ignore[arg-type]
    _is_error(streamed, 413, "too_large")


async def test_a_config_that_is_not_utf8_is_400(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "latin"})).json()["id"]
    answer = await http.post(
        f"/v1/computers/{cid}/config", content=b"[agent]\nname = '\xe9'\n",
        headers={"Content-Type": "application/toml"},
    )  # fmt: skip
    _is_error(answer, 400, "bad_request")


async def test_a_deploy_with_an_unknown_lang_is_422(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "cobol"})).json()["id"]
    config = b'[agent]\nname = "a"\nlang = "cobol"\nentry = "m.cob"\n'
    up = await http.post(f"/v1/computers/{cid}/config", content=config)
    assert up.status_code == 200
    message = _is_error(await http.post(f"/v1/computers/{cid}/agents", json={}), 422)["message"]
    assert message.startswith("agent.lang:")


JUNK: list[bytes] = [b"", b"{}", b"[]", b"null", b"{", b'{"port": "x"}', b'{"name": null}', b"\x00"]


async def test_no_junk_body_on_any_post_route_gets_a_500(http: httpx.AsyncClient) -> None:
    cid = (await http.post("/v1/computers", json={"name": "fuzz"})).json()["id"]
    routes = ["/api/v1/auth/register", "/api/v1/auth/login", "/v1/keys", "/v1/computers",
              "/v1/webhooks", *(f"/v1/computers/{cid}/{r}" for r in
              ("config", "exec", "build", "agents", "agents/demote", "agents/promote"))]  # fmt: skip
    for route in routes:
        for junk, content_type in [(j, "application/json") for j in JUNK] + [(b"{}", "text/plain")]:
            answer = await http.post(route, content=junk, headers={"Content-Type": content_type})
            assert answer.status_code < 500, (route, junk, answer.text)
            if answer.status_code >= 400:
                assert set(answer.json()) == {"error", "message"}


async def test_json_sent_as_a_form_says_which_content_type_to_use(http: httpx.AsyncClient) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = await http.post("/v1/keys", content=b'{"name": "k"}', headers=form)
    assert "application/json" in _is_error(answer, 422, "invalid")["message"]
