"""Exec over HTTP: output, exit codes, timeouts that kill the whole group, no stall on held pipes."""

from __future__ import annotations

from conftest import Machine
from proc_probe import eventually, pids_running, unique_seconds

from orb_tui.api.errors import NotFound


async def test_output_exit_code_and_working_directory(machine: Machine) -> None:
    result = await machine.client.exec(machine.computer_id, "pwd; echo oops >&2; exit 5")
    assert result.stdout == machine.path("data") + "\n"
    assert (result.stderr, result.exit_code, result.timed_out) == ("oops\n", 5, False)
    assert result.duration_ms is not None and result.duration_ms >= 0


async def test_a_timeout_kills_the_command_and_its_children(machine: Machine) -> None:
    child, main = unique_seconds(), unique_seconds()
    result = await machine.client.exec(
        machine.computer_id, f"sleep {child} & sleep {main}", timeout=1
    )
    assert (result.exit_code, result.timed_out) == (124, True)
    await eventually(lambda: not pids_running(child) and not pids_running(main), what="sleeps")


async def test_disowned_work_outlives_the_exec_until_the_computer_goes(machine: Machine) -> None:
    seconds = unique_seconds()
    result = await machine.client.exec(machine.computer_id, f"sleep {seconds} & echo started")
    assert (result.stdout, result.exit_code) == ("started\n", 0)
    assert pids_running(seconds)
    await machine.client.delete_computer(machine.computer_id)
    await eventually(lambda: not pids_running(seconds), what="the computer's processes end")
    try:
        await machine.client.exec(machine.computer_id, "true")
    except NotFound:
        pass
    else:
        raise AssertionError("exec on a deleted computer must be 404")
    machine.computer_id = (await machine.client.create_computer("again")).id


async def test_big_output_is_capped(machine: Machine) -> None:
    result = await machine.client.exec(
        machine.computer_id, "head -c 2000000 /dev/zero | tr '\\0' x"
    )
    assert result.stdout.startswith("x" * 1000)
    assert result.stdout.endswith("\n[... output truncated at 1 MiB]\n")
    assert len(result.stdout) == (1 << 20) + len("\n[... output truncated at 1 MiB]\n")
