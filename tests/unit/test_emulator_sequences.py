"""TerminalScreen: SGR, modes, alternate screen, scrollback, replies and hostile input."""

from __future__ import annotations

import pytest

from orb_tui.ui.terminal.emulator import TerminalScreen


def screen_with(data: str, columns: int = 10, lines: int = 4) -> TerminalScreen:
    screen = TerminalScreen(columns, lines)
    screen.feed(data)
    return screen


def rows(screen: TerminalScreen) -> list[str]:
    return [line.rstrip() for line in screen.text_lines()]


def first_cell(data: str) -> object:
    return screen_with(data + "x").buffer[0][0]


@pytest.mark.parametrize(
    ("sgr", "field", "value"),
    [
        ("1", "bold", True),
        ("2", "dim", True),
        ("3", "italics", True),
        ("4", "underscore", True),
        ("4:3", "underscore", True),
        ("5", "blink", True),
        ("7", "reverse", True),
        ("9", "strikethrough", True),
        ("31", "fg", "red"),
        ("33", "fg", "brown"),
        ("42", "bg", "green"),
        ("95", "fg", "brightmagenta"),
        ("105", "bg", "brightmagenta"),
        ("38;5;3", "fg", "brown"),
        ("38;5;12", "fg", "brightblue"),
        ("38;5;208", "fg", "ff8700"),
        ("48;5;17", "bg", "00005f"),
        ("38;2;1;2;3", "fg", "010203"),
        ("48;2;255;128;0", "bg", "ff8000"),
        ("38:5:208", "fg", "ff8700"),
        ("38:2::1:2:3", "fg", "010203"),
        ("38:2:1:2:3", "fg", "010203"),
        ("48:2:0:10:20:30", "bg", "0a141e"),
    ],
)
def test_sgr_sets_attributes(sgr: str, field: str, value: object) -> None:
    assert getattr(first_cell(f"\x1b[{sgr}m"), field) == value


@pytest.mark.parametrize(
    ("sgr", "field"),
    [
        ("1;22", "bold"),
        ("2;22", "dim"),
        ("3;23", "italics"),
        ("4;24", "underscore"),
        ("4;4:0", "underscore"),
        ("7;27", "reverse"),
        ("9;29", "strikethrough"),
        ("1;3;4;0", "bold"),
        ("1;m\x1b[", "bold"),
    ],
)
def test_sgr_clears_attributes(sgr: str, field: str) -> None:
    assert getattr(first_cell(f"\x1b[{sgr}m"), field) is False


def test_sgr_default_colours_and_empty_reset() -> None:
    assert first_cell("\x1b[31;44m\x1b[39;49m")[1:3] == ("default", "default")  # type: ignore[index]
    assert first_cell("\x1b[31;1m\x1b[m") == screen_with("x").buffer[0][0]


def test_underline_colour_is_consumed_not_applied() -> None:
    cell = first_cell("\x1b[58;2;1;2;3;1m\x1b[58:5:9m")
    assert cell.bold is True  # type: ignore[attr-defined]
    assert cell.fg == "default"  # type: ignore[attr-defined]


def test_sgr_attributes_apply_only_to_following_text() -> None:
    screen = screen_with("a\x1b[31mb\x1b[0mc")
    assert [cell.fg for cell in screen.buffer[0][:3]] == ["default", "red", "default"]


@pytest.mark.parametrize(
    "sequence",
    ["\x1b[>4;2m", "\x1b[?1;2r", "\x1b[>c\x1b[=c", "\x1b[<1u", "\x1b[?u", "\x1b[>1u", "\x1b[=5u"],
)
def test_private_and_prefixed_csi_variants_are_tolerated(sequence: str) -> None:
    screen = screen_with(f"ab{sequence}cd")
    assert rows(screen)[0] == "abcd"


@pytest.mark.parametrize(
    "string",
    [
        "\x1bPq#0;2;0;0;0#0!10~\x1b\\",
        "\x1b_Gf=24,s=1;AAAA\x1b\\",
        "\x1b^privacy\x1b\\",
        "\x1bXstart of string\x9c",
        "\x1bP+q544e\x1b\\",
    ],
)
def test_dcs_apc_pm_sos_strings_are_swallowed(string: str) -> None:
    assert rows(screen_with(f"ab{string}cd"))[0] == "abcd"


