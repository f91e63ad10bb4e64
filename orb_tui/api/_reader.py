"""Lenient, typed reading of JSON objects for the models: what was read, what was left over."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import field
from datetime import date, datetime, timezone
from typing import TypeVar

from orb_tui.api.errors import ProtocolError

T = TypeVar("T")

_FRACTION = re.compile(r"(\.\d{6})\d+")


def kind(value: object) -> str:
    """A short name of a JSON value's type for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def parse_datetime(value: object, what: str) -> datetime | None:
    """ISO 8601 with `Z`, an offset or none (taken as UTC), or epoch seconds; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if not isinstance(value, str):
        raise ProtocolError(f"{what} should be a date and time, got {kind(value)}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(r"\1", text)  # nanoseconds (Go, Rust) -> microseconds
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ProtocolError(f"{what} is not a date and time: {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_date(value: object, what: str) -> date:
    """A calendar day from `2026-11-28` or a full timestamp."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ProtocolError(f"{what} is not a date: {value!r}") from None
    parsed = parse_datetime(value, what)
    if parsed is None:
        raise ProtocolError(f"{what} is missing")
    return parsed.date()


def extra_field() -> Mapping[str, object]:
    """The `extra` field of a model: unknown fields, not in its repr (they may hold anything)
    and not part of its equality."""
    return field(default_factory=dict, repr=False, compare=False)


def parse_list(data: object, key: str, parse: Callable[[object], T], what: str) -> list[T]:
    """Parse a list answer given bare (`[...]`) or wrapped (`{key: [...]}`)."""
    return [parse(item) for item in unwrap_list(data, key, what)]


def unwrap_list(data: object, key: str, what: str) -> list[object]:
    """A list given bare (`[...]`) or wrapped (`{key: [...]}`)."""
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and key in data:
        inner = data[key]
        if isinstance(inner, list):
            return inner
        raise ProtocolError(f"{what}: `{key}` should be a list, got {kind(inner)}")
    raise ProtocolError(f"{what}: expected a list or an object with `{key}`, got {kind(data)}")


class Reader:
    """Reads the fields of one JSON object; `extra()` gives the fields nobody read."""

    __slots__ = ("data", "seen", "what")

    def __init__(self, data: object, what: str) -> None:
        if not isinstance(data, Mapping):
            raise ProtocolError(f"{what}: expected an object, got {kind(data)}")
        self.data: Mapping[str, object] = data
        self.what = what
        self.seen: set[str] = set()

    def _get(self, key: str) -> object:
        self.seen.add(key)
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _wrong(self, key: str, expected: str, value: object) -> ProtocolError:
        return ProtocolError(f"{self.what}: `{key}` should be {expected}, got {kind(value)}")

    def req_str(self, key: str) -> str:
        value = self._get(key)
        if value is None or value == "":
            raise ProtocolError(f"{self.what}: `{key}` is missing")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self._wrong(key, "a string", value)
        return str(value)  # a numeric id is still an id

    def opt_str(self, key: str) -> str | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self._wrong(key, "a string", value)
        return str(value)

    def text(self, key: str, default: str = "") -> str:
        value = self.opt_str(key)
        return default if value is None else value

    def opt_int(self, key: str) -> int | None:
        value = self._get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise self._wrong(key, "a whole number", value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise self._wrong(key, "a whole number", value)

    def integer(self, key: str, default: int = 0) -> int:
        value = self.opt_int(key)
        return default if value is None else value

    def req_int(self, key: str) -> int:
        value = self.opt_int(key)
        if value is None:
            raise ProtocolError(f"{self.what}: `{key}` is missing")
        return value

    def number(self, key: str, default: float = 0.0) -> float:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise self._wrong(key, "a number", value)

    def opt_bool(self, key: str) -> bool | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self._wrong(key, "true or false", value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.opt_bool(key)
        return default if value is None else value

    def when(self, key: str) -> datetime | None:
        return parse_datetime(self._get(key), f"{self.what}: `{key}`")

    def mapping(self, key: str) -> Mapping[str, object]:
        value = self._get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self._wrong(key, "an object", value)
        return dict(value)

    def items(self, key: str, parse: Callable[[object], T]) -> tuple[T, ...]:
        """A list field (missing or null: empty) parsed item by item."""
        value = self._get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._wrong(key, "a list", value)
        return tuple(parse(item) for item in value)

    def strings(self, key: str) -> tuple[str, ...]:
        def one(item: object) -> str:
            if not isinstance(item, str):
                raise self._wrong(key, "a list of strings", item)
            return item

        return self.items(key, one)

    def extra(self) -> dict[str, object]:
        """The fields that were not read, kept so nothing the server says is lost."""
        return {k: v for k, v in self.data.items() if k not in self.seen}
