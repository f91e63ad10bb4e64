"""Builds over HTTP from a local git repository made in the test: clone, steps, stop at a failure."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import Machine

CONFIG = """
[agent]
name = "builder"
lang = "python"
entry = "main.py"

[source]
git = "{git}"
branch = "trunk"

[build]
steps = ["cat VERSION", "echo step-two-failed >&2; exit 9", "touch THIRD"]
"""


def make_repo(path: Path) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.email=t@x", "-c", "user.name=t", *args],
                       cwd=path, check=True, capture_output=True)  # fmt: skip

    path.mkdir()
    git("init", "-q", "-b", "trunk")
    (path / "VERSION").write_text("v1\n")
    (path / "main.py").write_text("print('hello')\n")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    return path


async def test_a_failing_second_step_stops_the_build(machine: Machine, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    await machine.client.upload_config(machine.computer_id, CONFIG.format(git=repo))
    build = await machine.client.build(machine.computer_id)
    assert build.cloned and not build.success
    assert [(s.step, s.exit_code) for s in build.steps] == [
        ("cat VERSION", 0),
        ("echo step-two-failed >&2; exit 9", 9),
    ]
    assert build.steps[0].stdout == "v1\n"
    assert build.steps[1].stderr == "step-two-failed\n"
    code = Path(machine.agent_dir) / "code"
    assert (code / "main.py").exists() and not (code / "THIRD").exists()
    [listed] = await machine.client.list_builds(machine.computer_id)
    assert listed.build_id == build.build_id and not listed.success


async def test_an_unreachable_source_is_a_failed_clone_step(
    machine: Machine, tmp_path: Path
) -> None:
    missing = tmp_path / "missing"
    await machine.client.upload_config(machine.computer_id, CONFIG.format(git=missing))
    build = await machine.client.build(machine.computer_id)
    assert not build.success
    [step] = build.steps
    assert step.step == f"git clone {missing}" and step.exit_code != 0 and step.stderr
