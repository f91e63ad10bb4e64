"""Positions in TOML text: where each key and value starts, and clearer syntax error messages."""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from dataclasses import dataclass

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KeyPath = tuple[str | int, ...]
"""A path into parsed TOML: table and key names, and indexes into arrays."""


_AT = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)\s*$")
_DATEISH = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{1,2}")
_TWICE = re.compile(r"^Cannot declare \((.*)\) twice$")


def syntax_error(text: str, raw: str) -> tuple[int, int, str]:
    """The 1-based line, column and a clearer message for tomllib's error `raw` about `text`."""
    match = _AT.search(raw)
    message = raw[: match.start()] if match else raw
    if match and match.group(1):
        line, column = int(match.group(1)), int(match.group(2))
        column, message = _explain(text.split("\n")[line - 1], column, message)
    else:
        line, column = _line_col(text, len(text))
        message = _explain_end(message)
        opener = _unclosed_string_start(text, message)
        if opener is not None:
            line, column = _line_col(text, opener)
            message = "unclosed string: it never ends (opened here)"
    return line, column, f"invalid TOML: {message}"


def _explain(line: str, column: int, message: str) -> tuple[int, str]:
    """A clearer message for tomllib's, and a better column where that helps."""
    for explain in (_duplicate, _escape, _date, _misplaced):
        if (found := explain(line, column, message)) is not None:
            return found
    return column, message[:1].lower() + message[1:]


def _duplicate(line: str, column: int, message: str) -> tuple[int, str] | None:
    start = len(line) - len(line.lstrip()) + 1
    if message == "Cannot overwrite a value":
        name = line.split("=", 1)[0].strip()
        also = " as a value" if name.startswith("[") else ""
        return start, f"duplicate key: {name} is already set{also}"
    if twice := _TWICE.match(message):
        name = ".".join(part.strip(" '\"") for part in twice.group(1).split(",") if part.strip())
        return start, f"duplicate table: [{name}] is already declared"
    return None


def _escape(line: str, column: int, message: str) -> tuple[int, str] | None:
    if message == "Unterminated string":
        opener = line.rfind('"', 0, column - 1)
        return opener + 1 if opener >= 0 else column, "unclosed string: it never ends (opened here)"
    if message == "Illegal character '\\n'":
        return column, 'unclosed string: the line ends inside "..."'
    if message in ("Invalid hex value", "Unescaped '\\' in a string"):
        backslash = line.rfind("\\", 0, column)
        where = backslash + 1 if backslash >= 0 else column
        return where, "bad escape in a string: write \\\\ for a backslash, or use '...'"
    return None


def _date(line: str, column: int, message: str) -> tuple[int, str] | None:
    value = line.split("=", 1)[-1].split("#", 1)[0].strip()
    if message == "Invalid date or datetime":
        return column, f"invalid date or time: {value}"
    if message.startswith("Expected newline or end") and _DATEISH.match(value):
        return line.find(value) + 1, f"invalid date or time: {value}"
    return None


def _misplaced(line: str, column: int, message: str) -> tuple[int, str] | None:
    rest = line[column - 1 :].strip()
    if message.startswith("Expected newline or end"):
        return column, "expected the end of the line after a value (a missing comma or quote?)"
    if message == "Invalid value" and rest[:1].isalpha():
        return column, 'invalid value: a string needs quotes ("...")'
    if message == "Invalid value" and rest[:1] in ("", "#"):
        return column, "a value is missing after ="
    if message == "Unclosed array":
        return column, "unclosed array: expected a comma or ]"
    if message == "Invalid statement":
        return column, "expected key = value or a [table] header"
    return None


def _explain_end(message: str) -> str:
    if message == "Invalid value":
        return "the file ends where a value should be (an unclosed [ or {?)"
    return message


def _unclosed_string_start(text: str, message: str) -> int | None:
    """Where the string that runs to the end of `text` opened, when `message` says one does."""
    if message == "Unterminated string":
        cut = text.rfind("\n") + 1
        last_line = text[cut:]
        single = '"""' not in last_line and not _unterminated(text[:cut])
        delimiter = '"' if single else '"""'
    elif message.startswith("Expected \"'"):
        delimiter = message.removeprefix("Expected ").strip('"')
    else:
        return None
    start = text.rfind(delimiter)
    return start if start >= 0 else None


def _unterminated(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return str(exc).startswith("Unterminated string")
    return False


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


_BLANK = re.compile(r"[ \t]*")
_BLANK_LINES = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
# Multi-line forms first; a multi-line string may end with up to two quotes of its own.
_STRINGS = (
    re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""(?:"{1,2}(?!"))?', re.DOTALL),
    re.compile(r"'''(?:[^']|'(?!''))*'''(?:'{1,2}(?!'))?", re.DOTALL),
    re.compile(r'"(?:[^"\\\n]|\\.)*"'),
    re.compile(r"'[^'\n]*'"),
)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_STOP = frozenset(",]}#\n\r")


