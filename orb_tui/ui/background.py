"""A client on its own thread and event loop, so fetching and parsing big answers never blocks the UI."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

from orb_tui.api._reader import unwrap_list
from orb_tui.api.client import OrbClient
from orb_tui.api.models import Computer, ComputerList
from orb_tui.config.settings import Endpoint
from orb_tui.ui.widgets.computer_table import TableData, table_data

T = TypeVar("T")


class ComputersReader:
    """Turns computers-list answers into the table's data, reusing what earlier answers gave.

    An answer byte for byte like the last one is not decoded again; otherwise a computer whose
    JSON object is unchanged keeps its `Computer` (and so its row, see `table_data`). At 10,000
    computers that is the difference between ~150 ms of parsing, which competes with the UI
    thread for the interpreter, and ~1 ms.
    """

    def __init__(self) -> None:
        self._body: bytes | None = None
        self._listing = ComputerList((), 0)
        self._objects: dict[str, object] = {}
        self._parsed: dict[str, Computer] = {}
        self._data: TableData | None = None

    def read(self, body: bytes, decode: Callable[[], object]) -> tuple[ComputerList, TableData]:
        """The listing and the table's data for `body`; `decode()` gives its JSON if needed.

        Raises:
            ProtocolError: the answer is not a computers list.
        """
        if body != self._body:
            with _collector_paused():
                self._listing = self._parse(decode())
            self._body = body
        self._data = table_data(self._listing.computers, self._data)
        return self._listing, self._data

    def _parse(self, data: object) -> ComputerList:
        computers: list[Computer] = []
        objects: dict[str, object] = {}
        parsed: dict[str, Computer] = {}
        for item in unwrap_list(data, "computers", "computer list"):
            cid = item.get("id") if isinstance(item, Mapping) else None
            if not isinstance(cid, str):
                computers.append(Computer.from_json(item))  # raises the usual ProtocolError
                continue
            known, seen = self._parsed.get(cid), self._objects.get(cid)
            if known is None or seen != item:
                known, seen = Computer.from_json(item), item
            computers.append(known)
            objects[cid], parsed[cid] = seen, known  # the old object if equal: the new one dies
        self._objects, self._parsed = objects, parsed
        if not isinstance(data, Mapping):
            return ComputerList(tuple(computers), len(computers))
        # the list's own fields (total, anything unknown) read as ComputerList.from_json reads them
        rest = ComputerList.from_json({"total": len(computers), **data, "computers": []})
        return dataclasses.replace(rest, computers=tuple(computers))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection meanwhile (on any thread).

    Most of a decoded answer is garbage a moment later; collections during the parse would
    move it into the older generations, and so bring on the full collections that pause the
    UI thread for tens of milliseconds.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _PollingClient(OrbClient):
    """An OrbClient that reads the computers list through a `ComputersReader`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reader = ComputersReader()

    async def computers(self) -> tuple[ComputerList, TableData]:
        # the same request as `list_computers`, kept as bytes until we know they are new
        async with self._core.stream("GET", "/v1/computers") as response:
            body = await self._core.read(response, response.request, None)
        return self._reader.read(body, lambda: self._core.decode(response, body))


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
        self._client = _PollingClient(
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

    async def computers(self) -> tuple[ComputerList, TableData]:
        """The computers list and the table's data for it, fetched and parsed on the thread.

        Raises:
            OrbError: as `OrbClient.list_computers` does.
        """
        client = self._client
        return await self.run(lambda _: client.computers())

    async def aclose(self) -> None:
        """Close the client, stop the loop and join the thread."""
        if self._loop.is_closed():
            return
        done = asyncio.run_coroutine_threadsafe(self._client.aclose(), self._loop)
        await asyncio.wrap_future(done)
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()
