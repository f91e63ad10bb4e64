"""Regenerate screenshots/*.svg of every screen from a real run against a local server.

Usage: `.venv/bin/python scripts/screenshots.py [--out screenshots] [--size 120x36]`

It starts its own `orb-tui serve` on loopback with its state in a temporary folder, seeds a demo
org (computers, a config, a build, a deployed agent, keys, a webhook with a receiver that answers
204), drives the console with Pilot and saves one SVG per screen. No key or secret appears in full:
each screenshot is checked for every secret the script saw before it is written.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import OrbError
from orb_tui.config.credentials import save_credential
from orb_tui.config.paths import Paths
from orb_tui.config.settings import CLOUD_URL, Endpoint, Profile, load_settings, save_profile
from orb_tui.local import DEMO_AGENT, DEMO_TOML, start_server
from orb_tui.ui.app import OrbApp, make_app

REPO = Path(__file__).resolve().parent.parent
WAIT = 20.0


@dataclass
class Demo:
    """What the seeding made, and every secret that must not reach a screenshot."""

    url: str
    key: str
    agent_computer: str = ""
    secrets: list[str] = field(default_factory=list)


class Receiver:
    """A webhook endpoint on loopback that answers 204 to every delivery."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":")[1]))
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[str]:
    """Run a Receiver; yields its URL."""
    server = await asyncio.start_server(Receiver().handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/orb-events"
    finally:
        server.close()
        await server.wait_closed()


async def seed(url: str, hook_url: str) -> Demo:
    """Register a demo org and give it something to show on every screen."""
    async with OrbClient(url) as orb:
        orb.api_key = (await orb.register("demo@example.com")).api_key
        demo = Demo(url, orb.api_key, secrets=[orb.api_key])
        demo.secrets.append(
            (
                await orb.create_webhook(
                    hook_url,
                    ["computer.created", "computer.destroyed", "agent.spawned", "agent.finished"],
                )
            ).secret
        )
        await orb.create_computer("batch-worker", runtime_mb=2048, disk_mb=8192)
        scratch = await orb.create_computer("scratch", runtime_mb=256, disk_mb=512)
        await orb.delete_computer(scratch.id)
        await orb.create_computer("web-frontend", runtime_mb=1024, disk_mb=4096)
        agent = await orb.create_computer("hello-agent", runtime_mb=512, disk_mb=1024)
        demo.agent_computer = agent.id
        await orb.upload_config(agent.id, DEMO_TOML)
        quoted = DEMO_AGENT.replace("'", "'\\''")
        await orb.exec(agent.id, f"mkdir -p ../code && printf '%s' '{quoted}' > ../code/agent.py")
        await orb.build(agent.id)
        await orb.deploy(agent.id)
        for name in ("ci", "laptop"):
            demo.secrets.append((await orb.create_key(name)).api_key)
    return demo


def configure(paths: Paths, demo: Demo) -> Endpoint:
    """Write the demo profile (and a cloud one without a key) to the temporary config."""
    save_profile(paths, Profile("demo", demo.url), make_default=True)
    save_credential(paths, "demo", demo.key)
    save_profile(paths, Profile("cloud", CLOUD_URL))
    return Endpoint("demo", demo.url, demo.key)


def screen_text(app: OrbApp) -> str:
    """What the top screen draws (with any screens showing through it), as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


class Shooter:
    """Drives the app and writes checked screenshots."""

    def __init__(self, pilot: Pilot[int], demo: Demo, out: Path) -> None:
        self.pilot = pilot
        self.app: OrbApp = pilot.app  # type: ignore[assignment]
        self.demo = demo
        self.out = out
        self.missed: list[str] = []

    async def until(self, condition: Callable[[], object], what: str) -> bool:
        """Let the app run until `condition()` holds; after WAIT seconds note it and go on."""
        deadline = time.monotonic() + WAIT
        while not condition():
            if time.monotonic() > deadline:
                self.missed.append(what)
                print(f"  (gave up waiting for {what})", file=sys.stderr)
                return False
            await self.pilot.pause(0.05)
        return True

    async def shows(self, text: str) -> bool:
        """Wait until the top screen shows `text`."""
        return await self.until(lambda: text in screen_text(self.app), f"{text!r} on screen")

    async def shoot(self, name: str) -> None:
        """Save `name`.svg once the screen is idle, refusing if any secret is on it."""
        await self.pilot.pause()
        await self.pilot.wait_for_scheduled_animations()
        svg = self.app.export_screenshot(title=f"orb-tui: {name}")
        text = screen_text(self.app)
        leaked = [s for s in self.demo.secrets if s in text or s in svg]
        if leaked:
            raise SystemExit(f"{name}: a key or secret is on screen in full; not written")
        (self.out / f"{name}.svg").write_text(svg, encoding="utf-8")
        print(f"  {name}.svg")

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)


async def main_screen(s: Shooter) -> None:
    """The computers table with each tab of the computer running the demo agent."""
    app = s.app
    await s.until(lambda: app.screen.query("#computers"), "the main screen")
    table = app.screen.query_one("#computers")
    await s.until(lambda: table.row_count == 3, "three computers")  # type: ignore[attr-defined]
    rows = table.shown_ids  # type: ignore[attr-defined]
    table.move_cursor(row=rows.index(s.demo.agent_computer))  # type: ignore[attr-defined]
    await s.shows("running")
    await s.shoot("main-agents")
    for key, name, marker in (("f", "files", "code"), ("l", "build", "py_compile")):
        await s.press(key)
        await s.shows(marker)
        await s.shoot(f"main-{name}")
    await s.press("e")
    await s.shows("hello-agent")
    await s.shoot("main-config")
    await s.press("escape")
    await s.press("t")
    await s.until(lambda: "$" in screen_text(app) or "#" in screen_text(app), "a shell prompt")
    await s.press(*"ls -la /agent", "enter")
    await s.shows(".orb")
    await s.shoot("main-terminal")
    await s.press("ctrl+right_square_bracket")
    await s.press("x")
    await s.press(*"python3 --version && ls /agent/code", "enter")
    await s.shows("agent.py")
    await s.shoot("main-exec")
    await s.press("escape", "n")
    await s.shows("New computer")
    await s.shoot("new-computer")
    await s.press("escape", "question_mark")
    await s.pilot.pause()
    await s.shoot("help")
    await s.press("escape")


async def org_screens(s: Shooter) -> None:
    """Keys (with a new key, masked), Webhooks with deliveries, Usage, Profiles and sign-in."""
    app = s.app
    await s.press("K")
    await s.shows("laptop")
    await s.shoot("keys")
    await s.press("n")
    await s.shows("New API key")
    await s.press("ctrl+u", *"deploy-bot")
    await s.shoot("keys-new")
    await s.press("enter")
    await s.shows("New key deploy-bot")
    secret = app.screen.query_one("#once-secret")
    s.demo.secrets.append(str(secret.content))  # type: ignore[attr-defined]
    await s.press("m")
    await s.shoot("keys-created-masked")
    await s.press("enter", "W")
    await s.shows("204")
    await s.shoot("webhooks")
    await s.press("n")
    await s.shows("New webhook")
    await s.shoot("webhooks-new")
    await s.press("escape", "U")
    await s.shows("Computers created")
    await s.shoot("usage")
    await s.press("P")
    await s.shows("cloud")
    await s.shoot("profiles")
    await s.press("s")
    await s.shows("Sign in with an API key")
    await s.shoot("profiles-sign-in")
    await s.press("escape", "escape")


async def run(out: Path, size: tuple[int, int], state: Path, url: str) -> list[str]:
    """Seed, then drive the console and write every screenshot; returns what it gave up on."""
    async with receiver() as hook_url:
        demo = await seed(url, hook_url)
        paths = Paths(config_dir=state / "config", state_dir=state / "state")
        endpoint = configure(paths, demo)
        app = make_app(settings=load_settings(paths), paths=paths, endpoint=endpoint)
        async with app.run_test(size=size) as pilot:
            shooter = Shooter(pilot, demo, out)
            await main_screen(shooter)
            await org_screens(shooter)
        return shooter.missed


@contextlib.contextmanager
def local_server(state: Path) -> Iterator[str]:
    """A fresh `orb-tui serve` on a free loopback port, stopped afterwards."""
    proc, url = start_server(state / "server", 0)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; exit 1 if a screen did not show what it should."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    parser.add_argument("--size", default="120x36", help="COLSxROWS (default 120x36)")
    args = parser.parse_args(argv)
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="orb-shots-") as tmp, local_server(Path(tmp)) as url:
        try:
            missed = asyncio.run(run(args.out, (cols, rows), Path(tmp), url))
        except OrbError as exc:
            print(f"seeding the demo org failed: {exc}", file=sys.stderr)
            return 1
    if missed:
        print("some screens did not show what was expected: " + "; ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
