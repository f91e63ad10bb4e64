"""Emulator and renderer speed, as ratios against stock pyte and rich measured in the same run.

Run: .venv/bin/python benchmarks/bench_terminal.py [--quick] [--no-widget] [--console] [--shared-cpus]
Parsing: MB/s of stock ``pyte.Screen`` + ``pyte.Stream`` and of ``TerminalScreen`` on plain text,
dense SGR colour, full-screen redraws and the recorded real-program sessions, fed in 4 KiB slices.
Times are CPU time (process_time), best of several runs, so other load on the machine matters less.
Rendering: one full 120x40 frame with ``StripRenderer`` (no caches; every row changed; nothing
changed; one line scrolled in) against a per-character ``rich.Text`` render of the same screen.
Then, unless --no-widget, `bench_terminal_widget.py` in a process of its own (its CPU placement and
collector settings stay its own): end-to-end MB/s through the widget against the local server, as a
fraction of the emulator's own rate, and keystroke latency during a flood (its options apply).
"""

from __future__ import annotations

import contextlib
import io
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyte
from rich.color import Color
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from orb_tui.ui.terminal.cells import COLOR_INDEX
from orb_tui.ui.terminal.emulator import TerminalScreen
from orb_tui.ui.terminal.renderer import StripRenderer

COLUMNS, LINES = 120, 40
SLICE = 4096
RECORDINGS = Path(__file__).parent.parent / "tests" / "conformance" / "recordings"
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
]


def plain_text(rng: random.Random, size: int) -> str:
    lines = []
    while sum(map(len, lines)) < size:
        lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 16))) + "\r\n")
    return "".join(lines)


def dense_sgr(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        words = []
        for _ in range(10):
            kind = rng.random()
            if kind < 0.5:
                sgr = f"{rng.randint(30, 37)};{rng.choice((1, 22))}"
            elif kind < 0.8:
                sgr = f"38;5;{rng.randint(0, 255)}"
            else:
                sgr = f"38;2;{rng.randint(0, 255)};{rng.randint(0, 255)};{rng.randint(0, 255)}"
            words.append(f"\x1b[{sgr}m{rng.choice(WORDS)}\x1b[0m")
        line = " ".join(words) + "\r\n"
        parts.append(line)
        total += len(line)
    return "".join(parts)


def redraws(rng: random.Random, size: int) -> str:
    """Full-screen frames as a curses program paints them: position, colour, text, erase."""
    parts: list[str] = []
    total = 0
    frame = 0
    while total < size:
        rows = ["\x1b[H"]
        for y in range(LINES):
            text = " ".join(rng.choice(WORDS) for _ in range(20))[: COLUMNS - 10]
            rows.append(f"\x1b[{y + 1};1H\x1b[{30 + (y + frame) % 8}m{text}\x1b[0m\x1b[K")
        frame += 1
        chunk = "".join(rows)
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)


def recorded() -> str:
    raws = [path.read_bytes() for path in sorted(RECORDINGS.glob("*.raw"))]
    return b"".join(raws).decode("utf-8", "replace")


def stock_feeder() -> Callable[[str], None]:
    stream = pyte.Stream(pyte.Screen(COLUMNS, LINES))

    def feed(data: str) -> None:
        # pyte 0.8.2 raises on some input (TypeError on vim's CSI > 4;2 m, AssertionError on
        # VPA in origin mode) and loses the rest of the slice
        with contextlib.suppress(Exception):
            stream.feed(data)

    return feed


def our_feeder() -> Callable[[str], None]:
    return TerminalScreen(COLUMNS, LINES).feed


def feed_time(make: Callable[[], Callable[[str], None]], slices: list[str]) -> float:
    """CPU seconds to feed ``slices`` to a fresh screen."""
    feed = make()
    start = time.process_time()
    for piece in slices:
        feed(piece)
    return time.process_time() - start


def throughputs(data: str, repeat: int) -> tuple[float, float]:
    """Best MB/s of stock pyte and of ours, runs interleaved so load changes hit both alike."""
    slices = [data[i : i + SLICE] for i in range(0, len(data), SLICE)]
    stock = ours = float("inf")
    for _ in range(repeat):
        stock = min(stock, feed_time(stock_feeder, slices))
        ours = min(ours, feed_time(our_feeder, slices))
    return len(data) / stock / 1e6, len(data) / ours / 1e6


