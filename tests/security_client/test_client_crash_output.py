"""`orb-tui` on a fatal path prints no key: not on stderr, not on the terminal, not in its log file.

A real `orb-tui` process (no terminal: Textual draws to its stderr, a file here) is given a key and an API URL no
client can use (`http://[::1`, an IPv6 address without its closing bracket): building the client
raises, which without a guard ends the app with a traceback that prints every frame's locals, the
key among them. Whether the console survives it or not, the key must appear nowhere it writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from leak_kit import assert_no_key, org_key

from orb_tui.config.credentials import save_credential
from orb_tui.config.paths import Paths
from orb_tui.config.settings import Profile, save_profile

REPO = Path(__file__).resolve().parents[2]
SETTLE = 10.0  # seconds the console may run before it is stopped (unless it reported sooner)


def run_orb_tui(args: list[str], env_extra: dict[str, str], tmp: Path) -> tuple[str, str, int]:
    """Run `orb-tui ARGS`; stop it with SIGTERM after SETTLE s if still running; (out, err, code)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORB_")}
    env.update(
        ORB_TUI_CONFIG_DIR=str(tmp / "config"),
        ORB_TUI_STATE_DIR=str(tmp / "state"),
        TERM="xterm-256color",
        COLUMNS="100",
        LINES="30",
        **env_extra,
    )
    out, err = tmp / "stdout", tmp / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orb_tui", *args],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=REPO,
        )
        deadline = time.monotonic() + SETTLE
        while proc.poll() is None and time.monotonic() < deadline:
            if b"went wrong" in err.read_bytes():  # the console reported it and runs on
                time.sleep(0.5)
                break
            time.sleep(0.1)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    read = lambda p: p.read_bytes().decode("utf-8", errors="replace")  # noqa: E731
    return read(out), read(err), proc.returncode


def assert_nowhere(key: str, tmp: Path, out: str, err: str) -> None:
    assert_no_key(err, key, "stderr")
    assert_no_key(out, key, "the terminal output")
    log = Paths(tmp / "config", tmp / "state").log_file
    if log.exists():
        assert_no_key(log.read_text(errors="replace"), key, "the log file")
        assert log.stat().st_mode & 0o077 == 0, "the log file is readable by others"


def test_an_unusable_url_from_the_environment_prints_no_key(tmp_path: Path) -> None:
    key = org_key()
    out, err, code = run_orb_tui([], {"ORB_API_KEY": key, "ORB_API_URL": "http://[::1"}, tmp_path)
    assert code == 2 and err.startswith("orb-tui: the API URL 'http://[::1' is not a valid"), err
    assert "Traceback" not in err
    assert_nowhere(key, tmp_path, out, err)


def test_an_unusable_url_from_a_profile_prints_no_key(tmp_path: Path) -> None:
    """The profile's key comes from credentials.toml; config.toml's URL is unusable."""
    key = org_key()
    paths = Paths(tmp_path / "config", tmp_path / "state")
    save_profile(paths, Profile("broken", "http://127.0.0.1:1"), make_default=True)
    text = paths.config_file.read_text().replace("http://127.0.0.1:1", "http://[::1")
    paths.config_file.write_text(text)
    save_credential(paths, "broken", key)
    out, err, _ = run_orb_tui([], {}, tmp_path)
    assert "orb-tui" in err, "the console never drew anything (Textual draws on stderr)"
    assert_nowhere(key, tmp_path, out, err)


def local_that_cannot_start(tmp_path: Path) -> tuple[str, str, str, int]:
    """`--local` with the state folder a plain file and a key saved: (key, out, err, status)."""
    key = org_key()
    paths = Paths(tmp_path / "config", tmp_path / "state")
    save_profile(paths, Profile("local", "http://127.0.0.1:1"), make_default=True)
    save_credential(paths, "local", key)
    (tmp_path / "state").write_text("not a folder")
    out, err, code = run_orb_tui(["--local"], {"ORB_API_KEY": key}, tmp_path)
    return key, out, err, code


def test_a_local_server_that_cannot_start_prints_no_key(tmp_path: Path) -> None:
    key, out, err, code = local_that_cannot_start(tmp_path)
    assert code == 1 and "Not a directory" in err, (code, err)
    assert_no_key(err + out, key, "the output of a failed --local start")


def test_a_local_server_that_cannot_start_says_so_in_one_line(tmp_path: Path) -> None:
    _, _, err, code = local_that_cannot_start(tmp_path)
    assert code == 1 and err.startswith("orb-tui: ") and "Traceback" not in err, err
