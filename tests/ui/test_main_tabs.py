"""The per-computer tabs against the local server: agents, files, build and exec."""

from __future__ import annotations

import re
from typing import Any

from textual.widgets import Collapsible, Input, OptionList, RichLog, Static, TextArea, Tree

from orb_tui.api.client import OrbClient
from orb_tui.api.models import AgentState, Computer
from orb_tui.ui.widgets.agents_tab import AgentsTab
from orb_tui.ui.widgets.build_tab import BuildTab
from orb_tui.ui.widgets.computer_table import ComputerTable
from orb_tui.ui.widgets.exec_tab import ExecTab
from orb_tui.ui.widgets.files_tab import FilesTab

CONFIG = """\
[agent]
name = "sleeper"
lang = "python"
entry = "agent.py"

[build]
working_dir = "/agent/data"
steps = ["echo compiled-ok", "sleep 0.4; echo broken-step >&2; exit 3"]
"""
SETUP = (
    "mkdir -p /agent/code && printf 'import time\\nwhile True:\\n    time.sleep(1)\\n'"
    " > /agent/code/agent.py && head -c 3000 /dev/urandom > blob.bin"
    " && head -c 2000000 /dev/zero | tr '\\0' x > huge.txt && printf 'x = 1\\n' > hello.py"
)


async def prepared(client: OrbClient) -> Computer:
    computer = await client.create_computer("tabs")
    await client.upload_config(computer.id, CONFIG)
    result = await client.exec(computer.id, SETUP)
    assert result.exit_code == 0, result.stderr
    return computer


def text_of(widget: Static) -> str:
    return str(widget.render())


async def test_agents_deploy_sleep_wake(client: OrbClient, make_test_app: Any, until: Any) -> None:
    computer = await prepared(client)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        await pilot.press("p")
        tab = app.screen.query_one(AgentsTab)
        await until(pilot, lambda: tab.table.row_count == 1, timeout=20)
        await until(pilot, lambda: tab.agents[0].state is AgentState.RUNNING)
        row = [str(c) for c in tab.table.get_row_at(0)]
        assert row[0] == str(tab.agents[0].pid) and row[2] == "running"
        assert tab.table.has_focus
        await pilot.press("s")
        await until(pilot, lambda: tab.agents[0].state is AgentState.CHECKPOINTED, timeout=20)
        assert str(tab.table.get_row_at(0)[2]) == "checkpointed"
        assert (await client.list_agents(computer.id))[0].state is AgentState.CHECKPOINTED
        await pilot.press("w")
        await until(pilot, lambda: tab.agents[0].state is AgentState.RUNNING, timeout=20)
        assert (await client.list_agents(computer.id))[0].state is AgentState.RUNNING
        await until(pilot, lambda: str(table.get_row_at(0)[3]) == "1")


async def test_files_tree_and_viewer(client: OrbClient, make_test_app: Any, until: Any) -> None:
    await prepared(client)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        await pilot.press("f")
        files = app.screen.query_one(FilesTab)
        tree: Tree[Any] = files.file_tree
        assert tree.has_focus
        await until(pilot, lambda: "data/" in labels(tree.root))
        data = child(tree.root, "data/")
        data.expand()
        await until(pilot, lambda: "hello.py" in labels(data))
        info = files.query_one("#files-info", Static)
        viewer = files.query_one(TextArea)
        tree.select_node(child(data, "hello.py"))
        await until(pilot, lambda: viewer.text == "x = 1\n")
        assert viewer.language == "python"
        tree.select_node(child(data, "blob.bin"))
        await until(pilot, lambda: "binary file" in text_of(info))
        assert viewer.text == ""
        tree.select_node(child(data, "huge.txt"))
        await until(pilot, lambda: "too large to show" in text_of(info))
        assert "1.9 MiB" in text_of(info)


def labels(node: Any) -> list[str]:
    return [str(c.label) for c in node.children]


def child(node: Any, label: str) -> Any:
    return next(c for c in node.children if str(c.label) == label)


async def test_build_runs_shows_steps_and_searches(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await prepared(client)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        await app.screen.run_action("build")  # the same action as `b`, without Pilot's settling
        tab = app.screen.query_one(BuildTab)
        status = tab.query_one("#build-status", Static)
        # a spinner ticks the seconds: on a busy machine the first shown may be past 0.0
        assert re.search(r"building… \d+\.\d s", text_of(status)), text_of(status)
        await until(pilot, lambda: tab.running_since is None, timeout=30)
        assert "Build failed" in text_of(status)
        steps = list(tab.query(Collapsible))
        assert [s.title for s in steps][1].startswith("✖ exit 3")
        assert "sleep 0.4" in steps[1].title
        assert "exit 3" in steps[1].title and "exit 0" in steps[0].title
        assert steps[0].collapsed and not steps[1].collapsed
        await pilot.press("b")
        await until(pilot, lambda: tab.running_since is None, timeout=30)
        assert tab.query_one(OptionList).option_count == 2
        assert len(await client.list_builds(computer.id)) == 2
        tab.focus_main()
        await pilot.press("slash")
        field = tab.query_one("#build-search-input", Input)
        assert field.has_focus
        await pilot.press(*"compiled")
        steps = list(tab.query(Collapsible))
        assert not steps[0].collapsed and steps[1].collapsed
        assert "1 match" in text_of(status)
        await pilot.press("escape")
        assert tab.query_one(OptionList).has_focus


async def test_exec_output_and_history(client: OrbClient, make_test_app: Any, until: Any) -> None:
    await prepared(client)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(ComputerTable)
        await until(pilot, lambda: table.row_count == 1)
        await pilot.press("x")
        tab = app.screen.query_one(ExecTab)
        line = tab.command_line
        assert line.has_focus
        await pilot.press(*"echo out;echo err>&2;exit 4", "enter")
        log = tab.query_one(RichLog)
        await until(pilot, lambda: "exit 4 ·" in log_text(log))
        text = log_text(log)
        assert "$ echo out;" in text and "\nout\n" in text and "\nerr\n" in text
        assert " ms" in text
        await pilot.press(*"pwd", "enter")
        await until(pilot, lambda: "/agent/data" in log_text(log))
        await pilot.press("up")
        assert line.value == "pwd"
        await pilot.press("up")
        assert line.value.startswith("echo out")
        await pilot.press("down", "down")
        assert line.value == ""


def log_text(log: RichLog) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in log.lines)
