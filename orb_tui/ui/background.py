"""A client on its own thread and event loop, so fetching and parsing big answers never blocks the UI."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from orb_tui.api.client import OrbClient
from orb_tui.config.settings import Endpoint

T = TypeVar("T")


class BackgroundClient:
    """An OrbClient living on a daemon thread; `run` awaits work done there from the UI loop."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="orb-background", daemon=True
        )
        self._thread.start()
        self._client = OrbClient(
            endpoint.api_url,
            endpoint.api_key,
            transport=transport,
            timeout=timeout,
            verify=endpoint.verify_tls,
        )

    async def run(self, job: Callable[[OrbClient], Awaitable[T]]) -> T:
        """Run `job(client)` on the background loop and return (or raise) what it did."""

        async def call() -> T:
            return await job(self._client)

        future = asyncio.run_coroutine_threadsafe(call(), self._loop)
        return await asyncio.wrap_future(future)

    async def aclose(self) -> None:
        """Close the client, stop the loop and join the thread."""
        if self._loop.is_closed():
            return
        done = asyncio.run_coroutine_threadsafe(self._client.aclose(), self._loop)
        await asyncio.wrap_future(done)
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()
