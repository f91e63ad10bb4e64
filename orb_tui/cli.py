"""Command-line parsing for `orb-tui`; the console itself is built by `orb_tui.ui.app.make_app`."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from orb_tui import __version__

TEXTUAL_FPS = "120"
"""Most frames a second Textual paints (its default is 60), set before Textual is imported.

Textual paints on a fixed grid of 1/FPS: a row marked dirty just after a tick waits for the next
(up to 16.7 ms at 60). The echo of a key typed into a flood had a p99 under 50 ms in 8 of 8
benchmark runs at 120, and in 1 of 2 at 60. Only what changes is painted, so a quiet console
costs the same; the terminal's pacing keeps its frames to 30 a second, 60 while an echo is
awaited."""


def build_parser() -> argparse.ArgumentParser:
    """The parser for `orb-tui` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="orb-tui", description="A keyboard-driven console for ORB Cloud."
    )
    parser.add_argument("--version", action="version", version=f"orb-tui {__version__}")
    parser.add_argument(
        "--local", action="store_true", help="use (or start) the local ORB server on this machine"
    )
    parser.add_argument("--profile", metavar="NAME", help="the profile to use (env ORB_PROFILE)")
    parser.add_argument("--api-url", metavar="URL", help="the API endpoint (env ORB_API_URL)")
    parser.add_argument(
        "--read-only", action="store_true", help="refuse every change (create, delete, input, ...)"
    )
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the local ORB server in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.add_argument("--state-dir", type=Path, default=None)
    sub.add_parser("locate", help="print the config, credentials and state paths")
    return parser


def _sandbox_choice() -> bool | None:
    value = os.environ.get("ORB_TUI_SANDBOX", "").strip().lower()
    if value in {"0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    return None


def _serve(args: argparse.Namespace) -> int:
    from orb_tui.config.paths import Paths
    from orb_tui.server.main import run_server

    state_dir = args.state_dir or Paths.from_env().server_state_dir
    return run_server(args.host, args.port, state_dir, sandbox=_sandbox_choice())


def _locate() -> int:
    from orb_tui.config.paths import Paths

    paths = Paths.from_env()
    print(f"config:      {paths.config_file}")
    print(f"credentials: {paths.credentials_file}")
    print(f"state:       {paths.state_dir}")
    return 0


def _console(args: argparse.Namespace) -> int:
    # Start-up allocates ~100,000 objects and keeps nearly all: collecting meanwhile only costs
    # time (a fifth of it). The app freezes them and turns the collector on after its first frame.
    gc.disable()
    os.environ.setdefault("TEXTUAL_FPS", TEXTUAL_FPS)  # a user's own setting wins
    try:
        from orb_tui.ui.app import run_console

        return run_console(
            local=args.local, profile=args.profile, api_url=args.api_url, read_only=args.read_only
        )
    finally:
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """Run `orb-tui` with `argv` (default: the process arguments); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "locate":
            return _locate()
        return _console(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