def test_a_swallowed_string_may_span_feeds() -> None:
    screen = screen_with("ab\x1bPq" + "#0;2" * 100)
    for _ in range(10):
        screen.feed("~-" * 5000)
    screen.feed("~~\x1b")
    screen.feed("\\cd")
    assert rows(screen)[0] == "abcd"


def test_sequences_split_across_feeds_are_joined() -> None:
    screen = TerminalScreen(10, 4)
    for part in ["a\x1b", "[3", "1", "mb\x1b]2;ti", "tle\x07", "c"]:
        screen.feed(part)
    assert rows(screen)[0] == "abc"
    assert screen.buffer[0][1].fg == "red"
    assert screen.title == "title"


def test_osc_titles_with_bel_or_st() -> None:
    screen = screen_with("\x1b]0;both\x07\x1b]2;only\ttitle\n\x1b\\x")
    assert screen.title == "onlytitle"  # controls are dropped
    assert screen.icon_name == "both"
    assert rows(screen)[0] == "x"


def test_other_osc_strings_are_ignored() -> None:
    screen = screen_with("a\x1b]8;;http://x\x1b\\b\x1b]8;;\x1b\\\x1b]52;c;aGk=\x07c")
    assert rows(screen)[0] == "abc"


def test_alternate_screen_1049_saves_cursor_and_restores_primary() -> None:
    screen = screen_with("prompt$ \x1b[?1049h")
    assert screen.alternate
    assert rows(screen) == ["", "", "", ""]
    screen.feed("\x1b[3;3Heditor")
    assert rows(screen)[2] == "  editor"
    screen.feed("\x1b[?1049l")
    assert not screen.alternate
    assert rows(screen) == ["prompt$", "", "", ""]
    assert (screen.cursor.x, screen.cursor.y) == (8, 0)


def test_alternate_screen_is_cleared_on_each_1049_entry() -> None:
    screen = screen_with("\x1b[?1049hold\x1b[?1049l\x1b[?1049h")
    assert rows(screen)[0] == ""


def test_alternate_screen_47_keeps_its_content_and_1047_clears_on_exit() -> None:
    screen = screen_with("main\x1b[?47h\x1b[Halt\x1b[?47l")
    assert rows(screen)[0] == "main"
    screen.feed("\x1b[?47h")
    assert rows(screen)[0] == "alt"
    screen.feed("\x1b[?47l\x1b[?1047h")
    assert rows(screen)[0] == ""
    screen.feed("\x1b[Hagain\x1b[?1047l\x1b[?47h")
    assert rows(screen)[0] == ""


def test_scrollback_keeps_lines_leaving_the_primary_screen() -> None:
    screen = screen_with("\r\n".join(f"line {n}" for n in range(10)))
    assert [("".join(c.data for c in row)).rstrip() for row in screen.scrollback] == [
        f"line {n}" for n in range(6)
    ]
    assert rows(screen) == [f"line {n}" for n in range(6, 10)]


def test_scrollback_is_bounded() -> None:
    screen = TerminalScreen(10, 4, scrollback=3)
    screen.feed("\r\n" * 20)
    assert len(screen.scrollback) == 3


def test_alternate_screen_and_inner_regions_do_not_feed_the_scrollback() -> None:
    screen = screen_with("\x1b[?1049h" + "x\r\n" * 10 + "\x1b[?1049l\x1b[2;4r\x1b[4;1H" + "\n" * 5)
    assert not screen.scrollback


def test_erase_saved_lines_clears_only_the_scrollback() -> None:
    screen = screen_with("\r\n".join("abcdef"))
    screen.feed("\x1b[3J")
    assert not screen.scrollback
    assert rows(screen) == ["c", "d", "e", "f"]


def test_row_at_reads_back_into_the_scrollback() -> None:
    screen = screen_with("\r\n".join("abcdef"))
    assert screen.row_at(0, scroll_offset=2)[0].data == "a"  # type: ignore[index]
    assert screen.row_at(2, scroll_offset=2)[0].data == "c"  # type: ignore[index]
    assert screen.row_at(0, scroll_offset=3) is None


