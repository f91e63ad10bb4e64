"""Local server speed against floors measured in the same run: exec round trip, terminal throughput,
concurrent execs. Run: `python benchmarks/bench_server.py` (starts its own server on loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from server_harness import register_org, start_server

from orb_tui.server.sandbox import Box, Sandbox

EXECS = 60
CONCURRENT = 50
TERMINAL_BYTES = 20_000_000
CHUNK = 64 << 10


def quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def sandbox_floor(sandboxed: bool) -> list[float]:
    """Spawning the server's own kind of sandbox with `true` directly, no HTTP, no asyncio."""
    sandbox = Sandbox(sandboxed)
    with tempfile.TemporaryDirectory() as tmp:
        box = Box("floor", Path(tmp), runtime_mb=512)
        (box.agent_dir / "data").mkdir(parents=True)
        argv = sandbox.argv(box, ["true"], cwd="/agent/data")
        cwd = box.root if sandbox.sandboxed else box.agent_dir / "data"
        samples = []
        for _ in range(EXECS):
            started = time.perf_counter()
            subprocess.run(argv, cwd=cwd, check=True)
            samples.append(time.perf_counter() - started)
        await sandbox.shutdown()
    return samples


async def exec_round_trips(http: httpx.AsyncClient, computer: str) -> list[float]:
    samples = []
    for _ in range(EXECS):
        started = time.perf_counter()
        answer = await http.post(f"/v1/computers/{computer}/exec", json={"command": "true"})
        samples.append(time.perf_counter() - started)
        answer.raise_for_status()
    return samples


async def concurrent_execs(http: httpx.AsyncClient, computer: str) -> tuple[float, list[float]]:
    async def one() -> float:
        started = time.perf_counter()
        answer = await http.post(f"/v1/computers/{computer}/exec", json={"command": "echo hi"})
        answer.raise_for_status()
        return time.perf_counter() - started

    started = time.perf_counter()
    samples = await asyncio.gather(*(one() for _ in range(CONCURRENT)))
    return time.perf_counter() - started, list(samples)


async def terminal_rate(url: str, key: str, computer: str) -> float:
    """MB/s of `cat` of a 20 MB file through the terminal WebSocket."""
    ws_url = url.replace("http://", "ws://") + f"/v1/computers/{computer}/terminal?key={key}"
    async with connect(ws_url, compression=None, max_size=None) as ws:
        await ws.recv()  # hello
        await ws.send("stty -echo; cat big.txt; echo EN''D\n")
        received, started, window = 0, time.perf_counter(), ""
        while "END" not in window:
            frame = await ws.recv()
            text = frame if isinstance(frame, str) else frame.decode()
            received += len(text)
            window = window[-8:] + text
        elapsed = time.perf_counter() - started
    return received / elapsed / 1e6


def raw_pty_rate(path: Path) -> float:
    """MB/s of `cat` of the same file in a bare PTY read with blocking reads (no sandbox, no loop)."""
    master, slave = pty.openpty()
    cat = subprocess.Popen(["cat", str(path)], stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    received, started = 0, time.perf_counter()
    with contextlib.suppress(OSError):  # EIO once cat is gone
        while chunk := os.read(master, CHUNK):
            received += len(chunk)
    elapsed = time.perf_counter() - started
    os.close(master)
    cat.wait()
    return received / elapsed / 1e6


async def raw_ws_rate() -> float:
    """MB/s of the same amount of text in 64 KiB frames over a bare websockets pair."""
    payload = "a" * CHUNK

    async def handler(ws: ServerConnection) -> None:
        for _ in range(TERMINAL_BYTES // CHUNK):
            await ws.send(payload)
        await ws.send("END")

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}", compression=None, max_size=None) as ws:
            received, started = 0, time.perf_counter()
            while (frame := await ws.recv()) != "END":
                received += len(frame)
            elapsed = time.perf_counter() - started
    return received / elapsed / 1e6


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        running = start_server(Path(tmp) / "state")
        try:
            await measure(running.url, running.state_dir)
        finally:
            code = running.stop()
            print(f"server exited {code}")


async def measure(url: str, state_dir: Path) -> None:
    org = await register_org(url)
    headers = {"Authorization": f"Bearer {org.api_key}"}
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as http:
        made = await http.post("/v1/computers", json={"name": "bench"})
        computer = made.json()["id"]
        probe = await http.post(f"/v1/computers/{computer}/exec", json={"command": "echo $HOME"})
        sandboxed = probe.json()["stdout"].startswith("/agent")
        print(f"sandbox: {'bubblewrap' if sandboxed else 'plain process groups'}")

        floor50, floor99 = quantiles(await sandbox_floor(sandboxed))
        exec50, exec99 = quantiles(await exec_round_trips(http, computer))
        print(f"exec round trip  p50 {exec50:6.2f} ms  p99 {exec99:6.2f} ms")
        print(f"sandbox floor    p50 {floor50:6.2f} ms  p99 {floor99:6.2f} ms")
        print(f"  exec p50 / floor p50 = {exec50 / floor50:.2f}x (target <= 3x)")

        wall, samples = await concurrent_execs(http, computer)
        c50, c99 = quantiles(samples)
        print(f"{CONCURRENT} concurrent execs: wall {wall * 1000:.0f} ms, p50 {c50:.1f} ms, "
              f"p99 {c99:.1f} ms ({wall * 1000 / CONCURRENT:.1f} ms per exec; "
              f"{wall * 1000 / CONCURRENT / exec50:.2f}x a sequential exec)")  # fmt: skip

        command = f"head -c {TERMINAL_BYTES} /dev/zero | tr '\\0' a | fold -w 99 > big.txt"
        await http.post(f"/v1/computers/{computer}/exec", json={"command": command})
        term = await terminal_rate(url, org.api_key, computer)
        raw = await raw_ws_rate()
        ceiling = raw_pty_rate(state_dir / "computers" / computer / "agent" / "data" / "big.txt")
        print(f"terminal cat 20 MB: {term:6.1f} MB/s; raw WebSocket {raw:6.1f} MB/s; "
              f"bare PTY {ceiling:6.1f} MB/s")  # fmt: skip
        print(f"  terminal / raw WebSocket = {term / raw:.2f} (target >= 0.5)")
        print(f"  terminal / bare PTY = {term / ceiling:.2f} (the PTY alone caps the terminal)")
        await http.delete(f"/v1/computers/{computer}")


if __name__ == "__main__":
    asyncio.run(main())
