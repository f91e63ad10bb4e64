"""Textual key, paste and mouse events encoded as the bytes an xterm would send."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ESC = "\x1b"
CSI = ESC + "["
SS3 = ESC + "O"
PASTE_START = CSI + "200~"
PASTE_END = CSI + "201~"

# Modifier weights of xterm's "CSI 1;m X" parameter (m = 1 + sum).
_MODIFIER_BITS = {"shift": 1, "alt": 2, "ctrl": 4, "meta": 8, "super": 8}

# Cursor keys: the final byte; ESC O X in application cursor mode when unmodified.
_CURSOR_FINALS = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}

# Editing keys sent as CSI n ~.
_TILDE_CODES = {
    "insert": 2,
    "delete": 3,
    "pageup": 5,
    "pagedown": 6,
    "f5": 15,
    "f6": 17,
    "f7": 18,
    "f8": 19,
    "f9": 20,
    "f10": 21,
    "f11": 23,
    "f12": 24,
    "f13": 25,
    "f14": 26,
    "f15": 28,
    "f16": 29,
    "f17": 31,
    "f18": 32,
    "f19": 33,
    "f20": 34,
}

# F1-F4 are SS3 P..S unmodified, CSI 1;m P..S with modifiers.
_PF_FINALS = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}

# Textual names for punctuation that only reach us as a name (e.g. with ctrl).
_CTRL_NAMED = {
    "@": "\x00",
    "space": "\x00",
    "left_square_bracket": ESC,
    "backslash": "\x1c",
    "right_square_bracket": "\x1d",
    "circumflex_accent": "\x1e",
    "underscore": "\x1f",
    "question_mark": "\x7f",
}


def split_key(key: str) -> tuple[int, str]:
    """Split a Textual key name into (xterm modifier bits, base key name).

    `alt+ctrl+up` gives (6, "up"); a key that is itself `+` stays whole.
    """
    parts = key.split("+")
    bits = 0
    while len(parts) > 1 and parts[0] in _MODIFIER_BITS:
        bits |= _MODIFIER_BITS[parts.pop(0)]
    return bits, "+".join(parts)


def encode_key(key: str, character: str | None, *, app_cursor: bool = False) -> str | None:
    """Return what an xterm sends for a Textual key event, or None for keys with no encoding.

    Args:
        key: Textual's key name (`ctrl+a`, `shift+up`, `alt+x`, `f5`).
        character: the event's character (`None` for arrows, F-keys and the like).
        app_cursor: the program asked for application cursor keys (DECCKM, `CSI ? 1 h`).
    """
    if key == "ctrl+w" and character is None:
        # Textual reports ESC DEL (alt+backspace) as a ctrl+w with no character.
        return ESC + "\x7f"
    bits, base = split_key(key)
    if base == "backspace" and character == "\x08":
        return character  # ctrl+h from the host; programs may bind it apart from DEL
    special = _encode_special(base, bits, app_cursor)
    if special is not None:
        return special
    return _encode_text(base, bits, character)


def _csi_modified(number: int, final: str, bits: int) -> str:
    if bits:
        return f"{CSI}{number};{bits + 1}{final}"
    return f"{CSI}{number}{final}" if number != 1 else CSI + final


def _encode_special(base: str, bits: int, app_cursor: bool) -> str | None:
    if base in _CURSOR_FINALS:
        final = _CURSOR_FINALS[base]
        if not bits:
            return (SS3 if app_cursor else CSI) + final
        return _csi_modified(1, final, bits)
    if base in _TILDE_CODES:
        return f"{CSI}{_TILDE_CODES[base]};{bits + 1}~" if bits else f"{CSI}{_TILDE_CODES[base]}~"
    if base in _PF_FINALS:
        return _csi_modified(1, _PF_FINALS[base], bits) if bits else SS3 + _PF_FINALS[base]
    return _encode_editing(base, bits)


def _encode_editing(base: str, bits: int) -> str | None:
    alt = ESC if bits & _MODIFIER_BITS["alt"] else ""
    ctrl = bits & _MODIFIER_BITS["ctrl"]
    shift = bits & _MODIFIER_BITS["shift"]
    if base == "tab":
        return alt + (CSI + "Z" if shift else "\t")
    if base == "enter":
        # alt+enter cannot be told apart: Textual reports ESC CR as a plain `enter`.
        return alt + "\r"
    if base == "backspace":
        return alt + ("\x08" if ctrl else "\x7f")
    if base == "escape":
        return alt + ESC
    if base == "space":
        return alt + ("\x00" if ctrl else " ")
    return None


def _encode_text(base: str, bits: int, character: str | None) -> str | None:
    alt = ESC if bits & _MODIFIER_BITS["alt"] else ""
    if character:
        return alt + character
    if bits & _MODIFIER_BITS["ctrl"]:
        control = _control_byte(base)
        return None if control is None else alt + control
    if len(base) == 1:
        return alt + (base.upper() if bits & _MODIFIER_BITS["shift"] else base)
    return None


def _control_byte(base: str) -> str | None:
    if len(base) == 1 and base.isascii() and base.isalpha():
        return chr(ord(base.lower()) & 0x1F)
    return _CTRL_NAMED.get(base)


def encode_paste(text: str, *, bracketed: bool) -> str:
    """Return the bytes for pasted text: newlines as CR, wrapped in 200~/201~ when bracketed.

    A pasted end marker is removed so the text cannot end the bracket early.
    """
    body = text.replace("\r\n", "\r").replace("\n", "\r")
    if not bracketed:
        return body
    return PASTE_START + body.replace(PASTE_END, "") + PASTE_END


class MouseAction(Enum):
    """What a mouse event did."""

    PRESS = "press"
    RELEASE = "release"
    MOTION = "motion"
    WHEEL_UP = "wheel_up"
    WHEEL_DOWN = "wheel_down"


@dataclass(frozen=True)
class MouseInput:
    """A mouse event in the terminal's cell coordinates (0-based)."""

    action: MouseAction
    x: int
    y: int
    button: int = 1  # Textual numbering: 1 left, 2 middle, 3 right, 0 none
    shift: bool = False
    meta: bool = False
    ctrl: bool = False


