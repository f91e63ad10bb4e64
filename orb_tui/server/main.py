"""`run_server`: the local ORB server in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn

    from orb_tui.server.state import ServerState

log = logging.getLogger("orb_tui.server")


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0 picks a free one)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family = infos[0][0]
    sock = socket.create_server(infos[0][4], family=family, backlog=128)
    sock.set_inheritable(False)
    # asyncio only sets TCP_NODELAY on sockets whose proto is IPPROTO_TCP, and create_server leaves
    # it 0: without this every keep-alive answer waits ~40 ms for a delayed ACK. Accepted sockets
    # inherit the option from the listener.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def url_for(sock: socket.socket, host: str) -> str:
    """`http://HOST:PORT` with the port the socket really got."""
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def _say(message: str) -> None:
    print(f"orb-tui serve: {message}", file=sys.stderr, flush=True)


def _make_server(config: uvicorn.Config, url: str, state: ServerState) -> uvicorn.Server:
    import uvicorn

    class Server(uvicorn.Server):
        """Prints the URL once it accepts connections; a signal means a clean exit, not a re-raise."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and not self.should_exit:
                print(url, flush=True)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            def on_signal(sig: int, frame: FrameType | None) -> None:
                self.force_exit = self.should_exit and sig == signal.SIGINT
                self.should_exit = True
                state.request_stop()

            previous = {
                sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
            }
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server(config)


def run_server(host: str, port: int, state_dir: Path, *, sandbox: bool | None = None) -> int:
    """Serve the ORB API on `host:port` with its state in `state_dir`; returns the exit status.

    Prints exactly one line, `http://HOST:PORT`, on stdout once connections are accepted; stops
    cleanly (processes killed, database closed, exit 0) on SIGINT or SIGTERM.
    """
    import uvicorn

    from orb_tui.server.app import create_app
    from orb_tui.server.state import open_state

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    try:
        sock = bind(host, port)
    except OSError as exc:
        _say(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        return 1
    if not is_loopback(host):
        _say(f"WARNING: listening on {host}, reachable from other machines; anyone with a key "
             "there can run commands on this one")  # fmt: skip
    state = open_state(Path(state_dir), sandbox=sandbox)
    if state.runtime.sandboxed:
        _say("sandbox: bubblewrap (each computer in its own namespace)")
    else:
        _say("sandbox: none; processes run as plain process groups in each computer's folder")
    config = uvicorn.Config(
        create_app(state, loopback_only=is_loopback(host)), ws="websockets-sansio", ws_per_message_deflate=False,
        log_level="warning", access_log=False, timeout_graceful_shutdown=3, lifespan="on",
        # outlast clients' idle expiry (httpx: 5 s), so a reused connection is never closed under a request
        timeout_keep_alive=30,
    )  # fmt: skip
    server = _make_server(config, url_for(sock, host), state)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
        if not state.closed:
            asyncio.run(state.close())
    return 0 if server.started else 1
