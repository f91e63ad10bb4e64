"""The selected computer's tabs; each tab's widget is built the first time the tab is shown."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from orb_tui.api.models import Computer
from orb_tui.ui.widgets.agents_tab import AgentsTab
from orb_tui.ui.widgets.base import orb_app

TAB_TITLES = {
    "agents": "Agents",
    "files": "Files",
    "build": "Build",
    "config": "Config",
    "terminal": "Terminal",
    "exec": "Exec",
}


def optional_widget(module: str, name: str, widget_id: str, missing: str) -> Widget:
    """Another helper's widget if its module is installed, else a placeholder saying so."""
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return Static(missing, id=widget_id, classes="placeholder")
    widget: Widget = cls(id=widget_id)
    return widget


def _build(name: str) -> Widget:
    # imported on first use: a tab nobody opens costs nothing at start-up
    if name == "agents":
        return AgentsTab(id="agents-tab")
    if name == "files":
        from orb_tui.ui.widgets.files_tab import FilesTab

        return FilesTab(id="files-tab")
    if name == "build":
        from orb_tui.ui.widgets.build_tab import BuildTab

        return BuildTab(id="build-tab")
    if name == "exec":
        from orb_tui.ui.widgets.exec_tab import ExecTab

        return ExecTab(id="exec-tab")
    if name == "config":
        return optional_widget(
            "orb_tui.ui.config_editor", "ConfigEditor", "config-editor", "No config editor."
        )
    return optional_widget(
        "orb_tui.ui.terminal.widget", "TerminalView", "terminal-view", "No terminal."
    )


class ComputerTabs(TabbedContent):
    """Agents, Files, Build, Config, Terminal and Exec for one computer."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, initial="agents")
        self.computer: Computer | None = None
        self.built: dict[str, Widget] = {"agents": _build("agents")}
        for name, title in TAB_TITLES.items():
            children = [self.built[name]] if name in self.built else []
            self.compose_add_child(TabPane(title, *children, id=name))

    async def ensure(self, name: str) -> Widget:
        """The widget of tab `name`, built and told the computer if this is its first use."""
        widget = self.built.get(name)
        if widget is None:
            widget = _build(name)
            self.built[name] = widget
            await self.get_pane(name).mount(widget)
            self._tell(name, widget)
        return widget

    async def show(self, name: str) -> Widget:
        """Switch to tab `name` and focus its main widget."""
        widget = await self.ensure(name)
        self.active = name
        if widget.has_class("placeholder"):
            return widget
        focus: Callable[[], Any] = {
            "config": getattr(widget, "focus_editor", widget.focus),
            "terminal": widget.focus,
        }.get(name, getattr(widget, "focus_main", widget.focus))
        focus()
        return widget

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id is not None:
            await self.ensure(event.pane.id)

    def set_computer(self, computer: Computer | None) -> None:
        """Tell every built tab the selection changed."""
        self.computer = computer
        for name, widget in self.built.items():
            self._tell(name, widget)

    def _tell(self, name: str, widget: Widget) -> None:
        if widget.has_class("placeholder"):
            return
        if name == "terminal":
            widget.set_connector(self._connector())  # type: ignore[attr-defined]
        else:
            widget.set_computer(self.computer)  # type: ignore[attr-defined]

    def _connector(self) -> Callable[[int, int], Any] | None:
        client, computer = orb_app(self).client, self.computer
        if computer is None or client is None:
            return None
        return lambda cols, rows: client.terminal(computer.id, cols=cols, rows=rows)
