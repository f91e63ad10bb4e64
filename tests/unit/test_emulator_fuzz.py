"""Random input never makes TerminalScreen.feed() raise or break the screen's shape."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orb_tui.ui.terminal.emulator import TerminalScreen
from orb_tui.ui.terminal.renderer import StripRenderer

# Pieces that hit the parser's edges: escape starts, parameters, finals, strings, wide text.
_PIECES = st.sampled_from(
    [
        "\x1b",
        "\x1b[",
        "\x1b]",
        "\x1bP",
        "\x1b_",
        "\x1b\\",
        "\x07",
        "?",
        ">",
        ";",
        ":",
        "1",
        "38",
        "5",
        "2",
        "999",
        "m",
        "h",
        "l",
        "r",
        "J",
        "K",
        "H",
        "b",
        "@",
        "P",
        "S",
        "T",
        "$p",
        "1049",
        "2026",
        "\r\n",
        "\t",
        "\x08",
        "中",
        "\u0301",
        "\ufe0f",
        "\u200d",
        "x",
    ]
)
_CHUNKS = st.lists(
    st.one_of(st.binary(max_size=64).map(lambda b: b.decode("utf-8", "replace")), _PIECES),
    max_size=60,
)


def check_shape(screen: TerminalScreen) -> None:
    assert len(screen.buffer) == screen.lines
    assert all(len(row) == screen.columns for row in screen.buffer)
    assert 0 <= screen.cursor.y < screen.lines
    assert 0 <= screen.cursor.x <= screen.columns


@settings(max_examples=300, deadline=None)
@given(chunks=_CHUNKS, columns=st.integers(1, 30), lines=st.integers(1, 8))
def test_random_input_never_raises(chunks: list[str], columns: int, lines: int) -> None:
    screen = TerminalScreen(columns, lines, scrollback=20)
    answers: list[str] = []
    screen.reply = answers.append
    renderer = StripRenderer()
    for chunk in chunks:
        screen.feed(chunk)
        check_shape(screen)
    for y in range(lines):
        assert renderer.render_row(screen, y, scroll_offset=3).cell_length == columns
        assert renderer.render_row(screen, y).cell_length == columns


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400), split=st.integers(0, 400))
def test_random_bytes_never_raise_wherever_they_are_split(data: bytes, split: int) -> None:
    text = data.decode("utf-8", "replace")
    screen = TerminalScreen(20, 5)
    screen.feed(text[:split])
    screen.feed(text[split:])
    check_shape(screen)
    screen.feed("\x1b\\\x1b[0m\x1b[H\x1b[2Kok")
    assert screen.text_lines()[0].startswith("ok")
