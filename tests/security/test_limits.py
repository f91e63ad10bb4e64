"""Limits a client cannot talk its way past: body sizes on every route, NUL bytes, and exec and
build processes that never outlive their timeouts.

tests/contract/test_errors_server.py checks the 1 MiB limit on one route and
tests/contract/test_exec.py a timed-out `sleep` and its child; this covers every write route, the
orb.toml limit, commands that try to leave their process group, and build steps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from proc_probe import eventually, pids_running, unique_seconds
from sec_box import CONFIG, TOML, Box
from server_harness import RunningServer, register_org, start_server

MIB = 1 << 20


async def test_every_write_route_answers_413_past_its_limit(box: Box) -> None:
    spec = (await box.http.get("/openapi.json")).json()
    ids = {"computer_id": box.computer_id, "key_id": "k", "webhook_id": "w"}
    json_type = {"Content-Type": "application/json"}
    walked = []
    for template, ops in spec["paths"].items():
        for method in ops:
            if method == "get":
                continue
            url = template.format(**ids)
            limit = 256 << 10 if url.endswith("/config") else MIB
            body = b'{"pad": "' + b"x" * limit + b'"}'
            answer = await box.http.request(method, url, content=body, headers=json_type)
            assert answer.status_code == 413, (method, template, answer.text)
            assert answer.json()["error"] == "too_large"

            async def chunks(size: int = limit) -> AsyncIterator[bytes]:
                for _ in range(size // 65536 + 2):
                    yield b" " * 65536

            streamed = await box.http.request(method, url, content=chunks(), headers=json_type)
            assert streamed.status_code == 413, ("chunked", method, template)
            walked.append(f"{method.upper()} {template}")
    assert len(walked) >= 14, walked


async def test_an_orb_toml_up_to_256_kib_is_taken(box: Box) -> None:
    padding = "#" * ((256 << 10) - len(CONFIG) - 1) + "\n"
    assert len((CONFIG + padding).encode()) == 256 << 10
    assert (await box.upload(CONFIG + padding)).status_code == 200
    assert (await box.upload(CONFIG + padding + "#")).status_code == 413


NUL_CONFIGS = {
    "agent.name": CONFIG.replace('"a"', '"a\\u0000b"'),
    "build.steps[1]": CONFIG + '[build]\nsteps = ["true", "echo \\u0000"]\n',
    "source.git": CONFIG + '[source]\ngit = "/tmp/\\u0000x"\n',
    "agent.env": CONFIG + '[agent.env]\n"K\\u0000" = "v"\n',
}


@pytest.mark.parametrize("field", list(NUL_CONFIGS))
async def test_a_nul_in_an_orb_toml_string_is_422(box: Box, field: str) -> None:
    answer = await box.upload(NUL_CONFIGS[field])
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"].startswith(f"{field}: ")


async def test_a_nul_in_a_command_is_422(box: Box) -> None:
    answer = await box.http.post(
        f"/v1/computers/{box.computer_id}/exec", json={"command": "echo a\u0000b"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"].startswith("command: ")


@pytest.mark.parametrize(
    "shape",
    [
        "sleep {s}",
        "trap '' TERM HUP INT; sleep {s}",
        "setsid -w sleep {s}",
        "(sleep {s} &) ; sleep {s}",
        "nohup sleep {s} </dev/null >/dev/null 2>&1 & wait",
        "setsid -w env -i sleep {s}",
    ],
)
async def test_a_timed_out_command_is_gone_with_all_it_started(box: Box, shape: str) -> None:
    seconds = unique_seconds()
    result = await box.exec(shape.format(s=seconds), timeout=1)
    assert (result["exit_code"], result["timed_out"]) == (124, True)
    assert isinstance(result["duration_ms"], int) and result["duration_ms"] < 60_000
    await eventually(lambda: not pids_running(seconds), what=f"`{shape}` killed")


async def test_without_a_sandbox_a_timed_out_command_still_takes_its_escapees(
    tmp_path: Path,
) -> None:
    # plain process groups have no namespace to kill: what left the session and cleared its
    # environment is found as a descendant
    running = start_server(tmp_path / "plain", sandbox=False)
    try:
        org = await register_org(running.url)
        headers = {"Authorization": f"Bearer {org.api_key}"}
        async with httpx.AsyncClient(base_url=org.url, headers=headers, timeout=60) as http:
            cid = (await http.post("/v1/computers", json={"name": "plain"})).json()["id"]
            seconds = unique_seconds()
            command = {"command": f"setsid -w env -i sleep {seconds}", "timeout": 1}
            result = (await http.post(f"/v1/computers/{cid}/exec", json=command)).json()
            assert result["timed_out"]
            await eventually(lambda: not pids_running(seconds), what="the escapee killed")
    finally:
        assert running.stop() == 0


@pytest.fixture(scope="module")
def quick_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose build steps may run 1 s (`ORB_TUI_BUILD_STEP_TIMEOUT`)."""
    running = start_server(
        tmp_path_factory.mktemp("orb-quick") / "state",
        extra_env={"ORB_TUI_BUILD_STEP_TIMEOUT": "1"},
    )
    yield running
    assert running.stop() == 0, running.stderr()


async def test_a_build_step_is_killed_at_its_timeout(
    quick_builds: RunningServer, tmp_path: Path
) -> None:
    org = await register_org(quick_builds.url)
    seconds = unique_seconds()
    steps = f'[build]\nsteps = ["echo first", "sleep {seconds} & sleep {seconds}", "touch never"]\n'
    headers = {"Authorization": f"Bearer {org.api_key}"}
    async with httpx.AsyncClient(base_url=org.url, headers=headers, timeout=60) as http:
        cid = (await http.post("/v1/computers", json={"name": "slow"})).json()["id"]
        await http.post(f"/v1/computers/{cid}/exec", json={"command": "mkdir -p ../code"})
        saved = await http.post(f"/v1/computers/{cid}/config", content=CONFIG + steps, headers=TOML)
        assert saved.status_code == 200, saved.text
        build = (await http.post(f"/v1/computers/{cid}/build")).json()
    assert not build["success"]
    first, slow = build["steps"]
    assert first["exit_code"] == 0
    assert slow["exit_code"] == 124
    assert "ran longer than 1 s" in slow["stderr"]
    await eventually(lambda: not pids_running(seconds), what="the step's processes killed")
