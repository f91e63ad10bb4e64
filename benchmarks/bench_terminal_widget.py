"""Output throughput and keystroke latency through TerminalView, against the emulator's own rate.

Run: .venv/bin/python benchmarks/bench_terminal_widget.py [--quick] [--console] [--shared-cpus]

A local server runs in a subprocess; a headless Textual app (`run_test`) holds one TerminalView
on a computer's shell: a minimal app at 80x24, or with --console the console itself at 120x40
(polling, its Terminal tab open). Throughput: `cat` of a text file inside the computer, from the
file's first byte at the socket (and from Enter) to the Textual frame that shows the line printed
after it (socket, backlog, emulator, frames, compositor), as MB/s and as a fraction of
`TerminalScreen.feed` alone on the same bytes in the same run (in the widget's bulk slices). Each
run through the widget is followed by one of the emulator alone, and the best of REPEAT is taken
on both sides, so both see the machine's load alike. Latency while `yes` floods the terminal: a
key to its bytes on the socket, a key the widget handles itself (shift+PgUp/PgDn) to the next
painted frame, and a typed character to the painted frame after its echo was fed (this last one
waits behind everything the PTY, the server, both socket buffers and the backlog already hold).

On a machine with two CPUs or more the local server, and the shell and programs it starts, run on
one CPU and the widget (and the emulator alone) on the others: the server is the producer, not what
is measured, and with ORB Cloud it runs on another machine. On a 2-CPU machine the producer's
wake-ups otherwise land on the widget's CPU and preempt it mid-feed (20-150 involuntary context
switches during one 4 MB `cat`, against 0-2 for the emulator alone). --shared-cpus leaves every
process free to run anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from orb_tui.cli import TEXTUAL_FPS  # noqa: E402

os.environ.setdefault("TEXTUAL_FPS", TEXTUAL_FPS)  # as `orb-tui` does, before Textual loads
from server_harness import Org, register_org, start_server  # noqa: E402
from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.pilot import Pilot  # noqa: E402

from orb_tui.api.client import OrbClient  # noqa: E402
from orb_tui.ui.app import start_collector  # noqa: E402
from orb_tui.ui.terminal.emulator import TerminalScreen  # noqa: E402
from orb_tui.ui.terminal.feed import BULK_SLICE, STREAMING_WINDOW  # noqa: E402
from orb_tui.ui.terminal.widget import Connector, TerminalView  # noqa: E402

COLUMNS, LINES = 80, 24
REPEAT = 7  # best of, for the emulator alone and through the widget alike, interleaved
FLOOD = "yes $(printf 'flood-%.0s' {1..12})"
# Deterministic word lines, made inside the computer so the bytes come over the real socket.
MAKE_TEXT = (
    "awk 'BEGIN { srand(7); split(\"alpha beta gamma delta epsilon zeta eta theta iota kappa"
    ' lambda mu", w); while (n < SIZE) { k = 3 + int(rand() * 14); s = w[1 + int(rand() * 12)];'
    ' for (i = 1; i < k; i++) s = s " " w[1 + int(rand() * 12)]; print s; n += length(s) + 1'
    " } }' > big.txt"
)


class PaintClock:
    """When Textual painted frames: wraps an app's `_display`, its single way to the terminal."""

    def __init__(self, app: App[Any]) -> None:
        self.paints: list[float] = []
        self.painted = asyncio.Event()
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None:
                self.paints.append(time.perf_counter())
                self.painted.set()

        app._display = timed_display  # type: ignore[method-assign]


CLOCKS: dict[int, PaintClock] = {}


def clock_of(app: App[Any]) -> PaintClock:
    if id(app) not in CLOCKS:
        CLOCKS[id(app)] = PaintClock(app)
    return CLOCKS[id(app)]


class BenchApp(App[None]):
    """One TerminalView alone."""

    def __init__(self, connect: Connector) -> None:
        super().__init__()
        self.connect = connect

    def compose(self) -> ComposeResult:
        yield TerminalView()

    def on_mount(self) -> None:
        # the console's collector policy (app.py): what start-up made is frozen out of full
        # collections, which otherwise cost 30-50 ms a pass here
        start_collector()
        clock_of(self)
        view = self.query_one(TerminalView)
        view.focus()
        view.set_connector(self.connect)