@pytest.mark.parametrize(
    ("sequence", "attribute", "on", "off"),
    [
        ("1", "app_cursor", True, False),
        ("2004", "bracketed_paste", True, False),
        ("2026", "synchronized", True, False),
        ("1006", "mouse_sgr", True, False),
        ("1004", "focus_events", True, False),
        ("9", "mouse_mode", 9, 0),
        ("1000", "mouse_mode", 1000, 0),
        ("1002", "mouse_mode", 1002, 0),
        ("1003", "mouse_mode", 1003, 0),
        ("25", "cursor_hidden", False, True),
        ("5", "reverse_video", True, False),
    ],
)
def test_private_modes(sequence: str, attribute: str, on: object, off: object) -> None:
    screen = screen_with(f"\x1b[?{sequence}h")
    assert getattr(screen, attribute) == on
    screen.feed(f"\x1b[?{sequence}l")
    assert getattr(screen, attribute) == off


def test_several_modes_in_one_sequence_and_keypad_mode() -> None:
    screen = screen_with("\x1b[?1;2004;1000h\x1b=")
    assert (screen.app_cursor, screen.bracketed_paste, screen.mouse_mode) == (True, True, 1000)
    assert screen.app_keypad
    screen.feed("\x1b>")
    assert not screen.app_keypad


def test_cursor_shape_is_recorded() -> None:
    assert screen_with("\x1b[5 q").cursor_shape == 5


def replies(data: str) -> list[str]:
    screen = TerminalScreen(10, 4)
    answers: list[str] = []
    screen.reply = answers.append
    screen.feed(data)
    return answers


def test_device_attributes_are_answered() -> None:
    assert replies("\x1b[c") == ["\x1b[?62;22c"]
    assert replies("\x1b[0c") == ["\x1b[?62;22c"]
    assert replies("\x1b[>c") == ["\x1b[>1;10;0c"]


def test_device_status_and_cursor_position_reports() -> None:
    assert replies("\x1b[5n") == ["\x1b[0n"]
    assert replies("\x1b[3;7H\x1b[6n") == ["\x1b[3;7R"]
    assert replies("\x1b[2;5H\x1b[?6n") == ["\x1b[?2;5R"]
    assert replies("020276789\x1b[6n") == ["\x1b[1;10R"]


def test_mode_reports() -> None:
    assert replies("\x1b[?2026$p") == ["\x1b[?2026;2$y"]
    assert replies("\x1b[?2026h\x1b[?2026$p") == ["\x1b[?2026;1$y"]
    assert replies("\x1b[?2027$p") == ["\x1b[?2027;0$y"]


def test_without_a_reply_hook_queries_are_dropped() -> None:
    assert rows(screen_with("a\x1b[6nb"))[0] == "ab"


def test_a_failing_reply_hook_does_not_break_the_stream() -> None:
    screen = TerminalScreen(10, 4)

    def broken(_: str) -> None:
        raise OSError("socket closed")

    screen.reply = broken
    screen.feed("a\x1b[6nb")
    assert rows(screen)[0] == "ab"


@pytest.mark.parametrize(
    "junk",
    [
        "\x1b[99999999999999999999A",
        "\x1b[1;2;3;4;5;6;7;8A",
        "\x1b[::;;::m",
        "\x1b[38;5m\x1b[38;2;1m\x1b[48:2m",
        "\x1b[1;80s\x1b[2;3u",
        "\x1b[99999b",
        "\x1b[?9999999h",
        "\x1b[6;3r\x1b[?6h\x1b[d",
        "\x1b\x1b\x1b[",
        "\x1b[1\x01m",
        "\x9b31m\x9d0;x\x9c",
        "\ud800\udfff",
    ],
)
def test_hostile_sequences_never_raise(junk: str) -> None:
    screen = screen_with("ab" + junk)
    screen.feed("\r\nok")
    assert any(row.endswith("ok") for row in rows(screen))


def test_resize_keeps_the_cursor_row_and_pads_columns() -> None:
    screen = screen_with("1\r\n2\r\n3\r\n4")
    screen.resize(2, 12)
    assert rows(screen) == ["3", "4"]
    assert screen.cursor.y == 1
    assert [len(row) for row in screen.buffer] == [12, 12]
    assert [("".join(c.data for c in row)).rstrip() for row in screen.scrollback] == ["1", "2"]
    screen.resize(5, 3)
    assert rows(screen) == ["3", "4", "", "", ""]
    assert {len(row) for row in screen.buffer} == {3}


