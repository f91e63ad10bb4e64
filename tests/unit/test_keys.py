"""Key, paste and mouse encoding for the terminal."""

from __future__ import annotations

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from orb_tui.ui.terminal.keys import (
    MOUSE_ANY,
    MOUSE_BUTTON,
    MOUSE_NORMAL,
    MOUSE_OFF,
    MOUSE_X10,
    MouseAction,
    MouseInput,
    encode_key,
    encode_mouse,
    encode_paste,
    split_key,
)


def parse_keys(data: str) -> list[events.Key]:
    """What Textual reports when the host terminal sends `data`."""
    parser = XTermParser()
    found = [*parser.feed(data), *parser.feed("")]
    return [event for event in found if isinstance(event, events.Key)]


# Bytes a host xterm sends that must reach the shell unchanged after Textual parsed them.
ROUND_TRIP = [
    "a",
    "Z",
    "é",
    " ",
    "\r",
    "\t",
    "\x7f",
    "\x08",
    "\x01",
    "\x03",
    "\x1a",
    "\x00",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x1f",
    "\n",
    "\x17",
    "\x1b[A",
    "\x1b[B",
    "\x1b[C",
    "\x1b[D",
    "\x1b[H",
    "\x1b[F",
    "\x1b[1;2A",
    "\x1b[1;5C",
    "\x1b[1;3D",
    "\x1b[1;6B",
    "\x1b[1;7A",
    "\x1b[1;4H",
    "\x1b[1;5F",
    "\x1b[2~",
    "\x1b[3~",
    "\x1b[5~",
    "\x1b[6~",
    "\x1b[5;2~",
    "\x1b[3;5~",
    "\x1bOP",
    "\x1bOQ",
    "\x1bOR",
    "\x1bOS",
    "\x1b[1;2P",
    "\x1b[1;3P",
    "\x1b[15~",
    "\x1b[17~",
    "\x1b[18~",
    "\x1b[19~",
    "\x1b[20~",
    "\x1b[21~",
    "\x1b[23~",
    "\x1b[24~",
    "\x1b[15;2~",
    "\x1b[24;5~",
    "\x1b[Z",
    "\x1bx",
    "\x1bX",
    "\x1b\x7f",
]


@pytest.mark.parametrize("data", ROUND_TRIP, ids=repr)
def test_host_bytes_survive_textual_and_back(data: str) -> None:
    keys = parse_keys(data)
    assert len(keys) == 1, keys
    assert encode_key(keys[0].key, keys[0].character) == data


def test_escape_alone_is_escape() -> None:
    (key,) = parse_keys("\x1b")
    assert encode_key(key.key, key.character) == "\x1b"


def test_alt_backspace_and_ctrl_w_stay_apart() -> None:
    # ESC DEL arrives as ctrl+w with no character; a real ctrl+w carries 0x17.
    assert encode_key("ctrl+w", None) == "\x1b\x7f"
    assert encode_key("ctrl+w", "\x17") == "\x17"


def test_alt_enter_arrives_as_enter() -> None:
    # Textual drops the ESC of ESC CR; the shell gets a plain CR, never nothing.
    (key,) = parse_keys("\x1b\r")
    assert encode_key(key.key, key.character) == "\r"
    assert encode_key("alt+enter", None) == "\x1b\r"


@pytest.mark.parametrize(
    ("key", "normal", "application"),
    [
        ("up", "\x1b[A", "\x1bOA"),
        ("down", "\x1b[B", "\x1bOB"),
        ("right", "\x1b[C", "\x1bOC"),
        ("left", "\x1b[D", "\x1bOD"),
        ("home", "\x1b[H", "\x1bOH"),
        ("end", "\x1b[F", "\x1bOF"),
        ("shift+up", "\x1b[1;2A", "\x1b[1;2A"),
        ("ctrl+left", "\x1b[1;5D", "\x1b[1;5D"),
    ],
)
def test_cursor_keys_follow_application_mode(key: str, normal: str, application: str) -> None:
    assert encode_key(key, None, app_cursor=False) == normal
    assert encode_key(key, None, app_cursor=True) == application


