"""Console benchmark: poll cycles on 2,000 and 10,000 computers, keypress delay while polling, start-up.

Run: `.venv/bin/python benchmarks/bench_console.py [--sizes 2000,10000]`. Every figure is printed next to
a baseline measured in the same run: the diffed poll against clearing and refilling the same table, a
keypress while polling (nothing changing, then 1% of the computers renamed every 0.3 s) against one
while idle, and start-up against a minimal Textual app.

Start-up runs `orb-tui` as a user does (command line, config and credentials files) in a fresh
process to its first frame, alternating with the minimal app; bytecode is cached for both, as after
`pip install`. The machine may be shared: read ratios, and the load averages printed around them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from textual import events

from orb_tui.api.models import Computer
from orb_tui.config.paths import Paths
from orb_tui.config.settings import Endpoint, Settings
from orb_tui.ui.app import OrbApp, make_app
from orb_tui.ui.screens.main import MainScreen
from orb_tui.ui.widgets.computer_table import COLUMN_KEYS, ComputerTable, render_cell, row_values

REPO = Path(__file__).resolve().parent.parent
ROUNDS = 5
START_ROUNDS = 9
KEYPRESSES = 60


# --- a server holding N computers ---------------------------------------------------------------


@contextmanager
def running_server(state_dir: Path) -> Iterator[str]:
    """`orb-tui serve` on a free port; yields its URL, stops it on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "orb_tui", "serve", "--port", "0", "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().decode().strip()
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()


