"""Quick edits: a menu and small forms that turn into tomlkit edits of the orb.toml buffer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App

from orb_tui.config import orb_toml
from orb_tui.ui.config_dialogs import ActionsDialog, FieldsDialog, ask

MENU = (
    ("port", "Expose a port            [ports] expose"),
    ("step", "Add a build step         [build] steps"),
    ("env", "Set an env var           [agent.env]"),
    ("agent", "Switch lang / entry      [agent]"),
    ("open-file", "Open a local orb.toml…"),
)
"""The quick-edit menu: (id, label)."""


@dataclass(frozen=True)
class QuickEdit:
    """An edit to apply to the buffer's text, and what to say when it is done."""

    edit: Callable[[str], str]
    done: str


async def ask_quick_edit(
    app: App[Any], data: Mapping[str, Any] | None, extra: Sequence[tuple[str, str]] = ()
) -> QuickEdit | str | None:
    """Show the menu, then the chosen form; call it from a worker.

    Returns:
        a QuickEdit, the id of a menu entry that is not an edit ("open-file" or one of
        `extra`), or None when cancelled.
    """
    choice = await ask(app, ActionsDialog([*MENU, *extra]))
    forms = {"port": _port, "step": _step, "env": _env}
    if choice in forms:
        values = await ask(app, FORMS[choice]())
        return forms[choice](values) if values else None
    if choice == "agent":
        agent = (data or {}).get("agent")
        agent = agent if isinstance(agent, dict) else {}
        lang, entry = str(agent.get("lang", "python")), str(agent.get("entry", ""))
        values = await ask(app, agent_dialog(orb_toml.LANGS, lang, entry))
        return _agent(values) if values else None
    return choice


def _port(values: list[str]) -> QuickEdit:
    port = int(values[0])
    return QuickEdit(lambda text: orb_toml.add_port(text, port), f"exposed port {port}")


def _step(values: list[str]) -> QuickEdit:
    step = values[0].strip()
    return QuickEdit(lambda text: orb_toml.add_build_step(text, step), "added a build step")


def _env(values: list[str]) -> QuickEdit:
    name, value = values[0].strip(), values[1]
    return QuickEdit(lambda text: orb_toml.set_env(text, name, value), f"set {name}")


def _agent(values: list[str]) -> QuickEdit:
    lang, entry = values[0].strip(), values[1].strip()
    return QuickEdit(
        lambda text: orb_toml.set_agent(text, lang=lang, entry=entry), f"agent runs {lang} {entry}"
    )


def _port_problem(values: list[str]) -> str | None:
    text = values[0].strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        return "a port is a whole number from 1 to 65535"
    return None


def port_dialog() -> FieldsDialog:
    """Ask for a port to add to [ports] expose."""
    return FieldsDialog("Expose a port", [("Port", "8000")], check=_port_problem, submit="Add")


def build_step_dialog() -> FieldsDialog:
    """Ask for a command to append to [build] steps."""

    def check(values: list[str]) -> str | None:
        return None if values[0].strip() else "type the command the step runs"

    return FieldsDialog("Add a build step", [("Command (runs with bash -c)", "")], check=check)


def env_dialog() -> FieldsDialog:
    """Ask for a name and a value for [agent.env]."""

    def check(values: list[str]) -> str | None:
        name = values[0].strip()
        if not name or not (name[0].isalpha() or name[0] == "_"):
            return "a name starts with a letter or _"
        if not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
            return "a name holds only letters, digits and _"
        return None

    fields = [("Name", ""), ('Value (write "${SECRET}" to fill it from org secrets)', "")]
    return FieldsDialog("Set an environment variable", fields, check=check, submit="Set")


def agent_dialog(langs: Sequence[str], lang: str, entry: str) -> FieldsDialog:
    """Ask for [agent] lang and entry, starting from the current ones."""

    def check(values: list[str]) -> str | None:
        if values[0].strip() not in langs:
            return f"lang is one of {', '.join(langs)}"
        return None if values[1].strip() else "entry is the file the agent runs"

    fields = [(f"lang ({', '.join(langs)})", lang), ("entry", entry)]
    return FieldsDialog("Agent lang and entry", fields, check=check, submit="Set")


def open_file_dialog(default: str) -> FieldsDialog:
    """Ask for the path of a local orb.toml (a new file is fine)."""

    def check(values: list[str]) -> str | None:
        path = Path(values[0].strip()).expanduser()
        if not values[0].strip():
            return "type a path"
        if path.is_dir():
            return f"{path} is a folder"
        return None if path.parent.is_dir() else f"no folder {path.parent}"

    return FieldsDialog("Open a local orb.toml", [("Path", default)], check=check, submit="Open")


FORMS: Mapping[str, Callable[[], FieldsDialog]] = {
    "port": port_dialog,
    "step": build_step_dialog,
    "env": env_dialog,
}
