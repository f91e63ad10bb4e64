"""The console's settings (config.toml): profiles, polling, theme and keymap, and how an endpoint is chosen."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import tomlkit
from tomlkit.items import Table

from orb_tui.config.paths import Paths
from orb_tui.config.toml_io import TomlSyntaxError, key_line, parse_toml, write_atomic

CLOUD_URL = "https://api.orbcloud.dev"
"""The endpoint used when nothing names another."""


@dataclass(frozen=True)
class Profile:
    """A named endpoint; its key lives in credentials.toml under the same name."""

    name: str
    """The profile's name, as used by --profile and ORB_PROFILE."""
    api_url: str
    """The API base URL, e.g. https://api.orbcloud.dev or http://127.0.0.1:8765."""
    verify_tls: bool = True
    """Check the server's TLS certificate; turning it off shows a warning on screen."""


@dataclass(frozen=True)
class ConfigProblem:
    """Something wrong in a settings file; the app still starts and shows it."""

    path: Path
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Settings:
    """Everything config.toml can say, with defaults for what it does not."""

    default_profile: str | None = None
    """The profile used when neither --profile nor ORB_PROFILE names one."""
    poll_interval: float = 2.0
    """Seconds between polls of the computers list and the selected computer's agents."""
    theme: str = "textual-dark"
    """The Textual theme name."""
    profiles: Mapping[str, Profile] = field(default_factory=dict)
    """Named endpoints, from `[profiles.NAME]` tables."""
    keymap: Mapping[str, str] = field(default_factory=dict)
    """Binding id -> keys (comma-separated), from `[keymap]`."""
    problems: tuple[ConfigProblem, ...] = ()
    """What was wrong with the file; the defaults stand in for the bad parts."""


@dataclass(frozen=True)
class Endpoint:
    """The server to talk to and the key to use, after flags, environment and files are layered."""

    profile: str | None
    api_url: str
    api_key: str | None = field(repr=False)  # a traceback that prints locals must not show it
    verify_tls: bool = True