def best_time(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def per_char_text_frame(screen: TerminalScreen, console: Console) -> list[Strip]:
    """The baseline: each cell appended to a rich Text (styles cached), then rendered."""
    styles: dict[tuple[object, ...], Style] = {}
    strips = []
    for row in screen.buffer:
        text = Text()
        for cell in row:
            if cell.data:
                key = tuple(cell[1:])
                style = styles.get(key)
                if style is None:
                    style = styles[key] = Style(
                        color=_baseline_color(cell.fg),
                        bgcolor=_baseline_color(cell.bg),
                        bold=cell.bold,
                        dim=cell.dim,
                        italic=cell.italics,
                        underline=cell.underscore,
                        reverse=cell.reverse,
                    )
                text.append(cell.data, style)
        strips.append(Strip(list(text.render(console))))
    return strips


def _baseline_color(name: str) -> Color | None:
    if name == "default":
        return None
    index = COLOR_INDEX.get(name)
    return Color.from_ansi(index) if index is not None else Color.parse("#" + name)


def bench_parsing(size: int, repeat: int) -> None:
    rng = random.Random(7)
    workloads = {
        "plain text": plain_text(rng, size),
        "dense SGR colour": dense_sgr(rng, size),
        "full-screen redraws": redraws(rng, size),
        "recorded sessions": recorded(),
    }
    print(f"{'parsing (MB/s)':24}{'stock pyte':>12}{'ours':>10}{'ratio':>9}")
    for name, data in workloads.items():
        stock, ours = throughputs(data, repeat)
        print(f"{name:24}{stock:12.2f}{ours:10.2f}{ours / stock:8.1f}x")


def bench_rendering(repeat: int) -> None:
    screen = TerminalScreen(COLUMNS, LINES)
    screen.feed(redraws(random.Random(3), 20_000))
    screen.feed(recorded()[-20_000:])
    screen.feed("\x1b[?1049l\x1b[H" + dense_sgr(random.Random(5), 12_000))
    console = Console(width=COLUMNS, color_system="truecolor", file=io.StringIO())
    renderer = StripRenderer()

    def cold() -> None:
        renderer.invalidate()
        for y in range(LINES):
            renderer.render_row(screen, y)

    def changed() -> None:
        for row in screen.buffer:
            row.version += 1  # as after a full-screen redraw: every row renders again
        for y in range(LINES):
            renderer.render_row(screen, y)

    def warm() -> None:
        for y in range(LINES):
            renderer.render_row(screen, y)

    def scrolled() -> None:
        screen.feed("\r\nnew line \x1b[32mgreen\x1b[0m")
        for y in range(LINES):
            renderer.render_row(screen, y)

    baseline = best_time(lambda: per_char_text_frame(screen, console), repeat)
    print(f"\n{'rendering 120x40 (ms)':24}{'per-char Text':>14}{'ours':>8}{'ratio':>9}")
    runs = (
        ("no caches at all", cold),
        ("every row changed", changed),
        ("nothing changed", warm),
        ("one line scrolled in", scrolled),
    )
    for name, run in runs:
        cold()
        ours = best_time(run, repeat)
        print(f"{name:24}{baseline * 1e3:14.2f}{ours * 1e3:8.2f}{baseline / ours:8.1f}x")


def main() -> None:
    quick = "--quick" in sys.argv
    bench_parsing(200_000 if quick else 1_000_000, 2 if quick else 3)
    bench_rendering(5 if quick else 20)
    if "--no-widget" not in sys.argv:
        print("\n== through the widget, against the local server ==", flush=True)
        widget = Path(__file__).with_name("bench_terminal_widget.py")
        args = [arg for arg in sys.argv[1:] if arg != "--no-widget"]
        raise SystemExit(
            subprocess.run([sys.executable, str(widget), *args], check=False).returncode
        )


if __name__ == "__main__":
    main()
