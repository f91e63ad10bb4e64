"""Structured orb.toml edits: exact results, and every comment and blank line elsewhere kept."""

from __future__ import annotations

import difflib
import re

import pytest

from orb_tui.config.orb_toml import (
    EditError,
    add_build_step,
    add_port,
    check,
    set_agent,
    set_env,
    set_key,
)

COMMENTED = """\
# Header comment: keep me.
[agent]   # the agent
name = "demo"        # shown in the table
lang = "python"      # how to run it
entry = "agent.py"

# between sections

[build]
steps = [
  "pip install -r requirements.txt",  # deps
]

[ports]
expose = [8000]  # web

# trailing comment
"""


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines removed from `before` and the lines added in `after`."""
    removed: list[str] = []
    added: list[str] = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_add_port_touches_only_the_expose_line() -> None:
    after = add_port(COMMENTED, 9000)
    assert changed_lines(COMMENTED, after) == (
        ["expose = [8000]  # web"],
        ["expose = [8000, 9000]  # web"],
    )
    assert check(after).problems == ()


def test_add_port_that_is_there_changes_nothing() -> None:
    assert add_port(COMMENTED, 8000) == COMMENTED


def test_add_build_step_keeps_the_multiline_array_and_its_comment() -> None:
    after = add_build_step(COMMENTED, 'python -m pytest -k "not slow"')
    assert changed_lines(COMMENTED, after) == (
        [],
        ['  "python -m pytest -k \\"not slow\\"",'],
    )
    data = check(after).data
    assert data is not None
    assert data["build"]["steps"][-1] == 'python -m pytest -k "not slow"'


def test_set_env_adds_a_table_after_agent_and_nothing_else() -> None:
    after = set_env(COMMENTED, "LOG_LEVEL", "debug")
    table = '[agent.env]\nLOG_LEVEL = "debug"\n\n'
    # above the comment that introduces [build], not between the two
    assert after == COMMENTED.replace("# between sections", table + "# between sections")
    data = check(after).data
    assert data is not None
    assert data["agent"]["env"] == {"LOG_LEVEL": "debug"}


def test_set_env_twice_replaces_the_value() -> None:
    once = set_env(COMMENTED, "A", "1")
    twice = set_env(once, "A", "2")
    assert changed_lines(once, twice) == (['A = "1"'], ['A = "2"'])


def test_set_env_into_an_inline_table() -> None:
    text = '[agent]\nname = "a"\nlang = "go"\nentry = "a"\nenv = { A = "1" }  # inline\n'
    after = set_env(text, "B", "${SECRET}")
    data = check(after).data
    assert data is not None
    assert data["agent"]["env"] == {"A": "1", "B": "${SECRET}"}
    assert after.endswith("  # inline\n")


def test_set_agent_keeps_inline_comments() -> None:
    after = set_agent(COMMENTED, lang="node", entry="dist/index.js")
    assert changed_lines(COMMENTED, after) == (
        ['lang = "python"      # how to run it', 'entry = "agent.py"'],
        ['lang = "node"      # how to run it', 'entry = "dist/index.js"'],
    )


def test_set_agent_on_an_empty_file_makes_a_valid_config() -> None:
    after = set_agent("", name="new", lang="rust", entry="target/release/new")
    assert after == '[agent]\nname = "new"\nlang = "rust"\nentry = "target/release/new"\n'
    assert check(after).problems == ()


def test_new_sections_go_at_the_end_after_a_blank_line() -> None:
    text = '[agent]\nname = "a"\nlang = "go"\nentry = "a"\n'
    after = add_port(text, 3000)
    assert after == text + "\n[ports]\nexpose = [3000]\n"
    after = add_build_step(after, "go build ./...")
    assert after == text + '\n[ports]\nexpose = [3000]\n\n[build]\nsteps = ["go build ./..."]\n'


def test_set_key_in_a_new_section() -> None:
    after = set_key(COMMENTED, "lifecycle", "idle_timeout", "120s")
    removed, added = changed_lines(COMMENTED, after)
    assert removed == []
    assert added == ["", "[lifecycle]", 'idle_timeout = "120s"']
    assert after.startswith(COMMENTED)


def test_edits_keep_crlf_lines_elsewhere() -> None:
    text = COMMENTED.replace("\n", "\r\n")
    after = add_port(text, 9000)
    assert after.replace("expose = [8000, 9000]", "expose = [8000]") == text


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: add_port(t, 0), "0 is not a port number (1-65535)"),
        (lambda t: add_port(t, 70000), "70000 is not a port number (1-65535)"),
        (lambda t: add_build_step(t, "  "), "a build step cannot be empty"),
        (lambda t: set_env(t, "1BAD", "x"), '"1BAD" is not a valid environment variable name'),
        (lambda t: set_agent(t, lang="ruby"), "lang must be one of python, node, binary, go, rust"),
        (lambda t: add_port('[ports]\nexpose = "8000"\n', 1), "[ports] expose is a string"),
        (lambda t: set_env('agent = "x"\n', "A", "1"), "agent is not a table"),
        (lambda t: add_port("[ports\n", 1), "1:7: error: invalid TOML"),
    ],
)
def test_edits_refuse_what_they_cannot_do(edit: object, message: str) -> None:
    with pytest.raises(EditError, match=re.escape(message)):
        edit(COMMENTED)  # type: ignore[operator]
