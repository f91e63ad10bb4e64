"""orb.toml: validation with line and column for every problem, and edits that keep comments."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table, Whitespace

from orb_tui.config.orb_toml_positions import KeyPath, Positions, Scanner, syntax_error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LANGS = ("python", "node", "binary", "go", "rust")
PROVIDERS = ("anthropic", "openai", "google", "multi", "custom")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an orb.toml, at a 1-based line and column."""

    severity: Severity
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Report:
    """What `check` found: the problems, and the parsed data when the text is valid TOML."""

    problems: tuple[Problem, ...]
    data: dict[str, Any] | None
    """None when the text is not valid TOML."""

    @property
    def syntax_ok(self) -> bool:
        """True when the text parses as TOML (schema problems aside)."""
        return self.data is not None

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems of severity "error"."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems of severity "warning"."""
        return tuple(p for p in self.problems if p.severity == "warning")


class EditError(ValueError):
    """A structured edit that cannot be made (the text does not parse, or the value is wrong)."""


def check(text: str) -> Report:
    """Parse `text` and check it against the orb.toml schema; never raises."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column, message = syntax_error(text, str(exc))
        return Report((Problem("error", line, column, message),), None)
    positions = Scanner(text).run()
    problems = _Schema(positions).check(data)
    unique = dict.fromkeys(problems)  # a key can be reached twice through dotted keys
    return Report(tuple(sorted(unique, key=lambda p: (p.line, p.column))), data)


def validate(text: str) -> list[Problem]:
    """The problems in `text`, sorted by position; an empty list for a good orb.toml."""
    return list(check(text).problems)


# -- the schema ----------------------------------------------------------------------------------

_SIZE = re.compile(r"^\d+(\.\d+)?\s*([kmgt]i?b?|b)$", re.IGNORECASE)
_DURATION = re.compile(r"^\d+(\.\d+)?(ms|s|m|h|d)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_Rule = Callable[[Any], "str | None"]


def _one_of(choices: tuple[str, ...]) -> _Rule:
    return lambda v: None if v in choices else f'must be one of {", ".join(choices)} (got "{v}")'


def _pattern(pattern: re.Pattern[str], example: str) -> _Rule:
    return lambda v: None if pattern.match(v) else f'must be {example} (got "{v}")'


def _not_empty(value: str) -> str | None:
    return "must not be empty" if not value.strip() else None


def _positive(value: int) -> str | None:
    return None if value > 0 else f"must be more than 0 (got {value})"


def _port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else f"{value} is not a port number (1-65535)"


@dataclass(frozen=True)
class _Key:
    """What one known key must hold."""

    kind: Literal["string", "integer", "strings", "integers", "string table", "any"]
    required: bool = False
    rule: _Rule | None = None
    rule_severity: Severity = "error"


SCHEMA: Mapping[str, Mapping[str, _Key]] = {
    "agent": {
        "name": _Key("string", required=True, rule=_not_empty),
        "lang": _Key("string", required=True, rule=_one_of(LANGS)),
        "entry": _Key("string", required=True, rule=_not_empty),
        "args": _Key("strings"),
        "env": _Key("string table"),
    },
    "source": {"git": _Key("string", required=True, rule=_not_empty), "branch": _Key("string")},
    "build": {"steps": _Key("strings"), "working_dir": _Key("string")},
    "backend": {
        "provider": _Key("string", rule=_one_of(PROVIDERS), rule_severity="warning"),
        "api_base": _Key("string"),
        "routes": _Key("any"),
        "forward_headers": _Key("any"),
    },
    "llm": {"base_url": _Key("string"), "model": _Key("string")},
    "ports": {"expose": _Key("integers", rule=_port)},
    "resources": {
        "runtime": _Key("string", rule=_pattern(_SIZE, 'a size like "2GB"')),
        "disk": _Key("string", rule=_pattern(_SIZE, 'a size like "10GB"')),
        "runtime_mb": _Key("integer", rule=_positive),
        "disk_mb": _Key("integer", rule=_positive),
    },
    "lifecycle": {
        "sleep": _Key("string", rule=_one_of(("auto", "never"))),
        "idle_timeout": _Key("string", rule=_pattern(_DURATION, 'a duration like "60s"')),
    },
    "network": {"outbound": _Key("strings")},
}
"""Every section and key orb.toml is known to use (part 2 of the API spec)."""


def type_name(value: object) -> str:
    """The TOML name of a parsed value's type, with an article: "a string", "an array"."""
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
        (datetime, "a date-time"),
        (date, "a date"),
        (time, "a time"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "a value")


def _unknown(name: str, value: object) -> str:
    if isinstance(value, dict):
        return f"section [{name}]"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return f"section [[{name}]]"
    return f'key "{name}"'


