"""The terminal's connection: one shell at a time, its socket pumped both ways, reconnects with backoff."""

from __future__ import annotations

import asyncio
import codecs
import time
from collections.abc import Callable
from typing import Protocol

from textual import work
from textual.widget import Widget
from textual.worker import Worker

from orb_tui.api.errors import ApiError, OrbError, TerminalClosed, TerminalClosedError
from orb_tui.ui.terminal.feed import BACKLOG_LIMIT, Backlog

BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
STABLE_AFTER = 10.0  # a session that lived this long resets the backoff
EARLY_INPUT_LIMIT = 4096  # characters typed while connecting, sent once the shell is there


class TerminalLink(Protocol):
    """What the widget needs from a terminal connection (`orb_tui.api.terminal.TerminalChannel`)."""

    @property
    def supports_resize(self) -> bool: ...

    async def connect(self) -> None: ...
    async def send(self, text: str) -> None: ...
    async def recv(self) -> bytes: ...
    async def resize(self, cols: int, rows: int) -> object: ...
    async def close(self) -> None: ...


Connector = Callable[[int, int], TerminalLink]
Outgoing = str | tuple[int, int]  # keystrokes, or a new size


class ShellConnection(Widget):
    """The connection half of TerminalView: what it needs of the view is declared here."""

    _backlog: Backlog
    _has_data: asyncio.Event
    _room: asyncio.Event

    def _init_connection(self) -> None:
        self._connector: Connector | None = None
        self._channel: TerminalLink | None = None
        self._reconnect_now = asyncio.Event()
        self._waiting_for_enter = False
        self._outgoing: asyncio.Queue[Outgoing] = asyncio.Queue()
        self._early_input = ""
        self._worker: Worker[None] | None = None

    def _set_banner(self, text: str | None) -> None:
        raise NotImplementedError

    def _backlog_limit(self) -> int:
        """Characters waiting to be fed above which the socket is not read."""
        return BACKLOG_LIMIT

    def _new_shell(self) -> None:
        """A new connection is a new shell: start from a clean screen."""
        raise NotImplementedError

    def _grid(self) -> tuple[int, int]:
        raise NotImplementedError

    @property
    def connected(self) -> bool:
        """True while a channel is open."""
        return self._channel is not None

    def _session_running(self) -> bool:
        return self._worker is not None and not self._worker.is_finished

    def _queue_input(self, data: str) -> None:
        """Send keystrokes; typed while the shell is still connecting, they wait for it."""
        if self._channel is not None:
            self._outgoing.put_nowait(data)
        elif self._connector is not None:
            self._early_input = (self._early_input + data)[:EARLY_INPUT_LIMIT]

    def _reply(self, text: str) -> None:
        if self._channel is not None:
            self._outgoing.put_nowait(text)

    def _send_size(self) -> None:
        channel = self._channel
        if channel is not None and channel.supports_resize:
            self._outgoing.put_nowait(self._grid())

    @work(exclusive=True, group="terminal-session", exit_on_error=False)
    async def _session(self) -> None:
        failures = 0
        while (connect := self._connector) is not None:
            started = time.monotonic()
            try:
                closed = await self._run_channel(connect(*self._grid()))
            except ApiError as error:
                if error.status in (401, 403, 404):
                    await self._wait_for_enter(f"cannot open the terminal: {error}")
                    continue
                closed = TerminalClosed(None, str(error))
            except OrbError as error:
                closed = TerminalClosed(None, str(error))
            if closed.by_client or self._connector is None:
                return
            if closed.code == 1000:
                await self._wait_for_enter(closed.describe())
                failures = 0
                continue
            failures = 0 if time.monotonic() - started > STABLE_AFTER else failures + 1
            await self._back_off(closed, failures)

    async def _run_channel(self, channel: TerminalLink) -> TerminalClosed:
        """Connect, then pump the socket into the backlog until it closes."""
        try:
            await channel.connect()
            self._on_connected(channel)
            writer = asyncio.create_task(self._write_loop(channel))
            try:
                return await self._read_loop(channel)
            finally:
                writer.cancel()
        finally:
            self._channel = None
            await channel.close()

    def _on_connected(self, channel: TerminalLink) -> None:
        self._channel = channel
        self._set_banner(None)
        while not self._outgoing.empty():  # replies and sizes meant for the previous shell
            self._outgoing.get_nowait()
        self._backlog.clear()
        self._room.set()
        self._new_shell()
        self._send_size()
        if self._early_input:
            self._outgoing.put_nowait(self._early_input)
            self._early_input = ""

    async def _read_loop(self, channel: TerminalLink) -> TerminalClosed:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            await self._room.wait()
            try:
                data = await channel.recv()
            except TerminalClosedError as error:
                return error.closed
            self._backlog.push(decoder.decode(data))
            if self._backlog.size > self._backlog_limit():
                self._room.clear()
            self._has_data.set()

    async def _write_loop(self, channel: TerminalLink) -> None:
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty():
                batch.append(self._outgoing.get_nowait())
            try:
                for item in _coalesce(batch):
                    if isinstance(item, str):
                        await channel.send(item)
                    else:
                        await channel.resize(*item)
            except OrbError:
                return  # the reader sees the close and says why

    async def _wait_for_enter(self, why: str) -> None:
        self._set_banner(f"{why} — press Enter to reconnect")
        self._waiting_for_enter = True
        self._reconnect_now.clear()
        try:
            await self._reconnect_now.wait()
        finally:
            self._waiting_for_enter = False
        self._set_banner("reconnecting…")

    async def _back_off(self, closed: TerminalClosed, failures: int) -> None:
        delay = BACKOFF[min(failures, len(BACKOFF)) - 1]
        self._set_banner(f"{closed.describe()} — reconnecting in {delay:g} s (Enter: now)")
        self._reconnect_now.clear()
        self._waiting_for_enter = True
        try:
            await asyncio.wait_for(self._reconnect_now.wait(), timeout=delay)
        except asyncio.TimeoutError:
            pass
        finally:
            self._waiting_for_enter = False
        self._set_banner("reconnecting…")


def _coalesce(items: list[Outgoing]) -> list[Outgoing]:
    """Join neighbouring text items so a burst of keys goes out as one frame."""
    out: list[Outgoing] = []
    for item in items:
        if isinstance(item, str) and out and isinstance(out[-1], str):
            out[-1] += item
        else:
            out.append(item)
    return out