@dataclass
class Positions:
    """Offsets of keys, tables and values in a document, by key path, as 1-based (line, column)."""

    text: str
    keys: dict[KeyPath, int]
    values: dict[KeyPath, int]

    def __post_init__(self) -> None:
        self._starts = [0] + [match.end() for match in re.finditer("\n", self.text)]

    def _at(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def key(self, path: KeyPath) -> tuple[int, int]:
        """Where the key (or table header) at `path` is written; the nearest parent's otherwise."""
        while path and path not in self.keys:
            path = path[:-1]
        return self._at(self.keys[path]) if path else (1, 1)

    def value(self, path: KeyPath) -> tuple[int, int]:
        """Where the value at `path` starts; the key's position when it is not known."""
        return self._at(self.values[path]) if path in self.values else self.key(path)


class Scanner:
    """Walks text that tomllib accepted and records where each key, table and value starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.keys: dict[KeyPath, int] = {}
        self.values: dict[KeyPath, int] = {}
        self.aot: dict[KeyPath, int] = {}

    def run(self) -> Positions:
        table: KeyPath = ()
        while True:
            self._skip(newlines=True)
            if self.i >= len(self.text):
                return Positions(self.text, self.keys, self.values)
            before = self.i
            if self.text[self.i] == "[":
                table = self._header()
            else:
                self._keyval(table)
            self.i = max(self.i, before + 1)

    def _skip(self, *, newlines: bool) -> None:
        match = (_BLANK_LINES if newlines else _BLANK).match(self.text, self.i)
        self.i = match.end() if match else self.i

    def _header(self) -> KeyPath:
        start = self.i
        array = self.text.startswith("[[", self.i)
        self.i += 2 if array else 1
        names = [name for name, _ in self._key()]
        self.i += 2 if array else 1
        path = (*self._resolve(names[:-1]), names[-1])
        for n in range(1, len(path)):
            self.keys.setdefault(path[:n], start)
        if array:
            self.keys.setdefault(path, start)
        else:
            self.keys[path] = start
        if array:
            self.aot[path] = self.aot.get(path, -1) + 1
            path += (self.aot[path],)
            self.keys[path] = start
        return path

    def _resolve(self, names: list[str]) -> KeyPath:
        path: KeyPath = ()
        for name in names:
            path += (name,)
            if path in self.aot:
                path += (self.aot[path],)
        return path

    def _key(self) -> list[tuple[str, int]]:
        parts: list[tuple[str, int]] = []
        while True:
            self._skip(newlines=False)
            start = self.i
            parts.append((self._key_part(), start))
            self._skip(newlines=False)
            if not self.text.startswith(".", self.i):
                return parts
            self.i += 1

    def _key_part(self) -> str:
        start, text = self.i, self.text
        if text.startswith(('"', "'"), start):
            self._string()
            return str(tomllib.loads(f"k = {text[start : self.i]}")["k"])
        match = _BARE_KEY.match(text, start)
        self.i = match.end() if match else start + 1
        return text[start : self.i]

    def _keyval(self, table: KeyPath) -> None:
        parts = self._key()
        path = table
        for name, start in parts:
            path += (name,)
            self.keys.setdefault(path, start)
        self._skip(newlines=False)
        self.i += 1  # "="
        self._skip(newlines=False)
        self._value(path)

    def _value(self, path: KeyPath) -> None:
        self.values[path] = self.i
        head = self.text[self.i : self.i + 1]
        if head in ('"', "'"):
            self._string()
        elif head == "[":
            self._array(path)
        elif head == "{":
            self._inline_table(path)
        else:
            while self.i < len(self.text) and self.text[self.i] not in _STOP:
                self.i += 1

    def _string(self) -> None:
        for pattern in _STRINGS:
            if match := pattern.match(self.text, self.i):
                self.i = match.end()
                return
        self.i += 1  # not a string after all (cannot happen in text tomllib accepted)

    def _array(self, path: KeyPath) -> None:
        self.i += 1
        index = 0
        while self.i < len(self.text):
            self._skip(newlines=True)
            if self.text.startswith("]", self.i):
                break
            before = self.i
            self._value((*path, index))
            index += 1
            self._skip(newlines=True)
            if self.text.startswith(",", self.i):
                self.i += 1
            self.i = max(self.i, before + 1)
        self.i += 1

    def _inline_table(self, path: KeyPath) -> None:
        self.i += 1
        while self.i < len(self.text):
            self._skip(newlines=True)
            if self.text.startswith("}", self.i):
                break
            before = self.i
            self._keyval(path)
            self._skip(newlines=True)
            if self.text.startswith(",", self.i):
                self.i += 1
            self.i = max(self.i, before + 1)
        self.i += 1