def test_resize_never_leaves_half_a_wide_character() -> None:
    screen = screen_with("abcd中")
    screen.resize(4, 5)
    assert rows(screen)[0] == "abcd"


def test_resize_keeps_the_cursor_in_bounds_for_the_next_draw() -> None:
    screen = screen_with("\x1b[4;10H")
    screen.resize(2, 5)
    screen.feed("xy")
    assert (screen.cursor.y, screen.cursor.x) == (1, 2)


def test_resize_in_the_alternate_screen_keeps_the_prompt_of_the_primary() -> None:
    screen = screen_with("1\r\n2\r\n3\r\n$ vim\x1b[?1049h\x1b[Hediting")
    screen.resize(2, 10)
    assert rows(screen) == ["editing", ""]
    screen.feed("\x1b[?1049l")
    assert rows(screen) == ["3", "$ vim"]
    assert (screen.cursor.x, screen.cursor.y) == (5, 1)


def test_an_escape_ends_an_unterminated_string_as_in_xterm() -> None:
    screen = screen_with("\x1b]0;half a title\x1b[1mbold\x1bPq#0;2\x1b[0m plain")
    assert rows(screen)[0] == "bold plain"
    assert screen.title == "half a title"
    assert screen.buffer[0][0].bold


def test_an_escape_ends_a_long_swallowed_string_across_feeds() -> None:
    screen = screen_with("a\x1bPq" + "#" * 20)
    screen.feed("~" * 100_000)
    screen.feed("\x1b")
    screen.feed("[31mb")
    assert rows(screen)[0] == "ab"
    assert screen.buffer[0][1].fg == "red"


def test_entering_the_alternate_screen_twice_changes_nothing() -> None:
    screen = screen_with("\x1b[?1049h\x1b[2;2Hkept\x1b[?1049h")
    assert rows(screen)[1] == " kept"
    screen.feed("\x1b[?1049l")
    assert (screen.cursor.x, screen.cursor.y) == (0, 0)


def test_1049_keeps_its_own_saved_cursor_apart_from_decsc() -> None:
    screen = screen_with("\x1b[3;3H\x1b[?1049h\x1b[4;4H\x1b7\x1b[?1049l\x1b[2;2H\x1b7")
    assert (screen.cursor.x, screen.cursor.y) == (1, 1)
    screen.feed("\x1b[4;9H\x1b[?1049l")  # tmux restores even outside the alternate screen
    assert (screen.cursor.x, screen.cursor.y) == (2, 2)
    screen.feed("\x1b8")
    assert (screen.cursor.x, screen.cursor.y) == (1, 1)


def test_decaln_resets_the_margins_and_homes_the_cursor() -> None:
    screen = screen_with("\x1b[2;3r\x1b[3;5H\x1b#8")
    assert (screen.cursor.x, screen.cursor.y, screen.margins) == (0, 0, None)


def test_origin_mode_positions_count_from_the_region_and_stop_at_it() -> None:
    screen = screen_with("\x1b[2;3r\x1b[?6h\x1b[1;1HA\x1b[9;2HB")
    assert rows(screen)[:4] == ["", "A", " B", ""]


def test_decrc_is_bounded_by_the_screen_not_the_region() -> None:
    screen = screen_with("\x1b[4;2H\x1b7\x1b[1;2r\x1b[?6h\x1b8")
    assert (screen.cursor.x, screen.cursor.y) == (1, 3)


def test_1049_brings_back_position_and_attributes_but_not_origin_mode() -> None:
    screen = screen_with("\x1b[3;4H\x1b[31m\x1b[?1049h\x1b[0m\x1b[2;3r\x1b[?6h\x1b[?1049l")
    assert (screen.cursor.x, screen.cursor.y, screen.cursor.attrs.fg) == (3, 2, "red")
    assert 6 << 5 in screen.mode  # origin mode stays as the alternate screen left it


def test_tab_does_not_move_from_the_last_column() -> None:
    screen = screen_with("\x1b[1;10H\tX")
    assert rows(screen)[0] == "         X"


def test_text_is_dropped_when_autowrap_goes_off_while_waiting_to_wrap() -> None:
    screen = screen_with("0123456789\x1b[?7lab")
    assert rows(screen)[:2] == ["0123456789", ""]
