"""The JSON shapes of docs/wire.md, built from store rows and runtime objects."""

from __future__ import annotations

from typing import Any

from orb_tui.server.records import ComputerRow, DeliveryRow, KeyRow, WebhookRow
from orb_tui.server.runtime import AgentInfo, Runtime
from orb_tui.server.timefmt import iso, iso_dt

LIVE_STATES = {"running", "checkpointed"}


def computer_json(row: ComputerRow, runtime: Runtime) -> dict[str, Any]:
    """A computer as the API shows it, with its live agent count and port mappings."""
    agents = runtime.agents(row.id)
    mappings = runtime.port_mappings(row.id, row.expose) if row.expose else []
    return {
        "id": row.id,
        "org_id": row.org_id,
        "name": row.name,
        "runtime_mb": row.runtime_mb,
        "disk_mb": row.disk_mb,
        "status": "ready",
        "agent_count": sum(1 for agent in agents if agent.state.lower() in LIVE_STATES),
        "port_mappings": [{"host_port": h, "container_port": c} for h, c in mappings],
        "created_at": iso(row.created_at),
        "has_config": row.config is not None,
    }


def agent_json(info: AgentInfo) -> dict[str, Any]:
    """An agent as listed; optional fields only when known."""
    out: dict[str, Any] = {
        "pid": info.pid,
        "port": info.port,
        "state": info.state,
        "name": info.name,
        "lang": info.lang,
        "entry": info.entry,
        "started_at": iso_dt(info.started_at),
    }
    if info.finished_at is not None:
        out["finished_at"] = iso_dt(info.finished_at)
    if info.exit_code is not None:
        out["exit_code"] = info.exit_code
    if info.stderr_tail is not None:
        out["stderr_tail"] = info.stderr_tail
    return out


def key_json(row: KeyRow) -> dict[str, Any]:
    """A key as listed: never the key itself."""
    return {"key_id": row.id, "name": row.name, "prefix": row.prefix,
            "created_at": iso(row.created_at)}  # fmt: skip


def webhook_json(row: WebhookRow) -> dict[str, Any]:
    """A webhook as listed: never its secret."""
    return {"id": row.id, "url": row.url, "events": row.events, "created_at": iso(row.created_at)}


def delivery_json(row: DeliveryRow) -> dict[str, Any]:
    """One delivery attempt."""
    out: dict[str, Any] = {
        "id": row.id,
        "event_id": row.event_id,
        "type": row.type,
        "attempt": row.attempt,
        "success": row.success,
        "created_at": iso(row.created_at),
    }
    if row.status_code is not None:
        out["status_code"] = row.status_code
    if row.error is not None:
        out["error"] = row.error
    return out