def _is(kind: str, value: object) -> bool:
    if kind in ("string", "strings"):
        return isinstance(value, str)
    return isinstance(value, int) and not isinstance(value, bool)


class _Schema:
    """Checks parsed data against SCHEMA, placing each problem with `Positions`."""

    def __init__(self, positions: Positions) -> None:
        self.at = positions
        self.problems: list[Problem] = []

    def _add(self, where: tuple[int, int], severity: Severity, message: str) -> None:
        self.problems.append(Problem(severity, where[0], where[1], message))

    def check(self, data: Mapping[str, Any]) -> list[Problem]:
        if "agent" not in data:
            self._add((1, 1), "error", "missing [agent]: it needs name, lang and entry")
        for section, value in data.items():
            spec = SCHEMA.get(section)
            if spec is None:
                what = _unknown(section, value)
                self._add(self.at.key((section,)), "warning", f"unknown {what}")
            elif not isinstance(value, dict):
                message = f"{section} must be a table ([{section}]), not {type_name(value)}"
                self._add(self.at.value((section,)), "error", message)
            else:
                self._section(section, value, spec)
        self._across(data)
        return self.problems

    def _section(self, name: str, table: Mapping[str, Any], spec: Mapping[str, _Key]) -> None:
        for key, known in spec.items():
            if known.required and key not in table:
                self._add(self.at.key((name,)), "error", f'[{name}] is missing "{key}"')
        for key, value in table.items():
            if (rule := spec.get(key)) is None:
                self._add(self.at.key((name, key)), "warning", f'unknown key "{key}" in [{name}]')
            else:
                self._value((name, key), f"[{name}] {key}", value, rule)

    def _value(self, path: KeyPath, label: str, value: Any, known: _Key) -> None:
        if known.kind == "string table":
            self._string_table(path, value)
        elif known.kind in ("strings", "integers"):
            self._array(path, label, value, known)
        elif known.kind != "any" and not _is(known.kind, value):
            message = f"{label} must be {'a string' if known.kind == 'string' else 'an integer'}"
            self._add(self.at.value(path), "error", f"{message}, not {type_name(value)}")
        elif known.rule is not None and (complaint := known.rule(value)):
            self._add(self.at.value(path), known.rule_severity, f"{label} {complaint}")

    def _array(self, path: KeyPath, label: str, value: Any, known: _Key) -> None:
        if not isinstance(value, list):
            of = "strings" if known.kind == "strings" else "integers"
            message = f"{label} must be an array of {of}, not {type_name(value)}"
            self._add(self.at.value(path), "error", message)
            return
        for index, item in enumerate(value):
            if not _is(known.kind, item):
                message = (
                    f"{label} must hold only {known.kind}; item {index + 1} is {type_name(item)}"
                )
                self._add(self.at.value((*path, index)), "error", message)
            elif known.rule is not None and (complaint := known.rule(item)):
                where = self.at.value((*path, index))
                self._add(where, known.rule_severity, f"{label}: {complaint}")

    def _string_table(self, path: KeyPath, value: Any) -> None:
        label = ".".join(str(p) for p in path)
        if not isinstance(value, dict):
            message = f"{label} must be a table of strings ([{label}]), not {type_name(value)}"
            self._add(self.at.value(path), "error", message)
            return
        for key, item in value.items():
            if not isinstance(item, str):
                message = f"[{label}] {key} must be a string, not {type_name(item)}"
                self._add(self.at.value((*path, key)), "error", message)

    def _across(self, data: Mapping[str, Any]) -> None:
        """Problems that involve more than one key."""
        if isinstance(data.get("backend"), dict) and isinstance(data.get("llm"), dict):
            message = "both [backend] and [llm] are set; newer docs replace [backend] with [llm]"
            self._add(self.at.key(("llm",)), "warning", message)
        resources = data.get("resources")
        if isinstance(resources, dict):
            for name in ("runtime", "disk"):
                if name in resources and f"{name}_mb" in resources:
                    message = f"[resources] sets both {name} and {name}_mb; keep one"
                    self._add(self.at.key(("resources", f"{name}_mb")), "warning", message)
        backend = data.get("backend")
        if isinstance(backend, dict) and backend.get("provider") != "custom":
            for key in ("api_base", "routes", "forward_headers"):
                if key in backend:
                    message = f'[backend] {key} is used only with provider = "custom"'
                    self._add(self.at.key(("backend", key)), "warning", message)
        self._duplicate_ports(data.get("ports"))

    def _duplicate_ports(self, ports: object) -> None:
        expose = ports.get("expose") if isinstance(ports, dict) else None
        if not isinstance(expose, list):
            return
        seen: set[object] = set()
        for index, port in enumerate(expose):
            if isinstance(port, int) and port in seen:
                where = self.at.value(("ports", "expose", index))
                self._add(where, "warning", f"[ports] expose lists {port} more than once")
            seen.add(port)


