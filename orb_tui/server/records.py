"""The rows the store hands out: keys, computers, agent runs, events, webhooks and deliveries."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any


class Duplicate(Exception):
    """A unique value (an org's email) is already taken."""


def new_id() -> str:
    """A fresh UUID4 string."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class KeyRow:
    """An API key as stored (only its hash)."""

    id: str
    org_id: str
    kind: str
    name: str
    prefix: str
    created_at: float


@dataclass(frozen=True)
class ComputerRow:
    """A computer as stored."""

    id: str
    org_id: str
    name: str
    runtime_mb: int
    disk_mb: int
    created_at: float
    destroyed_at: float | None
    config: str | None
    expose: list[int]


@dataclass(frozen=True)
class RunRow:
    """One agent run, for usage: an interval and the computer's RAM budget."""

    computer_id: str
    runtime_mb: int
    started_at: float
    finished_at: float | None


@dataclass(frozen=True)
class EventRow:
    """An event that webhooks deliver."""

    id: str
    org_id: str
    type: str
    created_at: float
    data: dict[str, Any]


@dataclass(frozen=True)
class WebhookRow:
    """A webhook subscription."""

    id: str
    org_id: str
    url: str
    events: list[str]
    secret: str
    created_at: float


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery attempt of an event to a webhook."""

    id: str
    webhook_id: str
    event_id: str
    type: str
    attempt: int
    status_code: int | None
    error: str | None
    success: bool
    created_at: float


def computer_row(row: sqlite3.Row) -> ComputerRow:
    """A computer from its table row."""
    return ComputerRow(
        id=row["id"],
        org_id=row["org_id"],
        name=row["name"],
        runtime_mb=row["runtime_mb"],
        disk_mb=row["disk_mb"],
        created_at=row["created_at"],
        destroyed_at=row["destroyed_at"],
        config=row["config"],
        expose=json.loads(row["expose"]),
    )


def webhook_row(row: sqlite3.Row) -> WebhookRow:
    """A webhook from its table row."""
    return WebhookRow(
        row["id"], row["org_id"], row["url"], json.loads(row["events"]), row["secret"],
        row["created_at"],
    )  # fmt: skip


def delivery_row(row: sqlite3.Row) -> DeliveryRow:
    """A delivery from its table row."""
    return DeliveryRow(
        row["id"], row["webhook_id"], row["event_id"], row["type"], row["attempt"],
        row["status_code"], row["error"], bool(row["success"]), row["created_at"],
    )  # fmt: skip
