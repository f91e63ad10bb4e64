"""Wire times: ISO 8601 UTC with a `Z`, to and from epoch seconds."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(epoch: float) -> str:
    """`2026-11-28T20:15:03Z` for an epoch time (whole seconds)."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_dt(moment: datetime) -> str:
    """The wire form of an aware or naive-UTC datetime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return iso(moment.timestamp())


def parse_iso(text: str) -> float:
    """Epoch seconds from an ISO 8601 time (naive means UTC); raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
