"""Real programs recorded in tmux, replayed through our emulator: same screen as tmux showed.

The recordings (tests/conformance/recordings, made by record.py) hold the raw bytes each program
wrote, tmux's `capture-pane` text and attributes (`-e`), and tmux's cursor: vim, less, htop, a
bash session with coloured ls, a file of tricky sequences, and twelve seeded random programs
(fuzzNN) mixing text, wide characters, cursor moves, margins, origin mode, tab stops, editing,
SGR, REP and modes (200 such seeds were checked against a live tmux while writing this).

Differences allowed, each where tmux 3.3a departs from xterm and we follow xterm:

- ``ALLOWED_ROWS`` below: rows of the tricky-sequences file; there our row must equal what
  xterm shows, given with the reason.
- The random programs do not use what tmux does its own way: IL/DL with the cursor outside the
  scroll region (tmux edits the whole screen, xterm nothing), HPR and VPR (tmux ignores them),
  insert mode where text wraps or lands on half a wide character (tmux overwrites), and ICH
  (tmux does nothing when the count reaches the line end, keeps a wide character split by the
  insertion, and without autowrap moves the wrong cells; xterm clears, blanks, and shifts).
  DECSTBM is always followed by CUP: in origin mode xterm homes to the region, tmux to the
  screen. One seed in 200 also showed a capture artifact: after half a wide character is
  erased, capture-pane skips the orphaned right half, so its row is one column short.
- Attributes of blank cells after the last character of a row: `capture-pane -e` does not report
  them (htop's header bar is erased green to the line end, but the capture ends at "Command").

Where tmux and xterm differ in ways no program relies on, we follow tmux (so the random
programs can check them): text past the last column with autowrap off stays on the last
column; ICH/DCH/ECH/EL 0 do nothing while the cursor waits past the last column; REP stops at
the line end; DECSC has one slot for both screens and 1049 keeps its own.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from orb_tui.ui.terminal.emulator import TerminalScreen
from orb_tui.ui.terminal.renderer import StripRenderer

RECORDINGS = Path(__file__).parent / "recordings"
NAMES = sorted(path.stem for path in RECORDINGS.glob("*.raw"))
COLUMNS, LINES = 120, 40

ALLOWED_ROWS: dict[tuple[str, int], tuple[str, str]] = {
    ("sequences", 11): (
        "┌───┐ DEC graphics └───┘",
        "capture-pane prints DEC line-drawing text untranslated (lqqqk); tmux draws it as lines",
    ),
    ("sequences", 12): (
        "a       <       c               >",
        "tmux 3.3a ignores CHT (CSI 3 I); xterm moves three tab stops on",
    ),
    ("sequences", 16): (
        "<- IL",
        "after IL tmux keeps the cursor column; xterm (and the VT510) move it to the left margin",
    ),
}


def replay(name: str, chunk: int) -> TerminalScreen:
    """Feed a recording in ``chunk``-byte slices through an incremental UTF-8 decoder."""
    raw = (RECORDINGS / f"{name}.raw").read_bytes()
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    screen = TerminalScreen(COLUMNS, LINES)
    for start in range(0, len(raw), chunk):
        screen.feed(decoder.decode(raw[start : start + chunk]))
    return screen


def tmux_rows(name: str) -> list[str]:
    return (RECORDINGS / f"{name}.txt").read_text().split("\n")[:LINES]


def test_there_are_recordings_of_every_kind_of_program() -> None:
    assert set(NAMES) >= {"bash", "vim", "less", "htop", "sequences"}
    assert sum(path.stat().st_size for path in RECORDINGS.iterdir()) < 1_000_000


@pytest.mark.parametrize("chunk", [4096, 3])
@pytest.mark.parametrize("name", NAMES)
def test_screen_text_matches_tmux(name: str, chunk: int) -> None:
    screen = replay(name, chunk)
    ours = [line.rstrip() for line in screen.text_lines()]
    differences = []
    for y, expected in enumerate(tmux_rows(name)):
        allowed = ALLOWED_ROWS.get((name, y))
        wanted = allowed[0] if allowed else expected.rstrip()
        if ours[y] != wanted:
            differences.append(f"row {y}:\n tmux |{expected.rstrip()}|\n ours |{ours[y]}|")
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("name", NAMES)
def test_cursor_and_screen_match_tmux(name: str) -> None:
    screen = replay(name, 4096)
    meta = json.loads((RECORDINGS / f"{name}.json").read_text())
    assert [screen.cursor.x, screen.cursor.y] == meta["cursor"]
    assert screen.alternate == meta["alternate"]


@pytest.mark.parametrize("name", NAMES)
def test_cell_attributes_match_tmux(name: str) -> None:
    """tmux's `capture-pane -e` rows, fed to a fresh screen, give the cells tmux holds."""
    screen = replay(name, 4096)
    reference = TerminalScreen(COLUMNS, LINES)
    for y, line in enumerate((RECORDINGS / f"{name}.ansi").read_text().split("\n")[:LINES]):
        reference.feed(f"\x1b[{y + 1};1H{line}")
    differences = []
    for y in range(LINES):
        if (name, y) in ALLOWED_ROWS:
            continue
        row = reference.buffer[y]
        used = max((x + 1 for x, cell in enumerate(row) if cell.data not in ("", " ")), default=0)
        differences += [
            f"row {y} col {x}: tmux {row[x]} ours {screen.buffer[y][x]}"
            for x in range(used)
            if screen.buffer[y][x] != row[x]
        ]
    assert not differences, "\n".join(differences[:10])


@pytest.mark.parametrize("name", NAMES)
def test_rendered_rows_show_the_same_text(name: str) -> None:
    screen = replay(name, 4096)
    renderer = StripRenderer()
    for y, expected in enumerate(tmux_rows(name)):
        strip = renderer.render_row(screen, y, cursor=False)
        assert strip.cell_length == COLUMNS
        allowed = ALLOWED_ROWS.get((name, y))
        assert strip.text.rstrip() == (allowed[0] if allowed else expected.rstrip())
