"""Where orb-tui keeps its files: one place that knows every path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "orb-tui"


def _from_env(env: Mapping[str, str], override: str, xdg: str) -> Path | None:
    if value := env.get(override):
        return Path(value).expanduser()
    if value := env.get(xdg):
        return Path(value).expanduser() / APP_NAME
    return None


@dataclass(frozen=True)
class Paths:
    """The config and state folders and the files inside them."""

    config_dir: Path
    """Holds config.toml and credentials.toml (ORB_TUI_CONFIG_DIR, else XDG_CONFIG_HOME/orb-tui)."""
    state_dir: Path
    """Holds drafts, the local server's state and the log (ORB_TUI_STATE_DIR, else XDG_STATE_HOME)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Paths:
        """The paths for this user, honouring the override and XDG variables in `env`."""
        env = os.environ if env is None else env
        config = _from_env(env, "ORB_TUI_CONFIG_DIR", "XDG_CONFIG_HOME")
        state = _from_env(env, "ORB_TUI_STATE_DIR", "XDG_STATE_HOME")
        return cls(
            config_dir=config or Path(platformdirs.user_config_dir(APP_NAME)),
            state_dir=state or Path(platformdirs.user_state_dir(APP_NAME)),
        )

    @property
    def config_file(self) -> Path:
        """The settings file the user edits."""
        return self.config_dir / "config.toml"

    @property
    def credentials_file(self) -> Path:
        """API keys per profile, mode 0600."""
        return self.config_dir / "credentials.toml"

    @property
    def drafts_dir(self) -> Path:
        """Unsaved orb.toml edits, one file per computer."""
        return self.state_dir / "drafts"

    @property
    def server_state_dir(self) -> Path:
        """The local server's database and computer folders."""
        return self.state_dir / "server"

    @property
    def log_file(self) -> Path:
        """The console's log."""
        return self.state_dir / "orb-tui.log"