class Probe:
    """Timestamps of emulator feeds that carry a marker and of frame flushes."""

    def __init__(self, view: TerminalView) -> None:
        self.marker: str | None = None
        self.fed_at: float | None = None
        self.fed_before = 0  # characters fed before the marker
        self.tail = ""
        self.flushes: list[float] = []
        feed, flush = view.screen_model.feed, view._flush_frame

        def timed_feed(data: str) -> None:
            feed(data)
            seen, self.tail = self.tail + data, data[-16:]  # a marker may straddle two slices
            if self.marker and self.fed_at is None and self.marker in seen:
                self.fed_at = time.perf_counter()
                self.fed_before = view.fed + seen.index(self.marker) - len(self.tail)

        def timed_flush() -> None:
            flush()
            self.flushes.append(time.perf_counter())

        view.screen_model.feed = timed_feed  # type: ignore[method-assign]
        view._flush_frame = timed_flush  # type: ignore[method-assign]

    def arm(self, marker: str) -> None:
        self.marker, self.fed_at, self.tail = marker, None, ""


async def press(app: App[None], key: str) -> None:
    """Post a key the way Textual's driver does.

    Not pilot.press(): it then waits for the process to go idle, which never happens during a
    flood (up to 2 s a key), and its polling allocates enough to skew collections.
    """
    app.post_message(events.Key(key, key if len(key) == 1 else None))
    await asyncio.sleep(0)


def first_after(times: list[float], moment: float) -> float | None:
    return next((t for t in times if t >= moment), None)


async def until(pilot: Pilot[None], check: Callable[[], object], timeout: float) -> bool:
    """Check again after each painted frame (or 50 ms without one) until `timeout`.

    Not pilot.pause(): it forces a screen update each time, which would defeat frame pacing;
    and no tight polling, which would cost the CPU being measured.
    """
    clock = clock_of(pilot.app)
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        clock.painted.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(clock.painted.wait(), 0.05)
    return True


async def painted_after_feed(
    pilot: Pilot[None], app: App[Any], probe: Probe, timeout: float
) -> float | None:
    """When the first frame painted after the marker was fed and flushed, or None."""

    def done() -> float | None:
        if probe.fed_at is None:
            return None
        flushed = first_after(probe.flushes, probe.fed_at)
        return None if flushed is None else first_after(clock_of(app).paints, flushed)

    await until(pilot, done, timeout)
    return done()


def raw_rate(text: str, size: tuple[int, int]) -> tuple[float, float]:
    """Characters a second `TerminalScreen.feed` takes in the widget's largest slices: (wall, CPU).

    BULK_SLICE is what the widget feeds while nobody types, and larger slices only make the
    emulator alone faster, so this is the honest ceiling for the widget.
    """
    screen = TerminalScreen(*size)
    started, started_cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(text), BULK_SLICE):
        screen.feed(text[start : start + BULK_SLICE])
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    return len(text) / wall, len(text) / cpu


async def wait_prompt(pilot: Pilot[None], view: TerminalView) -> None:
    shown = await until(
        pilot, lambda: view.connected and "".join(view.screen_model.display).strip(), 15
    )
    if not shown:
        raise SystemExit("no prompt from the local server's terminal")


async def throughput(
    pilot: Pilot[None], app: App[Any], probe: Probe, payload: str
) -> tuple[float, float, float]:
    """Characters a second to the painted end of a `cat`: (wall from Enter, wall from the file's
    first byte at the socket, CPU from Enter).

    From Enter counts bash starting `cat` in the sandbox too; from the socket is what the widget
    alone does with the bytes (socket to painted frames).
    """
    # typed at once after the last run's output, the command would count as keys typed into a
    # stream (frames unstretched, small slices): wait as a person would before typing it
    await pilot.pause(2 * STREAMING_WINDOW + 0.1)
    view = app.screen.query_one(TerminalView)
    channel = view._channel
    assert channel is not None
    head, arrived, tail = payload[:40].encode(), [], b""
    recv = channel.recv

    async def timed_recv() -> bytes:
        nonlocal tail
        data = await recv()
        if not arrived:
            if head in tail + data:  # the head may straddle two messages
                arrived.append(time.perf_counter())
            tail = data[-len(head) :]
        return data

    channel.recv = timed_recv  # type: ignore[method-assign]
    # the command's echo goes through timed_recv: a recv already waiting when it was put in place
    # would have handed the file's first bytes past it
    await pilot.press(*"clear; cat big.txt; echo END-$((7*6))")
    probe.arm("END-42")
    started, started_cpu = time.perf_counter(), time.process_time()
    await pilot.press("enter")
    painted = await painted_after_feed(pilot, app, probe, timeout=300)
    cpu = time.process_time() - started_cpu
    channel.recv = recv  # type: ignore[method-assign]
    if painted is None or not arrived:
        raise SystemExit("the end of the file never reached the screen")
    size = len(payload)
    return size / (painted - started), size / (painted - arrived[0]), size / cpu


