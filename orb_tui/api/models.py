"""Typed, immutable views of the ORB API's answers, parsed leniently from JSON.

Every model has `from_json(data)` that raises ProtocolError on a wrong shape (not an object, a list
that is not a list, a required id missing) and keeps fields it does not know in `extra`. Optional
fields may be missing; strings then default to "", counts to 0, the rest to None.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Literal

from orb_tui.api._org_models import (
    ApiKey,
    CreatedKey,
    CreatedWebhook,
    DailyUsage,
    Delivery,
    LoginToken,
    Registration,
    Usage,
    Webhook,
)
from orb_tui.api._reader import Reader, extra_field, parse_list

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, Enum):
        """str-valued Enum whose str() is its value (enum.StrEnum before 3.11)."""

        def __str__(self) -> str:
            return str(self.value)


__all__ = [
    "Agent",
    "AgentState",
    "ApiKey",
    "Build",
    "BuildStep",
    "Computer",
    "ComputerList",
    "ConfigSummary",
    "ConfigUpload",
    "CreatedKey",
    "CreatedWebhook",
    "DailyUsage",
    "Delivery",
    "Demoted",
    "Deployment",
    "DirListing",
    "ExecResult",
    "FileEntry",
    "LoginToken",
    "PortMapping",
    "Promoted",
    "Registration",
    "Usage",
    "Webhook",
    "parse_list",
]


@dataclass(frozen=True, slots=True)
class PortMapping:
    """An exposed port: `container_port` inside the computer, reachable via `host_port`."""

    host_port: int
    container_port: int
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> PortMapping:
        r = Reader(data, "port mapping")
        return cls(r.req_int("host_port"), r.req_int("container_port"), r.extra())


@dataclass(frozen=True, slots=True)
class Computer:
    """One computer; `has_config` is None where the server does not say."""

    id: str
    name: str = ""
    org_id: str = ""
    runtime_mb: int = 0
    disk_mb: int = 0
    status: str = ""
    agent_count: int = 0
    port_mappings: tuple[PortMapping, ...] = ()
    created_at: datetime | None = None
    has_config: bool | None = None
    extra: Mapping[str, object] = extra_field()

    @property
    def short_id(self) -> str:
        """The first 8 characters of the id (the cloud's `{short_id}.orbcloud.dev`)."""
        return self.id[:8]

    @classmethod
    def from_json(cls, data: object) -> Computer:
        r = Reader(data, "computer")
        return cls(
            id=r.req_str("id"),
            name=r.text("name"),
            org_id=r.text("org_id"),
            runtime_mb=r.integer("runtime_mb"),
            disk_mb=r.integer("disk_mb"),
            status=r.text("status"),
            agent_count=r.integer("agent_count"),
            port_mappings=r.items("port_mappings", PortMapping.from_json),
            created_at=r.when("created_at"),
            has_config=r.opt_bool("has_config"),
            extra=r.extra(),
        )


@dataclass(frozen=True, slots=True)
class ComputerList:
    """The org's computers (newest first on the local server) and the total count."""

    computers: tuple[Computer, ...]
    total: int
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> ComputerList:
        computers = tuple(parse_list(data, "computers", Computer.from_json, "computer list"))
        if not isinstance(data, Mapping):
            return cls(computers, len(computers))
        r = Reader(data, "computer list")
        r.seen.add("computers")
        return cls(computers, r.integer("total", len(computers)), r.extra())


@dataclass(frozen=True, slots=True)
class ConfigSummary:
    """What the server understood of an uploaded orb.toml; `raw` is the whole summary."""

    agent_name: str = ""
    agent_lang: str = ""
    agent_entry: str = ""
    raw: Mapping[str, object] = field(default_factory=dict, repr=False, compare=False)
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> ConfigSummary:
        r = Reader({} if data is None else data, "config summary")
        agent = Reader(r.mapping("agent"), "config summary: `agent`")
        name, lang, entry = agent.text("name"), agent.text("lang"), agent.text("entry")
        return cls(name, lang, entry, dict(r.data), r.extra())


@dataclass(frozen=True, slots=True)
class ConfigUpload:
    """The answer to a config upload."""

    computer_id: str
    summary: ConfigSummary
    source: str = ""
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> ConfigUpload:
        r = Reader(data, "config upload")
        summary = ConfigSummary.from_json(r.mapping("config_summary"))
        return cls(r.text("computer_id"), summary, r.text("source"), r.extra())


@dataclass(frozen=True, slots=True)
class BuildStep:
    """One build step; `exit_code` is None if the step never finished."""

    step: str
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    duration_ms: int | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> BuildStep:
        r = Reader(data, "build step")
        return cls(
            r.text("step") or r.text("name") or r.text("command"),
            r.opt_int("exit_code"),
            r.text("stdout"),
            r.text("stderr"),
            r.opt_int("duration_ms"),
            r.extra(),
        )


@dataclass(frozen=True, slots=True)
class Build:
    """One build: its steps and whether it succeeded (`build_id` None on the cloud)."""

    computer_id: str
    build_id: str | None
    cloned: bool
    steps: tuple[BuildStep, ...]
    success: bool
    started_at: datetime | None = None
    finished_at: datetime | None = None
    extra: Mapping[str, object] = extra_field()

    @property
    def failed_step(self) -> BuildStep | None:
        """The first step that did not exit 0, if any."""
        return next((s for s in self.steps if s.exit_code != 0), None)

    @classmethod
    def from_json(cls, data: object) -> Build:
        r = Reader(data, "build")
        steps = r.items("steps", BuildStep.from_json)
        success = r.opt_bool("success")
        if success is None:
            success = all(s.exit_code == 0 for s in steps)
        return cls(
            computer_id=r.text("computer_id"),
            build_id=r.opt_str("build_id") or r.opt_str("id"),
            cloned=r.flag("cloned"),
            steps=steps,
            success=success,
            started_at=r.when("started_at"),
            finished_at=r.when("finished_at"),
            extra=r.extra(),
        )


class AgentState(StrEnum):
    """An agent's state, parsed case-insensitively; anything unexpected is UNKNOWN."""

    RUNNING = "running"
    FROZEN = "frozen"
    CHECKPOINTED = "checkpointed"
    FINISHED = "finished"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: object) -> AgentState:
        """`RUNNING`, `Running`, `running` -> RUNNING; None or an unknown word -> UNKNOWN."""
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class Agent:
    """One agent process; `state_text` is the state exactly as the server said it."""

    pid: int | None
    port: int | None
    state: AgentState = AgentState.UNKNOWN
    name: str = ""
    lang: str = ""
    entry: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    stderr_tail: str | None = None
    state_text: str = ""
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> Agent:
        r = Reader(data, "agent")
        state_text = r.text("state") or r.text("status")
        return cls(
            pid=r.opt_int("pid"),
            port=r.opt_int("port"),
            state=AgentState.parse(state_text),
            name=r.text("name"),
            lang=r.text("lang"),
            entry=r.text("entry"),
            started_at=r.when("started_at"),
            finished_at=r.when("finished_at"),
            exit_code=r.opt_int("exit_code"),
            stderr_tail=r.opt_str("stderr_tail"),
            state_text=state_text,
            extra=r.extra(),
        )


