"""The FastAPI app: routes, JSON error answers for everything, and the request body limit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orb_tui import __version__
from orb_tui.server.answers import ERROR_WHEN
from orb_tui.server.errors import ApiProblem, too_large
from orb_tui.server.main import is_loopback
from orb_tui.server.routes_account import router as account_routes
from orb_tui.server.routes_computers import router as computer_routes
from orb_tui.server.routes_runtime import router as runtime_routes
from orb_tui.server.routes_terminal import router as terminal_routes
from orb_tui.server.state import ServerState

log = logging.getLogger("orb_tui.server")

JSON_LIMIT = 1 << 20
CONFIG_LIMIT = 256 << 10
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

FIELD_HINTS = {
    "name": "must be 1-63 characters of letters, digits, '.', '_' or '-'",
    "email": "must be an email address",
}


def create_app(state: ServerState, *, loopback_only: bool = False) -> FastAPI:
    """The app serving every route of docs/wire.md from `state`; with `loopback_only`, requests
    naming any host but this machine are refused (see `LoopbackHost`)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.start()
        try:
            yield
        finally:
            await state.close()

    app = FastAPI(
        title="ORB local server", version=__version__, lifespan=lifespan, docs_url=None,
        redoc_url=None,
    )  # fmt: skip
    app.state.orb = state
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    if loopback_only:
        app.add_middleware(LoopbackHost)
    app.include_router(account_routes(state))
    app.include_router(computer_routes(state))
    app.include_router(runtime_routes(state))
    app.include_router(terminal_routes(state))
    _problem_for_validation_errors(app)
    return app


def _problem_for_validation_errors(app: FastAPI) -> None:
    """Make `/openapi.json` say what a 422 really is here: FastAPI documents its own
    `{"detail": [...]}` shape, but `validation_problem` answers `{"error", "message"}`."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schemas = doc.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            for operation in (op for path in doc["paths"].values() for op in path.values()):
                if "422" in operation.get("responses", {}):
                    operation["responses"]["422"] = {
                        "description": ERROR_WHEN[422],
                        "content": {"application/json": {"schema": PROBLEM_REF}},
                    }
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem_response(problem: ApiProblem) -> JSONResponse:
    """The JSON answer for an `ApiProblem`."""
    return JSONResponse(problem.body(), status_code=problem.status)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, including FastAPI's own, a `{"error", "message"}` JSON answer."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(exc)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(ApiProblem(exc.status_code, _http_message(request, exc)))

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        content_type = request.headers.get("content-type", "")
        return problem_response(validation_problem(exc.errors(), content_type))

    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("bug answering %s %s", request.method, request.url.path, exc_info=exc)
        message = "internal server error; the server log has the details"
        return JSONResponse({"error": "internal", "message": message}, status_code=500)

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_bug)


def _http_message(request: Request, exc: StarletteHTTPException) -> str:
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"there is no route {request.method} {request.url.path}"
    if exc.status_code == 405:
        return f"{request.method} is not allowed on {request.url.path}"
    return str(exc.detail)


def validation_problem(errors: Sequence[Any], content_type: str = "") -> ApiProblem:
    """One error answer for pydantic's list of errors: the first one, naming its field."""
    if not errors:
        return ApiProblem(422, "the request is not valid")
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ())]
    kind = first.get("type", "")
    if kind == "json_invalid":
        detail = first.get("ctx", {}).get("error", "")
        return ApiProblem(400, f"the body is not valid JSON: {detail}".rstrip(": "))
    if loc == ["body"]:
        if content_type and "json" not in content_type.lower():
            return ApiProblem(422, "the body must be a JSON object sent as application/json")
        return ApiProblem(422, "the body must be a JSON object")
    field = ".".join(loc[1:] if loc and loc[0] in {"body", "query", "path", "header"} else loc)
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch" and field in FIELD_HINTS:
        message = FIELD_HINTS[field]
    elif kind == "missing":
        message = "is required"
    return ApiProblem(422, f"{field}: {message}")


class LoopbackHost:
    """Refuses requests (and WebSocket upgrades) whose `Host` is not this machine.

    A server on loopback is out of other machines' reach, but not of a web page in this machine's
    browser: a page whose name the attacker re-points at 127.0.0.1 (DNS rebinding) is same-origin
    with it, and could register an org and run commands. Its requests carry the attacker's host
    name, so they are refused here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"} and not _local_host(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            problem = ApiProblem(421, "this server only answers requests for localhost")
            await problem_response(problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _local_host(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = value.decode("latin-1")
            host = host[1 : host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
            return is_loopback(host) or host.endswith(".localhost")
    return True  # HTTP/1.0 without Host: no browser sends that


class BodyLimit:
    """Reads the request body up front and answers 413 when it passes the limit for its route
    (256 KiB for an orb.toml upload, 1 MiB for everything else)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        limit = CONFIG_LIMIT if scope["path"].rstrip("/").endswith("/config") else JSON_LIMIT
        body = await _read_body(scope, receive, limit)
        if body is None:
            await problem_response(too_large(limit))(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to pass `limit`."""
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
