"""The Config tab against the local server: edit and upload, drafts, conflicts, $EDITOR, local files."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList, Static, TextArea

from orb_tui.api.client import OrbClient
from orb_tui.api.models import Computer
from orb_tui.config.orb_toml import starter_template
from orb_tui.ui.config_dialogs import ActionsDialog, ChoiceDialog, FieldsDialog
from orb_tui.ui.config_editor import ConfigEditor
from orb_tui.ui.config_support import editor_command
from orb_tui.ui.widgets.computer_table import ComputerTable

QUIET = 30.0
"""Poll seldom: these tests are about the editor, and each poll repaints the dimmed screen under a dialog."""

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


def showing(app: Any, dialog: type) -> bool:
    """True once a dialog of this type is on top, focused and laid out (ready for keys and clicks)."""
    focused = app.focused
    if not isinstance(app.screen, dialog) or focused is None or focused.screen is not app.screen:
        return False
    return bool(focused.region.width)


def problems_shown(editor: ConfigEditor) -> list[str]:
    options = editor.query_one("#config-problems", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_edit_and_upload_keeps_comments(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await computer_with_config(client)
    app = make_test_app(poll_interval=QUIET)
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
    app = make_test_app(poll_interval=QUIET)
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
    app = make_test_app(poll_interval=QUIET)
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
        # from the editor itself (where Tab indents), F8 walks the problems and wraps
        await pilot.press("f8")
        assert area.cursor_location == (4, 0) and area.has_focus
        await pilot.press("f8")
        assert area.cursor_location == (3, 7)


async def test_a_draft_survives_closing_without_saving(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await computer_with_config(client)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        editor.goto(5, 19)
        await pilot.press(*" #x")
        edited = editor.query_one(TextArea).text
    assert 'entry = "agent.py" #x\n' in edited
    assert await client.get_config(computer.id) == COMMENTED

    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        assert editor.query_one(TextArea).text == edited
        assert editor.has_unsaved
        # the notice is a message to the app, handled after the editor loaded the draft
        await until(
            pilot,
            lambda: any("restored your unsaved draft" in n.message for n in app._notifications),
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not editor.has_unsaved)
        assert not list(app.paths.drafts_dir.glob("*.json"))
    assert await client.get_config(computer.id) == edited


async def test_a_concurrent_change_is_caught_before_overwriting(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await computer_with_config(client)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        editor.goto(1, 1)
        await pilot.press(*"#m\n")
        theirs = COMMENTED.replace("python", "node").replace("agent.py", "index.js")
        await client.upload_config(computer.id, theirs)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: showing(app, ChoiceDialog))
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
        await until(pilot, lambda: showing(app, ChoiceDialog))
        await pilot.click("#mine")
        await until(pilot, lambda: not editor.has_unsaved)
        assert await client.get_config(computer.id) == mine


async def test_an_older_upload_of_ours_landing_late_is_not_a_conflict(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    """An upload given up on (a timeout) can reach the server after a later one: the next save
    must see the server text as ours, not ask the user to choose between two of their own edits."""
    computer = await computer_with_config(client)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        area = editor.query_one(TextArea)
        texts = []
        for number in range(3):
            area.insert(f"# edit {number}\n", area.document.end)
            texts.append(area.text)
            if number == 2:
                await client.upload_config(computer.id, texts[0])  # edit 0 lands late
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not editor.has_unsaved or showing(app, ChoiceDialog))
            assert not isinstance(app.screen, ChoiceDialog), "our own upload taken for a conflict"
            assert await client.get_config(computer.id) == texts[-1]


SCRIPTED_EDITOR = """\
import sys
from pathlib import Path

