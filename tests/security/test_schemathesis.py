"""Schemathesis against the local server's own `/openapi.json`: no 5xx, and every answer (errors too)
has a status, a content type and a body that the route declares.

It runs over HTTP against a real `orb-tui serve` in a subprocess (a private one, so the cases it
creates stay out of the session server), authenticated as a freshly registered org. Each operation
is fuzzed twice over: with generated ids (which exercises auth, validation and the 404 path) and,
for the routes that are cheap and safe to aim at something real, with the ids of a real computer,
webhook and key, so the handlers behind them (file paths, the orb.toml parser, agent ports) see the
generated input too.

What is not aimed at real ids, and why:
- `POST .../build` and `POST .../agents` take no input but the id; what they run comes from the
  uploaded orb.toml, which the config route fuzzes. Each would spawn processes per case.
- `DELETE /v1/computers/{id}` would delete the computer every other case aims at.
- `POST .../exec` runs a generated command, so it is aimed at the real computer only when the
  server runs computers under bubblewrap (never random shell on the host), with `timeout` forced
  to 1 s so no case holds a worker for up to the 600 s the schema allows.
The webhook routes use a second org that never creates a computer, so no generated URL is ever
sent a delivery.

Bounded for CI: 10 generated examples per operation plus schemathesis' deterministic coverage
cases, derandomised, no shrinking (10-20 s on 2 shared cores). For a longer local run:

    ORB_SCHEMATHESIS_EXAMPLES=500 .venv/bin/pytest -p no:cacheprovider -n0 tests/security/test_schemathesis.py

which also randomises the seed and shrinks what it finds.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from server_harness import start_server

EXAMPLES = int(os.environ.get("ORB_SCHEMATHESIS_EXAMPLES") or 0)
CI_EXAMPLES = 10
CONFIG = '[agent]\nname = "a"\nlang = "python"\nentry = "main.py"\n'
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

C = "/v1/computers/{computer_id}"
AIMED_AT_REAL_IDS = {
    f"GET {C}", f"GET {C}/config", f"POST {C}/config", f"GET {C}/files", f"GET {C}/files/{{path}}",
    f"GET {C}/builds", f"GET {C}/agents", f"POST {C}/agents/demote", f"POST {C}/agents/promote",
    "GET /v1/webhooks/{webhook_id}/deliveries", "DELETE /v1/webhooks/{webhook_id}",
    "DELETE /v1/keys/{key_id}",
}  # fmt: skip
# the first real delete succeeds and the rest are 404s: aim deletes at throwaways, not at the
# webhook the deliveries route reads
THROWAWAY = {"DELETE /v1/webhooks/{webhook_id}": "throwaway_webhook_id"}

# orb.toml goes up as raw text; schemathesis needs telling that this media type is text
schemathesis.serializer.alias("application/toml", "text/plain")


@dataclass
class Target:
    """The fuzzed server, the credentials per route family and the real ids to aim at."""

    url: str
    main: dict[str, str]
    hooks: dict[str, str]
    ids: dict[str, str]
    sandboxed: bool


def _register(http: httpx.Client) -> dict[str, str]:
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    key = http.post("/api/v1/auth/register", json={"email": email}).json()["api_key"]
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    running = start_server(tmp_path_factory.mktemp("orb-fuzz") / "state")
    try:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            main, hooks = _register(http), _register(http)
            computer = http.post("/v1/computers", json={"name": "target"}, headers=main).json()
            cid = computer["id"]
            toml = {**main, "Content-Type": "application/toml"}
            http.post(f"/v1/computers/{cid}/config", content=CONFIG, headers=toml)
            probe = http.post(f"/v1/computers/{cid}/exec", json={"command": "echo $ORB_AGENT_DIR"},
                              headers=main)  # fmt: skip
            hook = {"url": "http://127.0.0.1:9/", "events": ["agent.finished"]}
            ids = {
                "computer_id": cid,
                "webhook_id": http.post("/v1/webhooks", json=hook, headers=hooks).json()["id"],
                "throwaway_webhook_id": http.post("/v1/webhooks", json=hook, headers=hooks).json()[
                    "id"
                ],
                "key_id": http.post("/v1/keys", json={"name": "x"}, headers=main).json()["key_id"],
            }
        yield Target(running.url, main, hooks, ids, probe.json()["stdout"].strip() == "/agent")
    finally:
        code = running.stop()
    assert code == 0, f"server exited {code}; stderr:\n{running.stderr()}"
    assert "Traceback" not in running.stderr(), running.stderr()


@pytest.fixture(scope="module")
def api_schema(target: Target) -> BaseSchema:
    long_run = EXAMPLES > 0
    config = SchemathesisConfig.from_dict(
        {
            "base-url": target.url,
            "headers": target.main,
            "request-timeout": 30,
            "generation": {
                "max-examples": EXAMPLES or CI_EXAMPLES,
                "no-shrink": not long_run,
                "deterministic": not long_run,
                "database": "none",
            },
            # the stateful phase chains calls from links the document does not declare
            "phases": {"stateful": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_url(f"{target.url}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")
# every operation runs inside this one test: a long run needs more than the suite's 120 s
pytestmark = pytest.mark.timeout(max(120, EXAMPLES * 2))


def _aim(case: Case, target: Target) -> bool:
    """Point `case` at real ids where that is cheap and safe; whether it did."""
    label = f"{case.method.upper()} {case.operation.path}"
    if label == f"POST {C}/exec" and target.sandboxed:
        if isinstance(case.body, dict):
            case.body["timeout"] = 1
        label = f"GET {C}"  # aimed like the cheap routes from here on
    if label not in AIMED_AT_REAL_IDS or not case.path_parameters:
        return False
    for name in case.path_parameters:
        if name in target.ids:
            case.path_parameters[name] = target.ids[THROWAWAY.get(label, name)]
    return True


@schema.parametrize()
def test_no_5xx_and_every_answer_is_declared(case: Case, target: Target) -> None:
    headers = target.hooks if case.operation.path.startswith("/v1/webhooks") else target.main
    case.call_and_validate(headers=headers, checks=CHECKS)
    if _aim(case, target):
        case.call_and_validate(headers=headers, checks=CHECKS)


def test_every_route_declares_its_answer_and_errors(target: Target) -> None:
    # what makes the conformance checks above mean something: no route may fall back to "any
    # object", and every error answer is the server's {error, message}
    spec = httpx.get(f"{target.url}/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            label = f"{method.upper()} {path}"
            answers = op["responses"]
            ok = next(code for code in answers if code.startswith("2"))
            content = answers[ok].get("content", {})
            assert content, label
            for media in content.values():
                schema = media["schema"]
                assert "$ref" in schema or schema.get("type") == "string", (label, schema)
            if not path.startswith("/api/v1/auth/"):
                assert "401" in answers, label
            for code, answer in answers.items():
                if code.startswith(("4", "5")):
                    problem = answer["content"]["application/json"]["schema"]
                    assert problem == {"$ref": "#/components/schemas/Problem"}, (label, code)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
