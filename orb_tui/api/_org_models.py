"""Account- and org-level models: registration, login, keys, usage, webhooks, deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from orb_tui.api._reader import Reader, extra_field, parse_date

__all__ = [
    "ApiKey",
    "CreatedKey",
    "CreatedWebhook",
    "DailyUsage",
    "Delivery",
    "LoginToken",
    "Registration",
    "Usage",
    "Webhook",
]


@dataclass(frozen=True, slots=True)
class Registration:
    """A new account: its tenant id and its first API key."""

    tenant_id: str
    api_key: str = field(repr=False)
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> Registration:
        r = Reader(data, "registration")
        return cls(r.req_str("tenant_id"), r.req_str("api_key"), r.extra())


@dataclass(frozen=True, slots=True)
class LoginToken:
    """A bearer token from login and its lifetime in seconds."""

    token: str = field(repr=False)
    expires_in: int | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> LoginToken:
        r = Reader(data, "login token")
        return cls(r.req_str("token"), r.opt_int("expires_in"), r.extra())


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A listed API key (never the key itself: only its prefix)."""

    key_id: str
    name: str = ""
    prefix: str = ""
    created_at: datetime | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> ApiKey:
        r = Reader(data, "API key")
        key_id = r.req_str("key_id") if r.has("key_id") or not r.has("id") else r.req_str("id")
        return cls(key_id, r.text("name"), r.text("prefix"), r.when("created_at"), r.extra())


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A key just created: the only time the full key is shown."""

    key_id: str
    api_key: str = field(repr=False)
    name: str = ""
    prefix: str = ""
    created_at: datetime | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> CreatedKey:
        r = Reader(data, "created key")
        key_id, api_key = r.req_str("key_id"), r.req_str("api_key")
        prefix = r.text("prefix") or api_key[:8]
        return cls(key_id, api_key, r.text("name"), prefix, r.when("created_at"), r.extra())


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """GB-hours used on one day."""

    date: date
    runtime_gb_hours: float = 0.0
    disk_gb_hours: float = 0.0
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> DailyUsage:
        r = Reader(data, "daily usage")
        day = parse_date(r.data.get("date"), "daily usage: `date`")
        r.seen.add("date")
        runtime, disk = r.number("runtime_gb_hours"), r.number("disk_gb_hours")
        return cls(day, runtime, disk, r.extra())


@dataclass(frozen=True, slots=True)
class Usage:
    """The org's usage over a period."""

    period_start: datetime | None
    period_end: datetime | None
    runtime_gb_hours: float = 0.0
    disk_gb_hours: float = 0.0
    computers_created: int = 0
    computers_destroyed: int = 0
    checkpoint_cycles: int = 0
    daily: tuple[DailyUsage, ...] = ()
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> Usage:
        r = Reader(data, "usage")
        return cls(
            period_start=r.when("period_start"),
            period_end=r.when("period_end"),
            runtime_gb_hours=r.number("runtime_gb_hours"),
            disk_gb_hours=r.number("disk_gb_hours"),
            computers_created=r.integer("computers_created"),
            computers_destroyed=r.integer("computers_destroyed"),
            checkpoint_cycles=r.integer("checkpoint_cycles"),
            daily=r.items("daily", DailyUsage.from_json),
            extra=r.extra(),
        )


@dataclass(frozen=True, slots=True)
class Webhook:
    """A registered webhook (its secret is never listed)."""

    id: str
    url: str
    events: tuple[str, ...] = ()
    created_at: datetime | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> Webhook:
        r = Reader(data, "webhook")
        return cls(
            r.req_str("id"), r.text("url"), r.strings("events"), r.when("created_at"), r.extra()
        )


@dataclass(frozen=True, slots=True)
class CreatedWebhook:
    """A webhook just created, with its signing secret (shown only this once)."""

    id: str
    url: str
    events: tuple[str, ...]
    secret: str = field(repr=False)
    created_at: datetime | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> CreatedWebhook:
        r = Reader(data, "created webhook")
        return cls(
            r.req_str("id"),
            r.text("url"),
            r.strings("events"),
            r.text("secret"),
            r.when("created_at"),
            r.extra(),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver a webhook event."""

    id: str
    event_id: str = ""
    type: str = ""
    attempt: int = 1
    status_code: int | None = None
    error: str | None = None
    success: bool = False
    created_at: datetime | None = None
    extra: Mapping[str, object] = extra_field()

    @classmethod
    def from_json(cls, data: object) -> Delivery:
        r = Reader(data, "delivery")
        return cls(
            id=r.req_str("id"),
            event_id=r.text("event_id"),
            type=r.text("type"),
            attempt=r.integer("attempt", 1),
            status_code=r.opt_int("status_code"),
            error=r.opt_str("error"),
            success=r.flag("success"),
            created_at=r.when("created_at"),
            extra=r.extra(),
        )
