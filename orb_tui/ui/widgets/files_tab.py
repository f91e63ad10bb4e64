"""The Files tab: a lazy tree of /agent and a viewer with syntax colours."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, TextArea, Tree
from textual.widgets.tree import TreeNode

from orb_tui.api.errors import OrbError
from orb_tui.api.models import Computer, DirListing, FileEntry
from orb_tui.ui.widgets.base import Backoff, ReportsWorkerErrors, client_of, orb_app

ROOT = "/agent"
MAX_VIEW_BYTES = 1 << 20
LANGUAGES = {
    ".py": "python",
    ".toml": "toml",
    ".json": "json",
    ".md": "markdown",
    ".sh": "bash",
    ".bash": "bash",
    ".js": "javascript",
    ".mjs": "javascript",
    ".ts": "javascript",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".html": "html",
    ".css": "css",
    ".rs": "rust",
    ".go": "go",
    ".sql": "sql",
    ".java": "java",
    ".xml": "xml",
    ".txt": None,
}


@dataclass(frozen=True)
class NodeData:
    """What a tree node stands for."""

    path: str
    entry: FileEntry | None
    loaded: bool = False


def human_size(size: int) -> str:
    """`1536` -> `1.5 KiB`."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - unreachable


def decode_text(data: bytes) -> str | None:
    """The text of `data`, or None when it looks binary (a NUL byte or invalid UTF-8)."""
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def language_for(path: str, available: set[str]) -> str | None:
    """The TextArea language for `path`'s extension, if that grammar is installed."""
    language = LANGUAGES.get(PurePosixPath(path).suffix.lower())
    return language if language in available else None


class FilesTab(ReportsWorkerErrors, Horizontal):
    """Browse the selected computer's /agent folder and read its files."""

    DEFAULT_CSS = """
    FilesTab > Tree { width: 40%; min-width: 20; }
    FilesTab > Vertical { width: 1fr; }
    FilesTab .files--info { height: auto; padding: 0 1; color: $text-muted; }
    FilesTab TextArea { height: 1fr; }
    """

    @dataclass
    class Listed(Message):
        """A folder's listing arrived (or failed, with `error`)."""

        computer_id: str
        path: str
        listing: DirListing | None
        error: str | None = None

    @dataclass
    class Read(Message):
        """A file's bytes arrived (or failed, with `error`)."""

        path: str
        data: bytes | None
        error: str | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.computer: Computer | None = None
        self._folders: dict[str, TreeNode[NodeData]] = {}
        self._backoff = Backoff()
        self._retry_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        tree: Tree[NodeData] = Tree(ROOT, data=NodeData(ROOT, None), id="files-tree")
        tree.show_root = True
        yield tree
        with Vertical():
            yield Static("Select a file.", id="files-info", classes="files--info")
            yield TextArea("", id="files-view", read_only=True, show_line_numbers=True)

    @property
    def file_tree(self) -> Tree[NodeData]:
        return self.query_one("#files-tree", Tree)

    @property
    def viewer(self) -> TextArea:
        return self.query_one("#files-view", TextArea)

    def focus_main(self) -> None:
        """Put the focus on the tree."""
        self.file_tree.focus()

    def set_computer(self, computer: Computer | None) -> None:
        """Show `computer`'s files: the tree starts again, collapsed, loaded on demand."""
        if (computer and computer.id) == (self.computer and self.computer.id):
            self.computer = computer
            return
        self.computer = computer
        self._backoff.failures = 0
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        tree = self.file_tree
        tree.clear()
        tree.root.data = NodeData(ROOT, None)
        self._folders = {ROOT: tree.root}
        self._show("Select a file." if computer else "Select a computer.", "")
        if computer is not None:
            self.load_folder(computer.id, ROOT)

    def _show(self, info: str, text: str, language: str | None = None) -> None:
        self.query_one("#files-info", Static).update(info)
        viewer = self.viewer
        viewer.language = None
        viewer.load_text(text)
        viewer.language = language

    @work(group="files", exit_on_error=False)
    async def load_folder(self, computer_id: str, path: str) -> None:
        """List `path` for the tree."""
        try:
            listing = await client_of(self).list_files(computer_id, path)
        except OrbError as exc:
            self.post_message(self.Listed(computer_id, path, None, str(exc)))
            return
        self.post_message(self.Listed(computer_id, path, listing))

    def on_files_tab_listed(self, message: FilesTab.Listed) -> None:
        node = self._folders.get(message.path)
        if node is None or self.computer is None or message.computer_id != self.computer.id:
            return  # a listing for the computer selected before
        if message.listing is None:
            delay = self._backoff.failed(orb_app(self).settings.poll_interval)
            self._show(f"{message.path}: {message.error} · retrying in {delay:.1f} s", "")
            self._retry(delay, message.computer_id, message.path)
            return
        if self._backoff.failures:
            self._backoff.failures = 0
            self._show("Select a file.", "")
        node.remove_children()
        node.data = NodeData(message.path, node.data.entry if node.data else None, loaded=True)
        entries = sorted(message.listing.files, key=lambda e: (not e.is_dir, e.name.lower()))
        for entry in entries:
            child_path = f"{message.path.rstrip('/')}/{entry.name}"
            data = NodeData(child_path, entry)
            if entry.is_dir:
                self._folders[child_path] = node.add(f"{entry.name}/", data=data)
            else:
                node.add_leaf(entry.name, data=data)
        node.expand()

    def _retry(self, delay: float, computer_id: str, path: str) -> None:
        """List `path` again after `delay` seconds if the same computer is still selected."""
        if self._retry_timer is not None:
            self._retry_timer.stop()

        def again() -> None:
            self._retry_timer = None
            if self.computer is not None and self.computer.id == computer_id:
                self.load_folder(computer_id, path)

        self._retry_timer = self.set_timer(delay, again)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        event.stop()
        data = event.node.data
        if data is not None and not data.loaded and self.computer is not None:
            self.load_folder(self.computer.id, data.path)

    def on_tree_node_selected(self, event: Tree.NodeSelected[NodeData]) -> None:
        event.stop()
        data = event.node.data
        if data is None or data.entry is None or data.entry.is_dir or self.computer is None:
            return
        size = data.entry.size
        if size is not None and size > MAX_VIEW_BYTES:
            limit = human_size(MAX_VIEW_BYTES)
            self._show(
                f"{data.path}: {human_size(size)}, too large to show here (limit {limit})", ""
            )
            return
        self._show(f"{data.path}: loading…", "")
        self.read_one(self.computer.id, data.path)

    @work(exclusive=True, group="file-read", exit_on_error=False)
    async def read_one(self, computer_id: str, path: str) -> None:
        """Fetch one file for the viewer."""
        try:
            data = await client_of(self).read_file(computer_id, path, max_bytes=MAX_VIEW_BYTES + 1)
        except OrbError as exc:
            self.post_message(self.Read(path, None, str(exc)))
            return
        self.post_message(self.Read(path, data))

    def on_files_tab_read(self, message: FilesTab.Read) -> None:
        if message.data is None:
            self._show(f"{message.path}: {message.error}", "")
            return
        size = len(message.data)
        if size > MAX_VIEW_BYTES:
            self._show(f"{message.path}: larger than {human_size(MAX_VIEW_BYTES)}, not shown", "")
            return
        text = decode_text(message.data)
        if text is None:
            self._show(f"{message.path}: binary file ({human_size(size)}), not shown", "")
            return
        language = language_for(message.path, set(self.viewer.available_languages))
        self._show(f"{message.path} · {human_size(size)}", text, language)
