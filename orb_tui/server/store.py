"""The server's SQLite store: orgs, hashed keys, computers, configs, builds, runs, events, webhooks."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orb_tui.server.records import (
    ComputerRow,
    DeliveryRow,
    Duplicate,
    EventRow,
    KeyRow,
    RunRow,
    WebhookRow,
    computer_row,
    delivery_row,
    new_id,
    webhook_row,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS orgs (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, revoked_at REAL);
CREATE TABLE IF NOT EXISTS computers (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, name TEXT NOT NULL, runtime_mb INTEGER NOT NULL,
    disk_mb INTEGER NOT NULL, created_at REAL NOT NULL, destroyed_at REAL, config TEXT,
    expose TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS computers_org ON computers (org_id, created_at);
CREATE TABLE IF NOT EXISTS builds (
    id TEXT PRIMARY KEY, computer_id TEXT NOT NULL, started_at REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS builds_computer ON builds (computer_id, started_at);
CREATE TABLE IF NOT EXISTS agent_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, computer_id TEXT NOT NULL, pid INTEGER NOT NULL,
    port INTEGER NOT NULL, runtime_mb INTEGER NOT NULL, started_at REAL NOT NULL, finished_at REAL);
CREATE INDEX IF NOT EXISTS runs_computer ON agent_runs (computer_id, finished_at);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, type TEXT NOT NULL, created_at REAL NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_org ON events (org_id, type, created_at);
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL,
    secret TEXT NOT NULL, created_at REAL NOT NULL, deleted_at REAL);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
    attempt INTEGER NOT NULL, status_code INTEGER, error TEXT, success INTEGER NOT NULL,
    created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_hook ON deliveries (webhook_id, created_at);
"""


