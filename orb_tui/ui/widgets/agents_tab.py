"""The Agents tab: each agent's pid, port, state and uptime; deploy, sleep and wake."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellDoesNotExist
from textual.worker import Worker

from orb_tui.api.errors import OrbError
from orb_tui.api.models import Agent, AgentState, Computer
from orb_tui.ui.messages import AgentsFailed, AgentsLoaded
from orb_tui.ui.widgets.base import ReportsWorkerErrors, client_of, orb_app

STATE_STYLES = {
    AgentState.RUNNING: "bold green",
    AgentState.FROZEN: "cyan",
    AgentState.CHECKPOINTED: "cyan",
    AgentState.FINISHED: "dim",
    AgentState.FAILED: "bold red",
    AgentState.UNKNOWN: "yellow",
}
AGENT_COLUMNS = (
    ("pid", "PID"),
    ("port", "Port"),
    ("state", "State"),
    ("name", "Name"),
    ("uptime", "Uptime"),
)


def format_uptime(agent: Agent, now: datetime) -> str:
    """How long the agent ran (until it finished, if it did)."""
    if agent.started_at is None:
        return "-"
    end = agent.finished_at or now
    seconds = max(0, int((end - agent.started_at).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def agent_row(agent: Agent, now: datetime) -> tuple[str, ...]:
    """The plain text of each column for `agent`."""
    return (
        "-" if agent.pid is None else str(agent.pid),
        "-" if agent.port is None else str(agent.port),
        agent.state.value,
        agent.name or "-",
        format_uptime(agent, now),
    )


def agent_key(agent: Agent, index: int) -> str:
    """A stable row key: the port when there is one."""
    return f"port-{agent.port}" if agent.port is not None else f"agent-{index}"


class AgentsTab(ReportsWorkerErrors, Vertical):
    """The selected computer's agents, refreshed with every poll."""

    DEFAULT_CSS = """
    AgentsTab > DataTable { height: 1fr; }
    AgentsTab > .agents--note { height: auto; color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [  # noqa: RUF012
        Binding("s", "sleep", "Sleep agent", id="agent-sleep"),
        Binding("w", "wake", "Wake agent", id="agent-wake"),
    ]

    @dataclass
    class Changed(Message):
        """An agent action finished; `text` says what happened."""

        text: str
        ok: bool = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.computer: Computer | None = None
        self.agents: list[Agent] = []
        self._shown: dict[str, tuple[str, ...]] = {}
        self._fetching: Worker[None] | None = None
        self._fetching_id: str | None = None
        self._failures = 0
        self._retry_at = 0.0

    def compose(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(id="agents-table", cursor_type="row")
        for key, label in AGENT_COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("Select a computer.", id="agents-note", classes="agents--note")

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one("#agents-table", DataTable)

    def focus_main(self) -> None:
        """Put the focus on the agents table."""
        self.table.focus()

    def set_computer(self, computer: Computer | None) -> None:
        """Show `computer`'s agents (cleared until the first answer)."""
        changed = (computer and computer.id) != (self.computer and self.computer.id)
        self.computer = computer
        if changed:
            self._failures, self._retry_at = 0, 0.0
            self.table.clear()
            self._shown = {}
            self.agents = []
            self._note("Loading agents…" if computer else "Select a computer.")
        if computer is not None:
            self.refresh_agents()

    def _note(self, text: str) -> None:
        self.query_one("#agents-note", Static).update(text)

    def refresh_agents(self) -> None:
        """Fetch the agents of the selected computer, unless a fetch for it is under way or
        failures asked to wait (a slow or failing server is not asked again at every poll)."""
        computer = self.computer
        if computer is None or time.monotonic() < self._retry_at:
            return
        fetching = self._fetching
        if fetching is not None and not fetching.is_finished and self._fetching_id == computer.id:
            return
        self._fetching_id = computer.id
        self._fetching = self._fetch_agents(computer)

    @work(exclusive=True, group="agents", exit_on_error=False)
    async def _fetch_agents(self, computer: Computer) -> None:
        try:
            agents = await client_of(self).list_agents(computer.id)
        except OrbError as exc:
            self.post_message(AgentsFailed(computer.id, str(exc)))
            return
        self.post_message(AgentsLoaded(computer.id, agents))

    def on_agents_loaded(self, message: AgentsLoaded) -> None:
        if self.computer is None or message.computer_id != self.computer.id:
            return
        self.agents = message.agents
        self._failures, self._retry_at = 0, 0.0
        self._render_rows(message.agents)
        count = len(message.agents)
        self._note(
            "No agents: press p to deploy."
            if count == 0
            else f"{count} agent{'s' if count != 1 else ''} · s sleeps, w wakes the selected one"
        )

    def on_agents_failed(self, message: AgentsFailed) -> None:
        if self.computer is not None and message.computer_id == self.computer.id:
            self._failures += 1
            interval = orb_app(self).settings.poll_interval
            delay = min(interval * 15, interval * 2 ** (self._failures - 1))
            self._retry_at = time.monotonic() + delay
            self._note(f"Agents unavailable: {message.error} · retrying in {delay:.1f} s")

    def _render_rows(self, agents: list[Agent]) -> None:
        now = datetime.now(timezone.utc)
        want = {agent_key(a, i): agent_row(a, now) for i, a in enumerate(agents)}
        table = self.table
        for key in [k for k in self._shown if k not in want]:
            table.remove_row(key)
        for key, values in want.items():
            old = self._shown.get(key)
            if old is None:
                table.add_row(*[self._cell(i, v) for i, v in enumerate(values)], key=key)
                continue
            for index, (column, _) in enumerate(AGENT_COLUMNS):
                if old[index] != values[index]:
                    # a longer state ("checkpointed" after "running") widens its column
                    cell = self._cell(index, values[index])
                    table.update_cell(key, column, cell, update_width=True)
        self._shown = want

    @staticmethod
    def _cell(index: int, value: str) -> str | Text:
        if AGENT_COLUMNS[index][0] == "state":
            return Text(value, style=STATE_STYLES.get(AgentState(value), "yellow"))
        return value

    def _selected_agent(self) -> Agent | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None
        for index, agent in enumerate(self.agents):
            if agent_key(agent, index) == key:
                return agent
        return None

    def deploy(self) -> None:
        """Deploy the selected computer's agent (refused in read-only mode)."""
        if self.computer is None:
            self.notify("Select a computer first.", severity="warning")
        elif not orb_app(self).refuse_if_read_only("deploy"):
            self._note("Deploying…")
            self._deploy(self.computer)

    @work(exclusive=True, group="agent-action", exit_on_error=False)
    async def _deploy(self, computer: Computer) -> None:
        try:
            done = await client_of(self).deploy(computer.id)
        except OrbError as exc:
            self.post_message(self.Changed(f"deploy failed: {exc}", ok=False))
            return
        ports = ", ".join(str(a.port) for a in done.agents if a.port is not None)
        self.post_message(
            self.Changed(
                f"deployed {done.deployed} agent(s) on {computer.name}"
                + (f" (port {ports})" if ports else "")
            )
        )

    def action_sleep(self) -> None:
        """Demote the selected agent: checkpoint it and stop its processes."""
        self._port_action("sleep")

    def action_wake(self) -> None:
        """Promote the selected agent back to running."""
        self._port_action("wake")

    def _port_action(self, verb: str) -> None:
        agent = self._selected_agent()
        if self.computer is None or agent is None or agent.port is None:
            self.notify(f"No agent with a port selected to {verb}.", severity="warning")
            return
        if not orb_app(self).refuse_if_read_only(f"{verb} agent"):
            self._sleep_or_wake(self.computer.id, agent.port, verb)

    @work(exclusive=True, group="agent-action", exit_on_error=False)
    async def _sleep_or_wake(self, computer_id: str, port: int, verb: str) -> None:
        try:
            client = client_of(self)
            if verb == "sleep":
                await client.demote(computer_id, port)
            else:
                await client.promote(computer_id, port)
        except OrbError as exc:
            self.post_message(self.Changed(f"{verb} failed: {exc}", ok=False))
            return
        self.post_message(self.Changed(f"agent on port {port}: {verb} done"))

    def on_agents_tab_changed(self, message: AgentsTab.Changed) -> None:
        self.notify(message.text, severity="information" if message.ok else "error")
        self._note(message.text)
        self.refresh_agents()