@dataclass(frozen=True, slots=True)
class Deployment:
    """The answer to a deploy: how many agents started and their pid/port."""

    computer_id: str
    deployed: int
    agents: tuple[Agent, ...]
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> Deployment:
        r = Reader(data, "deployment")
        agents = r.items("agents", Agent.from_json)
        return cls(r.text("computer_id"), r.integer("deployed", len(agents)), agents, r.extra())


@dataclass(frozen=True, slots=True)
class Demoted:
    """An agent put to sleep (checkpointed)."""

    status: str
    checkpoint_dir: str | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> Demoted:
        r = Reader(data, "demote answer")
        return cls(r.text("status", "demoted"), r.opt_str("checkpoint_dir"), r.extra())


@dataclass(frozen=True, slots=True)
class Promoted:
    """An agent woken up; its port may have changed."""

    status: str
    port: int | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> Promoted:
        r = Reader(data, "promote answer")
        return cls(r.text("status", "promoted"), r.opt_int("port"), r.extra())


@dataclass(frozen=True, slots=True)
class ExecResult:
    """The outcome of one command run in the computer."""

    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool = False
    duration_ms: int | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> ExecResult:
        r = Reader(data, "exec result")
        return cls(
            r.text("stdout"),
            r.text("stderr"),
            r.req_int("exit_code"),
            r.flag("timed_out"),
            r.opt_int("duration_ms"),
            r.extra(),
        )


_DIRECTORY_WORDS = frozenset({"directory", "dir", "folder"})


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One entry of a directory listing."""

    name: str
    type: Literal["file", "directory"] = "file"
    size: int | None = None
    modified: datetime | None = None
    extra: Mapping[str, object] = extra_field()

    @property
    def is_dir(self) -> bool:
        return self.type == "directory"

    @classmethod
    def from_json(cls, data: object) -> FileEntry:
        r = Reader(data, "file entry")
        name = r.req_str("name")
        type_text = r.text("type").lower()
        is_dir = type_text in _DIRECTORY_WORDS if type_text else r.flag("is_dir")
        modified = r.when("modified") if r.has("modified") else r.when("modified_at")
        return cls(
            name.rstrip("/") or name,
            "directory" if is_dir or name.endswith("/") else "file",
            r.opt_int("size"),
            modified,
            r.extra(),
        )


@dataclass(frozen=True, slots=True)
class DirListing:
    """A directory's entries; `path` may be "" when the server did not echo it."""

    path: str
    files: tuple[FileEntry, ...]
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> DirListing:
        files = tuple(parse_list(data, "files", FileEntry.from_json, "directory listing"))
        if not isinstance(data, Mapping):
            return cls("", files)
        r = Reader(data, "directory listing")
        r.seen.add("files")
        return cls(r.text("path"), files, r.extra())