def seed(state_dir: Path, count: int) -> str:
    """Register an org, then write `count` computers straight into the stopped server's SQLite."""
    with running_server(state_dir) as url:
        answer = httpx.post(f"{url}/api/v1/auth/register", json={"email": "bench@example.com"})
        key: str = answer.json()["api_key"]
    db = sqlite3.connect(state_dir / "orb.db")
    (org_id,) = db.execute("SELECT id FROM orgs").fetchone()
    start = time.time() - 30 * 86400  # a minute apart, a month ago: ages rarely tick over
    rows = [
        (str(uuid.uuid4()), org_id, f"bench-{i:05d}", 512, 1024, start + 60 * i)
        for i in range(count)
    ]
    db.executemany(
        "INSERT INTO computers (id, org_id, name, runtime_mb, disk_mb, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.commit()
    db.close()
    return key


def rename_one_percent(state_dir: Path, round_no: int) -> int:
    """Rename 1% of the computers on the (running) server; returns how many changed."""
    db = sqlite3.connect(state_dir / "orb.db", timeout=10)
    with db:
        cursor = db.execute(
            "UPDATE computers SET name = substr(name, 1, 11) || ? WHERE rowid % 100 = ?",
            (f"-r{round_no}", round_no % 100),
        )
    db.close()
    return cursor.rowcount


# --- measuring the event loop -------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


# --- poll cycles ---------------------------------------------------------------------------------


async def poll_cycle(pilot: Any, app: OrbApp, table: ComputerTable) -> dict[str, float]:
    """One cycle as the main screen runs it: fetch (background thread), diff into the table, paint.

    Wall times are what a person waits; `ui` times are CPU time of the UI thread only.
    """
    assert app.background is not None
    wall, ui = time.perf_counter(), time.thread_time()
    _, data = await app.background.computers()
    fetched_wall, fetched_ui = time.perf_counter(), time.thread_time()
    table.apply(data)
    applied = time.thread_time()
    await pilot.pause()
    painted = time.thread_time()
    return {
        "fetch_wall": fetched_wall - wall,
        "fetch_ui": fetched_ui - ui,
        "apply": applied - fetched_ui,
        "paint": painted - applied,
        "ui_cost": painted - ui,
    }


def naive_refill(table: ComputerTable, computers: tuple[Computer, ...]) -> None:
    """What the diff replaces: clear the table and add every row again."""
    table.clear()
    now = datetime.now(timezone.utc)
    for computer in computers:
        values = row_values(computer, now)
        cells = [render_cell(c, v) for c, v in zip(COLUMN_KEYS, values, strict=True)]
        table.add_row(*cells, key=computer.id)


async def refill_cycle(pilot: Any, app: OrbApp, table: ComputerTable) -> dict[str, float]:
    """The same cycle with the table cleared and refilled (rows made on the UI thread)."""
    assert app.background is not None
    ui = time.thread_time()
    listing = await app.background.run(lambda client: client.list_computers())
    fetched = time.thread_time()
    naive_refill(table, listing.computers)
    applied = time.thread_time()
    await pilot.pause()
    return {"apply": applied - fetched, "ui_cost": time.thread_time() - ui}


def median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


async def keypress_delays(app: OrbApp, pilot: Any, table: ComputerTable) -> list[float]:
    """Post `down`/`up` keys at random moments; the delay until the table's cursor moved."""
    moved: list[float] = []
    table.watch(
        table, "cursor_coordinate", lambda *_: moved.append(time.perf_counter()), init=False
    )
    delays: list[float] = []
    for index in range(KEYPRESSES):
        before = len(moved)
        sent = time.perf_counter()
        app.post_message(events.Key("down" if index % 2 == 0 else "up", None))
        while len(moved) == before:
            await asyncio.sleep(0.0005)
        delays.append(moved[before] - sent)
        await asyncio.sleep(random.uniform(0.03, 0.12))
    return delays


async def filter_and_sort(pilot: Any, table: ComputerTable, count: int) -> dict[str, float]:
    """UI-thread CPU of typing a filter that leaves 10 rows, of clearing it (until every row is
    back), and of sorting by the next column."""
    out = {}
    ui = time.thread_time()
    table.set_filter("bench-0001")
    await pilot.pause()
    out["filter"] = time.thread_time() - ui
    ui = time.thread_time()
    table.set_filter("")
    while table.row_count < count:
        await pilot.pause(0.01)
    await pilot.pause()
    out["unfilter"] = time.thread_time() - ui
    ui = time.thread_time()
    table.action_cycle_sort()
    await pilot.pause()
    out["sort"] = time.thread_time() - ui
    for _ in range(2 * len(COLUMN_KEYS) - 1):  # both directions round: by name, ascending again
        table.action_cycle_sort()
    table.app.clear_notifications()
    await pilot.pause()
    return out


async def keep_renaming(state_dir: Path) -> None:
    """Rename another 1% of the computers every 0.3 s, so most polls bring changes."""
    for round_no in range(100, 10_000):
        await asyncio.to_thread(rename_one_percent, state_dir, round_no)
        await asyncio.sleep(0.3)


async def measure_console(url: str, key: str, state_dir: Path, count: int) -> dict[str, Any]:
    """All in-app figures for one table size."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-console-"))
    app = make_app(
        settings=Settings(poll_interval=3600.0),  # the first poll fills the table; then manual
        paths=Paths(config_dir=tmp / "config", state_dir=tmp / "state"),
        endpoint=Endpoint(profile="bench", api_url=url, api_key=key),
        timeout=60.0,
    )
    out: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        table = screen.table
        start = time.perf_counter()
        while table.row_count < count:
            await pilot.pause(0.05)
        out["first_fill"] = time.perf_counter() - start
        table.focus()
        table.move_cursor(row=5)
        out["unchanged"] = [await poll_cycle(pilot, app, table) for _ in range(ROUNDS)]
        changed = []
        for round_no in range(ROUNDS):
            rename_one_percent(state_dir, round_no)
            changed.append(await poll_cycle(pilot, app, table))
        out["changed"] = changed
        out["idle_keys"] = await keypress_delays(app, pilot, table)
        app.settings = replace(app.settings, poll_interval=0.05)
        screen.poll_now()
        polls = screen.polls
        out["polling_keys"] = await keypress_delays(app, pilot, table)
        out["polls_during_keys"] = screen.polls - polls
        renaming = asyncio.create_task(keep_renaming(state_dir))
        polls = screen.polls
        out["changing_keys"] = await keypress_delays(app, pilot, table)
        out["polls_during_changing"] = screen.polls - polls
        renaming.cancel()
        app.settings = replace(app.settings, poll_interval=3600.0)
        screen.poll_now()
        while any(worker.is_running for worker in app.workers):
            await pilot.pause(0.05)
        out["filter_sort"] = await filter_and_sort(pilot, table, count)
        out["refill"] = [await refill_cycle(pilot, app, table) for _ in range(ROUNDS)]
    return out


# --- start-up ------------------------------------------------------------------------------------

FIRST_FRAME = """
import time
START, CPU = time.perf_counter(), time.process_time()
import importlib.util
import sys

def first_frame(wanted, done):
    # Record when the first frame of `wanted` screen is written to the terminal; hooked into
    # textual.app when it is first imported, so the script imports nothing before the app does.
    def patch(App):
        original = App._display
        def display(self, screen, renderable):
            original(self, screen, renderable)
            if renderable is not None and wanted(screen) and "frame" not in MARKS:
                MARKS["frame"] = time.perf_counter() - START
                MARKS["cpu"] = time.process_time() - CPU
                self.call_later(done, self)
        App._display = display
        original_run = App.run
        App.run = lambda self, **_: original_run(self, headless=True, size=(120, 40))

    class Hook:
        def find_spec(self, name, path=None, target=None):
            if name != "textual.app":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            run_module = spec.loader.exec_module
            def exec_module(module):
                run_module(module)
                patch(module.App)
            spec.loader.exec_module = exec_module
            return spec
    sys.meta_path.insert(0, Hook())

MARKS = {}
"""

MINIMAL_APP = (
    FIRST_FRAME
    + """
first_frame(lambda screen: True, lambda app: app.exit())
from textual.app import App
from textual.widgets import Static, Header, Footer
class Minimal(App):
    def compose(self):
        yield Header(); yield Static("hello"); yield Footer()
Minimal().run()
print(MARKS["frame"], MARKS["cpu"])
"""
)

# `orb-tui` as a user runs it: the command line, config.toml and credentials.toml read, the
# endpoint resolved; ORB_TUI_CONFIG_DIR points at files written by `write_config`
ORB_APP = (
    FIRST_FRAME
    + """
count = int(sys.argv[1])
def wanted(screen):
    from orb_tui.ui.screens.main import MainScreen  # loaded by then
    return isinstance(screen, MainScreen) and screen.table.row_count >= count
first_frame(wanted, lambda app: app.exit())
from orb_tui.cli import main
main([])
print(MARKS["frame"], MARKS["cpu"])
"""
)


def python_env(folder: Path) -> dict[str, str]:
    """This environment with bytecode cached under `folder`, as after `pip install` compiled it.

    (Without the cache, every start compiles orb-tui's own modules again while Textual's are
    cached in site-packages, which is not how a user runs it.)
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def write_config(folder: Path, url: str, key: str) -> dict[str, str]:
    """A config folder holding one profile for `url` and its key; returns the environment."""
    config = folder / "config"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(
        f'default_profile = "bench"\n\n[profiles.bench]\napi_url = "{url}"\n'
    )
    credentials = config / "credentials.toml"
    credentials.write_text(f'[bench]\napi_key = "{key}"\n')
    credentials.chmod(0o600)
    env = python_env(folder)
    env.update(ORB_TUI_CONFIG_DIR=str(config), ORB_TUI_STATE_DIR=str(folder / "state"))
    for name in ("ORB_PROFILE", "ORB_API_URL", "ORB_API_KEY"):
        env.pop(name, None)
    return env


def timed_run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds from the script's first line to its first frame."""
    done = subprocess.run(
        [sys.executable, *args], check=True, cwd=REPO, capture_output=True, env=env
    )
    wall, cpu = done.stdout.decode().split()[-2:]
    return float(wall), float(cpu)


def startup(url: str, key: str, count: int) -> dict[str, float]:
    """Time from a fresh process's first line to the first frame, against the minimal app.

    Runs alternate (minimal, orb-tui, minimal, ...) so a change in the machine's load hits both;
    the ratio is the median of the ratios of each pair. Both run with bytecode cached (after one
    warm-up run each), as an installed orb-tui does.
    """
    folder = Path(tempfile.mkdtemp(prefix="bench-start-"))
    env, minimal_env = write_config(folder, url, key), python_env(folder)
    timed_run(["-c", MINIMAL_APP], minimal_env)  # fills the bytecode cache for both
    timed_run(["-c", ORB_APP, "0"], env)
    pairs = []
    for _ in range(START_ROUNDS):
        pairs.append(
            (timed_run(["-c", MINIMAL_APP], minimal_env), timed_run(["-c", ORB_APP, "0"], env))
        )
    rows = [timed_run(["-c", ORB_APP, str(count)], env)[0] for _ in range(3)]
    return {
        "minimal": statistics.median(m[0] for m, _ in pairs),
        "first_screen": statistics.median(o[0] for _, o in pairs),
        "ratio": statistics.median(o[0] / m[0] for m, o in pairs),
        "worst_ratio": max(o[0] / m[0] for m, o in pairs),
        "cpu_ratio": statistics.median(o[1] / m[1] for m, o in pairs),
        "with_rows": statistics.median(rows),
    }


# --- report --------------------------------------------------------------------------------------


def report(count: int, figures: dict[str, Any], start: dict[str, float]) -> None:
    unchanged, changed, refill = figures["unchanged"], figures["changed"], figures["refill"]
    print(
        f"\n== {count:,} computers (medians of {ROUNDS} rounds; UI cost = CPU time of the UI thread) =="
    )
    print(f"first fill after start          {ms(figures['first_fill'])}")
    for label, rows in (("unchanged poll", unchanged), ("1% renamed poll", changed)):
        print(
            f"{label:<18} fetch {ms(median(rows, 'fetch_wall'))} wall (UI thread"
            f" {ms(median(rows, 'fetch_ui'))}), diff+update {ms(median(rows, 'apply'))},"
            f" paint {ms(median(rows, 'paint'))} -> UI cost {ms(median(rows, 'ui_cost'))}"
        )
    base = median(refill, "ui_cost")
    print(
        f"clear+refill       update {ms(median(refill, 'apply'))} -> UI cost {ms(base)}"
        f"   (diff unchanged: {median(unchanged, 'ui_cost') / base:.3f}x,"
        f" 1% changed: {median(changed, 'ui_cost') / base:.3f}x of refill)"
    )
    fs = figures["filter_sort"]
    print(
        f"filter to 10 rows  UI cost {ms(fs['filter'])}; clearing it (until all rows are back)"
        f" {ms(fs['unfilter'])}; sort by the next column {ms(fs['sort'])}"
    )
    for label, delays, polls in (
        ("keypress idle", figures["idle_keys"], None),
        ("  while polling", figures["polling_keys"], figures["polls_during_keys"]),
        ("  polling, 1% renamed", figures["changing_keys"], figures["polls_during_changing"]),
    ):
        during = "" if polls is None else f" ({polls} polls)"
        print(
            f"{label + during:<32} p50 {ms(statistics.median(delays))}"
            f" p95 {ms(sorted(delays)[int(len(delays) * 0.95) - 1])} max {ms(max(delays))}"
        )
    print(
        f"start-up          minimal app {ms(start['minimal'])}, orb-tui first screen"
        f" {ms(start['first_screen'])}: {start['ratio']:.2f}x (median of {START_ROUNDS}"
        f" alternating pairs; worst pair {start['worst_ratio']:.2f}x, CPU time"
        f" {start['cpu_ratio']:.2f}x); with all rows {ms(start['with_rows'])}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,10000")
    args = parser.parse_args(argv)
    random.seed(7)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; load average {load}")
    for count in (int(s) for s in args.sizes.split(",")):
        state_dir = Path(tempfile.mkdtemp(prefix="bench-server-")) / "state"
        key = seed(state_dir, count)
        with running_server(state_dir) as url:
            figures = asyncio.run(measure_console(url, key, state_dir, count))
            start = startup(url, key, count)
        report(count, figures, start)
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