async def key_to_wire(pilot: Pilot[None], view: TerminalView, samples: int) -> list[float]:
    channel = view._channel
    assert channel is not None
    sent_at: list[float] = []
    send = channel.send

    async def timed_send(text: str) -> None:
        sent_at.append(time.perf_counter())
        await send(text)

    channel.send = timed_send  # type: ignore[method-assign]
    delays = []
    for _ in range(samples):
        before = len(sent_at)
        pressed = time.perf_counter()
        await press(pilot.app, "x")
        await until(pilot, lambda n=before: len(sent_at) > n, 5)
        delays.append(sent_at[before] - pressed)
        await asyncio.sleep(0.01)  # a typing pause; see `until` on pilot.pause()
    await press(pilot.app, "backspace")  # the flood ignores them, but keep the line tidy
    return delays


async def local_key_to_paint(pilot: Pilot[None], app: App[Any], samples: int) -> list[float]:
    delays = []
    for index in range(samples):
        pressed = time.perf_counter()
        await press(pilot.app, "shift+pageup" if index % 2 == 0 else "shift+pagedown")
        paints = clock_of(app).paints
        await until(pilot, lambda t=pressed, p=paints: first_after(p, t) is not None, 5)
        painted = first_after(paints, pressed)
        if painted is not None:
            delays.append(painted - pressed)
        await asyncio.sleep(0.02)
    return delays


async def echo_to_paint(
    pilot: Pilot[None], app: App[Any], probe: Probe, samples: int
) -> tuple[list[float], list[int]]:
    """Delays from a key to its echo painted, and the characters fed in between (ahead of it)."""
    view = app.screen.query_one(TerminalView)
    delays, ahead = [], []
    for _ in range(samples):
        probe.arm("@")
        pressed, fed = time.perf_counter(), view.fed
        await press(app, "@")
        painted = await painted_after_feed(pilot, app, probe, timeout=120)
        if painted is None:
            break
        delays.append(painted - pressed)
        ahead.append(probe.fed_before - fed)
        await asyncio.sleep(0.02)
    return delays, ahead


def pct(values: list[float], q: float) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]:.1f} ms"


@contextlib.asynccontextmanager
async def terminal_alone(
    client: OrbClient, computer_id: str
) -> AsyncIterator[tuple[App[Any], Pilot[Any], TerminalView]]:
    """The widget alone in a minimal app, COLUMNS x LINES."""
    app = BenchApp(lambda c, r: client.terminal(computer_id, cols=c, rows=r))
    async with app.run_test(size=(COLUMNS, LINES)) as pilot:
        yield app, pilot, app.query_one(TerminalView)


