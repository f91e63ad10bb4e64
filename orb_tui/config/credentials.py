"""API keys per profile in credentials.toml, kept at mode 0600, and the one way a key is shown."""

from __future__ import annotations

import stat

import tomlkit

from orb_tui.config.paths import Paths
from orb_tui.config.toml_io import TomlSyntaxError, parse_toml, write_atomic


class CredentialsError(Exception):
    """credentials.toml cannot be used; the message names the file and what to do."""


def _check_mode(paths: Paths) -> None:
    path = paths.credentials_file
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CredentialsError(
            f"{path} is open to other users (mode {mode:04o}); run `chmod 600 {path}` and try again"
        )


def load_credentials(paths: Paths) -> dict[str, str]:
    """Profile name -> API key. A missing file is no keys.

    Raises:
        CredentialsError: the file is group- or world-accessible, unreadable or not valid TOML.
    """
    path = paths.credentials_file
    if not path.exists():
        return {}
    _check_mode(paths)
    try:
        data = parse_toml(path.read_text(encoding="utf-8"))
    except TomlSyntaxError as exc:
        raise CredentialsError(
            f"{path}:{exc.line}:{exc.column}: not valid TOML: {exc.message}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"cannot read {path}: {exc}") from None
    keys: dict[str, str] = {}
    for name, body in data.items():
        if isinstance(body, dict) and isinstance(body.get("api_key"), str):
            keys[name] = body["api_key"]
    return keys


def save_credential(paths: Paths, profile: str, api_key: str) -> None:
    """Store `api_key` for `profile`, writing the file atomically with mode 0600."""
    path = paths.credentials_file
    text = ""
    if path.exists():
        _check_mode(paths)
        text = path.read_text(encoding="utf-8")
    try:
        doc = tomlkit.parse(text)
    except Exception:  # an unreadable file is replaced rather than blocking sign-in
        doc = tomlkit.document()
    entry = tomlkit.table()
    entry["api_key"] = api_key
    doc[profile] = entry
    paths.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, tomlkit.dumps(doc), mode=0o600)


def mask_key(key: str | None) -> str:
    """A key as it may be shown: its first and last four characters, e.g. `orb_a1b2…9f3c`."""
    if not key:
        return "(no key)"
    head = 8 if key.startswith("orb_") else 4
    if len(key) < head + 8:
        return "•" * 8
    return f"{key[:head]}…{key[-4:]}"
