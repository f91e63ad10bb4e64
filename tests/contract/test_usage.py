"""Contract: usage GB-hours from computer lifetimes and agent runs, clipped to the window, per day."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from server_harness import RunningServer

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import ValidationFailed
from orb_tui.api.models import AgentState

AGENT = '[agent]\nname = "sleeper"\nlang = "python"\nentry = "main.py"\n'


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def test_a_fresh_org_uses_nothing_over_the_last_30_days(client: OrbClient) -> None:
    usage = await client.usage()
    assert (usage.runtime_gb_hours, usage.disk_gb_hours) == (0, 0)
    assert (usage.computers_created, usage.computers_destroyed, usage.checkpoint_cycles) == (
        0,
        0,
        0,
    )
    span = usage.period_end - usage.period_start
    assert abs(span - timedelta(days=30)) < timedelta(seconds=2)
    assert len(usage.daily) in (30, 31)
    assert usage.daily[-1].date == _now().date()


async def test_disk_hours_follow_the_computer_lifetime(client: OrbClient) -> None:
    before = time.time()
    computer = await client.create_computer("disk", disk_mb=2048)
    await client.delete_computer(computer.id)
    after = time.time()
    window_end = _now() + timedelta(hours=1)
    usage = await client.usage(end=window_end)
    hours = usage.disk_gb_hours / 2  # 2 GB
    assert 0 < hours <= (after - before) / 3600 + 1e-6
    assert (usage.computers_created, usage.computers_destroyed) == (1, 1)
    again = await client.usage(end=window_end)
    assert again.disk_gb_hours == usage.disk_gb_hours  # a destroyed computer stops accruing
    assert sum(d.disk_gb_hours for d in usage.daily) == pytest.approx(usage.disk_gb_hours, abs=1e-5)


async def test_a_window_before_the_computer_existed_is_empty(client: OrbClient) -> None:
    await client.create_computer("later")
    end = _now() - timedelta(days=1)
    usage = await client.usage(start=end - timedelta(days=2), end=end)
    assert (usage.disk_gb_hours, usage.computers_created) == (0, 0)
    assert [d.date for d in usage.daily] == [(end - timedelta(days=n)).date() for n in (2, 1, 0)]


async def test_agent_runs_count_as_runtime_and_demotes_as_checkpoints(
    client: OrbClient, server: RunningServer
) -> None:
    computer = await client.create_computer("runner", runtime_mb=1024)
    code = server.state_dir / "computers" / computer.id / "agent" / "code"
    (code / "main.py").write_text("import time\ntime.sleep(600)\n")
    await client.upload_config(computer.id, AGENT)
    deployed = await client.deploy(computer.id)
    port = deployed.agents[0].port
    assert port is not None
    await client.demote(computer.id, port)
    agents = await client.list_agents(computer.id)
    assert agents[0].state is AgentState.CHECKPOINTED
    await client.promote(computer.id, port)
    await client.delete_computer(computer.id)
    usage = await client.usage(end=_now() + timedelta(minutes=1))
    assert usage.checkpoint_cycles == 1
    assert 0 < usage.runtime_gb_hours < 60 / 3600  # 1 GB for well under a minute
    later = await client.usage(end=_now() + timedelta(minutes=1))
    assert later.runtime_gb_hours == usage.runtime_gb_hours  # the run ended with the computer


@pytest.mark.parametrize(
    "query",
    [
        {"start": "yesterday"},
        {"end": "2026-13-01T00:00:00Z"},
        {"start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"},
        {"start": "2000-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
    ],
)
async def test_bad_windows_are_422(http: httpx.AsyncClient, query: dict[str, str]) -> None:
    answer = await http.get("/v1/usage", params=query)
    assert answer.status_code == 422
    assert answer.json()["message"].split(":")[0] in {"start", "end"}


async def test_the_client_reports_a_bad_window(client: OrbClient) -> None:
    end = _now()
    with pytest.raises(ValidationFailed, match="end"):
        await client.usage(start=end, end=end - timedelta(hours=1))
