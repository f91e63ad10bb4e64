"""Computer routes: create, list, get, delete, the orb.toml config and the files."""

from __future__ import annotations

import os
import stat
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from orb_tui.server import answers as a
from orb_tui.server import files
from orb_tui.server.deps import OrgId, computer_or_404
from orb_tui.server.errors import ApiProblem, bad_request, not_found
from orb_tui.server.orbconfig import parse_config
from orb_tui.server.schemas import ComputerBody
from orb_tui.server.state import ServerState
from orb_tui.server.views import computer_json

TOML = "application/toml"
TOML_TEXT = {TOML: {"schema": {"type": "string"}}}
FILE_OR_LISTING = {
    "application/json": {"schema": {"$ref": "#/components/schemas/Listing"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}


def router(state: ServerState) -> APIRouter:
    """The computer, config and file routes."""
    api = APIRouter(tags=["computers"])
    store, runtime = state.store, state.runtime
    # the Listing model is declared by a route, so the $ref in FILE_OR_LISTING resolves
    files_doc = a.documented(a.Listing, 401, 404, content=FILE_OR_LISTING)

    @api.post("/v1/computers", status_code=201,
              **a.documented(a.Computer, 400, 401, 413, 422, status=201))  # fmt: skip
    async def create_computer(body: ComputerBody, org_id: OrgId) -> dict[str, Any]:
        row = store.create_computer(org_id, body.name, body.runtime_mb, body.disk_mb)
        runtime.prepare(row.id, row.runtime_mb, row.disk_mb)
        shown = computer_json(row, runtime)
        state.hooks.emit(org_id, "computer.created", {"computer": shown})
        return shown

    @api.get("/v1/computers", **a.documented(a.ComputerList, 401))
    async def list_computers(org_id: OrgId) -> dict[str, Any]:
        rows = store.list_computers(org_id)
        return {"computers": [computer_json(row, runtime) for row in rows], "total": len(rows)}

    @api.get("/v1/computers/{computer_id}", **a.documented(a.Computer, 401, 404))
    async def get_computer(computer_id: str, org_id: OrgId) -> dict[str, Any]:
        return computer_json(computer_or_404(state, org_id, computer_id), runtime)

    @api.delete("/v1/computers/{computer_id}", **a.documented(a.Deleted, 401, 404, 413))
    async def delete_computer(computer_id: str, org_id: OrgId) -> dict[str, Any]:
        row = computer_or_404(state, org_id, computer_id)
        shown = computer_json(row, runtime)
        store.destroy_computer(org_id, computer_id)
        await runtime.destroy(computer_id)
        state.hooks.emit(org_id, "computer.destroyed", {"computer": shown})
        return {"id": computer_id, "deleted": True}

    @api.post("/v1/computers/{computer_id}/config",
              **a.documented(a.ConfigSaved, 400, 401, 404, 413, 422),
              openapi_extra={"requestBody": {"required": True, "content": TOML_TEXT}})  # fmt: skip
    async def upload_config(computer_id: str, request: Request, org_id: OrgId) -> dict[str, Any]:
        computer_or_404(state, org_id, computer_id)
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("the config must be UTF-8 text") from None
        config = parse_config(text)
        store.set_config(computer_id, text, config.expose)
        if config.expose:
            runtime.port_mappings(computer_id, config.expose)
        return {"computer_id": computer_id, "config_summary": config.summary(),
                "source": "uploaded"}  # fmt: skip

    @api.get("/v1/computers/{computer_id}/config", response_class=Response,
             **a.documented(None, 401, 404, content=TOML_TEXT))  # fmt: skip
    def get_config(computer_id: str, org_id: OrgId) -> Response:
        row = computer_or_404(state, org_id, computer_id)
        if row.config is None:
            message = f"computer {computer_id} has no config yet; upload an orb.toml first"
            raise ApiProblem(404, message, "no_config")
        return Response(row.config.encode(), media_type=TOML)

    @api.get("/v1/computers/{computer_id}/files", **files_doc)
    @api.get("/v1/computers/{computer_id}/files/{path:path}", **files_doc)
    def read_files(computer_id: str, org_id: OrgId, path: str = "") -> dict[str, Any] | Response:
        computer_or_404(state, org_id, computer_id)
        root = runtime.computer_root(computer_id)
        target = files.resolve(root, path)
        fd = None if target is None or target == root else files.open_real(root, target)
        if target is None or (fd is None and target != root):
            raise not_found("path", "/" + path.strip("/"))
        if fd is None:
            return files.listing(root, target)
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            try:
                return files.listing(root, target, fd)
            finally:
                os.close(fd)
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the reader forever
            os.close(fd)
            raise ApiProblem(404, f"/{path.strip('/')} is not a regular file", "not_found")
        return StreamingResponse(
            files.chunks(fd, info.st_size), media_type="application/octet-stream",
            headers={"Content-Length": str(info.st_size)},
        )  # fmt: skip

    return api
