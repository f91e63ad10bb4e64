"""Record real programs in tmux (120x40): raw output, screen text, attributes and cursor.

Run by hand (needs tmux, vim, less, htop): .venv/bin/python tests/conformance/record.py [NAME...]
It writes tests/conformance/recordings/<name>.{raw,txt,ansi,json}; test_conformance replays them
without tmux. Recording twice gives other bytes (htop's numbers, timings): commit what you test.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "recordings"
COLUMNS, LINES = 120, 40
SOCKET = "orb-conformance"
SOURCE = HERE.parent.parent / "orb_tui" / "ui" / "terminal" / "emulator.py"


@dataclass
class Scenario:
    """A program to start and the keys to send it, each followed by a pause (seconds)."""

    command: str
    keys: list[tuple[list[str], float]] = field(default_factory=list)


PROMPT = r"\[\e[1;32m\]orb\[\e[0m\]:\[\e[34m\]\w\[\e[0m\]\$ "
SHELL_LINES = [
    "echo hello from bash",
    r"printf '\e[1;31mbold red\e[0m \e[2mdim\e[0m \e[4;3munder\e[0m \e[38;5;208m256\e[0m "
    r"\e[38;2;10;200;30mtrue\e[0m \e[7mrev\e[0m\n'",
    r"printf 'wide: \u4e2d\u6587\u5b57 mark: e\u0301 ok\n'",
    "seq 1 45",
    "ls -la --color=always /etc | head -30",
    "ls --color=always -F /usr/lib/python3* | head -20",
    r"printf 'tab\there\rT\n\e[3Cmoved\e[2Dx\n'",
]
# Tricky sequences, written to a file and shown with cat (tty output processing turns \n into
# \r\n, as for any program).
EDGE = "".join(
    [
        "\x1b[2J\x1b[HREP: a\x1b[5b|\n",
        "x" * 119 + "\u4e2d" + "y <- a wide char at the last column wraps whole\n",
        "marks: e\u0301 a\u0308\u0304 | vs16: \u2764\ufe0f | zwj: \U0001f468\u200d\U0001f469 |\n",
        "\x1b[38:2::255:0:0mcolon-rgb\x1b[0m \x1b[38:5:82mcolon-256\x1b[0m \x1b[4:3mcurly\x1b[4:0m\n",
        "\x1b[>4;2mmodify-keys\x1b[>4m \x1b[?1;2r after-private-r\n",
        "a\x1bP1$r0m\x1b\\b\x1b_apc\x1b\\c\x1b^pm\x1b\\d <- strings swallowed\n",
        "\x1b[s12345\x1b[uAB <- CSI s/u\n",
        "abcdef\x1b[3D\x1b[2@XY\x1b[P\x1b[1X <- ICH DCH ECH\n",
        "\x1b7\x1b[1;31msaved\x1b8plain <- DECSC/DECRC\n",
        "\x1b[44mblue background to the end\x1b[K\x1b[0m\n",
        "\x1b(0lqqqk\x1b(B DEC graphics \x1b)0\x0emqqqj\x0f\n",
        "a\tb\tc\x1b[2Z<\x1b[3I>\n",
        "\x1b[?7l" + "z" * 125 + "END\x1b[?7h\n",
        "insert: abc\x1b[3D\x1b[4hXY\x1b[4l\n",
        "\x1b[?1049hALT SCREEN\x1b[?1049l <- back from 1049\n",
        "line A\nline B\nline C\x1b[2A\x1b[L<- IL\x1b[B\x1b[M\n\n",
        "\x1b[26;31r\x1b[26;1H1\n2\n3\n4\n5\n6\n7\x1b[2S\x1b[1T\x1b[r",
        "\x1b[33;4H\x1bD\x1bDdown2\x1bMup\x1bEnel",
        "\x1b]0;the title\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1b[999;999H!\x1b[39;1Hend\n",
    ]
)
# Differential fuzz: seeded random programs from the sequences above, each starting from a known
# state. tmux answers for what the screen should be; differences are investigated one by one.
RESET = "\x1b[r\x1b[0m\x1b[?7h\x1b[4l\x1b[?6l\x1b[H\x1b[2J\x1b[3g" + "        \x1bH" * 15 + "\r"


def fuzz_program(seed: int, steps: int = 400) -> str:
    """A random but well-formed stream of text and control sequences."""
    rng = random.Random(seed)
    parts = [RESET]
    for _ in range(steps):
        parts.append(rng.choice(_FUZZ_PIECES)(rng))
    return "".join(parts)


def _n(rng: random.Random) -> int:
    return rng.choice((0, 1, 1, 2, 3, 5, 8, 13, 40, 130))


_WORD = "abcdefghijklmnopqrstuvwxyz0123456789"


def _word(rng: random.Random, shortest: int, longest: int) -> str:
    return "".join(rng.choice(_WORD) for _ in range(rng.randint(shortest, longest)))


_FUZZ_PIECES: list[Callable[[random.Random], str]] = [
    lambda r: _word(r, 1, 30),
    lambda r: _word(r, 1, 30),
    lambda r: _word(r, 60, 140),
    lambda r: r.choice(["\u4e2d\u6587", "\u5b57", "e\u0301", "a\u0308o", "\u00e9t\u00e9"]),
    lambda r: r.choice(["\r\n", "\r\n", "\r", "\n", "\b", "\t", "\x1bD", "\x1bM", "\x1bE"]),
    lambda r: f"\x1b[{r.randint(1, 42)};{r.randint(1, 125)}H",
    lambda r: f"\x1b[{_n(r)}{r.choice('ABCDEFGd`')}",  # not HPR/VPR: tmux lacks them
    lambda r: f"\x1b[{r.choice(('', '0', '1', '2'))}K",
    lambda r: f"\x1b[{r.choice(('', '0', '1', '2'))}J" if r.random() < 0.3 else "",
    lambda r: f"\x1b[{_n(r)}{r.choice('PX')}",
    lambda r: f"\x1b[{_n(r)}{r.choice('ST')}",
    # IL/DL only inside the region: outside it tmux edits the whole screen, xterm nothing
    lambda r: f"\x1b[r\x1b[{r.randint(1, 40)}H\x1b[{_n(r)}{r.choice('LM')}\r",
    # DECSTBM then CUP: in origin mode DECSTBM homes to the region (xterm) or the screen (tmux)
    lambda r: (
        f"\x1b[{r.randint(1, 20)};{r.randint(21, 40)}r\x1b[H"
        if r.random() < 0.5
        else "\x1b[r\x1b[H"
    ),
    lambda r: f"\x1b[{r.choice(('0', '1', '7', '4', '31', '42', '1;33', '38;5;208', '48;5;17'))}m",
    lambda r: f"x\x1b[{_n(r)}b",
    lambda r: r.choice(["\x1b7", "\x1b8", "\x1b[s", "\x1b[u"]),
    lambda r: r.choice(["\x1b[?6h", "\x1b[?6l", "\x1bH", "\x1b[g", "\x1b[3g", "\x1b[2Z", "\t"]),
    lambda r: "\x1b#8" if r.random() < 0.1 else "",
    lambda r: r.choice(["\x1b[?7l", "\x1b[?7h", "\x1b[?1049h", "\x1b[?1049l"]),
    # insert mode only where it cannot wrap or split a wide character: there tmux has quirks
    lambda r: f"\x1b[{r.randint(1, 40)};1H\x1b[4h{_word(r, 1, 20)}\x1b[4l",
]
FUZZ_SEEDS = range(12)

SCENARIOS = {
    **{
        f"fuzz{seed:02}": Scenario(f"sh -c 'cat fuzz{seed:02}.txt; exec sleep 600'", [([], 0.3)])
        for seed in FUZZ_SEEDS
    },
    "sequences": Scenario("sh -c 'cat edge.txt; exec sleep 600'", [([], 0.5)]),
    "bash": Scenario(
        f"env -i TERM=xterm-256color HOME=/tmp LANG=C.UTF-8 PS1={shlex.quote(PROMPT)} "
        "bash --norc --noprofile -i",
        [([line, "Enter"], 0.6) for line in SHELL_LINES],
    ),
    "vim": Scenario(
        "env TERM=xterm-256color LANG=C.UTF-8 vim -u DEFAULTS -i NONE -N "
        "+'syntax on' +'set number' +'set laststatus=2' {copy}",
        [
            (["G"], 0.8),
            (["g", "g"], 0.8),
            (["/", "def feed", "Enter"], 0.8),
            ([":set cursorline", "Enter"], 0.8),
            (["o", "# wide: \u4e2d\u6587 and e\u0301 here", "Escape"], 0.8),
            ([":vsplit", "Enter"], 0.8),
            (["C-w", "l", "4", "0", "G"], 0.8),
        ],
    ),
    "less": Scenario(
        "env TERM=xterm-256color LANG=C.UTF-8 LESS= less -R /usr/share/common-licenses/GPL-3",
        [(["Space"], 0.6), (["Space"], 0.6), (["/", "warranty", "Enter"], 0.8), (["b"], 0.8)],
    ),
    "htop": Scenario(
        "env TERM=xterm-256color LANG=C.UTF-8 HOME=/tmp htop -d 600",
        [([], 2.5), (["t"], 1.5)],
    ),
}


def tmux(*args: str) -> str:
    """Run a tmux command on our private server; returns its stdout."""
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], check=True, capture_output=True, text=True
    ).stdout


def wait_quiet(path: Path, quiet: float = 0.7, limit: float = 10.0) -> None:
    """Wait until ``path`` has not grown for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = path.stat().st_size if path.exists() else 0
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


