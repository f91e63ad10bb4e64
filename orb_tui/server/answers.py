"""The answers of docs/wire.md as pydantic models, for the OpenAPI document only.

Routes build their answers as plain dicts (views.py); these models describe them in `/openapi.json`
(`documented(...)` below), so a client or a fuzzer can check every answer, errors included, against
what the route declares. They are never used to validate or filter an answer at run time.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

ERROR_WHEN = {
    400: "The body is not valid JSON, or the orb.toml is not valid TOML or not UTF-8",
    401: "Missing, wrong, revoked or expired credentials",
    404: "No such thing in this org (another org's id answers the same)",
    409: "The thing is in the wrong state for this request (`no_config`, `disk_full`, ...)",
    413: "The body is over the limit (1 MiB; 256 KiB for an orb.toml)",
    422: "A field failed validation; the message names it",
    503: "The server is stopping; the work was cancelled",
}


class Problem(BaseModel):
    """Every error answer."""

    error: str
    message: str


class Registered(BaseModel):
    tenant_id: str
    api_key: str


class Token(BaseModel):
    token: str
    expires_in: int


class Key(BaseModel):
    key_id: str
    name: str
    prefix: str
    created_at: str


class KeyCreated(Key):
    api_key: str


class KeyList(BaseModel):
    keys: list[Key]


class KeyRevoked(BaseModel):
    key_id: str
    revoked: bool


class Webhook(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: str


class WebhookCreated(Webhook):
    secret: str


class WebhookList(BaseModel):
    webhooks: list[Webhook]


class Delivery(BaseModel):
    id: str
    event_id: str
    type: str
    attempt: int
    status_code: int | None = None
    error: str | None = None
    success: bool
    created_at: str


class DeliveryList(BaseModel):
    deliveries: list[Delivery]


class Deleted(BaseModel):
    id: str
    deleted: bool


class UsageDay(BaseModel):
    date: str
    runtime_gb_hours: float
    disk_gb_hours: float


class Usage(BaseModel):
    period_start: str
    period_end: str
    runtime_gb_hours: float
    disk_gb_hours: float
    computers_created: int
    computers_destroyed: int
    checkpoint_cycles: int
    daily: list[UsageDay]


class PortMapping(BaseModel):
    host_port: int
    container_port: int


class Computer(BaseModel):
    id: str
    org_id: str
    name: str
    runtime_mb: int
    disk_mb: int
    status: str
    agent_count: int
    port_mappings: list[PortMapping]
    created_at: str
    has_config: bool


class ComputerList(BaseModel):
    computers: list[Computer]
    total: int


class AgentSummary(BaseModel):
    name: str
    lang: str
    entry: str


class ConfigSummary(BaseModel):
    agent: AgentSummary
    backend: dict[str, str] | None = None
    llm: dict[str, Any] | None = None
    ports: list[int] | None = None


class ConfigSaved(BaseModel):
    computer_id: str
    config_summary: ConfigSummary
    source: str


class FileEntry(BaseModel):
    name: str
    type: Literal["file", "directory"]
    size: int
    modified: str


class Listing(BaseModel):
    path: str
    files: list[FileEntry]


class ExecResult(BaseModel):
    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    duration_ms: int


class BuildStep(BaseModel):
    step: str
    exit_code: int
    stdout: str
    stderr: str
    duration_ms: int


class Build(BaseModel):
    computer_id: str
    build_id: str
    cloned: bool
    steps: list[BuildStep]
    success: bool
    started_at: str
    finished_at: str


class BuildList(BaseModel):
    builds: list[Build]


class DeployedAgent(BaseModel):
    pid: int
    port: int


class Deployed(BaseModel):
    computer_id: str
    deployed: int
    agents: list[DeployedAgent]


class Agent(BaseModel):
    pid: int
    port: int
    state: Literal["running", "checkpointed", "finished", "failed"]
    name: str
    lang: str
    entry: str
    started_at: str
    finished_at: str | None = None
    exit_code: int | None = None
    stderr_tail: str | None = None


class AgentList(BaseModel):
    agents: list[Agent]


class Demoted(BaseModel):
    status: Literal["demoted"]
    checkpoint_dir: str


class Promoted(BaseModel):
    status: Literal["promoted"]
    port: int


def documented(
    model: type[BaseModel] | None,
    *errors: int,
    status: int = 200,
    content: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Route keyword arguments declaring the answer `model` (or raw `content`) and each error status.

    The route's own return annotation stays `dict[str, Any]`: FastAPI neither validates nor filters it.
    """
    ok: dict[str, Any] = {"description": "Success"}
    if model is not None:
        ok["model"] = model
    if content is not None:
        ok["content"] = content
    responses: dict[int | str, dict[str, Any]] = {status: ok}
    for code in errors:
        responses[code] = {"model": Problem, "description": ERROR_WHEN[code]}
    return {"response_model": None, "responses": responses}
