"""Webhook delivery: signed POSTs of each event, retried with backoff, every attempt recorded."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx

from orb_tui.server.records import DeliveryRow, EventRow, WebhookRow, new_id
from orb_tui.server.store import Store
from orb_tui.server.timefmt import iso

EVENT_TYPES = (
    "agent.spawned",
    "agent.checkpointed",
    "agent.restored",
    "agent.finished",
    "computer.created",
    "computer.destroyed",
)
BACKOFF = (0.5, 1.0, 2.0, 4.0)
ATTEMPT_TIMEOUT = 5.0

log = logging.getLogger("orb_tui.server.webhooks")


def sign(secret: str, body: bytes) -> str:
    """The `X-Orb-Signature` value for `body`: `sha256=<hex HMAC-SHA256>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(event: EventRow) -> bytes:
    """The body POSTed for an event."""
    body = {"id": event.id, "type": event.type, "created_at": iso(event.created_at),
            "data": event.data}  # fmt: skip
    return json.dumps(body, separators=(",", ":")).encode()


class Webhooks:
    """Records events and delivers them to the org's subscribed webhooks in background tasks."""

    def __init__(self, store: Store, *, backoff: Sequence[float] = BACKOFF) -> None:
        self.store = store
        self.backoff = tuple(backoff)
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None

    def emit(self, org_id: str, type_: str, data: dict[str, Any]) -> EventRow:
        """Record an event and start delivering it; call from the event loop."""
        event = self.store.add_event(org_id, type_, data)
        for hook in self.store.list_webhooks(org_id):
            if type_ in hook.events:
                task = asyncio.get_running_loop().create_task(self._deliver(hook, event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return event

    async def _deliver(self, hook: WebhookRow, event: EventRow) -> None:
        body = payload(event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "orb-tui-local",
            "X-Orb-Event": event.type,
            "X-Orb-Signature": sign(hook.secret, body),
        }
        for attempt in range(1, len(self.backoff) + 2):
            status, error = await self._post(hook.url, body, headers)
            success = status is not None and 200 <= status < 300
            self.store.add_delivery(
                DeliveryRow(new_id(), hook.id, event.id, event.type, attempt, status, error,
                            success, time.time())
            )  # fmt: skip
            if success or attempt > len(self.backoff):
                return
            await asyncio.sleep(self.backoff[attempt - 1])

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str | None]:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=ATTEMPT_TIMEOUT, follow_redirects=False)
        try:
            answer = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= answer.status_code < 300:
            return answer.status_code, None
        return answer.status_code, f"HTTP {answer.status_code}"

    async def aclose(self) -> None:
        """Stop pending deliveries and close the HTTP client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None