def record(name: str, scenario: Scenario, workdir: Path) -> None:
    """Run one scenario and write its four files."""
    raw = workdir / f"{name}.raw"
    copy = workdir / "emulator.py"
    copy.write_bytes(SOURCE.read_bytes())
    (workdir / "edge.txt").write_text(EDGE)
    for seed in FUZZ_SEEDS:
        (workdir / f"fuzz{seed:02}.txt").write_text(fuzz_program(seed))
    command = scenario.command.replace("{copy}", str(copy))
    # The pane waits for one Enter before starting the program, so pipe-pane sees every byte.
    gate = f"stty -echo; read _; stty echo; exec {command}"
    tmux("new-session", "-d", "-s", name, "-x", str(COLUMNS), "-y", str(LINES), "-c",
         str(workdir), "sh", "-c", gate)  # fmt: skip
    tmux("pipe-pane", "-t", name, "-o", f"cat > {shlex.quote(str(raw))}")
    tmux("send-keys", "-t", name, "Enter")
    wait_quiet(raw, quiet=1.0)
    for keys, pause in scenario.keys:
        for key in keys:
            literal = len(key) > 1 and key not in ("Enter", "Escape", "Space", "C-w")
            tmux("send-keys", "-t", name, *(["-l", key] if literal else [key]))
        time.sleep(pause)
        wait_quiet(raw)
    size = raw.stat().st_size
    text = tmux("capture-pane", "-p", "-N", "-t", name)
    ansi = tmux("capture-pane", "-p", "-e", "-N", "-t", name)
    state = tmux("display-message", "-p", "-t", name, "#{cursor_x} #{cursor_y} #{alternate_on}")
    if raw.stat().st_size != size:
        raise RuntimeError(f"{name}: output arrived during the capture; run again")
    tmux("kill-session", "-t", name)
    x, y, alternate = (int(part) for part in state.split())
    OUT.mkdir(exist_ok=True)
    (OUT / f"{name}.raw").write_bytes(raw.read_bytes())
    (OUT / f"{name}.txt").write_text(text)
    (OUT / f"{name}.ansi").write_text(ansi)
    meta = {"command": command, "cursor": [x, y], "alternate": bool(alternate)}
    (OUT / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{name}: {size} bytes, cursor {x},{y}, alternate {bool(alternate)}")


def main(names: list[str]) -> None:
    os.environ.pop("TMUX", None)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name in names or list(SCENARIOS):
                record(name, SCENARIOS[name], Path(tmp))
        finally:
            subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)


if __name__ == "__main__":
    main(sys.argv[1:])
