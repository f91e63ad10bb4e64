"""Everything a running server holds: the store, credentials, webhooks and the runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from orb_tui.server.auth import Authenticator, load_secret
from orb_tui.server.errors import ApiProblem
from orb_tui.server.runtime import AgentInfo, Runtime
from orb_tui.server.store import Store
from orb_tui.server.views import agent_json
from orb_tui.server.webhooks import Webhooks

log = logging.getLogger("orb_tui.server")

T = TypeVar("T")


@dataclass
class AgentEvents:
    """Receives the runtime's agent events: keeps run records for usage and emits webhooks."""

    store: Store
    hooks: Webhooks
    loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, computer_id: str, event_type: str, info: AgentInfo) -> None:
        """The runtime's `on_agent_event`; safe to call from any thread."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self.loop is not None and running is not self.loop:
            self.loop.call_soon_threadsafe(self._handle, computer_id, event_type, info)
        else:
            self._handle(computer_id, event_type, info)

    def _handle(self, computer_id: str, event_type: str, info: AgentInfo) -> None:
        try:
            self._record(computer_id, event_type, info)
        except Exception:  # a bookkeeping failure must never break the agent itself
            log.exception("could not record %s for computer %s", event_type, computer_id)

    def _record(self, computer_id: str, event_type: str, info: AgentInfo) -> None:
        computer = self.store.computer_by_id(computer_id)
        if computer is None:
            return
        if event_type == "agent.spawned":
            started = info.started_at.timestamp()
            self.store.run_started(computer_id, info.pid, info.port, computer.runtime_mb, started)
        elif event_type == "agent.finished":
            finished = info.finished_at.timestamp() if info.finished_at else time.time()
            self.store.run_finished(computer_id, info.pid, finished)
        data = {"computer_id": computer_id, "agent": agent_json(info)}
        if self.loop is None:
            self.store.add_event(computer.org_id, event_type, data)
        else:
            self.hooks.emit(computer.org_id, event_type, data)


@dataclass
class ServerState:
    """The server's parts, shared by every route."""

    state_dir: Path
    store: Store
    auth: Authenticator
    hooks: Webhooks
    runtime: Runtime
    events: AgentEvents
    closed: bool = field(default=False)
    _stopping: asyncio.Event | None = field(default=None, repr=False)

    def start(self) -> None:
        """Bind to the running event loop (call at startup)."""
        self.events.loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()

    def request_stop(self) -> None:
        """Make long requests in flight give up (503); safe from a signal handler."""
        loop, stopping = self.events.loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)

    async def unless_stopping(self, work: Awaitable[T]) -> T:
        """Await `work`, or cancel it and answer 503 when the server starts to stop."""
        task = asyncio.ensure_future(work)
        if self._stopping is None:
            return await task
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task.cancelled():
            raise ApiProblem(
                503, "the server is stopping; try again once it is back", "unavailable"
            )
        return task.result()

    async def close(self) -> None:
        """Stop every process, pending deliveries and the database."""
        if self.closed:
            return
        self.closed = True
        try:
            await self.runtime.shutdown()
        finally:
            await self.hooks.aclose()
            self.store.close_open_runs(time.time())
            self.store.close()


def open_state(state_dir: Path, *, sandbox: bool | None = None) -> ServerState:
    """Open (or create) the state in `state_dir`: `orb.db`, the signing secret, computer folders."""
    state_dir.mkdir(parents=True, exist_ok=True)
    store = Store(state_dir / "orb.db")
    store.close_open_runs(time.time())
    hooks = Webhooks(store)
    events = AgentEvents(store, hooks)
    runtime = Runtime(state_dir, sandbox=sandbox, on_agent_event=events)
    auth = Authenticator(store, load_secret(state_dir))
    return ServerState(state_dir, store, auth, hooks, runtime, events)