@pytest.mark.parametrize(
    ("key", "character", "expected"),
    [
        ("ctrl+c", None, "\x03"),
        ("ctrl+shift+a", None, "\x01"),
        ("ctrl+right_square_bracket", None, "\x1d"),
        ("ctrl+backslash", None, "\x1c"),
        ("ctrl+space", None, "\x00"),
        ("alt+ctrl+b", None, "\x1b\x02"),
        ("alt+x", "x", "\x1bx"),
        ("alt+shift+x", None, "\x1bX"),
        ("alt+tab", "\t", "\x1b\t"),
        ("alt+backspace", None, "\x1b\x7f"),
        ("ctrl+backspace", None, "\x08"),
        ("shift+tab", None, "\x1b[Z"),
        ("f1", None, "\x1bOP"),
        ("ctrl+f4", None, "\x1b[1;5S"),
        ("f12", None, "\x1b[24~"),
        ("f13", None, "\x1b[25~"),
        ("alt+pagedown", None, "\x1b[6;3~"),
        ("meta+up", None, "\x1b[1;9A"),
        ("q", "q", "q"),
        ("plus", "+", "+"),
        ("+", "+", "+"),
    ],
)
def test_key_names_encode(key: str, character: str | None, expected: str) -> None:
    assert encode_key(key, character) == expected


def test_keys_with_no_meaning_give_none() -> None:
    assert encode_key("ctrl+f99", None) is None
    assert encode_key("ctrl+ø", None) is None


def test_split_key_reads_modifiers_in_any_order() -> None:
    assert split_key("alt+ctrl+up") == (6, "up")
    assert split_key("ctrl+shift+up") == (5, "up")
    assert split_key("+") == (0, "+")
    assert split_key("ctrl++") == (4, "+")


def test_paste_plain_turns_newlines_into_returns() -> None:
    assert encode_paste("a\nb\r\nc", bracketed=False) == "a\rb\rc"


def test_paste_bracketed_is_wrapped_and_cannot_escape() -> None:
    assert encode_paste("ls\n", bracketed=True) == "\x1b[200~ls\r\x1b[201~"
    sneaky = "x\x1b[201~rm -rf /\n"
    assert encode_paste(sneaky, bracketed=True) == "\x1b[200~xrm -rf /\r\x1b[201~"


def press(x: int = 4, y: int = 2, button: int = 1, **mods: bool) -> MouseInput:
    return MouseInput(MouseAction.PRESS, x, y, button, **mods)


def test_no_mouse_mode_sends_nothing() -> None:
    for action in MouseAction:
        event = MouseInput(action, 1, 1)
        assert encode_mouse(event, mode=MOUSE_OFF, sgr=True) is None


def test_x10_reports_presses_only_without_modifiers() -> None:
    assert encode_mouse(press(ctrl=True), mode=MOUSE_X10, sgr=False) == "\x1b[M %#"
    release = MouseInput(MouseAction.RELEASE, 4, 2)
    assert encode_mouse(release, mode=MOUSE_X10, sgr=False) is None
    wheel = MouseInput(MouseAction.WHEEL_UP, 4, 2)
    assert encode_mouse(wheel, mode=MOUSE_X10, sgr=False) is None


def test_normal_mode_press_release_and_wheel() -> None:
    assert encode_mouse(press(button=3), mode=MOUSE_NORMAL, sgr=False) == '\x1b[M"%#'
    release = MouseInput(MouseAction.RELEASE, 4, 2, 3, shift=True)
    assert encode_mouse(release, mode=MOUSE_NORMAL, sgr=False) == "\x1b[M'%#"
    wheel = MouseInput(MouseAction.WHEEL_DOWN, 0, 0)
    assert encode_mouse(wheel, mode=MOUSE_NORMAL, sgr=False) == "\x1b[Ma!!"
    motion = MouseInput(MouseAction.MOTION, 0, 0, 1)
    assert encode_mouse(motion, mode=MOUSE_NORMAL, sgr=False) is None


def test_sgr_reports_say_release_and_large_coordinates() -> None:
    far = press(x=299, y=9, button=1, ctrl=True)
    assert encode_mouse(far, mode=MOUSE_NORMAL, sgr=True) == "\x1b[<16;300;10M"
    release = MouseInput(MouseAction.RELEASE, 299, 9, 2)
    assert encode_mouse(release, mode=MOUSE_NORMAL, sgr=True) == "\x1b[<1;300;10m"
    assert encode_mouse(far, mode=MOUSE_NORMAL, sgr=False) is None


def test_motion_only_when_the_mode_asks() -> None:
    dragging = MouseInput(MouseAction.MOTION, 1, 1, 1)
    hovering = MouseInput(MouseAction.MOTION, 1, 1, 0)
    assert encode_mouse(dragging, mode=MOUSE_BUTTON, sgr=True) == "\x1b[<32;2;2M"
    assert encode_mouse(hovering, mode=MOUSE_BUTTON, sgr=True) is None
    assert encode_mouse(hovering, mode=MOUSE_ANY, sgr=True) == "\x1b[<35;2;2M"
