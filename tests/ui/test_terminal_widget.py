"""TerminalView against a real shell on the local server, plus flood and frame checks on a fed channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from server_harness import RunningServer, register_org
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.message import Message
from textual.pilot import Pilot

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import TerminalClosed, TerminalClosedError
from orb_tui.api.models import Computer
from orb_tui.api.terminal import TerminalChannel
from orb_tui.ui.terminal.feed import FramePacer
from orb_tui.ui.terminal.widget import BACKLOG_LIMIT, MAX_SLICE, Connector, TerminalView

TIMEOUT = 15.0


class TerminalApp(App[None]):
    """The widget alone, connected through the connector it is given."""

    def __init__(self, connect: Connector | None, *, read_only: bool = False) -> None:
        super().__init__()
        self.connect = connect
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        yield TerminalView()

    def on_mount(self) -> None:
        view = self.query_one(TerminalView)
        view.focus()
        view.set_connector(self.connect)


def painted(view: TerminalView) -> str:
    """What the widget shows: rows not refreshed since the last frame come from Textual's cache."""
    lines = view.render_lines(Region(0, 0, view.size.width, view.size.height))
    return "\n".join(line.text.rstrip() for line in lines)


async def wait_for(
    pilot: Pilot[None],
    view: TerminalView,
    check: Callable[[], object],
    what: str,
    timeout: float = TIMEOUT,
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for {what}; the terminal shows:\n{painted(view)}"
            )
        await pilot.pause(0.02)


async def wait_for_text(
    pilot: Pilot[None], view: TerminalView, text: str, timeout: float = TIMEOUT
) -> None:
    await wait_for(pilot, view, lambda: text in painted(view), repr(text), timeout)


async def type_line(pilot: Pilot[None], line: str) -> None:
    await pilot.press(*line, "enter")


async def ready(pilot: Pilot[None]) -> TerminalView:
    """Wait for the shell's first prompt."""
    view = pilot.app.query_one(TerminalView)
    await wait_for(pilot, view, lambda: view.connected and painted(view).strip(), "a prompt")
    return view


@pytest.fixture
async def computer(client: OrbClient) -> Computer:
    return await client.create_computer("terminal")


def connector(client: OrbClient, computer: Computer) -> Connector:
    return lambda cols, rows: client.terminal(computer.id, cols=cols, rows=rows)


async def test_a_command_and_its_output(client: OrbClient, computer: Computer) -> None:
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ready(pilot)
        await type_line(pilot, "echo hello-$((6*7))")
        await wait_for_text(pilot, view, "hello-42")


class GatedChannel:
    """A real channel whose connect() waits for `gate`, as over a slow network."""

    def __init__(self, channel: TerminalChannel, gate: asyncio.Event) -> None:
        self.channel = channel
        self.gate = gate

    @property
    def supports_resize(self) -> bool:
        return self.channel.supports_resize

    async def connect(self) -> None:
        await self.gate.wait()
        await self.channel.connect()

    async def send(self, text: str) -> None:
        await self.channel.send(text)

    async def recv(self) -> bytes:
        return await self.channel.recv()

    async def resize(self, cols: int, rows: int) -> bool:
        return await self.channel.resize(cols, rows)

    async def close(self) -> None:
        await self.channel.close()


async def test_keys_typed_while_connecting_reach_the_shell_in_agent_data(
    client: OrbClient, computer: Computer
) -> None:
    gate = asyncio.Event()
    app = TerminalApp(lambda c, r: GatedChannel(client.terminal(computer.id, cols=c, rows=r), gate))
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TerminalView)
        await pilot.pause()
        await type_line(pilot, "echo early-$((6*7)) in $PWD")
        assert not view.connected
        gate.set()
        await wait_for_text(pilot, view, "early-42 in /agent/data")


async def test_less_uses_the_alternate_screen_and_the_shell_comes_back(
    client: OrbClient, computer: Computer
) -> None:
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ready(pilot)
        await type_line(pilot, "echo before-less")
        await wait_for_text(pilot, view, "before-less\n")
        await type_line(pilot, "seq 1000 1300 | less")
        await wait_for(pilot, view, lambda: view.screen_model.alternate, "the alternate screen")
        await wait_for_text(pilot, view, "1010")
        assert "before-less" not in painted(view)
        await pilot.press("q")
        await wait_for(pilot, view, lambda: not view.screen_model.alternate, "the primary screen")
        await wait_for_text(pilot, view, "before-less\n")
        await type_line(pilot, "echo after-$((2+3))")
        await wait_for_text(pilot, view, "after-5")