path = Path(sys.argv[-1])
text = path.read_text()
Path(sys.argv[1]).write_text(text)  # what the editor was given
path.write_text(text.replace('lang = "python"', 'lang = "node"') + sys.argv[2])
"""


async def test_external_editor_round_trip(
    client: OrbClient, make_test_app: Any, until: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    await computer_with_config(client)
    script = tmp_path / "editor.py"
    script.write_text(SCRIPTED_EDITOR)
    seen = tmp_path / "seen.toml"
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script} {seen} 'oops = [\n'")
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        editor.suspend = contextlib.nullcontext  # run_test cannot suspend; the rest is real
        await pilot.press("ctrl+o")
        area = editor.query_one(TextArea)
        assert seen.read_text() == COMMENTED
        assert area.text == COMMENTED.replace("python", "node") + "oops = [\n"
        assert problems_shown(editor)[0].startswith("✖ 11:1 invalid TOML")
        assert editor.has_unsaved
        await pilot.press("ctrl+z")  # one undo takes the whole round trip back
        assert area.text == COMMENTED

        monkeypatch.setenv("VISUAL", "false")  # an editor that fails leaves the buffer alone
        await pilot.press("ctrl+o")
        assert area.text == COMMENTED
        monkeypatch.setenv("VISUAL", str(tmp_path / "no-such-editor"))
        await pilot.press("ctrl+o")
        assert area.text == COMMENTED
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("false exited with 1; the buffer is unchanged") for m in messages)
        assert any(m.startswith("cannot run the editor: ") for m in messages)


async def test_editor_command_order() -> None:
    assert editor_command({"VISUAL": "code -w", "EDITOR": "nano"}) == ["code", "-w"]
    assert editor_command({"VISUAL": " ", "EDITOR": "nano -R"}) == ["nano", "-R"]
    assert editor_command({}) == ["vi"]


async def test_quick_edits_keep_comments(client: OrbClient, make_test_app: Any, until: Any) -> None:
    computer = await computer_with_config(client)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        await pilot.press("ctrl+g")
        await until(pilot, lambda: showing(app, ActionsDialog))
        await pilot.press("enter")  # the first entry: expose a port
        await until(pilot, lambda: showing(app, FieldsDialog))
        await pilot.press("ctrl+u", *"99999", "enter")
        assert "1 to 65535" in str(app.screen.query_one("#error").render())
        await pilot.press("ctrl+u", *"3000", "enter")
        area = editor.query_one(TextArea)
        await until(pilot, lambda: "expose = [8000, 3000]" in area.text)
        await pilot.press("ctrl+g")
        await until(pilot, lambda: showing(app, ActionsDialog))
        await pilot.press("down", "down", "enter")  # set an env var
        await until(pilot, lambda: showing(app, FieldsDialog))
        await pilot.press("T", "tab", *"${T}", "enter")
        await until(pilot, lambda: 'T = "${T}"' in area.text)
        expected = COMMENTED.replace("[8000]", "[8000, 3000]").replace(
            "\n# ports below", '\n[agent.env]\nT = "${T}"\n\n# ports below'
        )
        assert area.text == expected
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not editor.has_unsaved)
        assert await client.get_config(computer.id) == expected


async def test_a_computer_without_config_starts_from_the_template(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    computer = await computer_with_config(client, None)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        area = editor.query_one(TextArea)
        assert area.text == starter_template("cfg")
        assert not editor.has_unsaved
        assert "not saved yet" in str(editor.query_one("#config-header").render())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: editor.base is not None)
        assert await client.get_config(computer.id) == starter_template("cfg")


async def test_read_only_refuses_to_save(client: OrbClient, make_test_app: Any, until: Any) -> None:
    computer = await computer_with_config(client)
    app = make_test_app(read_only=True, poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        await pilot.press(*"#")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        assert any("read-only mode: config save refused" in n.message for n in app._notifications)
        assert editor.has_unsaved
    assert await client.get_config(computer.id) == COMMENTED


async def test_leaving_with_unsaved_edits_asks(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    await computer_with_config(client)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        assert await editor.confirm_leave()  # nothing to ask about
        await pilot.press(*"#x")
        answers: list[bool] = []

        async def leave() -> None:
            answers.append(await editor.confirm_leave())

        app.run_worker(leave())
        await until(pilot, lambda: showing(app, ChoiceDialog))
        await pilot.press("escape")

        await until(pilot, lambda: answers == [False])
        assert editor.has_unsaved
        app.run_worker(leave())
        await until(pilot, lambda: showing(app, ChoiceDialog))
        await pilot.click("#discard")
        await until(pilot, lambda: answers == [False, True] and not editor.has_unsaved)
        assert editor.query_one(TextArea).text == COMMENTED
        assert not list(app.paths.drafts_dir.glob("*.json"))


async def test_local_file_open_save_and_upload(
    client: OrbClient, make_test_app: Any, until: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    computer = await computer_with_config(client)
    monkeypatch.chdir(tmp_path)  # the open dialog offers ./orb.toml
    local = tmp_path / "orb.toml"
    local.write_text(COMMENTED.replace("demo", "local"))
    local.chmod(0o640)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: showing(app, FieldsDialog))
        await pilot.press("enter")
        area = editor.query_one(TextArea)
        await until(pilot, lambda: editor._loaded and 'name = "local"' in area.text)
        assert f"local file {local}" in str(editor.query_one("#config-header").render())
        area.cursor_location = (0, 0)
        await pilot.press("#", "enter")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not editor.has_unsaved)
        saved = local.read_text()
        assert saved == "#\n" + COMMENTED.replace("demo", "local")
        assert local.stat().st_mode & 0o777 == 0o640
        assert await client.get_config(computer.id) == COMMENTED  # the file went to disk only

        await pilot.press("ctrl+g")
        await until(pilot, lambda: showing(app, ActionsDialog))
        await pilot.press("end", "up", "enter")  # upload this file to the computer
        await until(pilot, lambda: showing(app, ChoiceDialog))
        assert '+name = "local"' in str(app.screen.query_one("#diff").render())
        await pilot.click("#upload")
        await until(pilot, lambda: editor.summary.startswith("agent local"))
        assert await client.get_config(computer.id) == saved


async def test_schema_errors_ask_and_the_agent_quick_edit_fixes_them(
    client: OrbClient, make_test_app: Any, until: Any
) -> None:
    ruby = COMMENTED.replace('lang = "python"', 'lang = "ruby"')
    computer = await computer_with_config(client, ruby)
    app = make_test_app(poll_interval=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(app, pilot, until)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: showing(app, ChoiceDialog))
        body = str(app.screen.query_one("#body", Static).render())
        assert "1 schema error; the first is at 4:8: error: [agent] lang must be one of" in body
        await pilot.press("enter")  # "Keep editing" has the focus
        await app.workers.wait_for_complete()
        assert await client.get_config(computer.id) == ruby
        await pilot.press("ctrl+g")
        await until(pilot, lambda: showing(app, ActionsDialog))
        await pilot.press("down", "down", "down", "enter")  # switch lang / entry
        await until(pilot, lambda: showing(app, FieldsDialog))
        inputs = app.screen.query(Input)
        assert [i.value for i in inputs] == ["ruby", "agent.py"]
        await pilot.press("enter")
        assert "lang is one of python" in str(app.screen.query_one("#error").render())
        await pilot.press("ctrl+u", *"go", "enter")
        area = editor.query_one(TextArea)
        await until(pilot, lambda: 'lang = "go"' in area.text)
        assert area.text == COMMENTED.replace('lang = "python"', 'lang = "go"')
        assert problems_shown(editor) == ["✓ no problems"]
        await pilot.press("ctrl+s")  # no errors now: no question
        await until(pilot, lambda: not editor.has_unsaved)
        assert await client.get_config(computer.id) == area.text
