"""TerminalScreen: text, wrapping, wide and zero-width characters, editing and scrolling."""

from __future__ import annotations

import subprocess
import sys

from orb_tui.ui.terminal.emulator import TerminalScreen


def screen_with(data: str, columns: int = 10, lines: int = 4) -> TerminalScreen:
    screen = TerminalScreen(columns, lines)
    screen.feed(data)
    return screen


def rows(screen: TerminalScreen) -> list[str]:
    return [line.rstrip() for line in screen.text_lines()]


def test_plain_text_and_crlf() -> None:
    screen = screen_with("hello\r\nworld")
    assert rows(screen) == ["hello", "world", "", ""]
    assert (screen.cursor.x, screen.cursor.y) == (5, 1)


def test_text_wraps_after_the_last_column_only_when_more_text_comes() -> None:
    screen = screen_with("0123456789")
    assert (screen.cursor.x, screen.cursor.y) == (10, 0)  # pending wrap, still on row 0
    screen.feed("ab")
    assert rows(screen)[:2] == ["0123456789", "ab"]


def test_carriage_return_in_pending_wrap_stays_on_the_line() -> None:
    screen = screen_with("0123456789\rX")
    assert rows(screen)[:2] == ["X123456789", ""]


def test_without_autowrap_the_last_column_is_overwritten() -> None:
    screen = screen_with("\x1b[?7l0123456789abc")
    assert rows(screen)[:2] == ["012345678c", ""]


def test_text_scrolls_at_the_bottom() -> None:
    screen = screen_with("1\r\n2\r\n3\r\n4\r\n5")
    assert rows(screen) == ["2", "3", "4", "5"]


def test_long_run_fills_several_rows_and_scrolls() -> None:
    screen = screen_with("x" * 45)
    assert rows(screen) == ["x" * 10, "x" * 10, "x" * 10, "x" * 5]
    assert [line.rstrip() for line in map(_text, screen.scrollback)] == ["x" * 10]


def _text(row: list) -> str:  # type: ignore[type-arg]
    return "".join(cell.data for cell in row)


def test_wide_characters_take_two_cells_and_show_once() -> None:
    screen = screen_with("a中b")
    row = screen.buffer[0]
    assert [cell.data for cell in row[:4]] == ["a", "中", "", "b"]
    assert rows(screen)[0] == "a中b"
    assert screen.cursor.x == 4


def test_wide_character_at_the_last_column_wraps_whole() -> None:
    screen = screen_with("123456789中")
    assert rows(screen)[:2] == ["123456789", "中"]
    assert screen.buffer[1][1].data == ""
    assert screen.cursor.x == 2


def test_overwriting_half_a_wide_character_blanks_the_other_half() -> None:
    screen = screen_with("中文\x1b[1;2HX")
    assert rows(screen)[0] == " X文"


def test_combining_mark_attaches_to_the_previous_cell() -> None:
    screen = screen_with("e\u0301tude")
    assert screen.buffer[0][0].data == "e\u0301"
    assert rows(screen)[0] == "e\u0301tude"


def test_vs16_and_zwj_attach_and_keep_the_rest_of_the_run() -> None:
    screen = screen_with("\u2764\ufe0f ok \U0001f468\u200d\U0001f469 end", columns=20)
    assert screen.buffer[0][0].data == "\u2764\ufe0f"
    assert rows(screen)[0].endswith(" end")
    assert "\U0001f468\u200d" in [cell.data for cell in screen.buffer[0]]


def test_stray_control_inside_text_does_not_drop_the_run() -> None:
    screen = screen_with("ab\x07cd\x00ef\x7fgh")
    assert rows(screen)[0] == "abcdefgh"


def test_backspace_and_tab() -> None:
    screen = screen_with("abc\x08X\tY", columns=20)
    assert rows(screen)[0] == "abX     Y"
    assert screen.cursor.x == 9


def test_cursor_movement() -> None:
    screen = screen_with("\x1b[3;4H*\x1b[A+\x1b[2D-\x1b[B\x1b[G#", columns=10)
    assert rows(screen) == ["", "   -+", "#  *", ""]


def test_rep_repeats_the_last_character() -> None:
    screen = screen_with("ab\x1b[3b")
    assert rows(screen)[0] == "abbbb"


def test_rep_without_count_repeats_once() -> None:
    assert rows(screen_with("x\x1b[b"))[0] == "xx"


def test_erase_in_line_and_display() -> None:
    screen = screen_with("aaaaa\r\nbbbbb\r\nccccc\x1b[2;3H\x1b[K")
    assert rows(screen)[:3] == ["aaaaa", "bb", "ccccc"]
    screen.feed("\x1b[1K")
    assert rows(screen)[1] == ""
    screen.feed("\x1b[J")
    assert rows(screen) == ["aaaaa", "", "", ""]
    screen.feed("\x1b[2J")
    assert rows(screen) == ["", "", "", ""]


def test_erase_uses_the_current_background() -> None:
    screen = screen_with("\x1b[44m\x1b[2K\x1b[0m")
    assert {cell.bg for cell in screen.buffer[0]} == {"blue"}
    assert screen.buffer[1][0].bg == "default"


def test_insert_delete_and_erase_characters() -> None:
    screen = screen_with("abcdef\x1b[1;2H\x1b[2@")
    assert rows(screen)[0] == "a  bcdef"
    screen.feed("\x1b[3P")
    assert rows(screen)[0] == "acdef"
    screen.feed("\x1b[2X")
    assert rows(screen)[0] == "a  ef"
    assert len(screen.buffer[0]) == 10


def test_insert_mode_shifts_text_right() -> None:
    screen = screen_with("abc\x1b[1G\x1b[4hXY\x1b[4lZ")
    assert rows(screen)[0] == "XYZbc"