class Store:
    """One SQLite file (WAL) behind a lock; every method is a short transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, *args: object) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, *args: object) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
            return row

    # orgs and keys

    def create_org(self, email: str, key_hash: str, prefix: str) -> tuple[str, KeyRow]:
        """A new org with its register key; raises `Duplicate` for a known email."""
        org_id, now = new_id(), time.time()
        try:
            with self._tx() as db:
                db.execute("INSERT INTO orgs VALUES (?, ?, ?)", (org_id, email, now))
                key = self._insert_key(db, org_id, "register", "register", key_hash, prefix)
        except sqlite3.IntegrityError as exc:
            raise Duplicate(email) from exc
        return org_id, key

    def add_key(self, org_id: str, name: str, key_hash: str, prefix: str) -> KeyRow:
        """Store a new `orb_` key (its hash) for `org_id`."""
        with self._tx() as db:
            return self._insert_key(db, org_id, "org", name, key_hash, prefix)

    @staticmethod
    def _insert_key(
        db: sqlite3.Connection, org_id: str, kind: str, name: str, key_hash: str, prefix: str
    ) -> KeyRow:
        key = KeyRow(new_id(), org_id, kind, name, prefix, time.time())
        db.execute(
            "INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            (key.id, org_id, kind, name, prefix, key_hash, key.created_at),
        )
        return key

    def key_by_hash(self, key_hash: str) -> KeyRow | None:
        """The live (not revoked) key with this hash."""
        row = self._one("SELECT * FROM keys WHERE hash = ? AND revoked_at IS NULL", key_hash)
        return None if row is None else self._key(row)

    def key_live(self, key_id: str, org_id: str) -> bool:
        """Whether `key_id` belongs to `org_id` and is not revoked."""
        row = self._one(
            "SELECT 1 FROM keys WHERE id = ? AND org_id = ? AND revoked_at IS NULL", key_id, org_id
        )
        return row is not None

    def list_keys(self, org_id: str) -> list[KeyRow]:
        """The org's live `orb_` keys, newest first."""
        rows = self._all(
            "SELECT * FROM keys WHERE org_id = ? AND kind = 'org' AND revoked_at IS NULL"
            " ORDER BY created_at DESC, rowid DESC",
            org_id,
        )
        return [self._key(row) for row in rows]

    def revoke_key(self, org_id: str, key_id: str) -> bool:
        """Revoke one of the org's `orb_` keys; False if there is no such live key."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE keys SET revoked_at = ? WHERE id = ? AND org_id = ? AND kind = 'org'"
                " AND revoked_at IS NULL",
                (time.time(), key_id, org_id),
            )
            return cursor.rowcount == 1

    @staticmethod
    def _key(row: sqlite3.Row) -> KeyRow:
        return KeyRow(
            row["id"], row["org_id"], row["kind"], row["name"], row["prefix"], row["created_at"]
        )

    # computers, configs, builds

    def create_computer(self, org_id: str, name: str, runtime_mb: int, disk_mb: int) -> ComputerRow:
        """A new computer row."""
        row = ComputerRow(new_id(), org_id, name, runtime_mb, disk_mb, time.time(), None, None, [])
        with self._tx() as db:
            db.execute(
                "INSERT INTO computers VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, '[]')",
                (row.id, org_id, name, runtime_mb, disk_mb, row.created_at),
            )
        return row

    def get_computer(self, org_id: str, computer_id: str) -> ComputerRow | None:
        """The org's live computer with this id."""
        row = self._one(
            "SELECT * FROM computers WHERE id = ? AND org_id = ? AND destroyed_at IS NULL",
            computer_id,
            org_id,
        )
        return None if row is None else computer_row(row)

    def computer_by_id(self, computer_id: str) -> ComputerRow | None:
        """Any computer with this id, live or destroyed, whatever its org."""
        row = self._one("SELECT * FROM computers WHERE id = ?", computer_id)
        return None if row is None else computer_row(row)

    def list_computers(self, org_id: str) -> list[ComputerRow]:
        """The org's live computers, newest first."""
        rows = self._all(
            "SELECT * FROM computers WHERE org_id = ? AND destroyed_at IS NULL"
            " ORDER BY created_at DESC, rowid DESC",
            org_id,
        )
        return [computer_row(row) for row in rows]

    def destroy_computer(self, org_id: str, computer_id: str) -> bool:
        """Mark a computer destroyed (kept for usage) and close its open runs."""
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE computers SET destroyed_at = ? WHERE id = ? AND org_id = ?"
                " AND destroyed_at IS NULL",
                (now, computer_id, org_id),
            )
            db.execute(
                "UPDATE agent_runs SET finished_at = ? WHERE computer_id = ? AND finished_at IS NULL",
                (now, computer_id),
            )
            return cursor.rowcount == 1

    def set_config(self, computer_id: str, text: str, expose: list[int]) -> None:
        """Save a computer's orb.toml as uploaded, and its exposed ports."""
        with self._tx() as db:
            db.execute(
                "UPDATE computers SET config = ?, expose = ? WHERE id = ?",
                (text, json.dumps(expose), computer_id),
            )

    def add_build(self, computer_id: str, build_id: str, started_at: float, body: object) -> None:
        """Keep a finished build's answer."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO builds VALUES (?, ?, ?, ?)",
                (build_id, computer_id, started_at, json.dumps(body)),
            )

    def list_builds(self, computer_id: str) -> list[dict[str, Any]]:
        """A computer's builds, newest first."""
        rows = self._all(
            "SELECT body FROM builds WHERE computer_id = ? ORDER BY started_at DESC, rowid DESC",
            computer_id,
        )
        return [json.loads(row["body"]) for row in rows]

    # agent runs and events (usage)

    def run_started(
        self, computer_id: str, pid: int, port: int, runtime_mb: int, at: float
    ) -> None:
        """Record that an agent started running."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO agent_runs (computer_id, pid, port, runtime_mb, started_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (computer_id, pid, port, runtime_mb, at),
            )

    def run_finished(self, computer_id: str, pid: int, at: float) -> None:
        """Record that an agent stopped running."""
        with self._tx() as db:
            db.execute(
                "UPDATE agent_runs SET finished_at = ? WHERE computer_id = ? AND pid = ?"
                " AND finished_at IS NULL",
                (at, computer_id, pid),
            )

    def close_open_runs(self, at: float) -> None:
        """End every open run at `at` (agents do not survive a server restart)."""
        with self._tx() as db:
            db.execute("UPDATE agent_runs SET finished_at = ? WHERE finished_at IS NULL", (at,))

    def usage_computers(self, org_id: str, start: float, end: float) -> list[ComputerRow]:
        """The org's computers that existed at some time in `[start, end]`."""
        rows = self._all(
            "SELECT * FROM computers WHERE org_id = ? AND created_at < ?"
            " AND (destroyed_at IS NULL OR destroyed_at > ?)",
            org_id,
            end,
            start,
        )
        return [computer_row(row) for row in rows]

    def usage_runs(self, org_id: str, start: float, end: float) -> list[RunRow]:
        """The org's agent runs that overlap `[start, end]`."""
        rows = self._all(
            "SELECT r.computer_id, r.runtime_mb, r.started_at, r.finished_at FROM agent_runs r"
            " JOIN computers c ON c.id = r.computer_id WHERE c.org_id = ? AND r.started_at < ?"
            " AND (r.finished_at IS NULL OR r.finished_at > ?)",
            org_id,
            end,
            start,
        )
        return [RunRow(*row) for row in rows]

    def count_created_destroyed(self, org_id: str, start: float, end: float) -> tuple[int, int]:
        """How many of the org's computers were created, and destroyed, in `[start, end]`."""
        row = self._one(
            "SELECT SUM(created_at BETWEEN ?1 AND ?2), SUM(destroyed_at BETWEEN ?1 AND ?2)"
            " FROM computers WHERE org_id = ?3",
            start,
            end,
            org_id,
        )
        assert row is not None
        return int(row[0] or 0), int(row[1] or 0)

    def add_event(self, org_id: str, type_: str, data: dict[str, Any]) -> EventRow:
        """Record an event."""
        event = EventRow(new_id(), org_id, type_, time.time(), data)
        with self._tx() as db:
            db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                (event.id, org_id, type_, event.created_at, json.dumps(data)),
            )
        return event

    def count_events(self, org_id: str, type_: str, start: float, end: float) -> int:
        """How many events of `type_` the org had in `[start, end]`."""
        row = self._one(
            "SELECT COUNT(*) FROM events WHERE org_id = ? AND type = ?"
            " AND created_at BETWEEN ? AND ?",
            org_id,
            type_,
            start,
            end,
        )
        assert row is not None
        return int(row[0])

    # webhooks and deliveries

    def add_webhook(self, org_id: str, url: str, events: list[str], secret: str) -> WebhookRow:
        """A new webhook subscription."""
        hook = WebhookRow(new_id(), org_id, url, events, secret, time.time())
        with self._tx() as db:
            db.execute(
                "INSERT INTO webhooks VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (hook.id, org_id, url, json.dumps(events), secret, hook.created_at),
            )
        return hook

    def list_webhooks(self, org_id: str) -> list[WebhookRow]:
        """The org's webhooks, newest first."""
        rows = self._all(
            "SELECT * FROM webhooks WHERE org_id = ? AND deleted_at IS NULL"
            " ORDER BY created_at DESC, rowid DESC",
            org_id,
        )
        return [webhook_row(row) for row in rows]

    def get_webhook(self, org_id: str, webhook_id: str) -> WebhookRow | None:
        """The org's live webhook with this id."""
        row = self._one(
            "SELECT * FROM webhooks WHERE id = ? AND org_id = ? AND deleted_at IS NULL",
            webhook_id,
            org_id,
        )
        return None if row is None else webhook_row(row)

    def delete_webhook(self, org_id: str, webhook_id: str) -> bool:
        """Delete a webhook; False if the org has no such live webhook."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE webhooks SET deleted_at = ? WHERE id = ? AND org_id = ?"
                " AND deleted_at IS NULL",
                (time.time(), webhook_id, org_id),
            )
            return cursor.rowcount == 1

    def add_delivery(self, delivery: DeliveryRow) -> None:
        """Record one delivery attempt."""
        d = delivery
        with self._tx() as db:
            db.execute(
                "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (d.id, d.webhook_id, d.event_id, d.type, d.attempt, d.status_code, d.error,
                 int(d.success), d.created_at),
            )  # fmt: skip

    def list_deliveries(self, webhook_id: str, limit: int = 100) -> list[DeliveryRow]:
        """A webhook's most recent delivery attempts, newest first."""
        rows = self._all(
            "SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY created_at DESC, rowid DESC"
            " LIMIT ?",
            webhook_id,
            limit,
        )
        return [delivery_row(row) for row in rows]
