"""`orb-tui --local`: find or start the local ORB server, sign in to it, and seed a demo computer."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import secrets
import subprocess
import sys
import threading
from pathlib import Path

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import OrbError, Unauthorized
from orb_tui.config.credentials import load_credentials, save_credential
from orb_tui.config.paths import Paths
from orb_tui.config.settings import Endpoint, Profile, load_settings, save_profile

PROFILE = "local"
DEFAULT_URL = "http://127.0.0.1:8765"
START_TIMEOUT = 20.0

DEMO_TOML = """\
# orb.toml: how ORB runs this computer's agent.
# Edit it here (Config tab, `e`), save with ctrl+s, then build with `b` and deploy with `p`.

[agent]
name = "hello-agent"
lang = "python"        # python, node, binary, go or rust
entry = "agent.py"     # relative to /agent/code

[agent.env]
GREETING = "hello from orb-tui"

# [source]               # where the code comes from; cloned to /agent/code on build
# git = "https://github.com/you/your-agent.git"
# branch = "main"

[build]
steps = ["python3 -m py_compile agent.py"]

# [ports]
# expose = [8000]        # reachable at the host_port shown in the Agents tab
"""

DEMO_AGENT = """\
import datetime, os, time

greeting = os.environ.get("GREETING", "hello")
for n in range(1, 10**9):
    line = f"{datetime.datetime.now():%H:%M:%S} {greeting} #{n}"
    print(line, flush=True)
    with open("../data/heartbeat.log", "a") as log:
        log.write(line + "\\n")
    time.sleep(5)
"""


_children: list[tuple[subprocess.Popen[bytes], threading.Thread]] = []


class LocalServerError(Exception):
    """The local server could not be found, started or signed in to; the message says why."""


def _stop(proc: subprocess.Popen[bytes], drain: threading.Thread | None = None) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if drain is not None:
        drain.join(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()


def start_server(state_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start `orb-tui serve` as a child that is stopped when this process exits; returns it and its URL."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log = (state_dir / "server.log").open("ab")
    cmd = [
        sys.executable,
        "-m",
        "orb_tui",
        "serve",
        "--port",
        str(port),
        "--state-dir",
        str(state_dir),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    assert proc.stdout is not None
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(START_TIMEOUT)
    url = line[0].decode().strip() if line else ""
    if not url.startswith("http"):
        _stop(proc)
        raise LocalServerError(
            f"the local server did not start within {START_TIMEOUT:.0f} s; see {state_dir / 'server.log'}"
        )
    # keep draining stdout so the child never blocks on a full pipe
    drain = threading.Thread(target=proc.stdout.read, daemon=True)
    drain.start()
    _children.append((proc, drain))
    return proc, url


@atexit.register
def stop_started() -> None:
    """Stop every server this process started (the console's lifetime is theirs)."""
    while _children:
        _stop(*_children.pop())


async def _reachable(url: str, key: str | None) -> bool | None:
    """True: up and the key works; False: up but the key is refused; None: nothing there."""
    async with OrbClient(url, key, timeout=2.0) as client:
        try:
            await client.list_computers()
        except Unauthorized:
            return False
        except OrbError:
            return None
    return True


async def _seed(client: OrbClient) -> None:
    if (await client.list_computers()).total:
        return
    computer = await client.create_computer("demo", runtime_mb=512, disk_mb=1024)
    await client.upload_config(computer.id, DEMO_TOML)
    quoted = DEMO_AGENT.replace("'", "'\\''")
    await client.exec(computer.id, f"mkdir -p ../code && printf '%s' '{quoted}' > ../code/agent.py")
    with contextlib.suppress(OrbError):
        await client.deploy(computer.id)


async def _ensure(paths: Paths) -> Endpoint:
    settings = load_settings(paths)
    key = load_credentials(paths).get(PROFILE)
    profile = settings.profiles.get(PROFILE)
    url = profile.api_url if profile else DEFAULT_URL
    state = await _reachable(url, key)
    if state is None:
        try:
            _, url = start_server(paths.server_state_dir, 8765)
        except LocalServerError:  # the usual port is taken: any free one will do
            _, url = start_server(paths.server_state_dir, 0)
        state = await _reachable(url, key)
    async with OrbClient(url, None) as client:
        if not state or key is None:
            email = f"local-{secrets.token_hex(4)}@orb-tui.localhost"
            key = (await client.register(email)).api_key
            save_credential(paths, PROFILE, key)
        client.api_key = key
        await _seed(client)
    if profile is None or profile.api_url != url:
        save_profile(paths, Profile(PROFILE, url), make_default=settings.default_profile is None)
    return Endpoint(profile=PROFILE, api_url=url, api_key=key)


def ensure_local(paths: Paths) -> Endpoint:
    """Reuse the local server at the `local` profile's URL or start one; sign in; seed a demo computer.

    Raises:
        LocalServerError: the server cannot be started or answers with an error.
    """
    try:
        return asyncio.run(_ensure(paths))
    except OrbError as exc:
        raise LocalServerError(f"the local server answered with an error: {exc}") from None
    except OSError as exc:  # an unusable state or config folder, a program that cannot start
        where = f" {exc.filename}" if exc.filename else ""
        raise LocalServerError(
            f"cannot start the local server:{where}: {exc.strerror or exc}"
        ) from None