# Mouse tracking modes a program can enable (DECSET numbers).
MOUSE_OFF = 0
MOUSE_X10 = 9
MOUSE_NORMAL = 1000
MOUSE_BUTTON = 1002
MOUSE_ANY = 1003


def _wants(mode: int, event: MouseInput) -> bool:
    if mode == MOUSE_X10:
        return event.action is MouseAction.PRESS
    if event.action is MouseAction.MOTION:
        return mode == MOUSE_ANY or (mode == MOUSE_BUTTON and event.button != 0)
    return mode in (MOUSE_NORMAL, MOUSE_BUTTON, MOUSE_ANY)


def _button_code(event: MouseInput, mode: int) -> int:
    if event.action is MouseAction.WHEEL_UP:
        code = 64
    elif event.action is MouseAction.WHEEL_DOWN:
        code = 65
    elif event.button in (1, 2, 3):
        code = event.button - 1
    else:
        code = 3  # motion with no button held
    if event.action is MouseAction.MOTION:
        code += 32
    if mode != MOUSE_X10:
        code += 4 * event.shift + 8 * event.meta + 16 * event.ctrl
    return code


def encode_mouse(event: MouseInput, *, mode: int, sgr: bool) -> str | None:
    """Return the report for a mouse event, or None when the program's mode does not ask for it.

    Args:
        event: the event, in 0-based cell coordinates.
        mode: the tracking mode the program enabled (0 off, 9, 1000, 1002, 1003).
        sgr: the program asked for SGR reports (`CSI ? 1006 h`).
    """
    if mode == MOUSE_OFF or not _wants(mode, event):
        return None
    code = _button_code(event, mode)
    col, row = event.x + 1, event.y + 1
    if sgr:
        final = "m" if event.action is MouseAction.RELEASE else "M"
        return f"{CSI}<{code};{col};{row}{final}"
    if event.action is MouseAction.RELEASE:
        code = 3 | (code & 0b11100)  # xterm's normal reports do not say which button rose
    if col > 223 or row > 223:
        return None  # the X10 encoding cannot say where
    return f"{CSI}M{chr(32 + code)}{chr(32 + col)}{chr(32 + row)}"
