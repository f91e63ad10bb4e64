"""The list of problems beside the config editor: one line each, choosing one jumps to it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from orb_tui.config.orb_toml import Problem


class ProblemList(OptionList):
    """Errors and warnings with their line and column; Enter or a click posts `Chosen`."""

    DEFAULT_CSS = """
    ProblemList > .problem-list--error { color: $error; text-style: bold; }
    ProblemList > .problem-list--warning { color: $warning; text-style: bold; }
    ProblemList > .problem-list--ok { color: $success; }
    """
    COMPONENT_CLASSES = {"problem-list--error", "problem-list--warning", "problem-list--ok"}  # noqa: RUF012

    @dataclass
    class Chosen(Message):
        """The user picked a problem to go to."""

        problem: Problem

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.problems: tuple[Problem, ...] = ()

    def show(self, problems: tuple[Problem, ...]) -> None:
        """List `problems` (or say there are none); the same list again changes nothing."""
        if problems == self.problems and self.option_count:
            return  # keep the highlight where it is
        self.problems = problems
        self.clear_options()
        if not problems:
            style = self.get_component_rich_style("problem-list--ok")
            self.add_option(Option(Text("✓ no problems", style), disabled=True))
        for index, problem in enumerate(problems):
            icon = "✖" if problem.severity == "error" else "▲"
            style = self.get_component_rich_style(f"problem-list--{problem.severity}")
            where = f" {problem.line}:{problem.column} "
            prompt = Text.assemble((icon, style), where, problem.message)
            self.add_option(Option(prompt, id=str(index)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Chosen(self.problems[int(event.option.id)]))
