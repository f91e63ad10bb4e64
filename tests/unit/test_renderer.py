"""StripRenderer: run-length segments, colours, cursor, selection, caching, scrollback."""

from __future__ import annotations

from rich.color import Color, ColorType
from textual.color import Color as TextualColor

from orb_tui.ui.terminal.emulator import TerminalScreen
from orb_tui.ui.terminal.renderer import StripRenderer


def screen_with(data: str, columns: int = 12, lines: int = 3) -> TerminalScreen:
    screen = TerminalScreen(columns, lines)
    screen.feed(data)
    return screen


def test_a_row_becomes_run_length_segments_of_full_width() -> None:
    screen = screen_with("ab\x1b[31mcde\x1b[0mf\x1b[?25l")
    strip = StripRenderer().render_row(screen, 0)
    assert [segment.text for segment in strip] == ["ab", "cde", "f      "]
    assert strip.cell_length == 12
    assert strip.text == "abcdef      "


def test_base_colours_stay_ansi_by_default_so_the_host_palette_applies() -> None:
    screen = screen_with("\x1b[31;104mx")
    style = next(iter(StripRenderer().render_row(screen, 0, cursor=False))).style
    assert style is not None and style.color is not None and style.bgcolor is not None
    assert (style.color.type, style.color.number) == (ColorType.STANDARD, 1)
    assert style.bgcolor.number == 12


def test_base_colours_map_to_the_theme_palette() -> None:
    palette = [TextualColor(index, 0, 0) for index in range(16)]
    renderer = StripRenderer(palette)
    style = next(iter(renderer.render_row(screen_with("\x1b[33mx"), 0, cursor=False))).style
    assert style is not None and style.color is not None
    assert style.color.get_truecolor() == (3, 0, 0)


def test_truecolor_and_256_colours_pass_through_as_rgb() -> None:
    screen = screen_with("\x1b[38;2;1;2;3ma\x1b[48;5;208mb")
    segments = list(StripRenderer().render_row(screen, 0, cursor=False))
    assert segments[0].style.color == Color.from_rgb(1, 2, 3)  # type: ignore[union-attr]
    assert segments[1].style.bgcolor == Color.from_rgb(255, 135, 0)  # type: ignore[union-attr]


def test_text_attributes_become_style_attributes() -> None:
    screen = screen_with("\x1b[1;2;3;4;5;7;9mx")
    style = next(iter(StripRenderer().render_row(screen, 0, cursor=False))).style
    assert style is not None
    assert (style.bold, style.dim, style.italic, style.underline) == (True, True, True, True)
    assert (style.blink, style.reverse, style.strike) == (True, True, True)


def test_the_cursor_cell_is_reversed_when_visible() -> None:
    screen = screen_with("abc\x1b[1;2H")
    renderer = StripRenderer()
    segments = list(renderer.render_row(screen, 0))
    assert [segment.text for segment in segments] == ["a", "b", "c" + " " * 9]
    assert segments[1].style.reverse  # type: ignore[union-attr]
    assert len(list(renderer.render_row(screen, 0, cursor=False))) == 1
    screen.feed("\x1b[?25l")
    assert len(list(renderer.render_row(screen, 0))) == 1


def test_the_cursor_in_pending_wrap_shows_on_the_last_column() -> None:
    screen = screen_with("x" * 12)
    segments = list(StripRenderer().render_row(screen, 0))
    assert segments[-1].text == "x" and segments[-1].style.reverse  # type: ignore[union-attr]


def test_selection_reverses_a_column_range() -> None:
    screen = screen_with("hello world")
    strip = StripRenderer().render_row(screen, 0, cursor=False, selection=(2, 5))
    texts = [(segment.text, bool(segment.style and segment.style.reverse)) for segment in strip]
    assert texts == [("he", False), ("llo", True), (" world ", False)]


def test_wide_characters_keep_the_row_width() -> None:
    screen = screen_with("中文ab\x1b[1;4HX")  # X overwrites the right half of 文
    strip = StripRenderer().render_row(screen, 0, cursor=False)
    assert strip.cell_length == 12
    assert strip.text.rstrip() == "中 Xab"


def test_unchanged_rows_come_from_the_cache() -> None:
    screen = screen_with("one\r\ntwo")
    renderer = StripRenderer()
    first = renderer.render_row(screen, 0)
    assert renderer.render_row(screen, 0) is first
    screen.feed("\x1b[1;4H!")
    changed = renderer.render_row(screen, 0, cursor=False)
    assert changed is not first
    assert changed.text.startswith("one!")


def test_scrolled_rows_keep_their_cached_strips() -> None:
    screen = screen_with("one\r\ntwo\r\nthree")
    renderer = StripRenderer()
    two = renderer.render_row(screen, 1)
    screen.feed("\r\nfour")
    assert renderer.render_row(screen, 0) is two


def test_invalidate_drops_the_cache() -> None:
    screen = screen_with("one")
    renderer = StripRenderer()
    first = renderer.render_row(screen, 1)
    renderer.invalidate()
    assert renderer.render_row(screen, 1) is not first


def test_scroll_offset_shows_the_scrollback() -> None:
    screen = screen_with("\r\n".join(["a", "b", "c", "d", "e"]))
    renderer = StripRenderer()
    assert [renderer.render_row(screen, y, scroll_offset=2).text[0] for y in range(3)] == [
        "a",
        "b",
        "c",
    ]
    assert renderer.render_row(screen, 0, scroll_offset=9).text == " " * 12


def test_rows_from_a_wider_past_are_cut_to_the_screen() -> None:
    screen = screen_with("x" * 12 + "\r\n\r\n\r\n")
    screen.resize(3, 6)
    strip = StripRenderer().render_row(screen, 0, scroll_offset=1)
    assert strip.text == "xxxxxx"


def test_reverse_video_mode_reverses_every_cell() -> None:
    screen = screen_with("ab\x1b[?5h")
    segments = list(StripRenderer().render_row(screen, 1, cursor=False))
    assert all(segment.style and segment.style.reverse for segment in segments)
