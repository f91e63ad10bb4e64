"""The Config tab against the local server: edit and upload, drafts, conflicts, $EDITOR, local files."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList, TextArea

from orb_tui.api.client import OrbClient
from orb_tui.api.models import Computer
from orb_tui.ui.config_dialogs import ChoiceDialog
from orb_tui.ui.config_editor import ConfigEditor
from orb_tui.ui.widgets.computer_table import ComputerTable

COMMENTED = """\
# demo config: keep this comment
[agent]
name = "demo"      # the name
lang = "python"
entry = "agent.py"

# ports below
[ports]
expose = [8000]
"""


async def computer_with_config(client: OrbClient, text: str | None = COMMENTED) -> Computer:
    computer = await client.create_computer("cfg")
    if text is not None:
        await client.upload_config(computer.id, text)
    return computer


async def open_editor(app: Any, pilot: Any, until: Any) -> ConfigEditor:
    table = app.screen.query_one(ComputerTable)
    await until(pilot, lambda: table.row_count >= 1)
    await pilot.press("e")
    await until(pilot, lambda: bool(app.screen.query(ConfigEditor)))
    editor = app.screen.query_one(ConfigEditor)
    await until(pilot, lambda: editor._loaded)
    return editor


def problems_shown(editor: ConfigEditor) -> list[str]:
    options = editor.query_one("#config-problems", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_edit_and_upload_keeps_comments(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await computer_with_config(client)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        area = editor.query_one(TextArea)
        assert area.text == COMMENTED
        assert area.has_focus
        assert not editor.has_unsaved
        editor.goto(9, 15)  # just before the closing ] of expose
        await pilot.press(*", 9000")
        assert editor.has_unsaved
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not editor.has_unsaved)
        expected = COMMENTED.replace("[8000]", "[8000, 9000]")
        assert await client.get_config(computer.id) == expected
        assert "ports 8000, 9000" in str(editor.query_one("#config-summary").render())
        assert not list(app.paths.drafts_dir.glob("*.json"))


async def test_invalid_toml_is_never_uploaded(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await computer_with_config(client)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        editor.goto(3, 9)  # just after the opening quote of "demo"
        await pilot.press("backspace")
        area = editor.query_one(TextArea)
        assert area.document.get_line(2).startswith('name = demo"')
        await until(pilot, lambda: problems_shown(editor)[0].startswith("✖ 3:8 "))
        assert "invalid TOML" in problems_shown(editor)[0]
        area.cursor_location = (0, 0)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert area.cursor_location == (2, 7)  # moved to the problem
        assert any("not saved: 3:8: error: invalid TOML" in n.message for n in app._notifications)
        await app.workers.wait_for_complete()
        assert await client.get_config(computer.id) == COMMENTED
        assert editor.has_unsaved


async def test_choosing_a_problem_moves_the_cursor(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    await computer_with_config(client, COMMENTED.replace('lang = "python"', 'lang = "ruby"\nx = 1'))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        assert problems_shown(editor) == [
            '✖ 4:8 [agent] lang must be one of python, node, binary, go, rust (got "ruby")',
            '▲ 5:1 unknown key "x" in [agent]',
        ]
        options = editor.query_one("#config-problems", OptionList)
        options.focus()
        options.highlighted = 0
        await pilot.press("down", "enter")
        area = editor.query_one(TextArea)
        assert area.cursor_location == (4, 0)
        assert area.has_focus
        options.focus()
        await pilot.press("up", "enter")
        assert area.cursor_location == (3, 7)


async def test_a_draft_survives_closing_without_saving(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await computer_with_config(client)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        editor.goto(5, 19)
        await pilot.press(*" #x")
        edited = editor.query_one(TextArea).text
    assert 'entry = "agent.py" #x\n' in edited
    assert await client.get_config(computer.id) == COMMENTED

    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        assert editor.query_one(TextArea).text == edited
        assert editor.has_unsaved
        assert any("restored your unsaved draft" in n.message for n in app._notifications)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not editor.has_unsaved)
        assert not list(app.paths.drafts_dir.glob("*.json"))
    assert await client.get_config(computer.id) == edited


async def test_a_concurrent_change_is_caught_before_overwriting(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await computer_with_config(client)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        editor.goto(1, 1)
        await pilot.press(*"#m\n")
        theirs = COMMENTED.replace("python", "node").replace("agent.py", "index.js")
        await client.upload_config(computer.id, theirs)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        diff = str(app.screen.query_one("#diff").render())
        assert '-lang = "node"' in diff and '+lang = "python"' in diff and "+#m" in diff
        assert await client.get_config(computer.id) == theirs  # nothing written yet
        await pilot.click("#theirs")
        await until(pilot, lambda: editor.query_one(TextArea).text == theirs)
        assert not editor.has_unsaved
        assert await client.get_config(computer.id) == theirs

        await pilot.press("ctrl+z")  # the edits come back, then the server changes again
        await until(pilot, lambda: editor.has_unsaved)
        mine = editor.query_one(TextArea).text
        assert mine.startswith("#m")  # one undo step back: my edits, not the server's
        await client.upload_config(computer.id, COMMENTED)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.click("#mine")
        await until(pilot, lambda: not editor.has_unsaved)
        assert await client.get_config(computer.id) == mine