# -- structured edits ----------------------------------------------------------------------------

STARTER_TEMPLATE = """\
# orb.toml: how ORB runs the agent on this computer.
# Only [agent] is required; uncomment what you need.

[agent]
name = "{name}"
lang = "python"     # python, node, binary, go or rust
entry = "agent.py"  # the file to run
# args = ["--verbose"]

# [agent.env]
# LOG_LEVEL = "info"
# API_TOKEN = "${{API_TOKEN}}"  # filled from the org's secrets at deploy

# [source]
# git = "https://github.com/you/your-agent.git"
# branch = "main"

# [build]
# steps = ["pip install -r requirements.txt"]

# [ports]
# expose = [8000]
"""


def starter_template(name: str = "my-agent") -> str:
    """A commented orb.toml to start from, with the agent named `name`."""
    return STARTER_TEMPLATE.format(name=name.replace("\\", "").replace('"', ""))


def _parse(text: str) -> tomlkit.TOMLDocument:
    report = check(text)
    if not report.syntax_ok:
        raise EditError(str(report.problems[0]))
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:  # tomlkit is stricter than tomllib in a few corners
        raise EditError(f"cannot edit this file: {exc}") from None


def _dump(doc: tomlkit.TOMLDocument, original: str) -> str:
    """The edited document, ending with as many newlines as the original did (at least one)."""
    tail = original[len(original.rstrip("\n")) :] or "\n"
    return doc.as_string().rstrip("\n") + tail


def _put(doc: tomlkit.TOMLDocument, names: list[str], values: Mapping[str, object]) -> None:
    """Set `values` in the table at `names`; a missing table is added whole, with a blank line after."""
    container: Any = doc
    for depth, name in enumerate(names):
        if name not in container:
            table = inner = tomlkit.table()
            for deeper in names[depth + 1 :]:
                inner[deeper] = tomlkit.table()
                inner = inner[deeper]
            inner.update(values)
            inner.add(tomlkit.nl())
            _add_table(container, name, table)
            return
        container = container[name]
        if not isinstance(container, dict):
            raise EditError(f"{'.'.join(names[: depth + 1])} is not a table")
    container.update(values)


def _add_table(container: Any, name: str, table: Table) -> None:
    """Add `table` to `container`; inside a table, before the comments that end it.

    Comments at the end of a table usually introduce the next one, so a new sub-table goes
    above them rather than between them and the table they describe.
    """
    if isinstance(container, tomlkit.TOMLDocument) or not isinstance(container, Table):
        container[name] = table
        return
    body = container.value.body
    index = len(body)
    while index and body[index - 1][0] is None:
        index -= 1
    while index < len(body) and isinstance(body[index][1], Whitespace):
        index += 1
    if index < len(body):
        container.value._insert_at(index, name, table)
    else:
        container[name] = table


def set_key(text: str, table: str, key: str, value: object) -> str:
    """Set `key = value` in `[table]` (dotted for a sub-table), creating the table if needed."""
    doc = _parse(text)
    _put(doc, table.split("."), {key: value})
    return _dump(doc, text)


def _append(text: str, table: str, key: str, item: object) -> str:
    doc = _parse(text)
    section = doc.get(table)
    array = section.get(key) if isinstance(section, dict) else None
    if array is None:
        _put(doc, [table], {key: [item]})
    elif not isinstance(array, list):
        raise EditError(f"[{table}] {key} is {type_name(array)}, not an array")
    elif item not in array:
        array.append(item)
    return _dump(doc, text)


def add_port(text: str, port: int) -> str:
    """Add `port` to `[ports] expose` (nothing changes when it is already there)."""
    if isinstance(port, bool) or not 1 <= port <= 65535:
        raise EditError(f"{port} is not a port number (1-65535)")
    return _append(text, "ports", "expose", port)


def add_build_step(text: str, step: str) -> str:
    """Append `step` to `[build] steps`."""
    if not step.strip():
        raise EditError("a build step cannot be empty")
    return _append(text, "build", "steps", step)


def set_env(text: str, name: str, value: str) -> str:
    """Set `NAME = "value"` in `[agent.env]`."""
    if not _ENV_NAME.match(name):
        raise EditError(f'"{name}" is not a valid environment variable name')
    return set_key(text, "agent.env", name, value)


def set_agent(
    text: str, *, name: str | None = None, lang: str | None = None, entry: str | None = None
) -> str:
    """Set any of `[agent]` name, lang and entry, leaving the others as they are."""
    if lang is not None and lang not in LANGS:
        raise EditError(f'lang must be one of {", ".join(LANGS)} (got "{lang}")')
    doc = _parse(text)
    given = {"name": name, "lang": lang, "entry": entry}
    _put(doc, ["agent"], {key: value for key, value in given.items() if value is not None})
    return _dump(doc, text)