def test_insert_and_delete_lines_inside_the_region() -> None:
    screen = screen_with("1\r\n2\r\n3\r\n4\x1b[2;1H\x1b[L")
    assert rows(screen) == ["1", "", "2", "3"]
    screen.feed("\x1b[2M")
    assert rows(screen) == ["1", "3", "", ""]


def test_scroll_up_and_down_respect_margins() -> None:
    screen = screen_with("1\r\n2\r\n3\r\n4\x1b[2;3r\x1b[S")
    assert rows(screen) == ["1", "3", "", "4"]
    screen.feed("\x1b[2T")
    assert rows(screen) == ["1", "", "", "4"]
    assert not screen.scrollback


def test_linefeed_at_the_bottom_margin_scrolls_only_the_region() -> None:
    screen = screen_with("1\r\n2\r\n3\r\n4\x1b[1;3r\x1b[3;1H\nX")
    assert rows(screen) == ["2", "3", "X", "4"]
    assert [_text(row).rstrip() for row in screen.scrollback] == ["1"]


def test_reverse_index_at_the_top_scrolls_down() -> None:
    screen = screen_with("1\r\n2\r\n3\r\n4\x1b[H\x1bM")
    assert rows(screen) == ["", "1", "2", "3"]


def test_save_and_restore_cursor_with_csi_s_u() -> None:
    screen = screen_with("\x1b[2;3H\x1b[s\x1b[4;1Hx\x1b[uy")
    assert rows(screen)[1] == "  y"


def test_decsc_restores_position_and_attributes() -> None:
    screen = screen_with("\x1b[31m\x1b[2;2H\x1b7\x1b[0m\x1b[H\x1b8r")
    assert screen.buffer[1][1].data == "r"
    assert screen.buffer[1][1].fg == "red"


def test_dec_line_drawing_charset() -> None:
    screen = screen_with("\x1b(0lqk\x1b(Bq")
    assert rows(screen)[0] == "┌─┐q"


def test_shift_out_selects_g1() -> None:
    screen = screen_with("\x1b)0a\x0eq\x0fq")
    assert rows(screen)[0] == "a─q"


def test_tab_stops_can_be_set_and_cleared() -> None:
    screen = screen_with("\x1b[3g\x1b[1;4H\x1bH\r\tX", columns=20)
    assert rows(screen)[0] == "   X"
    screen.feed("\x1b[Z\x1b[ZY")
    assert rows(screen)[0] == "Y  X"


def test_dirty_rows_are_marked_and_can_be_cleared() -> None:
    screen = screen_with("")
    screen.dirty.clear()
    screen.feed("\x1b[3;1Hx")
    assert screen.dirty == {2}
    screen.dirty.clear()
    screen.feed("\x1b[H")
    assert screen.dirty == set()


def test_row_version_grows_when_a_row_changes() -> None:
    screen = screen_with("a")
    row = screen.buffer[0]
    before = row.version
    screen.feed("b")
    assert row.version > before
    other = screen.buffer[1].version
    screen.feed("\x1b[5C")
    assert screen.buffer[1].version == other


def test_alignment_display_fills_with_e() -> None:
    assert rows(screen_with("\x1b#8")) == ["E" * 10] * 4


def test_full_reset() -> None:
    screen = screen_with("abc\x1b[31m\x1b[?1h\x1bc")
    assert rows(screen) == ["", "", "", ""]
    assert screen.cursor.attrs.fg == "default"
    assert not screen.app_cursor


def test_the_emulator_loads_no_ui_or_network_code() -> None:
    code = (
        "import sys, orb_tui.ui.terminal.emulator as _;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'websockets',"
        " 'httpx'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_deleting_the_top_line_does_not_feed_the_scrollback() -> None:
    screen = screen_with("1\r\n2\r\n3\x1b[H\x1b[2M")
    assert rows(screen) == ["3", "", "", ""]
    assert not screen.scrollback


def test_rep_stops_at_the_end_of_the_line() -> None:
    screen = screen_with("ab\x1b[99b\r\n\u4e2d\x1b[99b")
    assert rows(screen)[:3] == ["ab" + "b" * 8, "\u4e2d" * 5, ""]


def test_without_autowrap_the_cursor_stays_on_the_last_column() -> None:
    screen = screen_with("\x1b[?7l0123456789ab")
    assert screen.cursor.x == 9
    screen.feed("\x1b[Kc")
    assert rows(screen)[0] == "012345678c"


def test_without_autowrap_a_wide_character_that_does_not_fit_is_dropped() -> None:
    screen = screen_with("\x1b[?7l012345678\u4e2d")
    assert rows(screen)[0] == "012345678"


def test_past_the_last_column_edits_wait_for_the_wrap() -> None:
    screen = screen_with("0123456789\x1b[@\x1b[P\x1b[X\x1b[K")
    assert rows(screen)[0] == "0123456789"
    screen.feed("\x08X")
    assert rows(screen)[0] == "012345678X"
    screen.feed("\x1b[1K")
    assert rows(screen)[0] == ""


def test_cursor_up_and_down_stop_at_margins_unless_already_outside() -> None:
    screen = screen_with("\x1b[2;3r\x1b[1;1H\x1b[9B")
    assert screen.cursor.y == 2  # from above the region: stops at its bottom
    screen.feed("\x1b[4;1H\x1b[9A")
    assert screen.cursor.y == 1  # from below: stops at its top
    screen.feed("\x1b[4;1H\x1b[9B\x1b[r\x1b[1;1H\x1b[2;3r\x1b[9A")
    assert screen.cursor.y == 0


def test_rep_repeats_the_last_printed_character_even_after_a_move() -> None:
    screen = screen_with("ab\x1b[1;6H\x1b[2b")
    assert rows(screen)[0] == "ab   bb"
