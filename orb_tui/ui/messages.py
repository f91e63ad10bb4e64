"""Messages that carry worker results from the client to the widgets that render them."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from orb_tui.api.models import Agent, ComputerList
from orb_tui.ui.widgets.computer_table import TableData


@dataclass
class ComputersLoaded(Message, bubble=False):
    """A poll of the computers list answered; `data` is the table's view of it, made off the UI."""

    listing: ComputerList
    data: TableData

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ComputersLoaded)


@dataclass
class ComputersFailed(Message, bubble=False):
    """A poll of the computers list failed; `error` is a sentence a person can act on, and
    `retry_after` the seconds the server asked us to wait (a 429's Retry-After), if it said."""

    error: str
    retry_after: float | None = None


@dataclass
class AgentsLoaded(Message, bubble=False):
    """A poll of one computer's agents answered."""

    computer_id: str
    agents: list[Agent]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AgentsLoaded) and message.computer_id == self.computer_id


@dataclass
class AgentsFailed(Message, bubble=False):
    """A poll of one computer's agents failed."""

    computer_id: str
    error: str


@dataclass
class ComputerChanged(Message):
    """A create or delete from this console finished; polling should look again now."""

    text: str
    ok: bool = True