@contextlib.asynccontextmanager
async def terminal_in_console(
    org: Org, work: Path
) -> AsyncIterator[tuple[App[Any], Pilot[Any], TerminalView]]:
    """The console itself at 120x40, polling every 2 s, with its Terminal tab open."""
    from orb_tui.config.paths import Paths
    from orb_tui.config.settings import Endpoint, Settings
    from orb_tui.ui.app import make_app
    from orb_tui.ui.widgets.computer_table import ComputerTable

    gc.disable()  # as `orb-tui` starts (cli.py); the console freezes and enables it once connected
    app = make_app(
        settings=Settings(),
        paths=Paths(config_dir=work / "config", state_dir=work / "state"),
        endpoint=Endpoint(profile="bench", api_url=org.url, api_key=org.api_key),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        clock_of(app)
        table = app.screen.query_one(ComputerTable)
        if not await until(pilot, lambda: table.row_count == 1, 15):
            raise SystemExit("the console never listed the computer")
        await pilot.press("t")
        await until(pilot, lambda: bool(app.screen.query(TerminalView)), 15)
        yield app, pilot, app.screen.query_one(TerminalView)


def split_cpus(shared: bool) -> tuple[set[int], set[int]] | None:
    """(the server's CPUs, the widget's CPUs), or None to leave scheduling alone."""
    if shared or not hasattr(os, "sched_setaffinity"):
        return None
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        return None
    server_cpu = max(cpus)
    return {server_cpu}, cpus - {server_cpu}


async def run(size: int, samples: int, console: bool, shared: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-term-"))
    split = split_cpus(shared)
    if split is not None:
        os.sched_setaffinity(0, split[0])  # inherited by the server and all it starts
    server = start_server(work / "server")
    if split is not None:
        os.sched_setaffinity(0, split[1])
    try:
        org = await register_org(server.url)
        async with OrbClient(org.url, org.api_key, timeout=120) as client:
            computer = await client.create_computer("bench")
            made = await client.exec(computer.id, MAKE_TEXT.replace("SIZE", str(size)), timeout=120)
            assert made.exit_code == 0, made.stderr
            text = (
                await client.read_file(computer.id, "/agent/data/big.txt", max_bytes=size * 2)
            ).decode()
            payload = text.replace("\n", "\r\n")  # as the PTY sends it (onlcr)
            opened = (
                terminal_in_console(org, work) if console else terminal_alone(client, computer.id)
            )
            async with opened as (app, pilot, view):
                await wait_prompt(pilot, view)
                grid = (view.screen_model.columns, view.screen_model.lines)
                probe = Probe(view)
                runs, alone = [], []
                for _ in range(REPEAT):
                    runs.append(await throughput(pilot, app, probe, payload))
                    alone.append(raw_rate(payload, grid))
                raw = (max(r[0] for r in alone), max(r[1] for r in alone))
                widget, socket_on = max(r[0] for r in runs), max(r[1] for r in runs)
                widget_cpu = max(r[2] for r in runs)
                where = "in the console, polling every 2 s" if console else "in a minimal app"
                cpus = (
                    "sharing every CPU with the server"
                    if split is None
                    else f"on CPU {sorted(split[1])}, the server on CPU {sorted(split[0])}"
                )
                print(
                    f"payload {len(payload) / 1e6:.1f} MB of word lines, a {grid[0]}x{grid[1]}"
                    f" terminal {where}, {cpus}, best of {REPEAT}"
                )
                print(
                    f"emulator alone:      {raw[0] / 1e6:6.2f} MB/s wall, {raw[1] / 1e6:6.2f} MB/s of CPU"
                )
                print(
                    f"through the widget:  {socket_on / 1e6:6.2f} MB/s wall from the socket"
                    f" = {socket_on / raw[0]:.0%} of the emulator"
                )
                print(
                    f"  from Enter:        {widget / 1e6:6.2f} MB/s wall = {widget / raw[0]:.0%},"
                    f" {widget_cpu / 1e6:.2f} MB/s of CPU = {widget_cpu / raw[1]:.0%}"
                    " (with bash starting cat)"
                )
                await pilot.press(*FLOOD, "enter")
                fed = view.fed
                await pilot.pause(2.0)
                flood_rate = (view.fed - fed) / 2.0
                print(f"flood ({FLOOD!r}) drawn at {flood_rate / 1e6:.2f} MB/s")
                wire = await key_to_wire(pilot, view, samples)
                print(
                    f"key -> socket during the flood:       p50 {pct(wire, 0.5)}  p99 {pct(wire, 0.99)}  (n={len(wire)})"
                )
                local = await local_key_to_paint(pilot, app, samples)
                print(
                    f"shift+PgUp -> painted during the flood: p50 {pct(local, 0.5)}  p99 {pct(local, 0.99)}  (n={len(local)})"
                )
                echo, ahead = await echo_to_paint(pilot, app, probe, samples)
                print(
                    f"typed char -> its echo painted during the flood: p50 {pct(echo, 0.5)}  p99 {pct(echo, 0.99)}  max {pct(echo, 1)}  (n={len(echo)})"
                )
                behind = sorted(ahead)
                if behind:
                    p50, p99 = (
                        behind[min(len(behind) - 1, round(q * (len(behind) - 1)))]
                        for q in (0.5, 0.99)
                    )
                    print(
                        f"  output fed ahead of the echo: p50 {p50 / 1e3:.0f} KB  p99 {p99 / 1e3:.0f} KB"
                        f" = {1000 * p50 / raw[0]:.1f} / {1000 * p99 / raw[0]:.1f} ms of the emulator alone"
                    )
                await pilot.press("ctrl+c")
    finally:
        server.stop()


def main() -> None:
    quick = "--quick" in sys.argv
    size, samples = (1_000_000, 20) if quick else (4_000_000, 100)
    asyncio.run(
        run(size, samples, console="--console" in sys.argv, shared="--shared-cpus" in sys.argv)
    )


if __name__ == "__main__":
    main()
