"""Every binding of the console in one registry, for `?` help and the command palette."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

if TYPE_CHECKING:
    from orb_tui.ui.app import OrbApp


@dataclass(frozen=True)
class Command:
    """One binding and the node whose action it runs."""

    group: str
    binding: Binding
    target: Callable[[OrbApp], DOMNode | None]

    @property
    def title(self) -> str:
        return self.binding.description or self.binding.action

    def key(self, app: OrbApp) -> str:
        """The key that runs it now, after the keymap."""
        keys = app.settings.keymap.get(self.binding.id or "", self.binding.key)
        first = keys.split(",")[0].strip()
        return app.get_key_display(Binding(first, self.binding.action))


def _main(app: OrbApp) -> DOMNode | None:
    from orb_tui.ui.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    return None


def _open_screen(cls: type, app: OrbApp) -> DOMNode | None:
    """The org screen of this type, when it is open (its actions only make sense there)."""
    return next((s for s in app.screen_stack if isinstance(s, cls)), None)


def _in_main(cls_path: str) -> Callable[[OrbApp], DOMNode | None]:
    def find(app: OrbApp) -> DOMNode | None:
        screen = _main(app)
        if screen is None:
            return None
        for node in screen.query("*"):
            if type(node).__name__ == cls_path:
                return node
        return None

    return find


def commands(app: OrbApp) -> Iterator[Command]:
    """Every command of the app, grouped: app-wide, main screen, then per-widget."""
    from orb_tui.ui.config_editor import ConfigEditor
    from orb_tui.ui.screens.main import MainScreen
    from orb_tui.ui.screens.org_base import org_binding_groups
    from orb_tui.ui.widgets.agents_tab import AgentsTab
    from orb_tui.ui.widgets.build_tab import BuildTab
    from orb_tui.ui.widgets.computer_table import ComputerTable
    from orb_tui.ui.widgets.exec_tab import HistoryInput

    groups: list[tuple[str, list[Binding], Callable[[OrbApp], DOMNode | None]]] = [
        ("Everywhere", _bindings(type(app).BINDINGS), lambda a: a),
        ("Main screen", _bindings(MainScreen.BINDINGS), _main),
        ("Computers table", _bindings(ComputerTable.BINDINGS), _in_main("ComputerTable")),
        ("Agents tab", _bindings(AgentsTab.BINDINGS), _in_main("AgentsTab")),
        ("Build tab", _bindings(BuildTab.BINDINGS), _in_main("BuildTab")),
        ("Exec tab", _bindings(HistoryInput.BINDINGS), _in_main("HistoryInput")),
        ("Config tab", _bindings(ConfigEditor.BINDINGS), _in_main("ConfigEditor")),
    ]
    for title, bindings, screen_cls in org_binding_groups():
        groups.append((title, bindings, partial(_open_screen, screen_cls)))
    for group, bindings, target in groups:
        for binding in bindings:
            yield Command(group, binding, target)


def _bindings(items: object) -> list[Binding]:
    return [item for item in items if isinstance(item, Binding)]  # type: ignore[attr-defined]


class ActionsProvider(Provider):
    """Command palette source: every action of the console, with its key."""

    def _hits(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        from orb_tui.ui.app import OrbApp

        app = self.app
        if not isinstance(app, OrbApp):
            return
        for command in commands(app):
            node = command.target(app)
            if node is None or command.binding.action == "command_palette":
                continue  # not here, or the palette itself
            run = partial(app.run_action, command.binding.action, node)
            yield command.title, f"{command.key(app)} · {command.group}", run

    async def discover(self) -> Hits:
        for title, help_text, run in self._hits():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._hits():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, text=title, help=help_text)