class _Reader:
    """Pulls typed values out of a parsed file, noting a problem (with its line) for each bad one."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[ConfigProblem] = []

    def problem(self, message: str, key: str | None = None, table: str | None = None) -> None:
        line = key_line(self.text, key, table) if key else None
        self.problems.append(ConfigProblem(self.path, line, 1 if line else None, message))

    def get(
        self, data: Mapping[str, object], key: str, kind: type | tuple[type, ...], table: str | None
    ) -> object | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, bool) and kind is not bool and bool not in _as_tuple(kind):
            value = None
        if value is None or not isinstance(value, kind):
            where = f"[{table}] " if table else ""
            self.problem(f"{where}{key} should be {_describe(kind)}; using the default", key, table)
            return None
        return value


_KIND_NAMES = {str: "a string", int: "a number", float: "a number", bool: "true or false"}


def _describe(kind: type | tuple[type, ...]) -> str:
    return " or ".join(dict.fromkeys(_KIND_NAMES.get(k, k.__name__) for k in _as_tuple(kind)))


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _profiles(reader: _Reader, data: Mapping[str, object]) -> dict[str, Profile]:
    raw = data.get("profiles", {})
    if not isinstance(raw, dict):
        reader.problem("profiles should be a table of [profiles.NAME] sections", "profiles")
        return {}
    profiles: dict[str, Profile] = {}
    for name, body in raw.items():
        table = f"profiles.{name}"
        if not isinstance(body, dict):
            reader.problem(f"[{table}] should be a table", name)
            continue
        url = reader.get(body, "api_url", str, table)
        problem = api_url_problem(url) if isinstance(url, str) else None
        if not isinstance(url, str) or problem:
            if problem:
                reader.problem(f"[{table}] api_url {problem}; profile ignored", "api_url", table)
            elif "api_url" not in body:
                reader.problem(f"[{table}] has no api_url; profile ignored", None)
            continue
        verify = reader.get(body, "verify_tls", bool, table)
        profiles[name] = Profile(
            name, url.rstrip("/"), verify if isinstance(verify, bool) else True
        )
    return profiles


def api_url_problem(url: str) -> str | None:
    """What is wrong with `url` as an API URL (a few words), or None when a client can use it."""
    if not url.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError as exc:
        return f"is not a valid address ({exc})"
    if not parts.hostname:
        return "has no host name"
    return None


def _keymap(reader: _Reader, data: Mapping[str, object]) -> dict[str, str]:
    raw = data.get("keymap", {})
    if not isinstance(raw, dict):
        reader.problem('keymap should be a table of binding-id = "keys"', "keymap")
        return {}
    keymap: dict[str, str] = {}
    for binding_id, keys in raw.items():
        if isinstance(keys, str) and keys.strip():
            keymap[binding_id] = keys.strip()
        else:
            reader.problem(
                f"[keymap] {binding_id} should be a key name string", binding_id, "keymap"
            )
    return keymap


def parse_settings(path: Path, text: str) -> Settings:
    """Settings from the text of a config.toml; never raises, bad parts become problems."""
    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        problem = ConfigProblem(path, exc.line, exc.column, f"not valid TOML: {exc.message}")
        return Settings(problems=(problem,))
    reader = _Reader(path, text)
    default_profile = reader.get(data, "default_profile", str, None)
    poll = reader.get(data, "poll_interval", (int, float), None)
    if isinstance(poll, (int, float)) and not 0.2 <= poll <= 3600:
        reader.problem("poll_interval must be between 0.2 and 3600 seconds", "poll_interval")
        poll = None
    theme = reader.get(data, "theme", str, None)
    return Settings(
        default_profile=default_profile if isinstance(default_profile, str) else None,
        poll_interval=float(poll) if isinstance(poll, (int, float)) else 2.0,
        theme=theme if isinstance(theme, str) else "textual-dark",
        profiles=_profiles(reader, data),
        keymap=_keymap(reader, data),
        problems=tuple(reader.problems),
    )


def load_settings(paths: Paths) -> Settings:
    """Read config.toml; a missing file gives the defaults, a broken one gives problems, never an error."""
    path = paths.config_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        return Settings(problems=(ConfigProblem(path, None, None, f"cannot read: {exc}"),))
    return parse_settings(path, text)


def save_profile(paths: Paths, profile: Profile, *, make_default: bool = False) -> None:
    """Add or update `[profiles.NAME]` in config.toml, keeping the user's comments and layout.

    Raises:
        TomlSyntaxError: the file exists but is not valid TOML (it is left untouched).
    """
    path = paths.config_file
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    parse_toml(text)  # refuse to rewrite a file we cannot read faithfully
    doc = tomlkit.parse(text)
    if make_default:
        doc["default_profile"] = profile.name
    profiles = doc.get("profiles")
    if not isinstance(profiles, Table):
        profiles = tomlkit.table(is_super_table=True)
        doc["profiles"] = profiles
    entry = profiles.get(profile.name)
    if not isinstance(entry, Table):
        entry = tomlkit.table()
        profiles[profile.name] = entry
    entry["api_url"] = profile.api_url
    if not profile.verify_tls or "verify_tls" in entry:
        entry["verify_tls"] = profile.verify_tls
    write_atomic(path, tomlkit.dumps(doc), mode=0o644)


def resolve_endpoint(
    settings: Settings,
    credentials: Mapping[str, str],
    *,
    profile: str | None = None,
    api_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Endpoint:
    """Layer the sources: flags win over the environment, which wins over the files."""
    env = os.environ if env is None else env
    name = profile or env.get("ORB_PROFILE") or settings.default_profile
    if name is None and len(settings.profiles) == 1:
        name = next(iter(settings.profiles))
    chosen = settings.profiles.get(name) if name else None
    given_url = api_url or env.get("ORB_API_URL")
    url = given_url or (chosen.api_url if chosen else None) or CLOUD_URL
    # A stored key goes only where its profile points, or where the user points it now: a
    # profile dropped for a bad api_url must not send its key to the default endpoint.
    stored = credentials.get(name) if name and (chosen or given_url) else None
    key = env.get("ORB_API_KEY") or stored
    verify = chosen.verify_tls if chosen else True
    return Endpoint(profile=name, api_url=url.rstrip("/"), api_key=key or None, verify_tls=verify)
