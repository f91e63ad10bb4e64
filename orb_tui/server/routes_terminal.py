"""The terminal WebSocket: a shell in a PTY, text frames both ways, binary hello and resize."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import socket

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect

from orb_tui.server.auth import bearer
from orb_tui.server.errors import ApiProblem, invalid, not_found, unauthorized
from orb_tui.server.pty import TYPING_CHUNK
from orb_tui.server.runtime import PtySession
from orb_tui.server.state import ServerState

HELLO = json.dumps({"type": "hello", "protocol": "orb-local/1", "resize": True}).encode()
MAX_SIZE = 1000
SEND_BUFFER = 16 << 10
"""Output held for one terminal client in the server's transport, and unsent in its socket (bytes).

Left alone, the kernel lets megabytes of a flood wait unsent on a loopback socket, and a
keystroke's echo waits behind all of it; kept small, the shell is paced by the client's reading.
The client's receive buffer decides the rest (`orb_tui.api.terminal.RECV_BUFFER`). Smaller still
(TYPING_CHUNK) while someone types into streaming output (`PtySession.typing`)."""


def _size(ws: WebSocket, name: str, default: int) -> int:
    value = ws.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        size = int(value)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_SIZE:
        raise invalid(name, f"must be a whole number from 1 to {MAX_SIZE}")
    return size


def _check(state: ServerState, ws: WebSocket, computer_id: str) -> tuple[int, int]:
    credential = ws.query_params.get("key") or bearer(ws.headers.get("authorization"))
    org_id = state.auth.org_for(credential)
    if org_id is None:
        raise unauthorized()
    if state.store.get_computer(org_id, computer_id) is None:
        raise not_found("computer", computer_id[:36])
    return _size(ws, "cols", 80), _size(ws, "rows", 24)


async def _pump_out(ws: WebSocket, session: PtySession, limits: SendLimits) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while data := await session.read():
        limits.apply(TYPING_CHUNK if session.typing else SEND_BUFFER)
        if text := decoder.decode(data):
            await ws.send_text(text)
    if tail := decoder.decode(b"", final=True):
        await ws.send_text(tail)


def _resize(session: PtySession, frame: bytes) -> None:
    try:
        message = json.loads(frame)
        cols, rows = int(message["cols"]), int(message["rows"])
    except (ValueError, KeyError, TypeError):
        return
    if message.get("type") == "resize" and 1 <= cols <= MAX_SIZE and 1 <= rows <= MAX_SIZE:
        session.resize(cols, rows)


async def _pump_in(ws: WebSocket, session: PtySession) -> None:
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        if (text := message.get("text")) is not None:
            session.write(text.encode())
        elif (frame := message.get("bytes")) is not None:
            _resize(session, frame)


class SendLimits:
    """How much output may wait for this client in the server's transport and unsent in its
    socket: SEND_BUFFER, or TYPING_CHUNK while someone types into streaming output.

    The ASGI scope exposes no socket; uvicorn's `receive` is a method of its protocol, which holds
    the transport. With another server (or a wrapped `receive`) nothing changes.
    """

    def __init__(self, ws: WebSocket) -> None:
        protocol = getattr(ws._receive, "__self__", None)
        transport = getattr(protocol, "transport", None)
        self._transport = transport if isinstance(transport, asyncio.WriteTransport) else None
        self._socket: socket.socket | None = None
        self._size = 0
        if self._transport is not None:
            sock = self._transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                self._socket = sock

    def apply(self, size: int) -> None:
        """Hold at most about `size` bytes in the transport and unsent in the socket."""
        if self._transport is None or size == self._size:
            return
        self._size = size
        self._transport.set_write_buffer_limits(high=size)
        lowat = getattr(socket, "TCP_NOTSENT_LOWAT", None)
        if self._socket is not None and lowat is not None:
            # Unsent bytes the kernel takes before the socket stops being writable. Not SO_SNDBUF:
            # a locked send buffer waits for delayed ACKs and stalls the stream.
            with contextlib.suppress(OSError):
                self._socket.setsockopt(socket.IPPROTO_TCP, lowat, size)


async def serve_terminal(ws: WebSocket, session: PtySession) -> None:
    """Pump one session until the shell exits (close 1000) or the client goes."""
    limits = SendLimits(ws)
    limits.apply(SEND_BUFFER)
    await ws.send_bytes(HELLO)
    out = asyncio.create_task(_pump_out(ws, session, limits))
    inp = asyncio.create_task(_pump_in(ws, session))
    try:
        done, _ = await asyncio.wait({out, inp}, return_when=asyncio.FIRST_COMPLETED)
        if out in done and out.exception() is None:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await ws.close(1000)
    finally:
        for task in (out, inp):
            task.cancel()
        await asyncio.gather(out, inp, return_exceptions=True)
        await session.close()


def router(state: ServerState) -> APIRouter:
    """The terminal route."""
    api = APIRouter()

    @api.websocket("/v1/computers/{computer_id}/terminal")
    async def terminal(ws: WebSocket, computer_id: str) -> None:
        try:
            cols, rows = _check(state, ws, computer_id)
            session = await state.runtime.open_terminal(computer_id, cols, rows)
        except ApiProblem as problem:
            await ws.send_denial_response(JSONResponse(problem.body(), problem.status))
            return
        try:
            await ws.accept()
        except BaseException:
            await session.close()
            raise
        await serve_terminal(ws, session)

    return api