async def test_a_resize_reaches_stty(client: OrbClient, computer: Computer) -> None:
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ready(pilot)
        await type_line(pilot, "stty size")
        await wait_for_text(pilot, view, "24 80")
        await pilot.resize_terminal(100, 30)
        await wait_for(pilot, view, lambda: view.screen_model.columns == 100, "the new width")
        await type_line(pilot, "clear; stty size")
        await wait_for_text(pilot, view, "30 100")


async def test_ctrl_c_stops_a_flood_and_the_prompt_returns(
    client: OrbClient, computer: Computer
) -> None:
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ready(pilot)
        await type_line(pilot, "yes $(printf 'flood-%.0s' {1..12})")
        await wait_for(pilot, view, lambda: view.fed > BACKLOG_LIMIT // 4, "the flood")
        await pilot.press("ctrl+c")
        await type_line(pilot, "echo stopped-$((40+2))")
        # What the socket buffers already hold still has to be drawn.
        await wait_for_text(pilot, view, "stopped-42", timeout=90)


async def test_the_shell_exiting_offers_enter_to_reconnect(
    client: OrbClient, computer: Computer
) -> None:
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ready(pilot)
        await type_line(pilot, "exit")
        await wait_for_text(pilot, view, "the shell exited — press Enter to reconnect")
        assert not view.connected
        await pilot.press("enter")
        await ready(pilot)
        await type_line(pilot, "echo again-$((3*3))")
        await wait_for_text(pilot, view, "again-9")


async def test_a_dropped_server_shows_why_and_reconnects(
    make_server: Callable[..., RunningServer], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = make_server(state)
    org = await register_org(first.url)
    clients = [OrbClient(first.url, org.api_key)]
    computer = await clients[0].create_computer("survivor")
    app = TerminalApp(lambda c, r: clients[-1].terminal(computer.id, cols=c, rows=r))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            view = await ready(pilot)
            first.stop()
            await wait_for_text(pilot, view, "reconnecting in")
            second = make_server(state)
            clients.append(OrbClient(second.url, org.api_key))
            await ready(pilot)
            await type_line(pilot, "echo back-$((5+5))")
            await wait_for_text(pilot, view, "back-10")
    finally:
        for orb in clients:
            await orb.aclose()


async def test_device_queries_are_answered_through_the_channel(
    client: OrbClient, computer: Computer
) -> None:
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ready(pilot)
        await type_line(
            pilot, "clear; printf '\\e[6n'; IFS= read -rs -d R pos; echo \"at${pos#*[}\""
        )
        await wait_for_text(pilot, view, "at1;1")


async def test_copy_screen_and_selection(client: OrbClient, computer: Computer) -> None:
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ready(pilot)
        await type_line(pilot, "clear; echo copy-me-please")
        await wait_for_text(pilot, view, "copy-me-please\n")
        assert "copy-me-please" in view.copy_screen()
        assert "copy-me-please" in app.clipboard
        row = painted(view).splitlines().index("copy-me-please")
        await pilot.mouse_down(view, offset=(0, row))
        await pilot.hover(view, offset=(6, row))
        await pilot.mouse_up(view, offset=(6, row))
        assert app.clipboard == "copy-me"


async def test_scrollback_with_shift_page_up(client: OrbClient, computer: Computer) -> None:
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ready(pilot)
        await type_line(pilot, "seq 101 160")
        await wait_for_text(pilot, view, "160\n")
        assert "\n120\n" not in painted(view)
        await pilot.press("shift+pageup")
        await wait_for_text(pilot, view, "\n120\n")
        await pilot.press("shift+pagedown")
        await wait_for(pilot, view, lambda: "\n120\n" not in painted(view), "the live screen")


async def test_read_only_refuses_input_with_a_message(
    client: OrbClient, computer: Computer
) -> None:
    app = TerminalApp(connector(client, computer), read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        view = await ready(pilot)
        await type_line(pilot, "echo refused-input")
        notes = [note.message for note in app._notifications]
        assert notes == ["read-only mode: terminal input refused"]
        app.read_only = False
        await type_line(pilot, "echo allowed-input")
        await wait_for_text(pilot, view, "allowed-input\n")
        assert "refused" not in painted(view)


async def test_ctrl_bracket_leaves_and_other_keys_stay(
    client: OrbClient, computer: Computer
) -> None:
    posted: list[Message] = []
    app = TerminalApp(connector(client, computer))
    async with app.run_test(size=(80, 24), message_hook=posted.append) as pilot:
        view = await ready(pilot)
        await pilot.press("tab", "escape", "q", "ctrl+c")
        assert app.focused is view
        assert not any(isinstance(m, TerminalView.LeaveRequested) for m in posted)
        await pilot.press("ctrl+right_square_bracket")
        assert any(isinstance(m, TerminalView.LeaveRequested) for m in posted)


class FloodChannel:
    """A channel that answers every recv with `chunk` until `total` is sent; records what it was sent."""

    def __init__(self, chunk: str, total: int) -> None:
        self.chunk = chunk.encode()
        self.left = total
        self.received = 0
        self.sent: list[str] = []
        self.supports_resize = False
        self.drained = asyncio.Event()

    async def connect(self) -> None:
        pass

    async def send(self, text: str) -> None:
        self.sent.append(text)

    async def recv(self) -> bytes:
        if self.left <= 0:
            self.drained.set()
            await asyncio.Event().wait()
        await asyncio.sleep(0)
        self.left -= len(self.chunk)
        self.received += len(self.chunk)
        return self.chunk

    async def resize(self, cols: int, rows: int) -> bool:
        return False

    async def close(self) -> None:
        pass


async def test_a_flood_is_held_back_and_keys_still_go_out() -> None:
    line = "".join(chr(0x41 + i % 26) for i in range(79)) + "\r\n"
    channel = FloodChannel(line * 800, total=8 * BACKLOG_LIMIT)
    app = TerminalApp(lambda c, r: channel)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TerminalView)
        started = time.monotonic()
        most = 0
        while view.fed < 3 * BACKLOG_LIMIT:
            most = max(most, channel.received - view.fed)
            await pilot.pause(0.01)
        await pilot.press("ctrl+c")
        assert channel.sent == ["\x03"]
        assert most <= BACKLOG_LIMIT + len(channel.chunk) + MAX_SLICE
        elapsed = time.monotonic() - started
        assert view.frames <= 30 * elapsed + 2


class ScriptChannel(FloodChannel):
    """A channel whose output the test writes, one recv per `put`."""

    def __init__(self) -> None:
        super().__init__("", total=0)
        self.script: asyncio.Queue[str] = asyncio.Queue()

    async def recv(self) -> bytes:
        return (await self.script.get()).encode()


async def test_synchronized_updates_hold_frames_until_they_end() -> None:
    channel = ScriptChannel()
    app = TerminalApp(lambda c, r: channel)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TerminalView)
        view.sync_timeout = 60.0
        await wait_for(pilot, view, lambda: view.connected, "the connection")
        assert "x" not in painted(view)
        channel.script.put_nowait("\x1b[?2026h" + "x" * 100)
        await wait_for(pilot, view, lambda: view.fed, "the first bytes")
        for _ in range(5):
            await pilot.pause(0.02)
        assert "x" not in painted(view)
        channel.script.put_nowait("\x1b[?2026l")
        await wait_for(pilot, view, lambda: "x" * 80 in painted(view), "the frame")


async def test_a_synchronized_update_that_never_ends_times_out() -> None:
    channel = ScriptChannel()
    app = TerminalApp(lambda c, r: channel)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TerminalView)
        view.sync_timeout = 0.05
        await wait_for(pilot, view, lambda: view.connected, "the connection")
        channel.script.put_nowait("\x1b[?2026h" + "y" * 100)
        await wait_for(pilot, view, lambda: "y" * 80 in painted(view), "the timeout frame")
        assert view.screen_model.synchronized


