"""Usage: disk and runtime GB-hours for an org over a window, with a per-UTC-day breakdown."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from orb_tui.server.store import Store
from orb_tui.server.timefmt import iso

DAY = 86400.0
DEFAULT_WINDOW = 30 * DAY

Interval = tuple[float, float, float]  # start, end, GB


def _overlap_hours(start: float, end: float, lo: float, hi: float) -> float:
    return max(0.0, min(end, hi) - max(start, lo)) / 3600.0


def _days(start: float, end: float) -> list[tuple[float, float]]:
    """The UTC days that `[start, end)` touches, each clipped to the window."""
    first = datetime.fromtimestamp(start, timezone.utc).replace(hour=0, minute=0, second=0,
                                                                microsecond=0)  # fmt: skip
    days = []
    day = first
    while day.timestamp() < end:
        lo, hi = day.timestamp(), (day + timedelta(days=1)).timestamp()
        days.append((max(lo, start), min(hi, end)))
        day += timedelta(days=1)
    return days


def _gb_hours(intervals: Iterable[Interval], lo: float, hi: float) -> float:
    return sum((gb * _overlap_hours(start, end, lo, hi) for start, end, gb in intervals), 0.0)


def compute_usage(store: Store, org_id: str, start: float, end: float) -> dict[str, Any]:
    """The `GET /v1/usage` answer for `org_id` over `[start, end]`."""
    now = time.time()
    disk = [
        (c.created_at, c.destroyed_at or now, c.disk_mb / 1024)
        for c in store.usage_computers(org_id, start, end)
    ]
    runtime = [
        (r.started_at, r.finished_at or now, r.runtime_mb / 1024)
        for r in store.usage_runs(org_id, start, end)
    ]
    created, destroyed = store.count_created_destroyed(org_id, start, end)
    daily = [
        {
            "date": datetime.fromtimestamp(lo, timezone.utc).date().isoformat(),
            "runtime_gb_hours": round(_gb_hours(runtime, lo, hi), 6),
            "disk_gb_hours": round(_gb_hours(disk, lo, hi), 6),
        }
        for lo, hi in _days(start, end)
    ]
    return {
        "period_start": iso(start),
        "period_end": iso(end),
        "runtime_gb_hours": round(_gb_hours(runtime, start, end), 6),
        "disk_gb_hours": round(_gb_hours(disk, start, end), 6),
        "computers_created": created,
        "computers_destroyed": destroyed,
        "checkpoint_cycles": store.count_events(org_id, "agent.checkpointed", start, end),
        "daily": daily,
    }
