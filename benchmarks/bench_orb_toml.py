"""orb.toml speed: checking, structured edits and draft writes, each against a baseline from this run.

Run: `.venv/bin/python benchmarks/bench_orb_toml.py`. Baselines: tomllib parsing the same text (for
`check`), tomlkit parsing and writing it unchanged (for the edits), and a plain write of the same
bytes (for a draft). What matters is that checking as you type stays a small multiple of parsing.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tomlkit

from orb_tui.config import orb_toml
from orb_tui.config.drafts import DraftStore

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
CORPUS = sorted((REPO / "tests" / "data" / "orb_toml").glob("*.toml"))


def per_call(fn: Callable[[], object], rounds: int = 5, number: int = 50) -> float:
    """Median seconds per call over `rounds` runs of `number` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def big_config(steps: int) -> str:
    """A valid orb.toml with many commented build steps and env vars (about 100 KB at 2,000)."""
    lines = ['[agent]\nname = "big"\nlang = "python"\nentry = "a.py"\n\n[agent.env]']
    lines += [f'VAR_{n} = "value {n}"  # env {n}' for n in range(steps // 4)]
    lines += ["\n[build]\nsteps = ["]
    lines += [f'  "echo step {n}",  # step {n}' for n in range(steps)]
    lines += ["]\n\n[ports]\nexpose = [8000]\n"]
    return "\n".join(lines)


def report(name: str, ours: float, base: float, base_name: str) -> None:
    print(
        f"{name:<34} {ours * 1e3:8.3f} ms   {base_name} {base * 1e3:8.3f} ms   x{ours / base:5.1f}"
    )


def main() -> None:
    everything = [path.read_text() for path in CORPUS]
    big = big_config(2000)

    def check_corpus() -> None:
        for text in everything:
            orb_toml.check(text)

    def parse_corpus() -> None:
        for text in everything:
            with contextlib.suppress(tomllib.TOMLDecodeError):
                tomllib.loads(text)

    report("check, whole corpus", per_call(check_corpus), per_call(parse_corpus), "tomllib")
    report(
        f"check, {len(big) // 1024} KB config",
        per_call(lambda: orb_toml.check(big), number=5),
        per_call(lambda: tomllib.loads(big), number=5),
        "tomllib",
    )
    sample = (REPO / "tests" / "data" / "orb_toml" / "full_backend.toml").read_text()
    round_trip = per_call(lambda: tomlkit.dumps(tomlkit.parse(sample)))
    report("add_port", per_call(lambda: orb_toml.add_port(sample, 9000)), round_trip, "tomlkit")
    report("set_env", per_call(lambda: orb_toml.set_env(sample, "A", "b")), round_trip, "tomlkit")
    with tempfile.TemporaryDirectory() as folder:
        store = DraftStore(Path(folder) / "drafts")
        plain = Path(folder) / "plain.toml"
        report(
            "draft save (per keystroke)",
            per_call(lambda: store.save("computer-x", big, base=big), number=20),
            per_call(lambda: plain.write_text(big), number=20),
            "write",
        )


if __name__ == "__main__":
    main()