class ClosingChannel(FloodChannel):
    """A channel that closes abnormally on its first recv."""

    async def recv(self) -> bytes:
        raise TerminalClosedError(TerminalClosed(1006, "peer vanished"))


async def test_no_connector_means_no_connection() -> None:
    app = TerminalApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TerminalView)
        await pilot.pause()
        assert "no computer selected" in painted(view)
        channel = ClosingChannel("", total=0)
        view.set_connector(lambda c, r: channel)
        await wait_for_text(pilot, view, "connection lost: peer vanished — reconnecting in 0.5 s")


class SlowPacer(FramePacer):
    """Frames stretched as far as a long stream would stretch them, and further."""

    def __init__(self) -> None:
        super().__init__()
        self.interval = 60.0

    def frame(self, fed_total: int) -> None:
        pass


async def test_the_end_of_a_stream_is_painted_without_waiting_for_a_stretched_frame() -> None:
    channel = ScriptChannel()
    app = TerminalApp(lambda c, r: channel)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TerminalView)
        await wait_for(pilot, view, lambda: view.connected, "the connection")
        view._pacer = SlowPacer()
        channel.script.put_nowait("first\r\n")
        await wait_for_text(pilot, view, "first")  # a frame just went out: the next is 60 s away
        channel.script.put_nowait("x" * 40_000 + "\r\nthe-end")
        await wait_for_text(pilot, view, "the-end", timeout=5)
