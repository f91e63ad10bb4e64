"""Settings, profiles, credentials and endpoint layering."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from orb_tui.config.credentials import (
    CredentialsError,
    load_credentials,
    mask_key,
    save_credential,
)
from orb_tui.config.paths import Paths
from orb_tui.config.settings import (
    CLOUD_URL,
    Profile,
    Settings,
    load_settings,
    parse_settings,
    resolve_endpoint,
    save_profile,
)
from orb_tui.config.toml_io import TomlSyntaxError


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(config_dir=tmp_path / "config", state_dir=tmp_path / "state")


def test_paths_follow_overrides_then_xdg(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xc"), "XDG_STATE_HOME": str(tmp_path / "xs")}
    paths = Paths.from_env(env)
    assert paths.config_file == tmp_path / "xc" / "orb-tui" / "config.toml"
    assert paths.drafts_dir == tmp_path / "xs" / "orb-tui" / "drafts"
    env["ORB_TUI_CONFIG_DIR"] = str(tmp_path / "mine")
    assert Paths.from_env(env).credentials_file == tmp_path / "mine" / "credentials.toml"


def test_missing_config_gives_defaults(paths: Paths) -> None:
    assert load_settings(paths) == Settings()


def test_full_config_is_read(paths: Paths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(
        '# mine\ndefault_profile = "work"\npoll_interval = 5\ntheme = "nord"\n'
        '[profiles.work]\napi_url = "https://api.example.test/"\nverify_tls = false\n'
        '[keymap]\nnew-computer = "N"\n'
    )
    settings = load_settings(paths)
    assert settings.problems == ()
    assert settings.default_profile == "work"
    assert settings.poll_interval == 5.0
    assert settings.theme == "nord"
    assert settings.profiles["work"] == Profile("work", "https://api.example.test", False)
    assert settings.keymap == {"new-computer": "N"}


def test_malformed_toml_names_path_line_and_column(paths: Paths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text('poll_interval = 2\ntheme = "unclosed\n')
    settings = load_settings(paths)
    assert settings.poll_interval == 2.0  # defaults stand in
    (problem,) = settings.problems
    assert (problem.line, problem.column) == (2, 18)
    assert str(problem).startswith(f"{paths.config_file}:2:18: not valid TOML")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('poll_interval = "fast"\n', 1, "poll_interval should be a number"),
        ("poll_interval = 0\n", 1, "between 0.2 and 3600"),
        ('theme = "x"\n[profiles.a]\napi_url = "ftp://x"\n', 3, "must start with http"),
        ("[keymap]\nhelp = 3\n", 2, "[keymap] help should be a key name string"),
        ("default_profile = true\n", 1, "default_profile should be a string"),
    ],
)
def test_bad_values_are_problems_with_lines(text: str, line: int, fragment: str) -> None:
    settings = parse_settings(Path("c.toml"), text)
    assert [p.line for p in settings.problems] == [line]
    assert fragment in settings.problems[0].message


def test_save_profile_keeps_comments(paths: Paths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("# my settings\npoll_interval = 3  # slower\n")
    save_profile(paths, Profile("local", "http://127.0.0.1:8765"), make_default=True)
    text = paths.config_file.read_text()
    assert "# my settings" in text and "# slower" in text
    settings = load_settings(paths)
    assert settings.default_profile == "local"
    assert settings.profiles["local"].api_url == "http://127.0.0.1:8765"
    assert settings.poll_interval == 3.0


def test_save_profile_refuses_to_rewrite_a_broken_file(paths: Paths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("x = [\n")
    with pytest.raises(TomlSyntaxError):
        save_profile(paths, Profile("a", "http://x"))
    assert paths.config_file.read_text() == "x = [\n"


def test_credentials_written_0600_and_read_back(paths: Paths) -> None:
    save_credential(paths, "local", "secret-key-1234567890")
    save_credential(paths, "work", "orb_abcdefghijklmnop")
    assert stat.S_IMODE(paths.credentials_file.stat().st_mode) == 0o600
    assert load_credentials(paths) == {
        "local": "secret-key-1234567890",
        "work": "orb_abcdefghijklmnop",
    }


def test_credentials_with_wider_mode_are_refused(paths: Paths) -> None:
    save_credential(paths, "local", "secret-key-1234567890")
    os.chmod(paths.credentials_file, 0o644)
    with pytest.raises(CredentialsError) as info:
        load_credentials(paths)
    message = str(info.value)
    assert str(paths.credentials_file) in message and "0644" in message and "chmod 600" in message
    assert "secret-key" not in message


def test_mask_key_never_shows_the_middle() -> None:
    key = "orb_a1b2c3d4e5f6g7h8i9j0"
    masked = mask_key(key)
    assert masked == "orb_a1b2…i9j0"
    assert key not in masked
    assert mask_key("short") == "••••••••"
    assert mask_key(None) == "(no key)"


def test_endpoint_layers_flags_over_env_over_files() -> None:
    settings = Settings(
        default_profile="work",
        profiles={
            "work": Profile("work", "https://work.test"),
            "local": Profile("local", "http://127.0.0.1:8765"),
        },
    )
    creds = {"work": "k-work", "local": "k-local"}
    assert resolve_endpoint(settings, creds, env={}).api_url == "https://work.test"
    env = {"ORB_PROFILE": "local"}
    endpoint = resolve_endpoint(settings, creds, env=env)
    assert (endpoint.profile, endpoint.api_key) == ("local", "k-local")
    env |= {"ORB_API_URL": "http://env.test", "ORB_API_KEY": "k-env"}
    endpoint = resolve_endpoint(settings, creds, env=env)
    assert (endpoint.api_url, endpoint.api_key) == ("http://env.test", "k-env")
    endpoint = resolve_endpoint(
        settings, creds, profile="work", api_url="http://flag.test", env=env
    )
    assert (endpoint.profile, endpoint.api_url) == ("work", "http://flag.test")
    assert resolve_endpoint(Settings(), {}, env={}).api_url == CLOUD_URL
