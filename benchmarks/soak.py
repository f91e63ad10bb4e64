"""Soak: the console for some minutes against 500 computers changing every second, a terminal streaming.

Run: `.venv/bin/python benchmarks/soak.py [--minutes 2] [--computers 500] [--line-ms 5] [--tracemalloc]`.
A longer run for local use: `.venv/bin/python benchmarks/soak.py --minutes 30 --tracemalloc`.

The real OrbApp runs headless in this process (Textual's `run_test`: the compositor renders every
frame as on a terminal, the output is thrown away), so its own counters can be read: polls
(`MainScreen.polls` and the ComputersLoaded/ComputersFailed messages), frames flushed by the
terminal widget (`TerminalView.frames`), notifications and worker state changes (`message_hook`).
A local server in a subprocess holds N computers written straight into its SQLite (the helpers
of bench_console.py); every second a thread renames 1% of them (a sorted column: rows move) and
changes the memory of 10% (cells change in place). The first computer in name order runs a shell
loop printing a line every few milliseconds in the Terminal tab, for the whole run.

Warm-up lasts at least 30 s and until the terminal's scrollback (a bounded deque of 5,000 lines)
is full, so its filling is not counted as growth. Printed: RSS after warm-up and at the end
(growth %), optionally tracemalloc's top growth by line; polls done against one per interval (a
poll waits the interval after the last answer, so a little under 100% is the design) with the gaps
between answers (a gap over twice the interval is a missed poll), the answer time and how late the
next timer fired; the event loop's lag and the console's CPU share; errors (failed polls, error
notifications, workers ended in error, terminal disconnects, an exception Textual would have
shown); frames the terminal widget flushed and lines the stream advanced.
Targets: under 10% RSS growth after warm-up, zero errors, no missed polls. The machine's load
average is printed at both ends: on a loaded machine a gap can stretch past 2 s without any fault
in the console (compare the answer time and the loop lag).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_console import rename_one_percent, running_server, seed
from textual.geometry import Region
from textual.message import Message
from textual.notifications import Notify
from textual.worker import Worker, WorkerState

from orb_tui.api.client import OrbClient
from orb_tui.config.paths import Paths
from orb_tui.config.settings import Endpoint, Settings
from orb_tui.ui.app import make_app
from orb_tui.ui.messages import ComputersFailed, ComputersLoaded
from orb_tui.ui.screens.main import MainScreen

SHELL = "aaa-soak-shell"  # sorts before every `bench-NNNNN` (renamed or not): the first row
POLL_INTERVAL = 1.0
STREAM = 'i=0; while :; do i=$((i+1)); echo "soak-line $i $EPOCHREALTIME"; sleep {pause}; done'


def rss_bytes() -> int:
    """Resident set size of this process, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def progress(started: float, rss: int, polls: int, frames: int, note: str = "") -> None:
    print(
        f"  {time.monotonic() - started:5.0f} s  RSS {mib(rss)}  polls {polls}  frames {frames}"
        f"  {note}",
        file=sys.stderr,
        flush=True,
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def mib(size: float) -> str:
    return f"{size / (1 << 20):.1f} MiB"


# --- the server changing under the console ---------------------------------------------------


def change_memory(state_dir: Path, tick: int) -> int:
    """Set the memory of one computer in ten (a different tenth each tick); returns how many."""
    db = sqlite3.connect(state_dir / "orb.db", timeout=10)
    with db:
        cursor = db.execute(
            "UPDATE computers SET runtime_mb = ? WHERE rowid % 10 = ? AND name LIKE 'bench-%'",
            (512 + 64 * (tick % 8), tick % 10),
        )
    db.close()
    return cursor.rowcount


class Mutator(threading.Thread):
    """Changes the server's computers once a second until stopped."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(daemon=True)
        self.state_dir = state_dir
        self.stop_event = threading.Event()
        self.ticks = 0
        self.changed = 0
        self.failures: list[str] = []

    def run(self) -> None:
        start = time.monotonic()
        while not self.stop_event.wait(max(0.0, start + self.ticks + 1 - time.monotonic())):
            self.ticks += 1
            try:
                self.changed += rename_one_percent(self.state_dir, self.ticks)
                self.changed += change_memory(self.state_dir, self.ticks)
            except sqlite3.Error as exc:
                self.failures.append(str(exc))


# --- what the app does, recorded --------------------------------------------------------------


@dataclass
class Record:
    """Every message of interest that arrived at any widget, with its time."""

    loaded: list[float] = field(default_factory=list)
    started: list[float] = field(default_factory=list)
    failed: list[tuple[float, str]] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)
    worker_errors: list[str] = field(default_factory=list)

    def hook(self, message: Message) -> None:
        now = time.monotonic()
        if isinstance(message, ComputersLoaded):
            self.loaded.append(now)
        elif isinstance(message, ComputersFailed):
            self.failed.append((now, message.error))
        elif isinstance(message, Notify):
            notice = message.notification
            self.notices.append((notice.severity, str(notice.message)))
        elif isinstance(message, Worker.StateChanged):
            if message.state == WorkerState.ERROR:
                self.worker_errors.append(f"{message.worker.name}: {message.worker.error!r}")
            elif message.state == WorkerState.RUNNING and message.worker.group == "computers":
                self.started.append(now)


class LoopLag:
    """How late the event loop wakes a 50 ms sleep: the UI thread's responsiveness."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.05)
            self.lags.append(time.perf_counter() - before - 0.05)


def painted(view: Any) -> str:
    """The terminal widget's rows as Textual would paint them."""
    lines = view.render_lines(Region(0, 0, view.size.width, view.size.height))
    return "\n".join(line.text.rstrip() for line in lines)


def last_stream_line(view: Any) -> int:
    """The highest `soak-line N` on the terminal's screen (0 if none)."""
    numbers = [
        int(word[1])
        for line in painted(view).splitlines()
        if (word := line.split()) and len(word) > 1 and word[0] == "soak-line" and word[1].isdigit()
    ]
    return max(numbers, default=0)


async def until(pilot: Any, check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Sample:
    """The counters at one moment."""

    at: float
    rss: int
    polls: int
    frames: int
    stream_line: int
    traced: tracemalloc.Snapshot | None = None


async def soak(
    url: str, key: str, shell: str, count: int, args: argparse.Namespace
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="soak-console-"))
    app = make_app(
        settings=Settings(poll_interval=POLL_INTERVAL),
        paths=Paths(config_dir=tmp / "config", state_dir=tmp / "state"),
        endpoint=Endpoint(profile="soak", api_url=url, api_key=key),
    )
    record = Record()
    lag = LoopLag()
    disconnects = 0
    async with app.run_test(size=(160, 48), message_hook=record.hook) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        table = screen.table
        await until(pilot, lambda: table.row_count >= count + 1, "the first fill")
        table.focus()
        table.move_cursor(row=1 if table.get_row_index(shell) == 0 else 0)
        await pilot.pause()
        table.move_cursor(row=table.get_row_index(shell))
        await until(
            pilot, lambda: screen.computer is not None and screen.computer.id == shell, SHELL
        )
        await pilot.press("t")
        from orb_tui.ui.terminal.widget import TerminalView  # loaded with its tab

        await until(pilot, lambda: bool(screen.query(TerminalView)), "the Terminal tab")
        view = screen.query_one(TerminalView)
        await until(pilot, lambda: view.connected and painted(view).strip(), "a shell prompt")
        await pilot.press(*STREAM.format(pause=args.line_ms / 1000), "enter")
        await until(pilot, lambda: last_stream_line(view) > 0, "the stream")

        def sample(traced: bool = False, snapshot_first: bool = True) -> Sample:
            # The first snapshot is held to the end: it is taken before the start RSS and the
            # last one after the end RSS, so both figures hold exactly one snapshot.
            gc.collect()
            snapshot = tracemalloc.take_snapshot() if traced and snapshot_first else None
            rss = rss_bytes()
            if traced and not snapshot_first:
                snapshot = tracemalloc.take_snapshot()
            return Sample(
                time.monotonic(), rss, screen.polls, view.frames, last_stream_line(view), snapshot
            )

        started = time.monotonic()
        end_at = started + args.minutes * 60
        scrollback = view.screen_model.scrollback
        # warm-up: bounded buffers (the scrollback above all) fill before the start figures
        while time.monotonic() < started + args.warmup or (
            len(scrollback) < (scrollback.maxlen or 0) and time.monotonic() < end_at - 30
        ):
            await pilot.pause(1.0)
        warmed = time.monotonic() - started
        lag.task = asyncio.create_task(lag.run())
        cpu = time.process_time()
        progress(started, rss_bytes(), screen.polls, view.frames, "warmed up")
        first = sample(traced=args.tracemalloc)
        rss_trace = [first.rss]
        was_connected = view.connected
        while time.monotonic() < end_at:
            await pilot.pause(1.0)
            if view.connected != was_connected:
                disconnects += not view.connected
                was_connected = view.connected
            if len(rss_trace) < (time.monotonic() - first.at) / 10 + 1:
                rss_trace.append(rss_bytes())
                if len(rss_trace) % 3 == 1:
                    progress(started, rss_trace[-1], screen.polls, view.frames)
        cpu = time.process_time() - cpu
        lag.task.cancel()
        last = sample(traced=args.tracemalloc, snapshot_first=False)
        exception = app._exception  # set when Textual would have shown a traceback
        rows = table.row_count
        stopping = time.monotonic()
    print(f"  (console stopped in {time.monotonic() - stopping:.1f} s)", file=sys.stderr)
    return {
        "first": first,
        "last": last,
        "rss_trace": rss_trace,
        "record": record,
        "disconnects": disconnects,
        "exception": exception,
        "rows": rows,
        "cpu": cpu,
        "lags": lag.lags,
        "warmed": warmed,
        "scrollback": (len(scrollback), scrollback.maxlen),
    }


def report(figures: dict[str, Any], mutator: Mutator, args: argparse.Namespace) -> int:
    first: Sample = figures["first"]
    last: Sample = figures["last"]
    record: Record = figures["record"]
    window = last.at - first.at
    growth = (last.rss - first.rss) / first.rss * 100
    print(
        f"\n== soak: {args.computers} computers, {args.minutes:g} min, poll every {POLL_INTERVAL:g} s =="
    )
    held, limit = figures["scrollback"]
    print(
        f"measured window        {window:.0f} s after {figures['warmed']:.0f} s warm-up"
        f" (terminal scrollback {held}/{limit} lines at the end)"
    )
    print(
        f"memory (RSS)           start {mib(first.rss)}, end {mib(last.rss)},"
        f" growth {growth:+.1f}% (target < 10%)"
    )
    print(
        "RSS every 10 s         " + " ".join(f"{r / (1 << 20):.0f}" for r in figures["rss_trace"])
    )
    if first.traced is not None and last.traced is not None:
        stats = last.traced.compare_to(first.traced, "lineno")
        total = sum(s.size_diff for s in stats)
        print(f"tracemalloc            {total / 1024:+.0f} KiB traced growth; top lines:")
        for stat in stats[:8]:
            print(
                f"   {stat.size_diff / 1024:+8.0f} KiB {stat.count_diff:+7d} blocks  {stat.traceback}"
            )
    in_window = [t for t in record.loaded if first.at <= t <= last.at]
    failed_in_window = [f for f in record.failed if first.at <= f[0] <= last.at]
    gaps = [b - a for a, b in itertools.pairwise(in_window)]
    missed = sum(1 for gap in gaps if gap > 2 * POLL_INTERVAL)
    expected = window / POLL_INTERVAL
    polls = last.polls - first.polls
    period = statistics.mean(gaps) if gaps else float("nan")
    longest = max(gaps, default=float("nan"))
    print(
        f"polls                  {polls} done, {expected:.0f} at one per interval"
        f" ({polls / expected:.0%}; each poll waits the interval after the last answer);"
        f" mean period {period:.2f} s, longest gap {longest:.2f} s, missed (gap > 2x) {missed}"
    )
    # each poll: its worker starts (timer fired), the answer arrives; the next timer is set then
    in_run = [start for start in record.started if first.at <= start <= last.at]
    answered = [(s, min((t for t in record.loaded if t >= s), default=None)) for s in in_run]
    latency = [a - s for s, a in answered if a is not None]
    timer_late = [
        start - POLL_INTERVAL - max(t for t in record.loaded if t < start)
        for start in record.started
        if first.at <= start <= last.at and any(t < start for t in record.loaded)
    ]
    if latency and timer_late:
        paced = window / (POLL_INTERVAL + statistics.median(latency))
        print(
            f"   answer (fetch on the background thread, parse, post) p50"
            f" {ms(statistics.median(latency))} max {ms(max(latency))}; next timer late p50"
            f" {ms(statistics.median(timer_late))} max {ms(max(timer_late))};"
            f" {polls / paced:.0%} of the {paced:.0f} polls that pace allows"
        )
    lags = sorted(figures["lags"])
    if lags:
        print(
            f"event loop lag         p50 {ms(lags[len(lags) // 2])} p99"
            f" {ms(lags[int(len(lags) * 0.99)])} max {ms(lags[-1])};"
            f" console CPU {figures['cpu'] / window:.0%} of one core"
        )
    errors = [f"poll failed: {text}" for _, text in record.failed]
    errors += [f"notification: {text}" for severity, text in record.notices if severity == "error"]
    errors += [f"worker error: {text}" for text in record.worker_errors]
    errors += [f"terminal disconnected {figures['disconnects']} time(s)"] * bool(
        figures["disconnects"]
    )
    errors += [f"app exception: {figures['exception']!r}"] * bool(figures["exception"])
    errors += [f"mutator: {text}" for text in mutator.failures]
    warnings = [text for severity, text in record.notices if severity == "warning"]
    print(
        f"errors                 {len(errors)} (failed polls {len(record.failed)},"
        f" {len(failed_in_window)} in window; error notifications"
        f" {sum(1 for s, _ in record.notices if s == 'error')}; worker errors"
        f" {len(record.worker_errors)}; terminal disconnects {figures['disconnects']});"
        f" warnings {len(warnings)}"
    )
    for text in (errors + [f"warning: {w}" for w in warnings])[:10]:
        print(f"   {text}")
    frames = last.frames - first.frames
    lines = last.stream_line - first.stream_line
    print(
        f"terminal               {frames} frames painted ({frames / window:.1f}/s),"
        f" stream advanced {lines} lines ({lines / window:.0f}/s), still streaming:"
        f" {'yes' if lines > 0 else 'NO'}"
    )
    print(
        f"server changes         {mutator.ticks} ticks, {mutator.changed} computer updates;"
        f" table rows at the end {figures['rows']}"
    )
    ok = growth < 10 and not errors and missed == 0 and lines > 0
    print(f"verdict                {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--computers", type=int, default=500)
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="least seconds before the start figures (default 30)",
    )
    parser.add_argument("--line-ms", type=float, default=5.0, help="pause between streamed lines")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = min(30.0, args.minutes * 60 / 4)
    if args.tracemalloc:
        tracemalloc.start(1)  # one frame: growth by line, at a tolerable cost
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; load average {load}")
    state_dir = Path(tempfile.mkdtemp(prefix="soak-server-")) / "state"
    key = seed(state_dir, args.computers)
    with running_server(state_dir) as url:
        shell = asyncio.run(_create_shell(url, key))
        mutator = Mutator(state_dir)
        mutator.start()
        try:
            figures = asyncio.run(soak(url, key, shell, args.computers, args))
        finally:
            mutator.stop_event.set()
            mutator.join()
    code = report(figures, mutator, args)
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return code


async def _create_shell(url: str, key: str) -> str:
    async with OrbClient(url, key) as client:
        return (await client.create_computer(SHELL)).id


if __name__ == "__main__":
    sys.exit(main())
