"""Parser: decoded terminal output to TerminalScreen calls, one regex match per token."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyte

from orb_tui.ui.terminal.cells import csi_numbers

if TYPE_CHECKING:
    from orb_tui.ui.terminal.emulator import TerminalScreen

__all__ = ["Parser"]

_TEXT = r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff]"  # printable: no C0, DEL, C1 or lone surrogate
# A string (OSC, DCS...) ends at BEL, ST, CAN or SUB, or at any ESC (which then starts the next
# sequence), as in xterm's parser: a stray unterminated string cannot hide what follows.
_IN_STRING = r"[^\x07\x1b\x9c\x18\x1a]"
_STRING_END = r"(?:[\x07\x9c\x18\x1a]|\x1b\\|(?=\x1b))"
_ESC_FINALS = "".join(chr(c) for c in range(0x30, 0x7F) if chr(c) not in "P X[]^_")
# One token per match; the group that matched last tells the kind (see Parser._parse). Text right
# after a CSI or a CR LF rides in the same token: one loop turn per coloured word or per line.
_TOKEN = re.compile(
    f"({_TEXT}+)"  # 1 printable text
    r"|\x1b\[([<=>?]?)([0-?]*)([ -/]*)([@-~])"  # 2 prefix 3 parameters 4 intermediates 5 final
    f"({_TEXT}*)"  # 6 text after the CSI
    f"|\r\n({_TEXT}*)"  # 7 text after the commonest control pair
    r"|([\x00-\x1a\x1c-\x1f\x7f-\x9f\ud800-\udfff])"  # 8 one control (or junk) character
    f"|\x1b\\]({_IN_STRING}*){_STRING_END}"  # 9 OSC body
    f"|(\x1b[PX^_]{_IN_STRING}*{_STRING_END})"  # 10 DCS/SOS/PM/APC: swallowed
    r"|\x1b([ -/]*)([" + re.escape(_ESC_FINALS) + "])"  # 11 intermediates 12 final
)
# What an ESC at the end of a chunk may be the start of (group 1: OSC, group 2: other strings).
_INCOMPLETE = re.compile(
    r"\x1b(?:\[[<=>?]?[0-?]*[ -/]*|[ -/]*|(\]" + _IN_STRING + "*)|([PX^_]" + _IN_STRING + r"*))\Z"
)
_END_OF_STRING = re.compile(_STRING_END)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_PENDING = 1 << 16  # an unterminated OSC longer than this is swallowed, not buffered


class Parser(pyte.Stream):
    """Feeds a ``TerminalScreen``: pyte's Stream interface with a regex tokenizer.

    pyte's parser is a generator fed one character at a time; this one matches whole tokens
    (a run of text, a complete CSI with the text after it, a string) and calls the screen once
    per token. A sequence split across feeds waits for the rest; DCS/APC/PM/SOS strings of any
    length are swallowed; an exception in a handler skips that sequence only.
    """

    def __init__(self, screen: TerminalScreen) -> None:
        super().__init__(screen)
        self.screen = screen
        self._pending = ""
        self._in_string = False  # inside a string too long to buffer: drop until its end
        self._csi = _csi_table(screen)
        self._controls = _control_table(screen)

    def feed(self, data: str) -> None:
        """Parse ``data`` and apply it to the screen. Never raises."""
        try:
            if self._pending:
                data, self._pending = self._pending + data, ""
            if self._in_string:
                data = self._skip_string(data)
            if data:
                self._parse(data)
        except Exception:  # last resort: a broken screen beats a dead terminal
            self._pending, self._in_string = "", False

    def _parse(self, data: str) -> None:
        screen = self.screen
        draw, sgr, csi = screen.draw, screen.sgr, self._csi.get
        match = _TOKEN.match
        pos, end = 0, len(data)
        while pos < end:
            m = match(data, pos)
            if m is None:
                pos = self._stray_escape(data, pos)
                continue
            pos = m.end()
            kind = m.lastindex
            try:
                if kind == 1:
                    draw(m.group(1))
                elif kind == 6:
                    prefix, params, inter, final, text = m.group(2, 3, 4, 5, 6)
                    try:
                        if prefix or inter:
                            self._csi_variant(prefix, csi_numbers(params), inter, final)
                        elif final == "m":
                            sgr(params)
                        else:
                            handler = csi(final)
                            if handler is not None:
                                handler(*csi_numbers(params))
                    except Exception:  # a bad sequence must not lose the text after it
                        pass
                    if text:
                        draw(text)
                elif kind == 7:
                    screen.next_line()
                    text = m.group(7)
                    if text:
                        draw(text)
                else:
                    self._rare_token(m, kind)
            except Exception:  # skip the bad sequence, keep the rest of the chunk
                continue

    def _csi_variant(self, prefix: str, numbers: tuple[int, ...], inter: str, final: str) -> None:
        """CSI sequences with a private prefix or intermediates; unknown ones are ignored."""
        screen = self.screen
        first = numbers[0] if numbers else 0
        if prefix == "?" and not inter:
            if final in "hl":
                (screen.set_mode if final == "h" else screen.reset_mode)(*numbers, private=True)
            elif final == "J":
                screen.erase_in_display(first)
            elif final == "K":
                screen.erase_in_line(first)
            elif final == "n":
                screen.report_device_status(first, private=True)
        elif inter == "$" and final == "p":
            screen.report_mode(first, private=prefix == "?")
        elif prefix == ">" and final == "c":
            screen.report_device_attributes(first, secondary=True)
        elif not prefix and inter == " " and final == "q":
            screen.cursor_shape = first
        elif not prefix and inter == "!" and final == "p":
            screen.soft_reset()

    def _rare_token(self, m: re.Match[str], kind: int | None) -> None:
        if kind == 8:
            handler = self._controls.get(m.group(8))
            if handler is not None:
                handler()
        elif kind == 9:
            self._osc(m.group(9))
        elif kind == 12:
            self._escape(m.group(11), m.group(12))

    def _escape(self, inter: str, final: str) -> None:
        screen = self.screen
        if not inter:
            handler = {
                "7": screen.save_cursor,
                "8": screen.restore_cursor,
                "D": screen.index,
                "E": screen.next_line,
                "M": screen.reverse_index,
                "H": screen.set_tab_stop,
                "c": screen.reset,
            }.get(final)
            if handler is not None:
                handler()
            elif final in "=>":
                screen.app_keypad = final == "="
        elif inter == "#" and final == "8":
            screen.alignment_display()
        elif inter in ("(", ")"):
            screen.define_charset(final, inter)

    def _osc(self, body: str) -> None:
        code, _, text = body.partition(";")
        text = _CONTROLS.sub("", text)[:256]  # a title is shown in one line of the UI
        if code in ("0", "1"):
            self.screen.set_icon_name(text)
        if code in ("0", "2"):
            self.screen.set_title(text)

    def _stray_escape(self, data: str, pos: int) -> int:
        """Handle an ESC that starts no complete sequence; returns where to go on."""
        m = _INCOMPLETE.match(data, pos)
        if m is None:
            return pos + 1  # malformed: drop the ESC, the rest is text
        if m.group(2) is not None or (m.group(1) is not None and len(data) - pos > _MAX_PENDING):
            self._in_string = True
        else:
            self._pending = data[pos:]
        return len(data)

    def _skip_string(self, data: str) -> str:
        """Drop the rest of a swallowed string; returns what follows its terminator."""
        m = _END_OF_STRING.search(data)
        if m is None:
            return ""
        self._in_string = False
        return data[m.end() :]


def _csi_table(screen: TerminalScreen) -> dict[str, Callable[..., None]]:
    """Plain CSI final byte -> screen method taking the numeric parameters."""
    return {
        "@": screen.insert_characters,
        "A": screen.cursor_up,
        "B": screen.cursor_down,
        "C": screen.cursor_forward,
        "D": screen.cursor_back,
        "E": screen.cursor_down1,
        "F": screen.cursor_up1,
        "G": screen.cursor_to_column,
        "H": screen.cursor_position,
        "I": screen.tab,
        "J": screen.erase_in_display,
        "K": screen.erase_in_line,
        "L": screen.insert_lines,
        "M": screen.delete_lines,
        "P": screen.delete_characters,
        "S": screen.scroll_up,
        "T": screen.scroll_down,
        "X": screen.erase_characters,
        "Z": screen.back_tab,
        "`": screen.cursor_to_column,
        "a": screen.cursor_forward,
        "b": screen.repeat,
        "c": screen.report_device_attributes,
        "d": screen.cursor_to_line,
        "e": screen.cursor_down,
        "f": screen.cursor_position,
        "g": screen.clear_tab_stop,
        "h": screen.set_mode,
        "l": screen.reset_mode,
        "n": screen.report_device_status,
        "r": screen.set_margins,
        "s": screen.save_cursor,  # with parameters it is DECSLRM: the call fails, ignored
        "u": screen.restore_cursor,
    }


def _control_table(screen: TerminalScreen) -> dict[str, Callable[[], None]]:
    """C0/C1 control character -> screen method; others are ignored."""
    return {
        "\r": screen.carriage_return,
        "\n": screen.linefeed,
        "\x0b": screen.linefeed,
        "\x0c": screen.linefeed,
        "\x08": screen.backspace,
        "\t": screen.tab,
        "\x0e": screen.shift_out,
        "\x0f": screen.shift_in,
        "\x84": screen.index,
        "\x85": screen.next_line,
        "\x88": screen.set_tab_stop,
        "\x8d": screen.reverse_index,
    }
