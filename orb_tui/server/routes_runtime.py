"""Routes that run things in a computer: exec, build, agents (deploy, list, demote, promote)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from orb_tui.server import answers as a
from orb_tui.server.deps import OrgId, computer_or_404
from orb_tui.server.errors import conflict, invalid, not_found
from orb_tui.server.orbconfig import OrbConfig, stored_config
from orb_tui.server.records import ComputerRow, new_id
from orb_tui.server.runtime import AgentSpec, RuntimeRefused
from orb_tui.server.schemas import ExecBody, PortBody
from orb_tui.server.state import ServerState
from orb_tui.server.timefmt import iso
from orb_tui.server.views import agent_json


@asynccontextmanager
async def refusals() -> AsyncIterator[None]:
    """Turn the runtime's refusals into 409 answers."""
    try:
        yield
    except RuntimeRefused as exc:
        raise conflict(str(exc), exc.code) from None


def config_of(row: ComputerRow) -> OrbConfig:
    """The computer's parsed config; 409 `no_config` when none was uploaded."""
    if row.config is None:
        raise conflict(f"computer {row.id} has no config; upload an orb.toml first", "no_config")
    return stored_config(row.config)


def router(state: ServerState) -> APIRouter:
    """The exec, build and agent routes."""
    api = APIRouter(tags=["runtime"])
    store, runtime = state.store, state.runtime

    @api.post("/v1/computers/{computer_id}/exec",
              **a.documented(a.ExecResult, 400, 401, 404, 409, 413, 422, 503))  # fmt: skip
    async def exec_command(computer_id: str, body: ExecBody, org_id: OrgId) -> dict[str, Any]:
        computer_or_404(state, org_id, computer_id)
        async with refusals():
            outcome = await state.unless_stopping(
                runtime.exec(computer_id, body.command, timeout=body.timeout)
            )
        return asdict(outcome)

    @api.post("/v1/computers/{computer_id}/build",
              **a.documented(a.Build, 401, 404, 409, 413, 503))  # fmt: skip
    async def build(computer_id: str, org_id: OrgId) -> dict[str, Any]:
        plan = config_of(computer_or_404(state, org_id, computer_id)).build
        started = time.time()
        async with refusals():
            outcome = await state.unless_stopping(
                runtime.build(
                    computer_id, git=plan.git, branch=plan.branch, steps=plan.steps,
                    working_dir=plan.working_dir,
                )
            )  # fmt: skip
        answer = {
            "computer_id": computer_id,
            "build_id": new_id(),
            "cloned": outcome.cloned,
            "steps": [asdict(step) for step in outcome.steps],
            "success": outcome.success,
            "started_at": iso(started),
            "finished_at": iso(time.time()),
        }
        store.add_build(computer_id, str(answer["build_id"]), started, answer)
        return answer

    @api.get("/v1/computers/{computer_id}/builds", **a.documented(a.BuildList, 401, 404))
    def list_builds(computer_id: str, org_id: OrgId) -> dict[str, Any]:
        computer_or_404(state, org_id, computer_id)
        return {"builds": store.list_builds(computer_id)}

    @api.post("/v1/computers/{computer_id}/agents",
              **a.documented(a.Deployed, 401, 404, 409, 413, 422, 503))  # fmt: skip
    async def deploy(computer_id: str, org_id: OrgId) -> dict[str, Any]:
        config = config_of(computer_or_404(state, org_id, computer_id))
        a = config.agent
        spec = AgentSpec(name=a.name, lang=a.lang, entry=a.entry, args=a.args, env=a.env)
        async with refusals():
            try:
                infos = await state.unless_stopping(
                    runtime.deploy(computer_id, spec, expose=config.expose)
                )
            except ValueError as exc:
                raise invalid("agent.lang", str(exc)) from None
        return {"computer_id": computer_id, "deployed": len(infos),
                "agents": [{"pid": info.pid, "port": info.port} for info in infos]}  # fmt: skip

    @api.get("/v1/computers/{computer_id}/agents", **a.documented(a.AgentList, 401, 404))
    async def list_agents(computer_id: str, org_id: OrgId) -> dict[str, Any]:
        computer_or_404(state, org_id, computer_id)
        return {"agents": [agent_json(info) for info in runtime.agents(computer_id)]}

    @api.post("/v1/computers/{computer_id}/agents/demote",
              **a.documented(a.Demoted, 400, 401, 404, 409, 413, 422))  # fmt: skip
    async def demote(computer_id: str, body: PortBody, org_id: OrgId) -> dict[str, Any]:
        computer_or_404(state, org_id, computer_id)
        async with _agent_errors(body.port):
            checkpoint_dir = await runtime.demote(computer_id, body.port)
        return {"status": "demoted", "checkpoint_dir": checkpoint_dir}

    @api.post("/v1/computers/{computer_id}/agents/promote",
              **a.documented(a.Promoted, 400, 401, 404, 409, 413, 422))  # fmt: skip
    async def promote(computer_id: str, body: PortBody, org_id: OrgId) -> dict[str, Any]:
        computer_or_404(state, org_id, computer_id)
        async with _agent_errors(body.port):
            port = await runtime.promote(computer_id, body.port)
        return {"status": "promoted", "port": port}

    return api


@asynccontextmanager
async def _agent_errors(port: int) -> AsyncIterator[None]:
    try:
        yield
    except KeyError:
        raise not_found("agent on port", str(port)) from None
    except ValueError as exc:
        raise conflict(str(exc) or f"the agent on port {port} cannot do that now") from None
    except RuntimeRefused as exc:
        raise conflict(str(exc), exc.code) from None
