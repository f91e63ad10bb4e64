"""The little of orb.toml the server needs: the summary, the agent, the build and the exposed ports."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

from orb_tui.server.errors import ApiProblem, bad_request, invalid

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class AgentSection:
    """`[agent]`: what deploy runs."""

    name: str
    lang: str
    entry: str
    args: list[str]
    env: dict[str, str]


@dataclass(frozen=True)
class BuildPlan:
    """`[source]` and `[build]`: what build clones and runs."""

    git: str | None
    branch: str
    steps: list[str]
    working_dir: str


@dataclass(frozen=True)
class OrbConfig:
    """A parsed, checked orb.toml."""

    raw: dict[str, Any]
    agent: AgentSection
    build: BuildPlan
    expose: list[int]

    def summary(self) -> dict[str, Any]:
        """The `config_summary` of the upload answer."""
        out: dict[str, Any] = {
            "agent": {"name": self.agent.name, "lang": self.agent.lang, "entry": self.agent.entry}
        }
        backend = self.raw.get("backend")
        if isinstance(backend, dict) and isinstance(backend.get("provider"), str):
            out["backend"] = {"provider": backend["provider"]}
        if isinstance(self.raw.get("llm"), dict):
            out["llm"] = self.raw["llm"]
        if self.expose:
            out["ports"] = self.expose
        return out


def _table(raw: dict[str, Any], name: str, *, required: bool = False) -> dict[str, Any]:
    value = raw.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        what = "is missing" if value is None else "must be a table"
        raise invalid(f"[{name}]", what)
    return value


def _str(table: dict[str, Any], section: str, key: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise invalid(f"{section}.{key}", "must be a non-empty string")
    return value


def _str_list(table: dict[str, Any], section: str, key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(f"{section}.{key}", "must be a list of strings")
    return value


def _agent(raw: dict[str, Any]) -> AgentSection:
    table = _table(raw, "agent", required=True)
    env = table.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise invalid("agent.env", "must be a table of strings")
    return AgentSection(
        name=_str(table, "agent", "name"),
        lang=_str(table, "agent", "lang"),
        entry=_str(table, "agent", "entry"),
        args=_str_list(table, "agent", "args"),
        env=dict(env),
    )


def _build(raw: dict[str, Any]) -> BuildPlan:
    source, build = _table(raw, "source"), _table(raw, "build")
    git = source.get("git")
    if git is not None and (not isinstance(git, str) or not git):
        raise invalid("source.git", "must be a non-empty string")
    return BuildPlan(
        git=git,
        branch=_str(source, "source", "branch", "main"),
        steps=_str_list(build, "build", "steps"),
        working_dir=_str(build, "build", "working_dir", "/agent/code"),
    )


def _expose(raw: dict[str, Any]) -> list[int]:
    ports = _table(raw, "ports").get("expose", [])
    ok = isinstance(ports, list) and all(
        isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 65535 for p in ports
    )
    if not ok:
        raise invalid("ports.expose", "must be a list of port numbers (1-65535)")
    return list(dict.fromkeys(ports))


def parse_toml(text: str) -> dict[str, Any]:
    """TOML text as a dict; a syntax error is a 400 naming the line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if match := _AT.search(message):
            where = f"at line {match[1]}, column {match[2]}"
        else:
            lines = text.splitlines() or [""]
            where = f"at line {len(lines)}, column {len(lines[-1]) + 1} (end of document)"
        reason = message.split(" (at ")[0]
        raise bad_request(f"invalid TOML {where}: {reason}") from exc


def _nul_at(value: object, where: str) -> str | None:
    """The dotted key of the first string under `value` holding a NUL (TOML's `\\u0000`), if any."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    items: list[tuple[str, object]] = []
    if isinstance(value, dict):
        items = [(str(key), item) for key, item in value.items()]
        if any("\x00" in key for key, _ in items):
            return where or "a key"
    elif isinstance(value, list):
        items = [(f"[{index}]", item) for index, item in enumerate(value)]
    for key, item in items:
        inner = f"{where}{key}" if key.startswith("[") or not where else f"{where}.{key}"
        if (found := _nul_at(item, inner)) is not None:
            return found
    return None


def parse_config(text: str) -> OrbConfig:
    """Parse and check an orb.toml; raises `ApiProblem` (400 syntax, 422 schema)."""
    raw = parse_toml(text)
    # strings end up in argv, env and paths, none of which can hold a NUL byte
    if (where := _nul_at(raw, "")) is not None:
        raise invalid(where, "must not contain a NUL character")
    return OrbConfig(raw=raw, agent=_agent(raw), build=_build(raw), expose=_expose(raw))


def stored_config(text: str) -> OrbConfig:
    """Parse a config that was checked when it was uploaded."""
    try:
        return parse_config(text)
    except ApiProblem as exc:  # pragma: no cover - stored configs were valid on upload
        raise bad_request(f"the stored config is no longer valid: {exc.message}") from exc
